"""Past years read with `?year=` stay open, with their figures, for the year read last only; a
year let go is opened again, works its figures out again and answers as before."""

from __future__ import annotations

import datetime as dt
from typing import Any

from grade_helpers import hr
from helpers import DEPT, Service, running_service

from service.config import Settings
from service.web.live_content import LiveContent


def leave(service: Service, staff_id: str, status: str) -> None:
    done = service.client.put(f"/api/completion/{DEPT}", headers=hr(service),
                              json={"entries": [{"staff_id": staff_id, "status": status}]})
    assert done.status_code == 200, done.text


def start(service: Service, year: int) -> None:
    service.clock.set(dt.datetime(year - 1, 12, 30, 9))
    started = service.client.post("/api/years", json={"year": year}, headers=hr(service))
    assert started.status_code == 201, started.text


def progress(service: Service, year: int) -> dict[str, Any]:
    answer = service.client.get(f"/api/progress?year={year}", headers=hr(service))
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def test_only_the_past_year_read_last_keeps_its_figures_and_each_year_answers_its_own(settings: Settings) -> None:
    with running_service(settings, now=dt.datetime(2019, 12, 27, 9)) as service:
        members = service.context.content.members(DEPT)
        leave(service, members[-1].staff_id, "产假")
        start(service, 2020)
        leave(service, members[-1].staff_id, "病假")
        leave(service, members[-2].staff_id, "病假")
        start(service, 2021)
        live: LiveContent = service.app.state.live
        first = progress(service, 2019)
        assert len(live.of_year(2019).kept) > 0
        second = progress(service, 2020)
        assert first["year"] == 2019 and second["year"] == 2020 and first != second
        assert live.open_years == (2020,)  # 2019 let go whole: its set-up, its store, its figures
        assert len(live.of_year(2020).kept) > 0
        assert progress(service, 2019) == first  # worked out again, the same
        assert live.open_years == (2019,) and len(live.of_year(2019).kept) > 0
        assert progress(service, 2020) == second
        assert progress(service, 2021)["year"] == 2021  # the current year's figures are never let go
        assert len(live.of_year(2020).kept) > 0
