"""The college's organisation checked before it bites (pure): departments whose targets nobody
can approve, whose work nobody can upload, whose lead duties nobody can draft, and empty ones.

Inputs are the content and who holds which account; each gap says where it is fixed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass

from service.content.codes import ORG_CHECKS, ORG_EMPTY, ORG_LEAD_NO_ACCOUNT, ORG_NO_CLERK, ORG_NO_LEADER
from service.content.models import Content, Department
from service.rules import schedule

FIXED_AT = {ORG_NO_LEADER: "/board/setup/leaders", ORG_NO_CLERK: "/board/accounts",
            ORG_LEAD_NO_ACCOUNT: "/board/accounts", ORG_EMPTY: "/board/setup/departments"}


@dataclass(frozen=True)
class Gap:
    kind: str  # ORG_*
    department: str
    department_name: str
    detail: str = ""

    @property
    def label(self) -> str:
        return ORG_CHECKS[self.kind]

    @property
    def link(self) -> str:
        return FIXED_AT[self.kind]


def gaps(content: Content, clerks: Collection[str], overseen: Collection[str]) -> tuple[Gap, ...]:
    """Every gap, department by department in content order; `clerks` holds the departments with
    an active department account, `overseen` those an active leader oversees."""
    held = {member.role for member in content.roster}
    return tuple(gap for department in content.departments
                 for gap in _of(content, department, clerks, overseen, held))


def _of(content: Content, department: Department, clerks: Collection[str], overseen: Collection[str],
        held: Collection[str]) -> Iterator[Gap]:
    people = len(content.members(department.id))
    if not people:
        yield Gap(ORG_EMPTY, department.id, department.name, "不计完成率，不催办")
    else:
        if department.id not in overseen:
            yield Gap(ORG_NO_LEADER, department.id, department.name, f"{people} 人的个性目标无人审定")
        if department.id not in clerks:
            yield Gap(ORG_NO_CLERK, department.id, department.name, f"{people} 人的材料无人上传")
    led = [role.name for role in schedule.roles_led_by(content, department.id) if role.id in held]
    if led and department.id not in clerks:
        yield Gap(ORG_LEAD_NO_ACCOUNT, department.id, department.name, "、".join(led))


def as_json(found: Collection[Gap]) -> list[dict[str, str]]:
    return [{"kind": g.kind, "label": g.label, "department": g.department, "department_name": g.department_name,
             "detail": g.detail, "link": g.link} for g in found]
