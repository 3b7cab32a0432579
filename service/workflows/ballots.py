"""民主测评 rounds: HR opens a round for a unit (a department, or the college with its 中层干部 as
candidates and every staff member as a voter) with a window; each voter casts one ballot from their
own page; HR follows participation and closes the round; HR and the leaders overseeing the unit
then read the tally. A paper round has no online ballots: HR prints the sheet and enters the
counts by hand (who entered them is kept).

Store, the college partition of the year:
- "ballot_rounds": {id, unit, title, mode, candidates, voters, choices, opens, closes,
  created_by, created_at, closed_by, closed_at};
- "ballot_counts": {round_id, counts {candidate: {choice: n}}, ballots, entered_by, entered_at}:
  the round's ballots as counts only, made with the round, so its place in the file says nothing;
- "ballot_voters": {round_id, voted: [staff_id, sorted]}: who has voted, kept apart, without times.
A ballot is checked, added to the counts and forgotten; its audit entry names the round alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from service.content.codes import GRADE_FAIL
from service.errors import ApiError, bad_request, forbidden, not_found, quoted, unprocessable
from service.rules import access, ballots
from service.rules.access import User
from service.storage.store import COLLEGE, new_record
from service.workflows.commit import Add, Put, commit
from service.workflows.common import own_member
from service.workflows.context import Context

ROUNDS = "ballot_rounds"
COUNTS = "ballot_counts"
VOTERS = "ballot_voters"
UNIT_COLLEGE = "college"  # the college's 中层干部 rated by every staff member
ONLINE = "online"
PAPER = "paper"
MODES = {ONLINE: "网上投票", PAPER: "纸质选票"}
MAX_TITLE = 80


def choices_of(ctx: Context) -> tuple[str, ...]:
    """The year's grade names, best first: the ratings a ballot may give."""
    names = [name for name, _ in ctx.content.settings.assessment.bands]
    return tuple(dict.fromkeys([*names, GRADE_FAIL]))


def unit_name(ctx: Context, unit: str) -> str:
    if unit == UNIT_COLLEGE:
        return "全院中层干部"
    department = ctx.content.department(unit)
    return department.name if department else unit


def _department(unit: str) -> str | None:
    """The department an access rule is asked about (None: the college's)."""
    return None if unit == UNIT_COLLEGE else unit


# -- HR opens, follows and closes a round ---------------------------------------------------------


def _when(ctx: Context, value: Any, field: str) -> dt.datetime:
    if not isinstance(value, str) or not value.strip():
        raise bad_request("missing_window", "请填写投票的开始和结束时间", field=field)
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise bad_request("invalid_time", f"时间应写作“年-月-日T时:分”，当前为“{quoted(value)}”", field=field) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ctx.now().tzinfo)


def _people(ctx: Context, value: Any, field: str, default: list[str]) -> list[str]:
    if value is None or value == []:
        return default
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request("invalid_people", "被测评人和投票人应为工号的列表", field=field)
    people = list(dict.fromkeys(v.strip() for v in value if v.strip()))
    for staff_id in people:
        if ctx.content.staff(staff_id) is None:
            code = "unknown_candidate" if field == "candidates" else "unknown_voter"
            raise unprocessable(code, f"名册中没有工号为“{quoted(staff_id)}”的教职工", field=field)
    return people


def open_round(ctx: Context, user: User, body: Any) -> dict[str, Any]:
    """HR opens a round: {unit, title?, mode?, opens, closes, candidates?, voters?, choices?}."""
    access.ensure(user, access.MANAGE_BALLOTS, None, "只有人事处可以组织民主测评")
    if not isinstance(body, dict):
        raise bad_request("invalid_body", "请求体应为 JSON 对象")
    unit = str(body.get("unit") or "").strip()
    if unit != UNIT_COLLEGE and ctx.content.department(unit) is None:
        raise unprocessable("unknown_unit", f"没有代码为“{quoted(unit)}”的部门或系", field="unit")
    everyone = [m.staff_id for m in ctx.content.roster]
    members = everyone if unit == UNIT_COLLEGE else [m.staff_id for m in ctx.content.members(unit)]
    candidates = _people(ctx, body.get("candidates"), "candidates", [] if unit == UNIT_COLLEGE else members)
    if not candidates:
        raise bad_request("missing_candidates", "请列出被测评人（全院中层干部的测评须逐一列出）", field="candidates")
    voters = sorted(_people(ctx, body.get("voters"), "voters", members))
    allowed = choices_of(ctx)
    given = body.get("choices") or list(allowed)
    if not isinstance(given, list) or not given:
        raise bad_request("invalid_choices", "测评等次应为列表", field="choices")
    for choice in given:
        if choice not in allowed:
            raise unprocessable("unknown_choice", f"测评等次应为{'、'.join(allowed)}之一，当前为“{quoted(choice)}”",
                                field="choices")
    choices = [c for c in allowed if c in given]  # the year's order, best first
    mode = body.get("mode") or ONLINE
    if mode not in MODES:
        raise bad_request("invalid_mode", "测评方式应为 online（网上投票）或 paper（纸质选票）", field="mode")
    opens, closes = _when(ctx, body.get("opens"), "opens"), _when(ctx, body.get("closes"), "closes")
    if closes <= opens:
        raise unprocessable("invalid_window", "投票结束时间应晚于开始时间", field="closes")
    title = str(body.get("title") or "").strip()[:MAX_TITLE] or f"{ctx.year}年度{unit_name(ctx, unit)}民主测评"
    record = new_record({"unit": unit, "title": title, "mode": mode, "candidates": candidates, "voters": voters,
                         "choices": choices, "opens": opens.isoformat(timespec="minutes"),
                         "closes": closes.isoformat(timespec="minutes"), "created_by": user.username,
                         "created_at": ctx.stamp(), "closed_by": None, "closed_at": None})
    counts = {"round_id": record["id"], "counts": ballots.empty(candidates, choices), "ballots": 0,
              "entered_by": None, "entered_at": None}
    writes = [Add(COLLEGE, ROUNDS, record), Put(COLLEGE, COUNTS, counts, {"round_id": record["id"]}),
              Put(COLLEGE, VOTERS, {"round_id": record["id"], "voted": []}, {"round_id": record["id"]})]
    commit(ctx, writes, user.username, "appraisal.round.open", round=record["id"], unit=unit, mode=mode,
           candidates=len(candidates), voters=len(voters))
    return shown(ctx, user, record)


def round_or_404(ctx: Context, round_id: str) -> dict[str, Any]:
    found = ctx.store.get(COLLEGE, ROUNDS, id=round_id)
    if found is None:
        raise not_found("unknown_round", f"没有编号为“{quoted(round_id)}”的民主测评")
    return found


def state_of(ctx: Context, record: dict[str, Any]) -> str:
    return ballots.state(dt.datetime.fromisoformat(record["opens"]), dt.datetime.fromisoformat(record["closes"]),
                         record.get("closed_at") is not None, ctx.now())


def shown(ctx: Context, user: User, record: dict[str, Any]) -> dict[str, Any]:
    """A round as the account may see it: never who has voted."""
    current = state_of(ctx, record)
    department = _department(record["unit"])
    return {"id": record["id"], "unit": record["unit"], "unit_name": unit_name(ctx, record["unit"]),
            "title": record["title"], "mode": record["mode"], "mode_label": MODES[record["mode"]],
            "opens": record["opens"], "closes": record["closes"], "state": current,
            "state_label": ballots.STATE_LABELS[current], "choices": record["choices"],
            "candidates": [_person(ctx, c) for c in record["candidates"]], "eligible": len(record["voters"]),
            "created_by": record["created_by"], "closed_by": record.get("closed_by"),
            "closed_at": record.get("closed_at"),
            "may_manage": access.allowed(user, access.MANAGE_BALLOTS),
            "may_tally": access.allowed(user, access.READ_TALLY, department) and current == ballots.CLOSED}


def _person(ctx: Context, staff_id: str) -> dict[str, str]:
    member = ctx.content.staff(staff_id)
    return {"staff_id": staff_id, "name": member.name if member else staff_id,
            "department": member.department if member else "", "post": member.post if member else ""}


def _may_see_rounds(user: User) -> None:
    if not (access.allowed(user, access.MANAGE_BALLOTS) or access.allowed(user, access.READ_TALLY)):
        raise forbidden("只有人事处和院领导可以查看民主测评")


def listing(ctx: Context, user: User) -> list[dict[str, Any]]:
    """The rounds HR manages, or those of the units a leader oversees; the newest first."""
    _may_see_rounds(user)
    rounds = [r for r in ctx.store.records(COLLEGE, ROUNDS)
              if access.allowed(user, access.MANAGE_BALLOTS)
              or access.allowed(user, access.READ_TALLY, _department(r["unit"]))]
    return [shown(ctx, user, r) for r in sorted(rounds, key=lambda r: r["created_at"], reverse=True)]


def one(ctx: Context, user: User, round_id: str) -> dict[str, Any]:
    _may_see_rounds(user)
    record = round_or_404(ctx, round_id)
    if not (access.allowed(user, access.MANAGE_BALLOTS)
            or access.allowed(user, access.READ_TALLY, _department(record["unit"]))):
        raise forbidden("您无权查看这一轮民主测评")
    return shown(ctx, user, record)


def participation(ctx: Context, user: User, round_id: str) -> dict[str, Any]:
    """How many of the voters have voted (never who)."""
    access.ensure(user, access.MANAGE_BALLOTS, None, "只有人事处可以查看投票进度")
    record = round_or_404(ctx, round_id)
    voted = len((ctx.store.get(COLLEGE, VOTERS, round_id=round_id) or {}).get("voted", []))
    if record["mode"] == PAPER:
        voted = int((ctx.store.get(COLLEGE, COUNTS, round_id=round_id) or {}).get("ballots", 0))
    eligible = len(record["voters"])
    return {"round_id": round_id, "state": state_of(ctx, record), "voted": voted, "eligible": eligible,
            "rate": round(100 * voted / eligible, 1) if eligible else None}


def close(ctx: Context, user: User, round_id: str) -> dict[str, Any]:
    access.ensure(user, access.MANAGE_BALLOTS, None, "只有人事处可以结束民主测评")
    with ctx.store.locked():
        record = round_or_404(ctx, round_id)
        if record.get("closed_at") is not None:
            raise ApiError(409, "round_closed", "本轮民主测评已经结束")
        record = {**record, "closed_by": user.username, "closed_at": ctx.stamp()}
        commit(ctx, [Put(COLLEGE, ROUNDS, record, {"id": round_id})], user.username, "appraisal.round.close",
               round=round_id)
    return shown(ctx, user, record)


# -- the tally ------------------------------------------------------------------------------------


def tally(ctx: Context, user: User, round_id: str) -> dict[str, Any]:
    """The counts per candidate and choice with each 优秀率, once the round is closed: HR and the
    leaders overseeing the unit only."""
    access.ensure(user, access.READ_TALLY, None, "只有人事处和主管该单位的院领导可以查看计票结果")
    record = round_or_404(ctx, round_id)
    access.ensure(user, access.READ_TALLY, _department(record["unit"]), "只有人事处和主管该单位的院领导可以查看计票结果")
    if state_of(ctx, record) != ballots.CLOSED:
        raise ApiError(409, "round_open", "本轮民主测评尚未结束，结束后才能查看计票结果")
    stored = ctx.store.get(COLLEGE, COUNTS, round_id=round_id) or {}
    lines = ballots.tally(stored.get("counts", {}), record["candidates"], record["choices"])
    return {**shown(ctx, user, record), "ballots": int(stored.get("ballots", 0)),
            "unit_rate": ballots.unit_rate(lines, record["choices"]),
            "entered_by": stored.get("entered_by"), "entered_at": stored.get("entered_at"),
            "lines": [{**_person(ctx, line.candidate), **line.json()} for line in lines]}


def enter_paper_tally(ctx: Context, user: User, round_id: str, body: Any) -> dict[str, Any]:
    """HR enters a paper round's counts by hand: {ballots, counts}; the round is then closed."""
    access.ensure(user, access.MANAGE_BALLOTS, None, "只有人事处可以录入纸质选票的计票结果")
    if not isinstance(body, dict):
        raise bad_request("invalid_body", "请求体应为 {\"ballots\": 收回选票数, \"counts\": {...}}")
    with ctx.store.locked():
        record = round_or_404(ctx, round_id)
        if record["mode"] != PAPER:
            raise ApiError(409, "not_paper", "这是网上投票的测评，计票结果由系统统计，不能手工录入")
        returned = body.get("ballots")
        eligible = len(record["voters"])
        if isinstance(returned, bool) or not isinstance(returned, int) or not 0 <= returned <= eligible:
            raise unprocessable("invalid_ballots", f"收回的选票数应为 0–{eligible} 之间的整数", field="ballots")
        counts = ballots.checked_counts(body.get("counts"), returned, record["candidates"], record["choices"])
        doc = {"round_id": round_id, "counts": counts, "ballots": returned, "entered_by": user.username,
               "entered_at": ctx.stamp()}
        writes = [Put(COLLEGE, COUNTS, doc, {"round_id": round_id})]
        if record.get("closed_at") is None:
            writes.append(Put(COLLEGE, ROUNDS, {**record, "closed_by": user.username, "closed_at": ctx.stamp()},
                              {"id": round_id}))
        commit(ctx, writes, user.username, "appraisal.round.paper_tally", round=round_id, ballots=returned)
    return tally(ctx, user, round_id)


# -- the voter ------------------------------------------------------------------------------------


def my_rounds(ctx: Context, user: User) -> list[dict[str, Any]]:
    """The online rounds the signed-in staff member is a voter of, each with whether they voted."""
    member = own_member(ctx, user, access.CAST_BALLOT)
    found = []
    for record in ctx.store.records(COLLEGE, ROUNDS):
        if record["mode"] == ONLINE and member.staff_id in record["voters"]:
            voted = member.staff_id in (ctx.store.get(COLLEGE, VOTERS, round_id=record["id"]) or {}).get("voted", [])
            found.append({**shown(ctx, user, record), "voted": voted})
    return sorted(found, key=lambda r: r["opens"], reverse=True)


def my_round(ctx: Context, user: User, round_id: str) -> dict[str, Any]:
    return next((r for r in my_rounds(ctx, user) if r["id"] == round_id), None) or _not_a_voter()


def _not_a_voter() -> dict[str, Any]:
    raise forbidden("您不是这一轮民主测评的投票人")


def cast(ctx: Context, user: User, round_id: str, marks: Any) -> dict[str, Any]:
    """The voter's one ballot {candidate: choice}: added to the counts, the voter to those who
    voted; refused (409) outside the window or a second time, 422 for what the round lacks."""
    member = own_member(ctx, user, access.CAST_BALLOT)
    record = round_or_404(ctx, round_id)
    if record["mode"] != ONLINE or member.staff_id not in record["voters"]:
        _not_a_voter()
    current = state_of(ctx, record)
    if current != ballots.OPEN:
        raise ballots.refusal(current)
    ballot = ballots.checked_ballot(marks, record["candidates"], record["choices"])
    with ctx.store.locked():
        voters = ctx.store.get(COLLEGE, VOTERS, round_id=round_id) or {"round_id": round_id, "voted": []}
        if member.staff_id in voters["voted"]:
            raise ApiError(409, "already_voted", "您已经投过票，每人只能投一次")
        counts = ctx.store.get(COLLEGE, COUNTS, round_id=round_id) or {}
        if state_of(ctx, round_or_404(ctx, round_id)) != ballots.OPEN:
            raise ballots.refusal(ballots.CLOSED)
        added = {"round_id": round_id, "counts": ballots.added(counts.get("counts") or
                                                               ballots.empty(record["candidates"], record["choices"]),
                                                               ballot),
                 "ballots": int(counts.get("ballots", 0)) + 1, "entered_by": None, "entered_at": None}
        voted = {"round_id": round_id, "voted": sorted([*voters["voted"], member.staff_id])}
        commit(ctx, [Put(COLLEGE, COUNTS, added, {"round_id": round_id}),
                     Put(COLLEGE, VOTERS, voted, {"round_id": round_id})],
               user.username, "appraisal.ballot", round=round_id)
    return {"round_id": round_id, "voted": True}
