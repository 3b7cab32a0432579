"""The monthly summary (附件4) through HTTP: due by the 5th, late on the 6th, resubmission kept in history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import DEPT, OTHER_DEPT, Service, page_csrf, parse_html, running_service

from service.config import Settings

UTC = dt.UTC


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    with running_service(settings, now=dt.datetime(2019, 5, 3, 9, 0)) as svc:
        yield svc


def members(service: Service, department: str = DEPT) -> list[str]:
    return [m.staff_id for m in service.context.content.members(department)]


def rows(service: Service, department: str = DEPT, business: float = 50) -> list[dict[str, Any]]:
    return [{"工号": s, "出勤": 22, "事假": 0, "病假": 0, "迟到": 0, "早退": 0, "旷工": 0, "离岗": 0,
             "其他项目": 0, "业务工作目标": business} for s in members(service, department)]


def put(service: Service, department: str, month: int, body_rows: list[dict[str, Any]],
        headers: dict[str, str] | None = None) -> Any:
    headers = headers or service.bearer("clerk" if department == DEPT else "other")
    return service.client.put(f"/api/monthly/{department}/{month}", json={"rows": body_rows}, headers=headers)


def grid(service: Service) -> dict[str, dict[str, str]]:
    body = service.client.get("/api/progress", headers=service.bearer("hr")).json()
    return {d["id"]: {m: c["state"] for m, c in d["monthly"].items()} for d in body["departments"]}


def test_a_summary_on_the_5th_is_on_time_and_on_the_6th_late(service: Service) -> None:
    service.clock.set(dt.datetime(2019, 5, 5, 23, 50))
    on_time = put(service, DEPT, 4, rows(service))
    assert on_time.status_code == 200, on_time.text
    assert on_time.json()["state"] == "on_time" and on_time.json()["due"] == "2019-05-05"
    service.clock.set(dt.datetime(2019, 5, 6, 8, 30))
    late = put(service, OTHER_DEPT, 4, rows(service, OTHER_DEPT))
    assert late.json()["state"] == "late"

    states = grid(service)
    assert states[DEPT]["4"] == "on_time"
    assert states[OTHER_DEPT]["4"] == "late"
    assert states["qcx"]["4"] == "missing"
    assert states["qcx"]["4"] == "missing"  # every month from the first reported one is a column
    assert "1" not in states["qcx"] and "3" not in states["qcx"]  # before the contracts' month nothing is owed
    assert "5" not in states["qcx"]

    page = parse_html(service.hr_session().get("/board/progress").text)
    table = page.find("table", data_progress_monthly=True)
    assert table is not None
    cell = table.find("tr", data_department=OTHER_DEPT).find("td", data_month="4")  # type: ignore[union-attr]
    assert cell is not None and cell.attrs["data-state"] == "late" and cell.text == "逾期"


def test_the_5th_ends_at_midnight_college_time_not_utc(service: Service) -> None:
    service.clock.set(dt.datetime(2019, 5, 5, 16, 30, tzinfo=UTC))  # 05-06 00:30 in Harbin
    assert put(service, DEPT, 4, rows(service)).json()["state"] == "late"
    service.clock.set(dt.datetime(2019, 6, 5, 15, 30, tzinfo=UTC))  # 06-05 23:30 in Harbin
    assert put(service, DEPT, 5, rows(service)).json()["state"] == "on_time"


def test_a_resubmission_replaces_the_month_and_keeps_the_old_one(service: Service) -> None:
    first = put(service, DEPT, 4, rows(service, business=50))
    assert first.status_code == 200
    service.clock.set(dt.datetime(2019, 5, 4, 10, 0))
    refused = put(service, DEPT, 4, rows(service, business=55)[:3])  # 3 people of 42: not by accident
    assert refused.status_code == 422 and refused.json()["code"] == "monthly_incomplete"
    second = service.client.put(f"/api/monthly/{DEPT}/4", json={"rows": rows(service, business=55)[:3], "partial": True},
                                headers=service.bearer("clerk"))
    assert second.status_code == 200 and second.json()["state"] == "partial"
    assert second.json()["state_label"] == "部分报送" and len(second.json()["missing"]) == len(members(service)) - 3
    assert grid(service)[DEPT]["4"] == "partial"  # never 按时 while people are missing
    data = service.client.get(f"/api/monthly/{DEPT}/4", headers=service.bearer("hr")).json()
    assert len(data["rows"]) == 3 and {r["business"] for r in data["rows"]} == {55}
    assert len(data["history"]) == 1
    old = data["history"][0]
    assert len(old["rows"]) == len(members(service)) and {r["business"] for r in old["rows"]} == {50}
    assert old["submitted_at"].startswith("2019-05-03") and data["submitted_at"].startswith("2019-05-04")
    staff_id = members(service)[0]
    score = next(p for p in service.client.get("/api/scores", headers=service.bearer("hr")).json()["people"]
                 if p["staff_id"] == staff_id)
    assert score["business"] == 55  # only the current version counts


def test_bad_rows_are_refused_with_the_row_named(service: Service) -> None:
    bad = rows(service)
    bad[1]["业务工作目标"] = 61
    bad.append({"工号": members(service, OTHER_DEPT)[0], "出勤": 20})
    response = put(service, DEPT, 4, bad)
    assert response.status_code == 422
    assert "第 2 行：业务工作目标" in response.json()["error"]
    assert f"第 {len(bad)} 行：工号" in response.json()["error"]
    assert service.client.get(f"/api/monthly/{DEPT}/4", headers=service.bearer("clerk")).json()["rows"] == []
    assert put(service, DEPT, 6, rows(service)).status_code == 422  # June has not begun on 05-03
    assert put(service, DEPT, 13, rows(service)).status_code == 404
    assert put(service, OTHER_DEPT, 4, rows(service, OTHER_DEPT), headers=service.bearer("clerk")).status_code == 403


def test_the_form_keeps_what_was_typed_and_then_submits(service: Service) -> None:
    browser = service.session("clerk")
    path = f"/board/{DEPT}/monthly/4"
    first, second = members(service)[:2]
    typed = {"csrf": page_csrf(browser, path), f"出勤:{first}": "22", f"业务工作目标:{first}": "58",
             f"出勤:{second}": "二十", f"业务工作目标:{second}": "50"}
    refused = browser.post(path, data=typed)
    assert refused.status_code == 422
    page = parse_html(refused.text)
    field = page.find("input", name=f"出勤:{second}")
    assert field is not None and field.attrs["value"] == "二十"
    typed[f"出勤:{second}"] = "２０"  # full-width digits are digits
    incomplete = browser.post(path, data=typed)  # two of 42 people, not said to be partial
    assert incomplete.status_code == 422 and "部分报送" in parse_html(incomplete.text).text
    done = browser.post(path, data={**typed, "partial": "1"})
    assert done.status_code == 303 and done.headers["location"].endswith("notice=submit")
    shown = parse_html(browser.get(path).text)
    assert shown.find("input", name=f"业务工作目标:{first}").attrs["value"] == "58"  # type: ignore[union-attr]
    assert shown.find("input", name=f"出勤:{second}").attrs["value"] == "20"  # type: ignore[union-attr]
    assert shown.find(data_state=True).attrs["data-state"] == "partial"  # type: ignore[union-attr]
    listing = parse_html(browser.get(f"/board/{DEPT}/monthly").text)
    assert listing.find("tr", data_month="4").attrs["data-state"] == "partial"  # type: ignore[union-attr]
    everyone = {f"{column}:{m}": "22" if column == "出勤" else "" for m in members(service) for column in ("出勤",)}
    complete = browser.post(path, data={**typed, **everyone, f"出勤:{first}": "22", "csrf": typed["csrf"]})
    assert complete.status_code == 303
    assert parse_html(browser.get(path).text).find(data_state=True).attrs["data-state"] == "on_time"  # type: ignore[union-attr]
