"""A year is a scope: 2019 run to its end through HTTP, 2020 started from the browser's API;
2019 stays readable on every page with `?year=2019` and workable for what legally continues
(复核, 申诉, notices, the person's result), and refuses every other write (409 year_closed)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from grade_helpers import START, decide_and_publish, grade_everyone, hr
from helpers import DEPT, Service, parse_html, running_service
from openpyxl import load_workbook
from staff_helpers import issue_slips, sign_in_again, staff_session

from service.config import Settings
from service.content.codes import GRADE_BASIC, GRADE_PASS
from service.content.loader import load_content

EXPORTS = ("/hr/grades/filing.xlsx", "/hr/export.xlsx", "/hr/scores.xlsx")
NEW_YEAR = dt.datetime(2020, 1, 6, 9)


def act(service: Service, name: str, body: dict[str, Any], year: int | None = 2019) -> Any:
    query = f"?year={year}" if year else ""
    return service.client.post(f"/api/grades/actions/{name}{query}", json=body, headers=hr(service))


def cells(data: bytes) -> dict[str, list[list[Any]]]:
    book = load_workbook(io.BytesIO(data))
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}


def exports(service: Service) -> dict[str, dict[str, list[list[Any]]]]:
    found = {}
    for path in EXPORTS:
        response = service.client.get(f"{path}?year=2019", headers=hr(service))
        assert response.status_code == 200, (path, response.text)
        found[path] = cells(response.content)
    return found


def run_2019(service: Service) -> dict[str, str]:
    """2019 to its end: scores, grades, the decision, 公示, the notices delivered in December."""
    grades = grade_everyone(service, basic=2)
    decide_and_publish(service)
    service.clock.set(dt.datetime(2019, 10, 10, 9))
    assert act(service, "close-publicity", {}, None).status_code == 200
    service.clock.set(dt.datetime(2019, 12, 20, 9))
    assert act(service, "notified", {"department": DEPT, "date": "2019-12-20"}, None).status_code == 200
    return grades


def start_2020(service: Service) -> None:
    service.clock.set(NEW_YEAR)
    preview = service.client.post("/api/years", json={"year": 2020, "preview": True}, headers=hr(service))
    assert preview.status_code == 200, preview.text
    shown = preview.json()
    assert shown["from"] == 2019 and shown["carried"]["roster"] == len(service.context.content.roster)
    assert {"name": "contracts", "from": "2019-04-26", "to": "2020-04-26"} in shown["deadlines"]
    assert "月度考核汇总" in shown["empty"]
    assert load_content(service.settings.content_dir).settings.year == 2019  # a preview changes nothing
    started = service.client.post("/api/years", json={"year": 2020}, headers=hr(service))
    assert started.status_code == 201, started.text
    assert started.json()["year"] == 2020 and started.json()["years"] == [2020, 2019]


def test_2019_stays_workable_for_what_continues_after_2020_starts(settings: Settings) -> None:
    with running_service(settings, now=START) as service:
        grades = run_2019(service)
        basic, kept = [sid for sid, grade in grades.items() if grade == GRADE_BASIC]
        staff_session(service, basic, issue_slips(service)[basic])
        before = exports(service)
        december = {"rows": [{"工号": basic, "业务工作目标": 50}], "partial": True}
        start_2020(service)
        assert service.context.year == 2020
        assert exports(service) == before
        assert (settings.content_dir / "years" / "2019" / "settings.yml").is_file()
        assert load_content(settings.content_dir / "years" / "2019").settings.year == 2019

        # 复核 applied for and decided within its window, then a 申诉 recorded, all in 2020
        assert act(service, "review", {"staff_id": basic}, None).json()["code"] == "no_grade"
        applied = act(service, "review", {"staff_id": basic, "applied_on": "2020-01-06"})
        assert applied.status_code == 200, applied.text
        decided = act(service, "review-decision", {"staff_id": basic, "decided_on": "2020-01-08",
                                                   "grade": GRADE_PASS, "note": "复核后改为合格"})
        assert decided.status_code == 200, decided.text
        assert act(service, "review", {"staff_id": kept, "applied_on": "2020-01-07"}).status_code == 200
        assert act(service, "review-decision", {"staff_id": kept, "decided_on": "2020-01-09"}).status_code == 200
        appealed = act(service, "appeal", {"staff_id": kept, "applied_on": "2020-01-10", "authority": "市人社局"})
        assert appealed.status_code == 200, appealed.text
        cases = service.client.get("/api/grades/reviews?year=2019", headers=hr(service)).json()["cases"]
        assert sorted(c["staff_id"] for c in cases) == sorted([basic, kept])
        assert next(c for c in cases if c["staff_id"] == kept)["appeal"]["authority"] == "市人社局"
        assert service.client.get("/api/grades/reviews", headers=hr(service)).json()["cases"] == []

        notice = service.client.get(f"/board/{DEPT}/grades/{basic}/notice.docx?year=2019", headers=hr(service))
        assert notice.status_code == 200 and notice.content[:2] == b"PK"
        assert service.client.get(f"/board/{DEPT}/grades/{basic}/notice.docx", headers=hr(service)).status_code == 404

        client = sign_in_again(service, basic)  # a new session in 2020
        answer = client.get("/api/me?year=2019")
        assert answer.status_code == 200, answer.text
        mine = answer.json()["grade"]
        assert mine["published"] and mine["year"] == 2019 and mine["grade"] == GRADE_PASS
        page = parse_html(client.get("/me/grade?year=2019").text)
        assert page.find(data_field="grade").text == GRADE_PASS
        listed = parse_html(client.get("/me").text).find("table", data_my_years=True)
        assert [row[0] for row in listed.rows()] == ["2020 年度", "2019 年度"]

        overview = service.client.get("/api/grades", headers=hr(service)).json()
        assert overview["year"] == 2020 and overview["graded"] == 0
        assert service.client.get("/api/grades/records", headers=hr(service)).json()["sanctions"] == []
        assert service.client.get("/api/scores", headers=hr(service)).json()["people"][0]["total"] in (None, 0)

        stored = service.client.get(f"/api/monthly/{DEPT}/12?year=2019", headers=hr(service)).json()
        late = service.client.put(f"/api/monthly/{DEPT}/12?year=2019", json=december, headers=hr(service))
        assert late.status_code == 409 and late.json()["code"] == "year_closed", late.text
        assert "2019 年度已结束" in late.json()["error"]
        assert service.client.get(f"/api/monthly/{DEPT}/12?year=2019", headers=hr(service)).json() == stored
