"""The organisation's gaps as the store knows them: who holds a department or leader account."""

from __future__ import annotations

from service.content.codes import ROLE_DEPARTMENT, ROLE_LEADER
from service.rules import organisation
from service.rules.organisation import Gap
from service.workflows.context import Context


def gaps(ctx: Context) -> tuple[Gap, ...]:
    active = [u for u in ctx.store.accounts.users() if u.get("active", True)]
    clerks = {u.get("department") for u in active if u.get("role") == ROLE_DEPARTMENT}
    overseen = {d for u in active if u.get("role") == ROLE_LEADER for d in (u.get("oversees") or ())}
    return organisation.gaps(ctx.content, {c for c in clerks if c}, overseen)

