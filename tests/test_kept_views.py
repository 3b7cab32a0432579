"""HR's views from figures kept per department: each is read, then changed through the service,
then read again, and shows the change (the progress board, the review queue, the target list,
the completion workbook, one department's scores)."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
from approvals import submit
from helpers import DEPT, PDF, Service, parse_html, upload


def targets_row(service: Service, hr: dict[str, str]) -> dict[str, int]:
    response = service.client.get("/api/progress", headers=hr)
    assert response.status_code == 200
    return next(d["targets"] for d in response.json()["departments"] if d["id"] == DEPT)


def review_ids(service: Service) -> set[str]:
    page = parse_html(service.session("boss").get("/board/review").text)
    table = page.find("table", data_review_table=True)
    return {row.attrs["data-staff"] for row in table.find_all("tr", data_staff=True)} if table is not None else set()


def workbook_row(service: Service, staff_id: str) -> tuple[Any, ...]:
    response = service.client.get("/hr/export.xlsx", headers=service.bearer("hr"))
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    name = service.context.content.department(DEPT).name  # type: ignore[union-attr]
    rows = list(book[name].iter_rows(values_only=True))
    return next(r for r in rows[2:] if r[1] == staff_id)


def test_progress_review_and_targets_follow_each_change(service: Service) -> None:
    hr, boss = service.bearer("hr"), service.bearer("boss")
    first, second = [m.staff_id for m in service.context.content.members(DEPT)][:2]
    before = targets_row(service, hr)
    assert review_ids(service) == set()
    submit(service, first, user="clerk")
    after = targets_row(service, hr)
    assert after["已提交"] == before["已提交"] + 1 and after["未开始"] == before["未开始"] - 1
    assert review_ids(service) == {first}
    submit(service, second, user="clerk")
    assert review_ids(service) == {first, second}
    assert service.client.post(f"/api/targets/{first}/approve", headers=boss).status_code == 200
    assert review_ids(service) == {second}
    assert targets_row(service, hr)["已审定"] == before["已审定"] + 1
    listed = service.client.get("/api/targets", params={"department": DEPT}, headers=hr).json()["people"]
    assert {p["staff_id"]: p["state"] for p in listed}[first] == "已审定"


def test_the_completion_workbook_follows_uploads_and_statuses(service: Service) -> None:
    clerk = service.bearer("clerk")
    first, second = [m.staff_id for m in service.context.content.members(DEPT)][:2]
    assert workbook_row(service, first)[4:6] == ("未完成", 0)
    record = upload(service.client, first, PDF, headers=clerk).json()
    row = workbook_row(service, first)
    assert row[4:6] == ("目标未审定", 1)  # signed before its targets were approved
    upload(service.client, first, PDF, headers=clerk)
    assert workbook_row(service, first)[5] == 2 and record["version"] == 1
    response = service.client.put(f"/api/completion/{DEPT}", headers=clerk,
                                  json={"entries": [{"staff_id": second, "status": "产假"}]})
    assert response.status_code == 200
    assert workbook_row(service, second)[4] == "产假"


def test_one_departments_scores_follow_a_summary_and_an_event(service: Service) -> None:
    hr, clerk = service.bearer("hr"), service.bearer("clerk")
    members = [m.staff_id for m in service.context.content.members(DEPT)]

    def scores() -> dict[str, dict[str, Any]]:
        response = service.client.get("/api/scores", params={"department": DEPT}, headers=hr)
        return {p["staff_id"]: p for p in response.json()["people"]}

    assert scores()[members[0]]["total"] is None
    rows = [{"工号": s, "出勤": 21, "业务工作目标": 50 + (i % 3)} for i, s in enumerate(members)]
    assert service.client.put(f"/api/monthly/{DEPT}/3", json={"rows": rows}, headers=clerk).status_code == 200
    assert scores()[members[2]]["business"] == 52 and scores()[members[2]]["department_rank"] == 1
    event = {"department": DEPT, "item_id": "c1", "rule_index": 0, "at": "2019-03-05"}
    assert service.client.post("/api/score-events", json=event, headers=hr).status_code == 201
    assert scores()[members[2]]["common"] == 38
