"""Accounts: HR's page of every account (create, edit, reset, disable, enable, API tokens),
and every account's own page (change the password, see and revoke its own tokens), and the
password change through the API."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from service.content.codes import ROLE_NAMES, ROLES
from service.errors import ApiError, bad_request
from service.rules import access
from service.storage.store import Record
from service.web.auth import set_session_cookie, signed_in
from service.web.views.common import (
    check_csrf,
    context,
    home,
    json_body,
    off_loop,
    ok_json,
    page,
    permitted,
    yes,
)
from service.workflows import accounts, sessions
from service.workflows.context import Context

MAX_FIELDS = 200
NOTICES = {"updated": "账号信息已保存。", "disabled": "账号已停用：其所有登录会话已结束，API 令牌不再可用。",
           "enabled": "账号已启用。", "revoked": "API 令牌已停用，从下一次请求起拒绝。",
           "password": "密码已修改。其他设备上的登录已全部退出。",
           "password_tokens": "密码已修改。其他设备上的登录已全部退出，API 令牌已全部停用。"}
TEXT_FIELDS = ("username", "role", "department", "display_name", "email", "phone", "token_name")


# -- HR: every account ---------------------------------------------------------------------


async def accounts_page(request: Request, *, error: ApiError | None = None, typed: dict[str, Any] | None = None) -> Response:
    permitted(request, access.MANAGE_ACCOUNTS)
    ctx = context(request)
    query = {k: request.query_params.get(k, "").strip()[:100] for k in ("q", "role", "department")}
    rows = await off_loop(_rows, ctx, query)
    return page(request, "accounts.html", "账号管理", status=error.status if error else 200, rows=rows,
                query=query, roles=ROLES, role_names=ROLE_NAMES, departments=ctx.content.departments,
                error=error, typed=typed or {}, notice=None)


async def accounts_post(request: Request) -> Response:
    """Create an account with a one-time password, shown once on the answer."""
    user = permitted(request, access.MANAGE_ACCOUNTS)
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf(request, str(form.get("csrf") or ""))
    typed = _typed(form)
    ctx = context(request)
    username = typed["username"]
    try:
        details = _profile(typed)
        password = await off_loop(accounts.add_with_one_time_password, ctx, username, typed["role"], details,
                                  user.username)
    except ApiError as exc:
        return await accounts_page(request, error=exc, typed=typed)
    return page(request, "account_secret.html", "账号已创建", username=username, secret=password,
                kind="password", created=True)


async def account_page(request: Request, *, error: ApiError | None = None, notice: str | None = None) -> Response:
    permitted(request, access.MANAGE_ACCOUNTS)
    ctx = context(request)
    username = request.path_params["username"]
    record = await off_loop(accounts.existing, ctx, username)
    tokens = await off_loop(accounts.tokens, ctx, username)
    live = await off_loop(sessions.count, ctx, username)
    return page(request, "account.html", f"账号：{record.get('display_name') or username}",
                status=error.status if error else 200, account=record, tokens=tokens, live_sessions=live,
                roles=ROLES, role_names=ROLE_NAMES, departments=ctx.content.departments,
                notice=notice or NOTICES.get(request.query_params.get("notice", "")), error=error)


async def account_post(request: Request) -> Response:
    """One operation on an account: update, reset, disable, enable, token (create) or revoke."""
    user = permitted(request, access.MANAGE_ACCOUNTS)
    username = request.path_params["username"]
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf(request, str(form.get("csrf") or ""))
    action = str(form.get("action") or "")
    typed = _typed(form)
    ctx = context(request)
    try:
        _confirmed(form, action)
        if action == "update":
            await off_loop(accounts.update_profile, ctx, username, _profile(typed), user.username)
            notice = "updated"
        elif action == "reset":
            reset = await off_loop(accounts.reset_password, ctx, username, user.username)
            return page(request, "account_secret.html", "密码已重置", username=username, secret=reset.password,
                        kind="password", created=False, tokens_revoked=reset.tokens_revoked)
        elif action in ("disable", "enable"):
            await off_loop(accounts.set_active, ctx, username, action == "enable", user.username)
            notice = f"{action}d"
        elif action == "token":
            token = await off_loop(accounts.new_token, ctx, username, user.username, typed["token_name"])
            return page(request, "account_secret.html", "已生成 API 令牌", username=username, secret=token,
                        kind="token", created=False)
        elif action == "revoke":
            await off_loop(accounts.revoke_token, ctx, username, str(form.get("token") or ""), user.username)
            notice = "revoked"
        else:
            raise bad_request("unknown_action", "请选择要进行的操作")
    except ApiError as exc:
        if exc.code == "unknown_user":
            raise
        return await account_page(request, error=exc)
    return RedirectResponse(f"/board/accounts/{username}?notice={notice}", status_code=303)


# -- every account: its own ----------------------------------------------------------------


async def own_page(request: Request, *, error: ApiError | None = None) -> Response:
    user = signed_in(request, pending_password=True)
    access.ensure(user, access.OWN_ACCOUNT)
    ctx = context(request)
    record = await off_loop(accounts.existing, ctx, user.username)
    tokens = await off_loop(accounts.tokens, ctx, user.username)
    return page(request, "own_account.html", "我的账号", status=error.status if error else 200, account=record,
                tokens=tokens, role_names=ROLE_NAMES, names={d.id: d.name for d in ctx.content.departments},
                local_password=bool(record.get("password_hash")),
                notice=NOTICES.get(request.query_params.get("notice", "")), error=error)


async def own_post(request: Request) -> Response:
    """Change one's own password (this browser stays signed in, every other session ends), or
    revoke one of one's own tokens."""
    user = signed_in(request, pending_password=True)
    access.ensure(user, access.OWN_ACCOUNT)
    form = await request.form(max_files=0, max_fields=10)
    check_csrf(request, str(form.get("csrf") or ""))
    ctx = context(request)
    action = str(form.get("action") or "")
    try:
        _confirmed(form, action)
        if action == "password":
            revoked = await off_loop(lambda: accounts.change_password(
                ctx, user.username, str(form.get("current") or ""), str(form.get("new") or ""),
                str(form.get("repeat") or ""), revoke_tokens=_revoke_tokens(form.get("revoke_tokens"))))
            fresh = await off_loop(accounts.user_named, ctx, user.username)
            session_id, _ = await off_loop(sessions.start, ctx, fresh or user, _address(request),
                                           "login.after_password_change")
            notice = "password_tokens" if revoked else "password"
            target = home(fresh or user) if user.must_change_password else f"/account?notice={notice}"
            response = RedirectResponse(target, status_code=303)
            set_session_cookie(request, response, session_id)
            return response
        if action == "revoke":
            await off_loop(accounts.revoke_token, ctx, user.username, str(form.get("token") or ""), user.username)
            return RedirectResponse("/account?notice=revoked", status_code=303)
        raise bad_request("unknown_action", "请选择要进行的操作")
    except ApiError as exc:
        return await own_page(request, error=exc)


async def api_password(request: Request) -> JSONResponse:
    """POST {"current", "new", "revoke_tokens" (default true)}: change one's own password; every
    session ends and, unless told otherwise, every API token (the one calling too)."""
    user = signed_in(request, pending_password=True)
    access.ensure(user, access.OWN_ACCOUNT)
    check_csrf(request, None)
    body = await json_body(request)
    if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ("current", "new")):
        raise bad_request("invalid_password", "请求体应为 JSON 对象，含当前密码 current 和新密码 new（字符串）")
    revoke = body.get("revoke_tokens", True)
    if not isinstance(revoke, bool):
        raise bad_request("invalid_field", "revoke_tokens 应为 true 或 false")
    ctx = context(request)
    revoked = await off_loop(lambda: accounts.change_password(ctx, user.username, body["current"], body["new"],
                                                              revoke_tokens=revoke))
    return ok_json({"changed": True, "tokens_revoked": revoked})


# -- helpers -------------------------------------------------------------------------------


def _revoke_tokens(value: object) -> bool:
    """The form's "also revoke my API tokens" box: yes unless it says no (absent: yes)."""
    return value is None or yes(value)



def _confirmed(form: FormData, action: str) -> None:
    """What cannot be undone is done only when its box was ticked."""
    if action in ("reset", "disable", "revoke") and not form.get("confirm"):
        raise bad_request("confirm_required", "请先勾选确认框，再进行此操作")


def _rows(ctx: Context, query: dict[str, str]) -> list[dict[str, Any]]:
    """Every account matching the search (name, display name, e-mail, phone) and filters."""
    names = {d.id: d.name for d in ctx.content.departments}
    text = query["q"].lower()
    rows = []
    for record in sorted(accounts.users(ctx), key=lambda r: (r["role"], r["username"])):
        departments = [d for d in (record.get("department"), *(record.get("oversees") or ())) if d]
        if query["role"] and record["role"] != query["role"]:
            continue
        if query["department"] and query["department"] not in departments:
            continue
        haystack = " ".join(str(record.get(k) or "") for k in ("username", "display_name", "email", "phone")).lower()
        if text and text not in haystack:
            continue
        rows.append({**_shown(record), "department_names": [names.get(d, d) for d in departments],
                     "tokens": sum(1 for t in accounts.tokens(ctx, record["username"]) if not t["revoked_at"])})
    return rows


def _shown(record: Record) -> Record:
    return {k: v for k, v in record.items() if k != "password_hash"}


def _typed(form: FormData) -> dict[str, Any]:
    typed: dict[str, Any] = {k: str(form.get(k) or "").strip()[:200] for k in TEXT_FIELDS}
    typed["oversees"] = [str(v).strip()[:40] for v in form.getlist("oversees") if isinstance(v, str) and v.strip()]
    return typed


def _profile(typed: dict[str, Any]) -> accounts.Profile:
    return accounts.profile(typed["display_name"], typed["email"], typed["phone"], typed["department"] or None,
                            typed["oversees"])


def _address(request: Request) -> str:
    return request.client.host if request.client else "?"
