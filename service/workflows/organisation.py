"""The organisation's gaps as the store knows them: who holds a department or leader account."""

from __future__ import annotations

from service.content.codes import ROLE_DEPARTMENT, ROLE_LEADER
from service.rules import organisation
from service.rules.organisation import Gap
from service.workflows.context import Context
from service.workflows.kept import Same


def gaps(ctx: Context) -> tuple[Gap, ...]:
    """The gaps, kept until the set-up (roster included) or an account changes."""

    def work() -> tuple[Gap, ...]:
        active = [u for u in ctx.store.accounts.users() if u.get("active", True)]
        clerks = {u.get("department") for u in active if u.get("role") == ROLE_DEPARTMENT}
        overseen = {d for u in active if u.get("role") == ROLE_LEADER for d in (u.get("oversees") or ())}
        return organisation.gaps(ctx.content, {c for c in clerks if c}, overseen)

    return ctx.kept.value("organisation gaps", (), (Same(ctx.content), ctx.store.accounts.version()), work)

