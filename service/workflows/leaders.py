"""Which leader oversees which departments, as one matrix: leader accounts × departments.

The departments a leader oversees are kept on the leader's account (the accounts store, the
same field the account page edits); the matrix changes every leader's in one commit, audited
with each changed leader's departments before and after.
"""

from __future__ import annotations

from typing import Any

from service.content.codes import ROLE_LEADER
from service.errors import unprocessable
from service.workflows.accounts import users
from service.workflows.commit import UserChange, commit
from service.workflows.context import Context


def matrix(ctx: Context) -> dict[str, Any]:
    """Every leader account (active or not) with its departments, and the departments to choose from."""
    leaders = [{"username": u["username"], "display_name": u["display_name"], "active": u["active"],
                "oversees": list(u["oversees"] or [])}
               for u in sorted(users(ctx), key=lambda u: u["username"]) if u["role"] == ROLE_LEADER]
    departments = [{"id": d.id, "name": d.name, "kind": d.kind} for d in ctx.content.departments]
    return {"departments": departments, "leaders": leaders}


def assign(ctx: Context, wanted: Any, actor: str) -> int:
    """Set `{username: [department ids]}` for the leaders named; return how many changed."""
    if not isinstance(wanted, dict):
        raise unprocessable("invalid_leaders", "应为 {院领导用户名: [部门代码, …]} 形式的 JSON 对象", field="leaders")
    known = {d.id for d in ctx.content.departments}
    with ctx.store.locked():
        leaders = {u["username"]: u for u in users(ctx) if u["role"] == ROLE_LEADER}
        writes: list[UserChange] = []
        before: dict[str, list[str]] = {}
        after: dict[str, list[str]] = {}
        for username, departments in wanted.items():
            if not isinstance(departments, list) or not all(isinstance(d, str) for d in departments):
                raise unprocessable("invalid_leaders", f"院领导“{username}”的主管部门应为部门代码的列表",
                                    field=f"{username}")
            unknown = [d for d in departments if d not in known]
            if unknown:
                raise unprocessable("unknown_department", f"主管部门“{'、'.join(d[:40] for d in unknown[:5])}”"
                                    "不在部门列表中（或已撤销）", field=f"{username}")
            if username not in leaders:
                raise unprocessable("unknown_leader", f"“{str(username)[:40]}”不是院领导账号", field=f"{username}")
            chosen = list(dict.fromkeys(departments))
            current = list(leaders[username]["oversees"] or [])
            if chosen != current:
                writes.append(UserChange(username, {"oversees": chosen}))
                before[username], after[username] = current, chosen
        if writes:
            commit(ctx, writes, actor, "setup.leaders", before=before, after=after)
    return len(writes)
