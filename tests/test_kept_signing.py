"""The kept views follow what makes a signed contract count or not: each is read, then a scan is
uploaded, the approved set reopened and approved with other rows, a scan withdrawn, and each
read again (the completion workbook's sheet line and summary, /api/status's 需重签 count, the
progress board); a withdrawal is written into the file of the version withdrawn and survives a
restart."""

from __future__ import annotations

import io
import json
from typing import Any

import openpyxl
from approvals import approve, mark_of, page_png, people, reopen
from helpers import DEPT, Service, running_service, staff_of, upload

from service.config import Settings

STAFF_ID_COLUMN, STATUS_COLUMN, VERSIONS_COLUMN = 1, 4, 5
RESIGN_COLUMN = 8  # 汇总: 未完成中需重签


def workbook(service: Service) -> openpyxl.Workbook:
    response = service.client.get("/hr/export.xlsx", headers=service.bearer("hr"))
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)


def sheet_line(service: Service, staff_id: str) -> tuple[Any, ...]:
    """(完成情况, 扫描件版本数) of the person in their department's sheet."""
    name = service.context.content.department(DEPT).name  # type: ignore[union-attr]
    rows = list(workbook(service)[name].iter_rows(values_only=True))
    row = next(r for r in rows[2:] if r[STAFF_ID_COLUMN] == staff_id)
    return row[STATUS_COLUMN], row[VERSIONS_COLUMN]


def summary_resign(service: Service) -> Any:
    name = service.context.content.department(DEPT).name  # type: ignore[union-attr]
    rows = list(workbook(service)["汇总"].iter_rows(values_only=True))
    return next(r for r in rows[2:] if r[0] == name)[RESIGN_COLUMN]


def status_resign(service: Service) -> int:
    row = next(d for d in service.client.get("/api/status").json()["departments"] if d["id"] == DEPT)
    return int(row["resign"])


def approved_count(service: Service) -> int:
    response = service.client.get("/api/progress", headers=service.bearer("hr"))
    assert response.status_code == 200
    return int(next(d["targets"] for d in response.json()["departments"] if d["id"] == DEPT)["已审定"])


def send(service: Service, staff_id: str, data: bytes) -> dict[str, Any]:
    response = upload(service.client, staff_id, data, "scan.png", service.bearer("clerk"))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def withdraw(service: Service, contract_id: str) -> None:
    response = service.client.post(f"/api/departments/{DEPT}/contracts/{contract_id}/withdraw",
                                   json={"reason": "传错了版本"}, headers=service.bearer("clerk"))
    assert response.status_code == 200, response.text


def test_kept_views_follow_reopen_reapproval_and_withdrawal(service: Service, settings: Settings) -> None:
    staff_id = people(service)[0]
    approve(service, staff_id)
    approved = approved_count(service)
    assert sheet_line(service, staff_id) == ("未完成", 0) and status_resign(service) == 0

    first = send(service, staff_id, page_png(mark_of(service, staff_id)))
    assert sheet_line(service, staff_id) == ("完成", 1)

    assert reopen(service, staff_id).status_code == 200  # the scan no longer counts: 需重签
    assert sheet_line(service, staff_id) == ("需重签", 1)
    assert (status_resign(service), summary_resign(service)) == (1, 1)
    assert approved_count(service) == approved - 1

    approve(service, staff_id, "技能鉴定合格率不低于97%")  # other rows: a new tag, the old scan stays stale
    assert approved_count(service) == approved
    assert sheet_line(service, staff_id) == ("需重签", 1)
    second = send(service, staff_id, page_png(mark_of(service, staff_id), seed=2))
    assert sheet_line(service, staff_id) == ("完成", 2)
    assert (status_resign(service), summary_resign(service)) == (0, 0)

    withdraw(service, second["id"])  # back to the first scan, signed for the old rows
    assert sheet_line(service, staff_id) == ("需重签", 2)
    assert (status_resign(service), summary_resign(service)) == (1, 1)

    folder = settings.data_dir / "db" / str(service.context.year) / DEPT
    assert not (folder / "contracts.json").exists()
    stored = json.loads((folder / "contracts" / f"{staff_id}-2.json").read_bytes())
    [record] = stored["contracts"].values()
    assert (record["id"], record["state"], record["withdraw_reason"]) == (second["id"], "withdrawn", "传错了版本")
    [kept] = json.loads((folder / "contracts" / f"{staff_id}-1.json").read_bytes())["contracts"].values()
    assert (kept["id"], kept.get("state", "valid")) == (first["id"], "valid")


def test_a_withdrawal_survives_a_restart(settings: Settings) -> None:
    with running_service(settings) as service:
        staff_id = people(service)[0]
        approve(service, staff_id)
        record = send(service, staff_id, page_png(mark_of(service, staff_id)))
        withdraw(service, record["id"])
        assert sheet_line(service, staff_id) == ("未完成", 1)
    with running_service(settings, users=False) as restarted:
        assert sheet_line(restarted, staff_id) == ("未完成", 1)
        person = staff_of(restarted.client, DEPT, restarted.bearer("hr"))[staff_id]
        assert [(v["version"], v["state"]) for v in person["versions"]] == [(1, "withdrawn")]
        again = restarted.client.post(f"/api/departments/{DEPT}/contracts/{record['id']}/withdraw",
                                      json={"reason": "再撤一次"}, headers=restarted.bearer("hr"))
        assert again.status_code == 409 and again.json()["code"] == "already_withdrawn"
