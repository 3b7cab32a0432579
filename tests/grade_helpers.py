"""Shared steps of the annual grade tests: scores for a department, grades for everyone, the
collective decision and 公示, all through HTTP as HR and a department would do them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from helpers import DEPT, Service

from service.content.codes import GRADE_BASIC, GRADE_EXCELLENT, GRADE_PASS

START = dt.datetime(2019, 9, 26, 10, 0)  # the day before 公示 starts


def hr(service: Service) -> dict[str, str]:
    return service.bearer("hr")


def members(service: Service, department: str = DEPT) -> list[str]:
    return [m.staff_id for m in service.context.content.members(department)]


def give_scores(service: Service, department: str = DEPT) -> list[str]:
    """Month 1 reported for `department`: the n-th person (roster order) scores 99 − n/2
    (40 common points, none deducted, plus 59 − n/2 business points). Returns the staff ids
    best first."""
    ids = members(service, department)
    rows = [{"工号": sid, "业务工作目标": 59 - i * 0.5} for i, sid in enumerate(ids)]
    response = service.client.put(f"/api/monthly/{department}/1", json={"rows": rows}, headers=hr(service))
    assert response.status_code == 200, response.text
    return ids


def view(service: Service, department: str = DEPT, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = service.client.get(f"/api/grades/{department}", headers=headers or hr(service))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def action(service: Service, name: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return service.client.post(f"/api/grades/actions/{name}", json=body, headers=headers or hr(service))


def propose(service: Service, department: str, grades: dict[str, str], headers: dict[str, str] | None = None) -> Any:
    return service.client.put(f"/api/grades/{department}", json={"grades": grades}, headers=headers or hr(service))


def grade_everyone(service: Service, *, basic: int = 1) -> dict[str, str]:
    """DEPT: the suggestions (8 优秀 by score), its `basic` last people 基本合格; every other
    department 合格. Returns DEPT's grades."""
    ids = give_scores(service)
    found = {p["staff_id"]: p["suggested"] for p in view(service)["people"]}
    for sid in ids[len(ids) - basic:]:
        found[sid] = GRADE_BASIC
    assert propose(service, DEPT, found).status_code == 200
    for department in service.context.content.departments:
        if department.id != DEPT:
            give_scores(service, department.id)
            response = propose(service, department.id, {sid: GRADE_PASS for sid in members(service, department.id)})
            assert response.status_code == 200, response.text
    return found


def decide_and_publish(service: Service, start: str = "2019-09-27") -> dict[str, Any]:
    response = action(service, "decision", {"date": "2019-09-25", "leaders": ["院长甲", "副院长乙"]})
    assert response.status_code == 200, response.text
    response = action(service, "publicity", {"start": start})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def excellent(grades: dict[str, str]) -> list[str]:
    return [sid for sid, grade in grades.items() if grade == GRADE_EXCELLENT]
