"""The college's organisation checked against its accounts (pure): what will bite before it does.

Four findings, each naming the departments (or roles) concerned and where HR fixes it:
departments with people but no active leader overseeing them (their target sets would wait
for nobody), departments without an active clerk account (nobody can do their work),
roles whose lead department has no clerk account while people hold the role (their duties
and templates are owed by nobody), and departments with nobody in them (shown as 无人员).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from service.content.codes import (
    ROLE_DEPARTMENT,
    ROLE_LEADER,
    TODO_EMPTY_DEPARTMENT,
    TODO_LABELS,
    TODO_LEAD_WITHOUT_CLERK,
    TODO_NO_CLERK,
    TODO_NO_LEADER,
)
from service.content.models import SELF_LEAD, Content

NO_LEADER, NO_CLERK, LEAD_WITHOUT_CLERK, EMPTY = (TODO_NO_LEADER, TODO_NO_CLERK, TODO_LEAD_WITHOUT_CLERK,
                                                  TODO_EMPTY_DEPARTMENT)
CHECK_HINTS = {NO_LEADER: "这些部门提交的个性目标无人审定，请为其指定主管院领导",
               NO_CLERK: "这些部门无人填报，请为其建立部门账号",
               LEAD_WITHOUT_CLERK: "这些岗位的岗位职责和目标模板由牵头部门报送，牵头部门还没有账号",
               EMPTY: "这些部门在各处显示为“无人员”，不计完成率，也不催办；请导入名册或关闭部门"}
CHECK_LINKS = {NO_LEADER: "/board/setup/leaders", NO_CLERK: "/board/accounts",
               LEAD_WITHOUT_CLERK: "/board/accounts", EMPTY: "/board/setup/departments"}


@dataclass(frozen=True)
class Finding:
    """One thing to fix: which departments (ids and names) or roles, and where."""

    kind: str
    ids: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def label(self) -> str:
        return TODO_LABELS[self.kind]

    @property
    def hint(self) -> str:
        return CHECK_HINTS[self.kind]

    @property
    def link(self) -> str:
        return CHECK_LINKS[self.kind]


def overseen(accounts: Iterable[Mapping[str, Any]]) -> set[str]:
    """Departments an active leader account oversees."""
    return {d for u in accounts if u.get("active", True) and u.get("role") == ROLE_LEADER
            for d in (u.get("oversees") or ())}


def staffed(accounts: Iterable[Mapping[str, Any]]) -> set[str]:
    """Departments with an active clerk (department) account."""
    return {str(u.get("department")) for u in accounts
            if u.get("active", True) and u.get("role") == ROLE_DEPARTMENT and u.get("department")}


def check(content: Content, accounts: Iterable[Mapping[str, Any]]) -> tuple[Finding, ...]:
    """The findings with something in them, in a fixed order; departments in content order."""
    users = list(accounts)
    leaders, clerks = overseen(users), staffed(users)
    departments = content.departments
    held = {m.role for m in content.roster}
    lacking = [r for r in content.roles if r.lead != SELF_LEAD and r.id in held and r.lead not in clerks
               and content.department(r.lead) is not None]
    found = (
        Finding(NO_LEADER, *_pairs((d.id, d.name) for d in departments
                                   if content.members(d.id) and d.id not in leaders)),
        Finding(NO_CLERK, *_pairs((d.id, d.name) for d in departments if d.id not in clerks)),
        Finding(LEAD_WITHOUT_CLERK, *_pairs((r.id, f"{r.name}（牵头：{content.lead_name(r)}）") for r in lacking)),
        Finding(EMPTY, *_pairs((d.id, d.name) for d in departments if not content.members(d.id))),
    )
    return tuple(f for f in found if f.ids)


def _pairs(items: Iterable[tuple[str, str]]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    pairs = list(items)
    return tuple(i for i, _ in pairs), tuple(n for _, n in pairs)


def as_json(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    return [{"kind": f.kind, "label": f.label, "hint": f.hint, "link": f.link, "count": len(f.ids),
             "ids": list(f.ids), "names": list(f.names)} for f in findings]
