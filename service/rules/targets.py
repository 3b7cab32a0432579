"""Individual target sets (附件3): parsing, the 60-point check and the approval workflow.

A department drafts each person's set from the role's template; the set must total exactly
the individual budget (60) and every row needs 目标内容, a positive 分值, 佐证材料及分值 and
完成时限. The responsible college leader approves (已审定) or returns it (退回, with a
comment); a returned set is edited and submitted again.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from service.content.models import COL_CONTENT, COL_DEADLINE, COL_EVIDENCE, COL_POINTS, Role, TargetRow

COL_NOTE = "备注"
COLUMNS = (COL_CONTENT, COL_POINTS, COL_EVIDENCE, COL_DEADLINE, COL_NOTE)
ALIASES = {"content": COL_CONTENT, "points": COL_POINTS, "evidence": COL_EVIDENCE,
           "deadline": COL_DEADLINE, "note": COL_NOTE}
REQUIRED_TEXT = (COL_CONTENT, COL_EVIDENCE, COL_DEADLINE)
MAX_ROWS = 50
MAX_TEXT = 1000


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


@dataclass(frozen=True)
class TargetProblem:
    row: int | None  # 1-based row number as the user entered it; None for the whole set
    field: str | None  # the Chinese column name, when one field is at fault
    message: str

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
    return all(_text(row.get(name)) == "" for name in COLUMNS)


def parse_points(value: Any) -> float | None:
    """A finite number from a number or text ("15", "7.5", "１５", "15分"); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().removesuffix("分").strip()
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def validate_target_rows(rows: Sequence[RowInput], budget: int) -> list[TargetProblem]:
    """Every problem in a set, row by row, then the total; empty when the set is acceptable.

    The total is checked once every 分值 is a valid number, and the message names it
    ("个性目标分值合计应为 60 分，当前为 59 分").

    Rows that are entirely blank (the annex's empty lines) are skipped but keep their
    place in the numbering, so "第 3 行" is the third line the user sees.
    """
    problems: list[TargetProblem] = []
    total = 0.0
    filled = 0
    points_ok = True
    for number, raw in enumerate(rows, start=1):
        row = normalise_row(raw)
        if is_blank(row):
            continue
        filled += 1
        for name in REQUIRED_TEXT:
            text = _text(row.get(name))
            if not text:
                problems.append(TargetProblem(number, name, f"第 {number} 行：请填写{name}"))
            elif len(text) > MAX_TEXT:
                problems.append(TargetProblem(number, name, f"第 {number} 行：{name}不能超过 {MAX_TEXT} 字"))
        if len(_text(row.get(COL_NOTE))) > MAX_TEXT:
            problems.append(TargetProblem(number, COL_NOTE, f"第 {number} 行：备注不能超过 {MAX_TEXT} 字"))
        points = parse_points(row.get(COL_POINTS))
        if points is None or points <= 0:
            points_ok = False
            shown = _show(row.get(COL_POINTS))
            problems.append(TargetProblem(number, COL_POINTS,
                                          f"第 {number} 行：分值应为大于 0 的数字，当前为{shown}"))
        else:
            total += points
    if filled == 0:
        problems.append(TargetProblem(None, None, "请至少填写一条个性目标"))
    elif filled > MAX_ROWS:
        problems.append(TargetProblem(None, None, f"个性目标最多 {MAX_ROWS} 条，当前为 {filled} 条"))
    elif points_ok and not math.isclose(total, budget, abs_tol=1e-6):
        problems.append(TargetProblem(None, COL_POINTS,
                                      f"个性目标分值合计应为 {budget} 分，当前为 {format_points(total)} 分"))
    return problems


def parse_target_rows(rows: Sequence[RowInput], budget: int) -> tuple[TargetLine, ...]:
    """The set as clean TargetLines (blank rows dropped); raises TargetRowsInvalid."""
    problems = validate_target_rows(rows, budget)
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
            content=_text(row.get(COL_CONTENT)), points=points,
            evidence=_text(row.get(COL_EVIDENCE)), deadline=_text(row.get(COL_DEADLINE)),
            note=_text(row.get(COL_NOTE)),
        ))
    return tuple(lines)


def template_rows(role: Role) -> tuple[TargetLine, ...]:
    """A new set for a person starts from their role's template (roles.yml)."""
    return tuple(TargetLine(r.content, r.points, r.evidence, r.deadline) for r in role.targets)


def format_points(value: float) -> str:
    """59 → "59", 59.5 → "59.5" (no float noise such as 59.99999999)."""
    rounded = round(float(value), 2)
    return str(int(rounded)) if rounded.is_integer() else f"{rounded:g}"


def _text(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, int | float):
        return format_points(value) if math.isfinite(value) else str(value)
    return str(value).strip()


def _show(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return "空"
    text = str(value).strip()
    return f"“{text[:20]}…”" if len(text) > 20 else f"“{text}”"


# -- approval workflow --------------------------------------------------------------------

DRAFT = "草稿"
SUBMITTED = "已提交"
APPROVED = "已审定"
RETURNED = "退回"
STATES = (DRAFT, SUBMITTED, APPROVED, RETURNED)

SAVE = "save"  # create or edit the rows
SUBMIT = "submit"  # send to the leader
WITHDRAW = "withdraw"  # take a submitted set back to edit it
APPROVE = "approve"
RETURN = "return"  # back to the department, with the leader's comment
ACTIONS = (SAVE, SUBMIT, WITHDRAW, APPROVE, RETURN)
ACTION_LABELS = {SAVE: "保存", SUBMIT: "提交审定", WITHDRAW: "撤回", APPROVE: "审定通过", RETURN: "退回修改"}

# action -> (states it may start from, state it leads to); None = no set exists yet
_MOVES: dict[str, tuple[tuple[str | None, ...], str]] = {
    SAVE: ((None, DRAFT, RETURNED), DRAFT),
    SUBMIT: ((DRAFT, RETURNED), SUBMITTED),
    WITHDRAW: ((SUBMITTED,), DRAFT),
    APPROVE: ((SUBMITTED,), APPROVED),
    RETURN: ((SUBMITTED,), RETURNED),
}
_LEADER_ACTIONS = (APPROVE, RETURN)
_DRAFTING_ACTIONS = (SAVE, SUBMIT, WITHDRAW)


class TransitionRefused(Exception):
    """An illegal move. Codes: unknown_state, unknown_action, not_leader, leader_cannot_edit,
    not_own_department, forbidden_role (→ HTTP 403 for the role/department ones),
    bad_state (→ 409), comment_required (→ 400)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def transition(state: str | None, action: str, actor_role: str, actor_department: str | None,
               owner_department: str, *, comment: str | None = None) -> str:
    """The state after `action`, or TransitionRefused.

    Who may do what: `department` drafts, submits and withdraws its own people's sets;
    `hr` may do the same for any department but never approves; only `leader` approves or
    returns, and a leader never edits. Returning needs a non-empty `comment`.
    `state` is None when the person has no set yet.
    """
    if state is not None and state not in STATES:
        raise TransitionRefused("unknown_state", f"未知的状态“{state}”")
    if action not in _MOVES:
        raise TransitionRefused("unknown_action", f"未知的操作“{action}”")
    _check_actor(action, actor_role, actor_department, owner_department)
    sources, target = _MOVES[action]
    if state not in sources:
        raise TransitionRefused("bad_state", _bad_state_message(state, action))
    if action == RETURN and not (comment or "").strip():
        raise TransitionRefused("comment_required", "退回时请填写审定意见")
    return target


def allowed_actions(state: str | None, actor_role: str, actor_department: str | None,
                    owner_department: str) -> tuple[str, ...]:
    """The actions this actor may take now (for the buttons a page shows)."""
    result = []
    for action in ACTIONS:
        try:
            transition(state, action, actor_role, actor_department, owner_department, comment="-")
        except TransitionRefused:
            continue
        result.append(action)
    return tuple(result)


def _check_actor(action: str, role: str, department: str | None, owner: str) -> None:
    if action in _LEADER_ACTIONS:
        if role != "leader":
            verb = "审定" if action == APPROVE else "退回"
            raise TransitionRefused("not_leader", f"只有主管院领导可以{verb}个性目标")
        return
    if role == "leader":
        raise TransitionRefused("leader_cannot_edit", "院领导只能审定或退回，不能修改、提交或撤回个性目标")
    if role == "hr":
        return
    if role != "department":
        raise TransitionRefused("forbidden_role", "您的账号无权操作个性目标")
    if department != owner:
        raise TransitionRefused("not_own_department", "只能操作本部门教职工的个性目标")


def _bad_state_message(state: str | None, action: str) -> str:
    label = ACTION_LABELS[action]
    if state is None:
        return f"尚未建立个性目标，不能{label}"
    if state == APPROVED:
        return "个性目标已审定，不能再修改或重复审定"
    if state == SUBMITTED and action == SAVE:
        return "个性目标已提交待审定，如需修改请先撤回"
    return f"当前状态为“{state}”，不能{label}"
