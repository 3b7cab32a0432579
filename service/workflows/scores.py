"""Scores: HR's department-level events against annex 2, and each person's score out of 100.

Store: the college partition, table "score_events", one document per event:
{id, department, item_id, rule_index, points, note, at, by, recorded_at}.
The arithmetic (caps per item, business rule, ranking) is rules/scoring.py's; the scores are
kept per department and merged into the college's ranking by workflows/standings.py.
A score is personal: only HR, leaders and the person's own department may read it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

from service.errors import bad_request, not_found, quoted, unprocessable
from service.rules import access, scoring
from service.rules.access import User
from service.rules.clock import zone
from service.storage.store import COLLEGE, new_record
from service.workflows import standings
from service.workflows.commit import Add, Drop, commit
from service.workflows.common import department_or_404, month_number, parse_time
from service.workflows.context import Context

TABLE = "score_events"
MAX_NOTE = 500


# -- events -------------------------------------------------------------------------------


def events(ctx: Context) -> list[dict[str, Any]]:
    return sorted(ctx.store.records(COLLEGE, TABLE), key=lambda e: (e.get("at") or "", e["id"]))


def as_event(record: dict[str, Any]) -> scoring.ScoreEvent:
    return scoring.ScoreEvent(record["department"], record["item_id"], record["rule_index"], record.get("points"),
                              record.get("note", ""), parse_time(record.get("at")))


def add_event(ctx: Context, user: User, body: Any) -> dict[str, Any]:
    """Record one deduction HR decided (which department, item, rule, points, evidence note)."""
    access.ensure(user, access.RECORD_SCORE_EVENTS, None, "只有人事处可以记录或撤销共性目标扣分")
    if not isinstance(body, dict):
        raise bad_request("invalid_event", "请求体应为对象：department、item_id、rule_index，可选 points、note、at")
    department, item_id, rule_index = body.get("department"), body.get("item_id"), body.get("rule_index")
    if not isinstance(department, str) or not isinstance(item_id, str):
        raise bad_request("invalid_event", "department 与 item_id 应为文字")
    if isinstance(rule_index, bool) or not isinstance(rule_index, int):
        raise bad_request("invalid_rule", "rule_index 应为评分标准的序号（从 0 开始的整数）")
    points = body.get("points")
    if points is not None and (isinstance(points, bool) or not isinstance(points, int | float)):
        raise bad_request("invalid_points", "points 应为数字（省略则按该条评分标准扣分）")
    note = body.get("note") or ""
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise bad_request("invalid_note", f"note（佐证说明）应为不超过 {MAX_NOTE} 字的文字")
    at = _event_time(ctx, body.get("at"))
    event = scoring.ScoreEvent(department, item_id, rule_index, None if points is None else float(points),
                               note.strip(), at)
    problems = scoring.event_problems(ctx.content, event)
    if problems:
        raise unprocessable("invalid_event", "；".join(problems), problems=problems)
    item = next(t for t in ctx.content.common_targets if t.id == item_id)
    record = new_record({"department": department, "item_id": item_id, "rule_index": rule_index,
                         "points": event.points, "deduction": scoring.event_points(item, event), "note": event.note,
                         "at": at.isoformat(timespec="seconds"), "by": user.username, "recorded_at": ctx.stamp()})
    commit(ctx, [Add(COLLEGE, TABLE, record)], user.username, "score.event", **record)
    return record


def remove_event(ctx: Context, user: User, event_id: str) -> None:
    """Withdraw an event recorded by mistake (the audit log keeps both)."""
    access.ensure(user, access.RECORD_SCORE_EVENTS, None, "只有人事处可以记录或撤销共性目标扣分")
    with ctx.store.locked():
        record = ctx.store.get(COLLEGE, TABLE, id=event_id)
        if record is None:
            raise not_found("unknown_event", "找不到该扣分记录")
        commit(ctx, [Drop(COLLEGE, TABLE, {"id": event_id})], user.username, "score.event.remove", id=event_id,
               department=record["department"], item_id=record["item_id"])


# -- scores -------------------------------------------------------------------------------


def scope(user: User, department: str | None) -> str | None:
    """Which department the user may see scores of: None = the college (HR, leaders)."""
    wanted = department or None
    if wanted is None and not access.allowed(user, access.READ_SCORES):
        wanted = user.department  # a department's own people by default
    access.ensure(user, access.READ_SCORES, wanted, "您的账号只能查看本部门（院领导：所主管部门）教职工的得分")
    return wanted


def events_by_department(ctx: Context) -> standings.Events:
    """department → its score events, oldest first; read again when an event is added or removed."""

    def group() -> dict[str, tuple[scoring.ScoreEvent, ...]]:
        found: dict[str, list[scoring.ScoreEvent]] = {}
        for record in events(ctx):
            event = as_event(record)
            found.setdefault(event.department, []).append(event)
        return {department: tuple(events) for department, events in found.items()}

    return ctx.kept.value("score events", ((COLLEGE, TABLE),), None, group)


def people(ctx: Context, through_month: int | None = None) -> list[scoring.PersonScore]:
    """Everyone's score, department by department (in roster order within each), from the kept books."""
    college = standings.college(ctx, events_by_department(ctx), through_month)
    return [book.person(member, through_month) for book in college.books.values() for member in book.members]


def book(ctx: Context, department: str) -> standings.Book:
    """The department's kept score book, its ranking for the year worked out."""
    found = standings.book(ctx, department, events_by_department(ctx))
    found.order(None)
    return found


def warm(ctx: Context) -> None:
    """Read every department's score book and rank the college for the year (after a start)."""
    standings.college(ctx, events_by_department(ctx))


class Scored(Sequence[scoring.Ranked]):
    """The people of a ranking in order, each one's whole score worked out when it is read."""

    def __init__(self, order: Sequence[scoring.Standing], ranks: Mapping[str, int | None],
                 score: Callable[[scoring.Standing], scoring.PersonScore]) -> None:
        self.order = order
        self.ranks = ranks
        self.score = score

    def __len__(self) -> int:
        return len(self.order)

    def __iter__(self) -> Iterator[scoring.Ranked]:
        return (self._ranked(s) for s in self.order)

    @overload
    def __getitem__(self, index: int) -> scoring.Ranked: ...

    @overload
    def __getitem__(self, index: slice) -> list[scoring.Ranked]: ...

    def __getitem__(self, index: int | slice) -> scoring.Ranked | list[scoring.Ranked]:
        if isinstance(index, slice):
            return [self._ranked(s) for s in self.order[index]]
        return self._ranked(self.order[index])

    def _ranked(self, standing: scoring.Standing) -> scoring.Ranked:
        return scoring.Ranked(self.ranks.get(standing.member.staff_id), self.score(standing))


@dataclass(frozen=True)
class Ranking:
    """Everyone the user may see, ranked; their scores and JSON are made a person at a time."""

    head: dict[str, Any]  # year, department, through_month, business_rule, total
    shown: Sequence[scoring.Ranked]
    names: dict[str, str]
    college: Mapping[str, int | None]
    in_department: Mapping[str, int | None]

    def people(self, offset: int = 0, limit: int | None = None) -> Iterator[dict[str, Any]]:
        """The `limit` people from `offset` on, in ranking order (all of them when `limit` is None)."""
        for r in self.shown[offset:None if limit is None else offset + limit]:
            yield person_json(r.score, self.names, self.college.get(r.score.staff_id),
                              self.in_department.get(r.score.staff_id))

    def page(self, offset: int = 0, limit: int | None = None) -> dict[str, Any]:
        """The ranking as one dict: `people` from `offset` on, `total` counts everyone in scope."""
        return {**self.head, "offset": offset, "limit": limit, "people": list(self.people(offset, limit))}


def ranking(ctx: Context, user: User, department: str | None = None,
            through_month: int | None = None) -> Ranking:
    """The ranking the user may see: college-wide and per department (ranks computed college-wide),
    from the kept standings."""
    seen = scope(user, department)
    if seen is not None:
        department_or_404(ctx, seen)
    if through_month is not None:
        month_number(through_month)
    college = standings.college(ctx, events_by_department(ctx), through_month)
    if seen is not None:
        order: Sequence[scoring.Standing] = college.books[seen].order(through_month)
    else:
        hidden = {d.id for d in ctx.content.departments if not access.allowed(user, access.READ_SCORES, d.id)}
        order = college.ordered if not hidden else tuple(
            standing for standing in college.ordered if standing.member.department not in hidden)
    s = ctx.content.settings
    head = {"year": s.year, "department": seen, "through_month": through_month,
            "business_rule": s.business_score_rule, "total": len(order)}
    shown = Scored(order, college.college, lambda standing: college.person(standing, through_month))
    return Ranking(head, shown, {d.id: d.name for d in ctx.content.departments}, college.college, college.department)


def person_json(score: scoring.PersonScore, names: dict[str, str], college_rank: int | None,
                department_rank: int | None) -> dict[str, Any]:
    return {
        "staff_id": score.staff_id, "name": score.name, "department": score.department,
        "department_name": names.get(score.department, score.department), "role": score.role,
        "common": score.common, "business": score.business, "total": score.total,
        "other": score.other, "months_reported": score.months_reported,
        "rank": college_rank, "department_rank": department_rank,
        "common_by_item": {i.item_id: i.score for i in score.common_by_item},
        "months": [{"month": m.month, "common": m.common, "business": m.business, "total": m.total}
                   for m in score.months],
    }


# -- helpers ------------------------------------------------------------------------------


def _event_time(ctx: Context, value: Any) -> dt.datetime:
    """`at` as given (ISO date or datetime, college time when no offset), default now."""
    if value is None or value == "":
        return ctx.now()
    if not isinstance(value, str):
        raise bad_request("invalid_at", "at 应为 ISO 格式的日期或日期时间，如 2019-05-10")
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise bad_request("invalid_at", f"at 应为 ISO 格式的日期或日期时间，当前为“{quoted(value)}”") from None
    if len(value.strip()) == 10:
        moment = moment.replace(hour=12)
    tz = zone(ctx.content.settings.timezone)
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)
