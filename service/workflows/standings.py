"""Scores kept, not recomputed: each department's score book and ranking, and the college's.

A department's book (its members, the score events on it, each member's monthly rows) is read
again only when one of its inputs changed: a score event on the department, its monthly
summaries, its members or the settings (workflows/kept.py sees the changes). Its ranking to a
month, or for the year, is worked out once from the book; the college's ranking is merged
from the departments' rankings (each already in order) and kept until one of them changes.
A person's whole score (each month too) is worked out from the book when asked for, by the
same rules/scoring.py functions as a full recomputation, so the figures are the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from service.content.models import Content, StaffMember
from service.rules import scoring
from service.rules.monthly import MonthlyRow
from service.workflows import monthly
from service.workflows.context import Context
from service.workflows.kept import Same

_NO_ROWS: Mapping[int, MonthlyRow] = {}
Events = Mapping[str, tuple[scoring.ScoreEvent, ...]]  # department → its score events, oldest first


class Book:
    """One department's score inputs, with its rankings worked out from them once each."""

    def __init__(self, content: Content, department: str, events: tuple[scoring.ScoreEvent, ...],
                 reported: monthly.Reported) -> None:
        self.content = content
        self.department = department
        self.members = content.members(department)
        self.events = events
        self.rule = content.settings.business_score_rule
        self.lines = {staff_id: rows for (_, staff_id), rows in scoring.person_lines(reported.summaries).items()}
        self._cuts: dict[int | None, scoring.DepartmentCuts] = {}
        self._orders: dict[int | None, tuple[scoring.Standing, ...]] = {}

    def cuts(self, through_month: int | None) -> scoring.DepartmentCuts:
        found = self._cuts.get(through_month)
        if found is None:
            shared = scoring.department_cuts(self.content, self.events, through_month)
            found = self._cuts[through_month] = shared.get(
                self.department, scoring.DepartmentCuts(self.content.common_targets, {}))
        return found

    def rows(self, staff_id: str, through_month: int | None) -> Mapping[int, MonthlyRow]:
        rows = self.lines.get(staff_id, _NO_ROWS)
        if through_month is None or all(month <= through_month for month in rows):
            return rows
        return {month: row for month, row in rows.items() if month <= through_month}

    def person(self, member: StaffMember, through_month: int | None) -> scoring.PersonScore:
        return scoring.score_person(member, self.cuts(through_month), self.rows(member.staff_id, through_month),
                                    self.rule)

    def order(self, through_month: int | None) -> tuple[scoring.Standing, ...]:
        """The department's people in ranking order, with their totals."""
        found = self._orders.get(through_month)
        if found is None:
            cuts = self.cuts(through_month)
            totals = (scoring.year_figures(cuts, self.rows(m.staff_id, through_month), self.rule).total
                      for m in self.members)
            found = self._orders[through_month] = scoring.standings(self.members, totals)
        return found


def book(ctx: Context, department: str, events: Events) -> Book:
    """The department's score book, kept until one of its inputs changes."""
    content = ctx.content
    found = events.get(department, ())
    reported = monthly.reported(ctx, department)
    key = (found, content.members(department), content.settings, content.common_targets, Same(reported))
    return ctx.kept.value(("score book", department), (), key, lambda: Book(content, department, found, reported))


@dataclass(frozen=True)
class CollegeRanking:
    """Everyone in ranking order, with their college and department ranks."""

    ordered: tuple[scoring.Standing, ...]
    college: Mapping[str, int | None]  # staff_id → rank in the college
    department: Mapping[str, int | None]  # staff_id → rank in their department
    books: Mapping[str, Book]

    def person(self, standing: scoring.Standing, through_month: int | None) -> scoring.PersonScore:
        return self.books[standing.member.department].person(standing.member, through_month)


def college(ctx: Context, events: Events, through_month: int | None = None) -> CollegeRanking:
    """The college's ranking to `through_month` (the year without it), merged from the departments'.

    While nothing of the year changed in the store, the last ranking is the answer at once,
    without asking each department (so one department's view costs the same in any college)."""
    unchanged = (through_month, ctx.store.changes, Same(ctx.content, events))
    return ctx.kept.value(("college", through_month is None), (), unchanged, lambda: _merged(ctx, events, through_month))


def _merged(ctx: Context, events: Events, through_month: int | None) -> CollegeRanking:
    books = {d.id: book(ctx, d.id, events) for d in ctx.content.departments}
    orders = tuple(b.order(through_month) for b in books.values())

    def merge() -> CollegeRanking:
        ordered = tuple(scoring.merge_standings(orders))
        college_ranks = dict(zip((s.member.staff_id for s in ordered), scoring.ranks(s.total for s in ordered),
                                 strict=True))
        department_ranks = {s.member.staff_id: rank for order in orders
                            for s, rank in zip(order, scoring.ranks(s.total for s in order), strict=True)}
        return CollegeRanking(ordered, college_ranks, department_ranks, books)

    # the year's ranking and the last month's asked are kept (each holds every person's ranks)
    return ctx.kept.value(("college ranking", through_month is None), (), (through_month, Same(*orders)), merge)
