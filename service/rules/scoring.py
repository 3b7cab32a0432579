"""Scores out of 100 per person: 40 common (附件2) + 60 business (附件4 monthly results).

Common score. HR records department-level events against annex 2 (which item, which rule,
how many points, default the rule's own deduction). A department's common targets are each
member's common targets, so every event hits every member of the department. Deductions
are summed per item and capped at the item's points, so an item never goes below 0 (the
"扣3分" rule of a 5-point item applied twice takes 5, not 6). On top of that, the monthly
summary's 其他项目 column — per the annex's note, "共性目标中除考勤以外的所有项目" — carries
each person's own deductions (points) on the common targets for that month; they are
subtracted from the common score, which never goes below 0.
common = max(0, 40 − Σ_item min(item points, events on item) − Σ_months 其他项目).

Attendance. 出勤, 事假, 病假, 迟到, 早退, 旷工 and 离岗 are reported and kept (each
MonthScore carries them) but not turned into points: the notice sets no per-day or
per-time deduction, and the attendance-related common item, c4 (严格遵守学院规章制度 …
强化考勤管理, 5 points), is scored by its own rules — being 通报批评 for attendance, or
three or more people criticised — which HR records as events like any other item.

Business score. Each month's 业务工作目标 is the points (0–60) the person achieved that
month. settings.business_score_rule combines the months reported so far:
- average (default): the mean of the months reported. It is the fair reading of "year to
  date": a person is not punished for a month not yet reported (or a month on leave, left
  blank), and one bad month weighs 1/n of the months so far — 1/12 of a full year —
  rather than deciding the score alone;
- latest: the most recent month reported (the standing "as of now");
- minimum: the worst month reported (the strictest reading).
Until a person has a reported month, business and total are None (not scored, not ranked).

Months. An event belongs to the month of its `at` in the college's time zone, clamped to
the cycle's year (an assessment recorded in January of the next year counts for December);
an event without `at` counts in the year-to-date figures only. Each MonthScore is that
month on its own (events and 其他项目 of the month, the month's business result);
`through_month` gives the year-to-date standing at the end of any month. Figures are
rounded to 2 decimals once, here, so the board and the exported sheet agree.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from service.content.formats import num
from service.content.models import CommonTarget, Content, StaffMember
from service.errors import quoted
from service.rules.clock import as_local
from service.rules.monthly import MonthlyRow, MonthlySummary

AVERAGE = "average"
LATEST = "latest"
MINIMUM = "minimum"
BUSINESS_RULES = (AVERAGE, LATEST, MINIMUM)

# -- inputs --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScoreEvent:
    """A department-level deduction HR recorded against one rule of one annex-2 item."""

    department: str
    item_id: str
    rule_index: int  # 0-based index into CommonTarget.rules (annex 2 numbers them from 1)
    points: float | None = None  # None: the rule's own deduction
    note: str = ""
    at: dt.datetime | None = None


def event_points(item: CommonTarget, event: ScoreEvent) -> float:
    """The deduction an event applies: its own points, else its rule's."""
    if event.points is not None:
        return float(event.points)
    return item.rules[event.rule_index].points


def event_problems(content: Content, event: ScoreEvent) -> list[str]:
    """Why HR may not record this event (Chinese messages); empty when it is acceptable."""
    problems = []
    if content.department(event.department) is None:
        problems.append(f"没有代码为“{quoted(event.department)}”的部门或系")
    item = next((t for t in content.common_targets if t.id == event.item_id), None)
    if item is None:
        return [*problems, f"共性目标中没有条目“{quoted(event.item_id)}”"]
    if isinstance(event.rule_index, bool) or not 0 <= event.rule_index < len(item.rules):
        problems.append(f"条目“{item.id}”只有 {len(item.rules)} 条评分标准，没有第 {event.rule_index + 1} 条")
    if event.points is not None:
        value = event.points
        if isinstance(value, bool) or not math.isfinite(value) or not 0 < value <= item.points:
            problems.append(f"扣分应为大于 0、不超过该项分值 {num(item.points)} 的数字，当前为 {value!r}")
    if event.at is not None and (event.at.tzinfo is None or event.at.utcoffset() is None):
        problems.append("记录时间须带时区")
    return problems


# -- results -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemScore:
    item_id: str
    points: float  # the item's full points
    deducted: float  # capped at points
    score: float


@dataclass(frozen=True, slots=True)
class MonthScore:
    """One month on its own: that month's deductions and result."""

    month: int
    common_by_item: tuple[ItemScore, ...]
    other: float  # 其他项目 deductions reported for the month
    common: float
    business: float | None
    total: float | None
    row: MonthlyRow | None  # the month's line as reported; None without a row

    @property
    def attendance(self) -> Mapping[str, float] | None:
        """出勤 … 离岗 as reported (worked out when asked: a dict per person-month is 30 MB at 10,000 staff)."""
        return self.row.attendance_record() if self.row else None


@dataclass(frozen=True, slots=True)
class PersonScore:
    """Year to date (or to `through_month`)."""

    staff_id: str
    name: str
    department: str
    role: str
    common_by_item: tuple[ItemScore, ...]
    other: float  # Σ 其他项目
    common: float
    business: float | None
    total: float | None
    months_reported: int  # months with a 业务工作目标 value
    months: tuple[MonthScore, ...]

    def item(self, item_id: str) -> ItemScore:
        return next(i for i in self.common_by_item if i.item_id == item_id)


@dataclass(frozen=True, slots=True)
class Ranked:
    rank: int | None  # None: not scored yet
    score: PersonScore


# -- computing -----------------------------------------------------------------------------


def combine_business(values: Sequence[float], rule: str = AVERAGE) -> float | None:
    """Monthly business results (in month order) → the business score; None if none yet."""
    if rule not in BUSINESS_RULES:
        raise ValueError(f"unknown business score rule {rule!r}")
    if not values:
        return None
    if rule == LATEST:
        return values[-1]
    if rule == MINIMUM:
        return min(values)
    return sum(values) / len(values)


def event_month(event: ScoreEvent, year: int, tz: str | dt.tzinfo) -> int | None:
    """The month of the cycle an event belongs to (local time, clamped to the year)."""
    if event.at is None:
        return None
    local = as_local(event.at, tz)
    if local.year < year:
        return 1
    return 12 if local.year > year else local.month


def common_items(items: Sequence[CommonTarget], deductions: Mapping[str, float]) -> tuple[ItemScore, ...]:
    """Per-item scores, each deduction capped at the item's points."""
    result = []
    for item in items:
        cut = min(item.points, deductions.get(item.id, 0.0))
        result.append(ItemScore(item.id, item.points, _r(cut), _r(item.points - cut)))
    return tuple(result)


def score_people(content: Content, events: Iterable[ScoreEvent], summaries: Iterable[MonthlySummary],
                 *, department: str | None = None, through_month: int | None = None,
                 rule: str | None = None) -> tuple[PersonScore, ...]:
    """Every roster member's score (of one department when given), in roster order.

    `summaries` holds one current summary per (department, month); if a pair repeats, the
    later one wins. Events of unknown items, or with a bad rule index and no points, are
    skipped (event_problems refuses them at entry). `rule` overrides settings.
    """
    rule = rule or content.settings.business_score_rule
    shared = department_cuts(content, events, through_month)
    lines = person_lines(summaries, through_month)
    members = content.members(department) if department else content.roster
    none = DepartmentCuts(content.common_targets, {})
    return tuple(
        score_person(member, shared.get(member.department, none), lines.get((member.department, member.staff_id), {}),
                     rule)
        for member in members
    )


def department_cuts(content: Content, events: Iterable[ScoreEvent],
                    through_month: int | None = None) -> dict[str, DepartmentCuts]:
    """Each department's deductions to `through_month` (the year without it), by department id."""
    settings = content.settings
    last = through_month or 12
    items = content.common_targets
    by_id = {item.id: item for item in items}
    # department -> month (None = no date) -> item -> points
    cuts: dict[str, dict[int | None, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for event in events:
        item = by_id.get(event.item_id)
        if item is None or (event.points is None and not 0 <= event.rule_index < len(item.rules)):
            continue
        month = event_month(event, settings.year, settings.timezone)
        if month is not None and month > last:
            continue
        per_item = cuts[event.department][month]
        per_item[item.id] = per_item.get(item.id, 0.0) + event_points(item, event)
    return {dept: DepartmentCuts(items, per_month) for dept, per_month in cuts.items()}


def person_lines(summaries: Iterable[MonthlySummary],
                 through_month: int | None = None) -> dict[tuple[str, str], dict[int, MonthlyRow]]:
    """(department, staff_id) → month → the person's row, months 1 to `through_month` (or 12);
    of two summaries of one (department, month), the later one wins."""
    last = through_month or 12
    lines: dict[tuple[str, str], dict[int, MonthlyRow]] = defaultdict(dict)
    for summary in summaries:
        if 1 <= summary.month <= last:
            for row in summary.rows:
                lines[summary.department, row.staff_id][summary.month] = row
    return lines


class DepartmentCuts:
    """A department's deductions and the item scores they give, worked out once for all its
    members (they are the same for every member)."""

    def __init__(self, items: Sequence[CommonTarget], cuts: Mapping[int | None, Mapping[str, float]]) -> None:
        self.items = items
        self.cuts = cuts
        year_cuts: dict[str, float] = defaultdict(float)
        for per_item in cuts.values():
            for item_id, points in per_item.items():
                year_cuts[item_id] += points
        self.year = common_items(items, year_cuts)
        self.full = sum(item.points for item in items)
        self.deducted = sum(i.deducted for i in self.year)
        self.dated = frozenset(m for m in cuts if m is not None)  # months with a deduction
        self._months: dict[int, tuple[tuple[ItemScore, ...], float]] = {}

    def month(self, month: int) -> tuple[ItemScore, ...]:
        return self._month(month)[0]

    def month_deducted(self, month: int) -> float:
        """The month's deductions on the items, capped per item: the same for every member."""
        return self._month(month)[1]

    def _month(self, month: int) -> tuple[tuple[ItemScore, ...], float]:
        found = self._months.get(month)
        if found is None:
            items = common_items(self.items, self.cuts.get(month, {}))
            found = self._months[month] = (items, sum(i.deducted for i in items))
        return found


@dataclass(frozen=True, slots=True)
class YearFigures:
    """A person's year-to-date figures without the months: what a ranking needs."""

    other: float
    common: float
    business: float | None
    total: float | None
    months_reported: int


def year_figures(department: DepartmentCuts, rows: Mapping[int, MonthlyRow], rule: str) -> YearFigures:
    """The year-to-date figures of a person with these monthly `rows`, in `department`."""
    other = sum(row.other for row in rows.values())
    common = max(0.0, department.full - department.deducted - other)
    results = [float(rows[m].business) for m in sorted(rows) if rows[m].business is not None]  # type: ignore[arg-type]
    business_score = combine_business(results, rule)
    return YearFigures(_r(other), _r(common), _r_opt(business_score),
                       None if business_score is None else _r(_r(common) + _r(business_score)), len(results))


def score_person(member: StaffMember, department: DepartmentCuts, rows: Mapping[int, MonthlyRow],
                 rule: str) -> PersonScore:
    """One person's score: the year to date and each month on its own."""
    full = department.full
    months = []
    for month in sorted(department.dated.union(rows)):
        row = rows.get(month)
        month_items = department.month(month)
        month_other = row.other if row else 0.0
        month_common = max(0.0, full - department.month_deducted(month) - month_other)
        business = row.business if row else None
        months.append(MonthScore(
            month=month, common_by_item=month_items, other=_r(month_other), common=_r(month_common),
            business=_r_opt(business), total=_r_opt(None if business is None else month_common + business),
            row=row,
        ))
    year = year_figures(department, rows, rule)
    return PersonScore(
        staff_id=member.staff_id, name=member.name, department=member.department, role=member.role,
        common_by_item=department.year, other=year.other, common=year.common, business=year.business,
        total=year.total, months_reported=year.months_reported, months=tuple(months),
    )


def order_key(total: float | None, staff_id: str) -> tuple[bool, float, str]:
    """Ranking order: highest total first, then staff_id; people without a total last, by staff_id."""
    return (total is None, -(total or 0), staff_id)


def ranks(totals: Iterable[float | None]) -> Iterator[int | None]:
    """The rank of each of `totals`, given in ranking order: equal totals share a rank (1, 1, 3);
    None (not scored yet) is unranked."""
    previous: float | None = None
    current = 0
    for position, total in enumerate(totals, start=1):
        if total is None:
            yield None
            continue
        if position == 1 or total != previous:
            current = position
        previous = total
        yield current


def rank(scores: Iterable[PersonScore]) -> tuple[Ranked, ...]:
    """Highest total first, then staff_id; equal totals share a rank (1, 1, 3).

    People without a total yet come last, unranked.
    """
    people = sorted(scores, key=lambda s: order_key(s.total, s.staff_id))
    return tuple(Ranked(r, s) for r, s in zip(ranks(s.total for s in people), people, strict=True))


@dataclass(frozen=True, slots=True)
class Standing:
    """A person's place in a ranking without their whole score: who, and their total."""

    member: StaffMember
    total: float | None

    @property
    def key(self) -> tuple[bool, float, str]:
        return order_key(self.total, self.member.staff_id)


def standings(members: Iterable[StaffMember], totals: Iterable[float | None]) -> tuple[Standing, ...]:
    """Members with their totals, in ranking order."""
    return tuple(sorted((Standing(m, t) for m, t in zip(members, totals, strict=True)), key=lambda s: s.key))


def merge_standings(orders: Iterable[Sequence[Standing]]) -> list[Standing]:
    """Rankings already in order (one per department) merged into one, in the same order."""
    return list(heapq.merge(*orders, key=lambda s: s.key))


def rank_by_department(scores: Iterable[PersonScore]) -> dict[str, tuple[Ranked, ...]]:
    """A ranking inside each department, keyed by department id (first-seen order)."""
    groups: dict[str, list[PersonScore]] = {}
    for score in scores:
        groups.setdefault(score.department, []).append(score)
    return {department: rank(people) for department, people in groups.items()}


# -- helpers -------------------------------------------------------------------------------


def _r(value: float) -> float:
    return round(value + 0.0, 2)


def _r_opt(value: float | None) -> float | None:
    return None if value is None else _r(value)
