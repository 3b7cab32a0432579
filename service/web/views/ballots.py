"""民主测评: HR's rounds (open, follow, close, paper tally, sheet, export), the leaders' tallies,
the voter's ballot page (made for a phone) and the JSON beside them."""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service.errors import ApiError, bad_request
from service.web.auth import signed_in
from service.web.views.common import attachment, check_csrf, context, json_body, off_loop, ok_json, page
from service.workflows import ballots
from service.workflows.commit import log

NOTICES = {"opened": "民主测评已发起。", "closed": "民主测评已结束，可以查看计票结果。", "entered": "纸质选票的计票结果已录入。",
           "voted": "您的选票已投出，谢谢！选票不记名，任何人都看不到您投了什么。"}
MAX_FIELDS = 4000
SPLIT = re.compile(r"[\s,，、;；]+")


def _notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("notice", ""))


# -- HR and the leaders ---------------------------------------------------------------------------


async def rounds_page(request: Request, *, error: ApiError | None = None, held: dict[str, Any] | None = None,
                      ) -> Response:
    user = signed_in(request)
    ctx = context(request)
    rounds = await off_loop(ballots.listing, ctx, user)
    units = [{"id": ballots.UNIT_COLLEGE, "name": ballots.unit_name(ctx, ballots.UNIT_COLLEGE)},
             *({"id": d.id, "name": d.name} for d in ctx.content.departments)]
    return page(request, "ballot_rounds.html", "民主测评", status=error.status if error else 200, rounds=rounds,
                units=units, choices=ballots.choices_of(ctx), modes=ballots.MODES, error=error, held=held or {},
                notice=_notice(request))


def _round_form(form: FormData) -> dict[str, Any]:
    people = {key: [v for v in SPLIT.split(str(form.get(key) or "")) if v] for key in ("candidates", "voters")}
    return {"unit": str(form.get("unit") or ""), "title": str(form.get("title") or ""),
            "mode": str(form.get("mode") or ""), "opens": str(form.get("opens") or ""),
            "closes": str(form.get("closes") or ""), "choices": [str(c) for c in form.getlist("choices")],
            **people}


async def open_post(request: Request) -> Response:
    user = signed_in(request)
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf(request, str(form.get("csrf") or ""))
    body = _round_form(form)
    try:
        opened = await off_loop(ballots.open_round, context(request), user, body)
    except ApiError as exc:
        if exc.status in (401, 403):
            raise
        return await rounds_page(request, error=exc, held=body)
    return RedirectResponse(f"/board/appraisal/rounds/{opened['id']}?notice=opened", status_code=303)


async def round_page(request: Request, *, error: ApiError | None = None) -> Response:
    user = signed_in(request)
    ctx = context(request)
    round_id = request.path_params["round_id"]
    data = await off_loop(ballots.one, ctx, user, round_id)
    progress = await off_loop(ballots.participation, ctx, user, round_id) if data["may_manage"] else None
    tally = await off_loop(ballots.tally, ctx, user, round_id) if data["may_tally"] else None
    return page(request, "ballot_round.html", data["title"], status=error.status if error else 200, data=data,
                progress=progress, tally=tally, error=error, notice=_notice(request))


async def close_post(request: Request) -> Response:
    user = signed_in(request)
    form = await request.form(max_files=0, max_fields=4)
    check_csrf(request, str(form.get("csrf") or ""))
    round_id = request.path_params["round_id"]
    try:
        await off_loop(ballots.close, context(request), user, round_id)
    except ApiError as exc:
        if exc.status != 409:
            raise
        return await round_page(request, error=exc)
    return RedirectResponse(f"/board/appraisal/rounds/{round_id}?notice=closed", status_code=303)


def _paper_form(form: FormData) -> dict[str, Any]:
    """`ballots` and a field `n:<staff_id>:<choice>` per count; an empty field is 0."""
    counts: dict[str, dict[str, Any]] = {}
    for key, value in form.multi_items():
        if key.startswith("n:") and key.count(":") == 2:
            _, candidate, choice = key.split(":")
            text = str(value).strip() or "0"
            counts.setdefault(candidate, {})[choice] = int(text) if text.isascii() and text.isdigit() else text
    returned = str(form.get("ballots") or "").strip()
    return {"ballots": int(returned) if returned.isascii() and returned.isdigit() else returned, "counts": counts}


async def paper_post(request: Request) -> Response:
    user = signed_in(request)
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf(request, str(form.get("csrf") or ""))
    round_id = request.path_params["round_id"]
    try:
        await off_loop(ballots.enter_paper_tally, context(request), user, round_id, _paper_form(form))
    except ApiError as exc:
        if exc.status in (401, 403, 404):
            raise
        return await round_page(request, error=exc)
    return RedirectResponse(f"/board/appraisal/rounds/{round_id}?notice=entered", status_code=303)


async def tally_xlsx(request: Request) -> Response:
    from service.office import ballot_sheets  # Word: loaded when first used (see service/office)

    user = signed_in(request)
    ctx = context(request)
    data = await off_loop(ballots.tally, ctx, user, request.path_params["round_id"])
    body = await off_loop(ballot_sheets.tally_workbook, data)
    await off_loop(lambda: log(ctx, user.username, "appraisal.tally.export", round=data["id"]))
    return attachment(Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                      f"{data['title']}-计票结果.xlsx")


async def sheet_docx(request: Request) -> Response:
    user = signed_in(request)
    ctx = context(request)
    data = await off_loop(ballots.one, ctx, user, request.path_params["round_id"])
    if not data["may_manage"]:
        raise ApiError(403, "forbidden", "只有人事处可以打印测评票")
    window = f"{data['opens'][:16].replace('T', ' ')} 至 {data['closes'][:16].replace('T', ' ')}"
    from service.office import ballot_sheets  # Word: loaded when first used (see service/office)

    body = await off_loop(ballot_sheets.ballot_sheet, data["title"], data["unit_name"], data["candidates"],
                          data["choices"], window)
    return attachment(Response(body, media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                      f"{data['title']}-测评票.docx")


# -- the voter ------------------------------------------------------------------------------------


async def my_rounds_page(request: Request) -> Response:
    user = signed_in(request)
    rounds = await off_loop(ballots.my_rounds, context(request), user)
    return page(request, "me_ballots.html", "民主测评", rounds=rounds, notice=_notice(request), error=None)


async def my_ballot_page(request: Request, *, error: ApiError | None = None,
                         held: dict[str, str] | None = None) -> Response:
    user = signed_in(request)
    data = await off_loop(ballots.my_round, context(request), user, request.path_params["round_id"])
    return page(request, "me_ballot.html", data["title"], status=error.status if error else 200, data=data,
                error=error, held=held or {}, notice=None)


async def my_ballot_post(request: Request) -> Response:
    """The form: a field `c:<staff_id>` per candidate, its value the choice."""
    user = signed_in(request)
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf(request, str(form.get("csrf") or ""))
    marks = {key[2:]: str(value) for key, value in form.multi_items() if key.startswith("c:")}
    round_id = request.path_params["round_id"]
    try:
        await off_loop(ballots.cast, context(request), user, round_id, marks)
    except ApiError as exc:
        if exc.status in (401, 403, 404):
            raise
        return await my_ballot_page(request, error=exc, held=marks)
    return RedirectResponse("/me/ballots?notice=voted", status_code=303)


# -- JSON -----------------------------------------------------------------------------------------


async def api_rounds(request: Request) -> Response:
    return ok_json({"rounds": await off_loop(ballots.listing, context(request), signed_in(request))})


async def api_open(request: Request) -> Response:
    user = signed_in(request)
    check_csrf(request, None)
    body = await json_body(request)
    return ok_json(await off_loop(ballots.open_round, context(request), user, body), status=201)


async def api_round(request: Request) -> Response:
    return ok_json(await off_loop(ballots.one, context(request), signed_in(request), request.path_params["round_id"]))


async def api_participation(request: Request) -> Response:
    return ok_json(await off_loop(ballots.participation, context(request), signed_in(request),
                                  request.path_params["round_id"]))


async def api_close(request: Request) -> Response:
    user = signed_in(request)
    check_csrf(request, None)
    return ok_json(await off_loop(ballots.close, context(request), user, request.path_params["round_id"]))


async def api_tally(request: Request) -> Response:
    return ok_json(await off_loop(ballots.tally, context(request), signed_in(request), request.path_params["round_id"]))


async def api_paper_tally(request: Request) -> Response:
    """JSON {"ballots": n, "counts": {staff_id: {choice: n}}}: a paper round's tally, entered by hand."""
    user = signed_in(request)
    check_csrf(request, None)
    body = await json_body(request)
    return ok_json(await off_loop(ballots.enter_paper_tally, context(request), user, request.path_params["round_id"],
                                  body))


async def api_ballot(request: Request) -> Response:
    """JSON {"marks": {staff_id: choice}}: the signed-in voter's one ballot."""
    user = signed_in(request)
    check_csrf(request, None)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise bad_request("invalid_ballot", "请求体应为 {\"marks\": {被测评人工号: 测评等次}}")
    return ok_json(await off_loop(ballots.cast, context(request), user, request.path_params["round_id"],
                                  body.get("marks")), status=201)


async def api_mine(request: Request) -> Response:
    return ok_json({"rounds": await off_loop(ballots.my_rounds, context(request), signed_in(request))})
