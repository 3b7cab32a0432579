"""A target set's rows (附件3): parsing and the check that they total the individual budget.

Every row needs 目标内容, a positive 分值, 佐证材料及分值 and 完成时限; the set must total exactly
the individual budget (60). The same check serves the web form, the JSON API, the annex 3
workbook and roles.yml's templates: each problem says its kind, row and field, so every caller
can word it in its own terms (a sheet cell, a YAML path); the message is the web form's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from service.content.formats import num, plain_number
from service.content.models import COL_CONTENT, COL_DEADLINE, COL_EVIDENCE, COL_POINTS, Role, TargetRow

COL_NOTE = "备注"
COLUMNS = (COL_CONTENT, COL_POINTS, COL_EVIDENCE, COL_DEADLINE, COL_NOTE)
ALIASES = {"content": COL_CONTENT, "points": COL_POINTS, "evidence": COL_EVIDENCE,
           "deadline": COL_DEADLINE, "note": COL_NOTE}
REQUIRED_TEXT = (COL_CONTENT, COL_EVIDENCE, COL_DEADLINE)
MAX_ROWS = 50
MAX_TEXT = 1000

# What a problem is about (TargetProblem.kind).
MISSING = "missing"  # a required text, or the 分值, is empty
TOO_LONG = "too_long"  # a text is longer than MAX_TEXT; `actual` is its length
NOT_A_NUMBER = "not_a_number"  # the 分值 is not a finite number
NOT_POSITIVE = "not_positive"  # the 分值 is 0 or less
NO_ROWS = "no_rows"  # the set has no filled row
TOO_MANY_ROWS = "too_many_rows"  # `actual` is the number of filled rows
WRONG_TOTAL = "wrong_total"  # the points do not add up to the budget; `actual` is their total


@dataclass(frozen=True)
class TargetLine:
    """One row of a person's set: a TargetRow plus the annex's 备注 column."""

    content: str
    points: float
    evidence: str
    deadline: str
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {COL_CONTENT: self.content, COL_POINTS: self.points, COL_EVIDENCE: self.evidence,
                COL_DEADLINE: self.deadline, COL_NOTE: self.note}

    def target_row(self) -> TargetRow:
        """The row without its 备注, as a role's template or an annex 3 read back holds it."""
        return TargetRow(self.content, self.points, self.evidence, self.deadline)


@dataclass(frozen=True)
class TargetProblem:
    row: int | None  # 1-based row number as the user entered it; None for the whole set
    field: str | None  # the Chinese column name, when one field is at fault
    kind: str
    message: str
    actual: float | None = None  # the length, count or total the problem is about

    def __str__(self) -> str:
        return self.message


class TargetRowsInvalid(ValueError):
    def __init__(self, problems: list[TargetProblem]) -> None:
        super().__init__("；".join(p.message for p in problems))
        self.problems = problems


RowInput = Mapping[str, Any] | TargetRow | TargetLine


# -- parsing ------------------------------------------------------------------------------


def normalise_row(raw: RowInput) -> dict[str, Any]:
    """A row as a dict keyed by the Chinese column names (English aliases accepted)."""
    if isinstance(raw, TargetLine):
        return raw.as_dict()
    if isinstance(raw, TargetRow):
        return TargetLine(raw.content, raw.points, raw.evidence, raw.deadline).as_dict()
    result: dict[str, Any] = {}
    for key, value in raw.items():
        name = ALIASES.get(str(key).strip().lower(), str(key).strip())
        if name in COLUMNS:
            result[name] = value
    return result


def rows_from_form(items: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """Rows from an HTML form whose row inputs repeat the same names, in row order.

    `items` is the form's (name, value) pairs, e.g. Starlette's `form.multi_items()`; the
    n-th value of each column name belongs to row n. Other fields are ignored.
    """
    columns: dict[str, list[str]] = {}
    for key, value in items:
        name = ALIASES.get(key.strip().lower(), key.strip())
        if name in COLUMNS:
            columns.setdefault(name, []).append(value if isinstance(value, str) else "")
    count = max((len(values) for values in columns.values()), default=0)
    return [{name: values[i] if i < len(values) else "" for name, values in columns.items()}
            for i in range(count)]


def is_blank(row: Mapping[str, Any]) -> bool:
    return all(text_of(row.get(name)) == "" for name in COLUMNS)


def parse_points(value: Any) -> float | None:
    """A finite number from a number or text ("15", "7.5", "１５", "15分"); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = plain_number(value).removesuffix("分").strip()
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def validate_target_rows(rows: Sequence[RowInput], budget: int | None, *,
                         skip_blank: bool = True) -> list[TargetProblem]:
    """Every problem in a set, row by row, then the total; empty when the set is acceptable.

    The total is checked once every 分值 is a valid number, and the message names it
    ("个性目标分值合计应为 60 分，当前为 59 分"); with `budget` None it is not checked.

    Rows that are entirely blank (the annex's empty lines) are skipped but keep their
    place in the numbering, so "第 3 行" is the third line the user sees. With
    `skip_blank=False` (a template, where no line is left empty on purpose) a blank row
    is reported like any other incomplete row.
    """
    problems: list[TargetProblem] = []
    total = 0.0
    filled = 0
    points_ok = True
    for number, raw in enumerate(rows, start=1):
        row = normalise_row(raw)
        if skip_blank and is_blank(row):
            continue
        filled += 1
        found, points = _check_row(number, row)
        problems += found
        if points is None:
            points_ok = False
        else:
            total += points
    if filled == 0:
        problems.append(TargetProblem(None, None, NO_ROWS, "请至少填写一条个性目标"))
    elif filled > MAX_ROWS:
        problems.append(TargetProblem(None, None, TOO_MANY_ROWS, f"个性目标最多 {MAX_ROWS} 条，当前为 {filled} 条",
                                      filled))
    elif points_ok and budget is not None and not math.isclose(total, budget, abs_tol=1e-6):
        problems.append(TargetProblem(None, COL_POINTS, WRONG_TOTAL,
                                      f"个性目标分值合计应为 {budget} 分，当前为 {num(total)} 分", total))
    return problems


def _check_row(number: int, row: Mapping[str, Any]) -> tuple[list[TargetProblem], float | None]:
    """The row's problems, and its 分值 when that is a positive number."""
    problems: list[TargetProblem] = []
    for name in (*REQUIRED_TEXT, COL_NOTE):
        text = text_of(row.get(name))
        if not text and name != COL_NOTE:
            problems.append(TargetProblem(number, name, MISSING, f"第 {number} 行：请填写{name}"))
        elif len(text) > MAX_TEXT:
            problems.append(TargetProblem(number, name, TOO_LONG, f"第 {number} 行：{name}不能超过 {MAX_TEXT} 字",
                                          len(text)))
    value = row.get(COL_POINTS)
    points = parse_points(value)
    if points is None or points <= 0:
        blank = value is None or (isinstance(value, str) and not value.strip())
        kind = MISSING if blank else NOT_A_NUMBER if points is None else NOT_POSITIVE
        problems.append(TargetProblem(number, COL_POINTS, kind,
                                      f"第 {number} 行：分值应为大于 0 的数字，当前为{_show(value)}"))
        return problems, None
    return problems, points


def parse_target_rows(rows: Sequence[RowInput], budget: int | None, *,
                      skip_blank: bool = True) -> tuple[TargetLine, ...]:
    """The set as clean TargetLines (blank rows dropped); raises TargetRowsInvalid."""
    problems = validate_target_rows(rows, budget, skip_blank=skip_blank)
    if problems:
        raise TargetRowsInvalid(problems)
    lines = []
    for raw in rows:
        row = normalise_row(raw)
        if is_blank(row):
            continue
        points = parse_points(row.get(COL_POINTS))
        assert points is not None  # validated above
        lines.append(TargetLine(
            content=text_of(row.get(COL_CONTENT)), points=points,
            evidence=text_of(row.get(COL_EVIDENCE)), deadline=text_of(row.get(COL_DEADLINE)),
            note=text_of(row.get(COL_NOTE)),
        ))
    return tuple(lines)


def template_rows(role: Role) -> tuple[TargetLine, ...]:
    """A new set for a person starts from their role's template (roles.yml)."""
    return tuple(TargetLine(r.content, r.points, r.evidence, r.deadline) for r in role.targets)


def text_of(value: Any) -> str:
    """A cell of a row as text: numbers as `num` writes them; "" for a blank, a boolean or a list."""
    if value is None or isinstance(value, bool | dict | list):
        return ""
    if isinstance(value, int | float):
        return num(value) if math.isfinite(value) else str(value)
    return str(value).strip()


def _show(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return "空"
    text = str(value).strip()
    return f"“{text[:20]}…”" if len(text) > 20 else f"“{text}”"
