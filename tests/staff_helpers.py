"""Shared steps of the staff tests, through HTTP as HR, a department, a leader and the person
would take them: slips printed and read back, a staff member signed in with their own
password, targets approved, a month reported."""

from __future__ import annotations

import io
import re
from typing import Any

from docx import Document
from helpers import DEPT, Service, login, page_csrf
from starlette.testclient import TestClient

NEW_PASSWORD = "wo-de-mima-2019"
SLIP = re.compile(r"工号：(\w+).*?一次性密码：(\w+)", re.S)


def slip_passwords(data: bytes) -> dict[str, str]:
    """工号 → password, read back from the slips' Word file."""
    doc = Document(io.BytesIO(data))
    text = "\n".join(cell.text for table in doc.tables for row in table.rows for cell in row.cells)
    return dict(SLIP.findall(text))


def print_slips(service: Service, department: str = DEPT, *, everyone: bool = False, kind: str = "docx") -> Any:
    """HR prints the department's slips through the page's form; the response (the file)."""
    hr = service.hr_session()
    csrf = page_csrf(hr, f"/board/{department}/staff-accounts")
    form = {"csrf": csrf, "format": kind, "confirm": "on", **({"everyone": "on"} if everyone else {})}
    return hr.post(f"/board/{department}/staff-accounts/slips", data=form)


def issue_slips(service: Service, department: str = DEPT) -> dict[str, str]:
    response = print_slips(service, department)
    assert response.status_code == 200, response.text
    return slip_passwords(response.content)


def staff_session(service: Service, staff_id: str, password: str, new_password: str = NEW_PASSWORD) -> TestClient:
    """A browser of the staff member: signed in with the slip's password, then their own."""
    client = service.new_client()
    assert login(client, staff_id, password).headers["location"] == "/account"
    changed = client.post("/account", data={"csrf": page_csrf(client, "/account"), "action": "password",
                                            "current": password, "new": new_password, "repeat": new_password})
    assert changed.status_code == 303 and changed.headers["location"] == "/me", changed.text
    return client


def sign_in_again(service: Service, staff_id: str, password: str = NEW_PASSWORD) -> TestClient:
    """A new browser of a staff member who set their password (after the clock moved on)."""
    client = service.new_client()
    assert login(client, staff_id, password).headers["location"] == "/me"
    return client


def me(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/me")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def target_rows(service: Service, staff_id: str) -> list[dict[str, Any]]:
    member = service.context.content.staff(staff_id)
    role = service.context.content.role(member.role)  # type: ignore[union-attr]
    return [{"目标内容": r.content, "分值": r.points, "佐证材料及分值": r.evidence, "完成时限": r.deadline}
            for r in role.targets]  # type: ignore[union-attr]


def approve_targets(service: Service, staff_id: str, rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The department submits the person's set, the leader approves it."""
    rows = rows or target_rows(service, staff_id)
    saved = service.client.put(f"/api/targets/{staff_id}", json={"rows": rows, "submit": True},
                               headers=service.bearer("clerk"))
    assert saved.status_code == 200, saved.text
    approved = service.client.post(f"/api/targets/{staff_id}/approve", json={}, headers=service.bearer("boss"))
    assert approved.status_code == 200, approved.text
    return approved.json()  # type: ignore[no-any-return]


def report_month(service: Service, month: int, business: dict[str, float], department: str = DEPT) -> None:
    """The department's monthly summary: 22 days for everyone, the business results given (50 else)."""
    rows = [{"工号": m.staff_id, "出勤": 22, "事假": 1 if m.staff_id in business else 0, "病假": 0, "迟到": 0,
             "早退": 0, "旷工": 0, "离岗": 0, "其他项目": 0, "业务工作目标": business.get(m.staff_id, 50)}
            for m in service.context.content.members(department)]
    response = service.client.put(f"/api/monthly/{department}/{month}", json={"rows": rows},
                                  headers=service.bearer("clerk" if department == DEPT else "other"))
    assert response.status_code == 200, response.text
