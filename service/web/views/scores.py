"""Scores and HR's progress board: rankings, common-target events, the score sheet, progress."""

from __future__ import annotations

from typing import IO
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from service.content.codes import DELIVERY_LABELS
from service.content.formats import plain_number
from service.errors import ApiError, bad_request
from service.office.score_sheet import score_workbook
from service.rules import access
from service.rules.progress import DUTY_KINDS, TARGET_COLUMNS, as_json
from service.web.auth import signed_in
from service.web.views.common import (
    check_csrf,
    context,
    download,
    json_body,
    json_list_stream,
    off_loop,
    ok_json,
    page,
    permitted,
)
from service.workflows import progress, scores
from service.workflows.commit import log
from service.workflows.common import month_number, whole_number

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RULE_NAMES = {"average": "各月平均", "latest": "最近一月", "minimum": "最低一月"}
PAGE_SIZES = (100, 500, 2000)  # people per page of the scores table
PAGE_SIZE = 500
MAX_LIMIT = 10_000  # people in one answer of /api/scores
MAX_OFFSET = 1_000_000


# -- progress -----------------------------------------------------------------------------


async def api_progress(request: Request) -> JSONResponse:
    user = signed_in(request)
    data = as_json(await off_loop(progress.board, context(request)))
    if not access.allowed(user, access.SEE_COLLEGE):  # a department: its own row
        access.ensure(user, access.SEE_DEPARTMENT, user.department)
        data["departments"] = [d for d in data["departments"] if d["id"] == user.department]
    return ok_json(data)


async def progress_page(request: Request) -> Response:
    permitted(request, access.SEE_COLLEGE)
    board = await off_loop(progress.board, context(request))
    return page(request, "progress.html", "目标审定、岗位职责与月汇总进度", board=board,
                target_states=TARGET_COLUMNS, duty_kinds=DUTY_KINDS,
                labels=DELIVERY_LABELS)


# -- scores -------------------------------------------------------------------------------


def _month(request: Request) -> int | None:
    text = request.query_params.get("month")
    return month_number(text) if text else None


def _whole(request: Request, name: str, low: int, high: int) -> int | None:
    """A whole-number query parameter in [low, high]; None when absent."""
    text = request.query_params.get(name) or ""
    if not text:
        return None
    return whole_number(text, low, high, code=f"invalid_{name}", message=f"{name} 应为 {low}–{high} 的整数")


async def api_scores(request: Request) -> Response:
    """`offset` and `limit` page through the ranking (`total` counts everyone in scope); the
    people are written to the response a few hundred at a time."""
    user = signed_in(request)
    department = request.query_params.get("department") or None
    offset = _whole(request, "offset", 0, MAX_OFFSET) or 0
    limit = _whole(request, "limit", 1, MAX_LIMIT)
    ranked = await off_loop(scores.ranking, context(request), user, department, _month(request))
    return json_list_stream({**ranked.head, "offset": offset, "limit": limit}, "people", ranked.people(offset, limit))


async def scores_page(request: Request) -> Response:
    return await _scores(request, notice=_notice(request))


async def scores_xlsx(request: Request) -> Response:
    user = permitted(request, access.EXPORT)
    ctx = context(request)
    month = _month(request)

    def build(out: IO[bytes]) -> None:
        score_workbook(ctx.content, scores.ranking(ctx, user, None, month), out)
        log(ctx, user.username, "export.scores", through_month=month)

    return await download(build, XLSX, f"{ctx.year}年度教职工岗位工作目标考核得分.xlsx")


# -- score events -------------------------------------------------------------------------


async def api_events(request: Request) -> JSONResponse:
    permitted(request, access.LIST_SCORE_EVENTS)
    return ok_json({"events": await off_loop(scores.events, context(request))})


async def api_add_event(request: Request) -> JSONResponse:
    user = signed_in(request)
    check_csrf(request, None)
    body = await json_body(request)
    return ok_json(await off_loop(scores.add_event, context(request), user, body), status=201)


async def api_remove_event(request: Request) -> Response:
    user = signed_in(request)
    check_csrf(request, None)
    await off_loop(scores.remove_event, context(request), user, request.path_params["event_id"])
    return Response(status_code=204)


async def event_post(request: Request) -> Response:
    """HR's form on the scores page: record an event, or remove one (`remove` = its id)."""
    user = permitted(request, access.RECORD_SCORE_EVENTS)
    form = await request.form(max_files=0, max_fields=12)
    check_csrf(request, str(form.get("csrf") or ""))
    typed = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    ctx = context(request)
    try:
        if typed.get("remove"):
            await off_loop(scores.remove_event, ctx, user, typed["remove"])
            return RedirectResponse("/board/scores?notice=removed", status_code=303)
        item_id, _, rule = typed.get("rule", "").partition(":")
        rule_index = whole_number(rule, 0, 999, code="invalid_rule", message="请选择共性目标条目及评分标准")
        if not item_id:
            raise bad_request("invalid_rule", "请选择共性目标条目及评分标准")
        points = typed.get("points", "").strip()
        body = {"department": typed.get("department", ""), "item_id": item_id, "rule_index": rule_index,
                "points": _number(points) if points else None, "note": typed.get("note", ""),
                "at": typed.get("at") or None}
        await off_loop(scores.add_event, ctx, user, body)
    except ApiError as exc:
        return await _scores(request, error=exc, typed=typed)
    return RedirectResponse("/board/scores?notice=added", status_code=303)


async def _scores(request: Request, *, notice: str | None = None, error: ApiError | None = None,
                  typed: dict[str, str] | None = None) -> Response:
    user = signed_in(request)
    department = request.query_params.get("department") or None
    month = _month(request)
    per_page = _whole(request, "per_page", 1, MAX_LIMIT) or PAGE_SIZE
    if per_page not in PAGE_SIZES:
        raise bad_request("invalid_per_page", f"每页人数应为 {'、'.join(map(str, PAGE_SIZES))} 之一")
    number = _whole(request, "page", 1, MAX_OFFSET) or 1
    ctx = context(request)
    ranked = await off_loop(scores.ranking, ctx, user, department, month)
    last = max(1, -(-ranked.head["total"] // per_page))
    number = min(number, last)  # past the end (the list got shorter): the last page
    report = ranked.page((number - 1) * per_page, per_page)
    events = await off_loop(scores.events, ctx) if access.allowed(user, access.LIST_SCORE_EVENTS) else []
    names = {d.id: d.name for d in ctx.content.departments}
    title = "考核得分" if report["department"] is None else f"{names[report['department']]}：考核得分"
    return page(request, "scores.html", title, status=error.status if error else 200, report=report,
                content=ctx.content, names=names, events=events, month=month,
                rule_texts={f"{t.id}:{i}": r.text for t in ctx.content.common_targets for i, r in enumerate(t.rules)},
                rule_name=RULE_NAMES.get(report["business_rule"], report["business_rule"]),
                pages=_pages(request, number, last), per_page=per_page, page_sizes=PAGE_SIZES,
                notice=notice, error=error, typed=typed or {})


def _pages(request: Request, number: int, last: int) -> dict[str, object]:
    """The scores table's page links: same filters, another page number."""
    def link(n: int) -> str:
        query = {k: v for k, v in request.query_params.items() if k not in ("page", "notice")}
        return "/board/scores?" + urlencode({**query, "page": n})

    return {"number": number, "last": last, "previous": link(number - 1) if number > 1 else None,
            "next": link(number + 1) if number < last else None}


def _notice(request: Request) -> str | None:
    return {"added": "扣分记录已保存，相关部门全体人员的共性目标得分已更新。",
            "removed": "扣分记录已撤销。"}.get(request.query_params.get("notice", ""))


def _number(text: str) -> float | str:
    try:
        return float(plain_number(text))
    except ValueError:
        return text  # add_event refuses it with a message
