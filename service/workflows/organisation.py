"""The organisation checked against the accounts on record: the set-up page's and HR's to-dos'
findings, and the refusal of target sets no leader would ever review."""

from __future__ import annotations

from service.errors import ApiError
from service.rules import organisation
from service.workflows.context import Context

NO_APPROVER = "本部门尚未指定主管院领导，请联系人事处"


def checks(ctx: Context) -> tuple[organisation.Finding, ...]:
    return organisation.check(ctx.content, ctx.store.accounts.users())


def ensure_approver(ctx: Context, department: str) -> None:
    """409 `no_approver` when no active leader oversees `department` (a submitted set would wait for nobody)."""
    if department not in organisation.overseen(ctx.store.accounts.users()):
        raise ApiError(409, "no_approver", NO_APPROVER)
