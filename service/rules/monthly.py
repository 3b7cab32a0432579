"""The monthly summary (附件4) as data: one row per person, its columns and their bounds.

Counts are days (出勤, 事假, 病假, 旷工) or times (迟到, 早退, 离岗); 其他项目 is the month's
deductions on the common targets other than attendance, 业务工作目标 the points achieved
(rules/scoring.py turns them into scores).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from service.content import text_forms
from service.content.formats import num, plain_number
from service.content.models import StaffMember
from service.errors import quoted

# Annex 4 columns: Chinese header → MonthlyRow field. Day/time counts, then points.
ATTENDANCE_COLUMNS = {"出勤": "attendance", "事假": "personal_leave", "病假": "sick_leave",
                      "迟到": "late", "早退": "early_leave", "旷工": "absence", "离岗": "off_post"}
COL_OTHER = "其他项目"
COL_BUSINESS = "业务工作目标"
COL_STAFF_ID = "工号"
IDENTITY_KEYS = (COL_STAFF_ID, "staff_id", "姓名", "姓　名", "name")
DAY_COLUMNS = ("出勤", "事假", "病假", "旷工")  # days in a month; the other attendance columns are times
MAX_DAYS = 31  # a day column's most
MAX_TIMES = 100  # 迟到, 早退, 离岗: a times column's most


@dataclass(frozen=True, slots=True)
class MonthlyRow:
    """One person's line of the monthly summary (附件4)."""

    staff_id: str
    attendance: float = 0  # 出勤 (days)
    personal_leave: float = 0  # 事假 (days)
    sick_leave: float = 0  # 病假 (days)
    late: float = 0  # 迟到 (times)
    early_leave: float = 0  # 早退 (times)
    absence: float = 0  # 旷工 (days)
    off_post: float = 0  # 离岗 (times)
    other: float = 0  # 其他项目: deductions on the other common items (points)
    business: float | None = None  # 业务工作目标: points achieved this month, 0–60; None = not reported

    def attendance_record(self) -> dict[str, float]:
        return {name: getattr(self, field) for name, field in ATTENDANCE_COLUMNS.items()}


@dataclass(frozen=True, slots=True)
class MonthlySummary:
    """A department's current summary for one month (a resubmission replaces it)."""

    department: str
    month: int
    rows: tuple[MonthlyRow, ...]


@dataclass(frozen=True, slots=True)
class MonthlyProblem:
    """One problem of a monthly summary: its row (from 0, in the order given), the column at
    fault (an annex-4 header; None for the whole row) and what is wrong."""

    index: int
    column: str | None
    what: str

    def __str__(self) -> str:
        return f"第 {self.index + 1} 行：{self.what}"


def parse_monthly_rows(raw_rows: Sequence[Mapping[str, Any]], members: Iterable[StaffMember],
                       business_max: float = 60, other_max: float = 40,
                       ) -> tuple[tuple[MonthlyRow, ...], list[str]]:
    """`monthly_rows` with its problems as the web form shows them ("第 n 行：…")."""
    rows, problems = monthly_rows(raw_rows, members, business_max, other_max)
    return rows, [str(p) for p in problems]


def monthly_rows(raw_rows: Sequence[Mapping[str, Any]], members: Iterable[StaffMember],
                 business_max: float = 60, other_max: float = 40,
                 ) -> tuple[tuple[MonthlyRow, ...], list[MonthlyProblem]]:
    """Rows of a monthly summary from dicts keyed 工号 (or staff_id), the annex-4 columns
    (出勤 … 离岗, 其他项目, 业务工作目标) or the MonthlyRow field names.

    Blank counts are 0; a blank 业务工作目标 means "not reported this month" (e.g. on
    leave). 其他项目 is at most `other_max` (the common points), 业务工作目标 at most
    `business_max` (the individual points). Numbers may be typed with full-width digits.
    Returns the rows and the problems; rows are only meaningful when there are no problems.
    Only the department's `members` may appear.
    """
    known = {m.staff_id: m for m in members}
    rows: list[MonthlyRow] = []
    problems: list[MonthlyProblem] = []
    seen: set[str] = set()
    aliases = {**ATTENDANCE_COLUMNS, COL_OTHER: "other", COL_BUSINESS: "business", "工号": "staff_id"}
    for index, raw in enumerate(raw_rows):
        row = {aliases.get(str(k).strip(), str(k).strip()): v for k, v in raw.items()}
        staff_id = text_forms.staff_id(str(row.get("staff_id") or ""))
        if staff_id not in known:
            problems.append(MonthlyProblem(index, COL_STAFF_ID, f"工号“{quoted(staff_id)}”不是本部门教职工"
                                           if staff_id else "请填写工号"))
            continue
        if staff_id in seen:
            problems.append(MonthlyProblem(index, COL_STAFF_ID, f"工号“{quoted(staff_id)}”重复"))
            continue
        seen.add(staff_id)
        values: dict[str, Any] = {}
        for name, field in ATTENDANCE_COLUMNS.items():
            limit = MAX_DAYS if name in DAY_COLUMNS else MAX_TIMES
            values[field] = _count(row.get(field), index, name, name, limit, problems)
        values["other"] = _count(row.get("other"), index, COL_OTHER, f"{COL_OTHER}（扣分）", other_max, problems)
        business = row.get("business")
        if not _blank(business):
            values["business"] = _count(business, index, COL_BUSINESS, COL_BUSINESS, business_max, problems)
        rows.append(MonthlyRow(staff_id=staff_id, **values))
    return tuple(rows), problems


def reported(raw: Mapping[str, Any]) -> bool:
    """Does a row give any value besides the 工号 and 姓名 (a row left empty is a person not reported)?"""
    return any(not _blank(value) for key, value in raw.items() if str(key).strip() not in IDENTITY_KEYS)


@dataclass(frozen=True)
class MonthlySubmission:
    """A monthly summary as given: the rows of the people reported, the problems (indices as
    given), and the department's members whose row is absent or left empty, in roster order."""

    rows: tuple[MonthlyRow, ...]
    problems: list[MonthlyProblem]
    missing: tuple[str, ...]


def judge_submission(raw_rows: Sequence[Mapping[str, Any]], members: Iterable[StaffMember],
                     business_max: float = 60, other_max: float = 40) -> MonthlySubmission:
    """The reported rows parsed (`monthly_rows`), empty rows set aside as not reported."""
    people = tuple(members)
    kept = [(index, raw) for index, raw in enumerate(raw_rows) if reported(raw)]
    rows, problems = monthly_rows([raw for _, raw in kept], people, business_max, other_max)
    problems = [MonthlyProblem(kept[p.index][0], p.column, p.what) for p in problems]
    given = {row.staff_id for row in rows}
    return MonthlySubmission(rows, problems, tuple(m.staff_id for m in people if m.staff_id not in given))


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _count(value: Any, index: int, column: str, label: str, limit: float, problems: list[MonthlyProblem]) -> float:
    """A finite number in [0, limit]; blank is 0. Appends a problem and returns 0 otherwise."""
    if _blank(value):
        return 0.0
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(plain_number(value))
        except ValueError:
            number = None
    if number is None or not math.isfinite(number) or not 0 <= number <= limit:
        problems.append(MonthlyProblem(index, column, f"{label}应为 0–{num(limit)} 之间的数字，当前为“{quoted(value)}”"))
        return 0.0
    return number


COLUMN_FIELDS = {**ATTENDANCE_COLUMNS, COL_OTHER: "other", COL_BUSINESS: "business"}


@dataclass(frozen=True, slots=True)
class RowChange:
    """One cell a resubmission would change: the column's header, the value on record and the new one
    (None: that person is not reported)."""

    staff_id: str
    column: str
    before: float | None
    after: float | None


def row_changes(before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]]) -> list[RowChange]:
    """What replacing the stored rows `before` with `after` changes, person by person (in the order of
    `after`, then the people it leaves out), column by column; rows are stored MonthlyRow dicts."""
    old = {row["staff_id"]: row for row in before}
    new = {row["staff_id"]: row for row in after}
    found: list[RowChange] = []
    for staff_id in [*new, *(s for s in old if s not in new)]:
        was, now = old.get(staff_id), new.get(staff_id)
        for column, field in COLUMN_FIELDS.items():
            a = was.get(field) if was else None
            b = now.get(field) if now else None
            if a != b:
                found.append(RowChange(staff_id, column, a, b))
    return found
