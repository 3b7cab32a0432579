"""Individual target sets (附件3): row parsing, the 60-point check and the approval workflow."""

from __future__ import annotations

from typing import Any

import pytest

from service.content.codes import TARGET_APPROVED, TARGET_DRAFT, TARGET_RETURNED, TARGET_SUBMITTED
from service.content.formats import num
from service.content.models import Content, TargetRow
from service.content.target_rows import (
    TargetLine,
    TargetRowsInvalid,
    normalise_row,
    parse_points,
    parse_target_rows,
    rows_from_form,
    template_rows,
    validate_target_rows,
)
from service.rules.access import User
from service.rules.approval import (
    APPROVE,
    RETURN,
    SAVE,
    SUBMIT,
    WITHDRAW,
    TransitionRefused,
    allowed_actions,
    transition,
)

BUDGET = 60


def row(points: Any, content: str = "完成教学任务", evidence: str = "教学日志（缺一项扣2分）",
        deadline: str = "每学期末", note: str = "") -> dict[str, Any]:
    return {"目标内容": content, "分值": points, "佐证材料及分值": evidence, "完成时限": deadline, "备注": note}


def messages(rows: list[Any]) -> list[str]:
    return [p.message for p in validate_target_rows(rows, BUDGET)]


# -- templates ------------------------------------------------------------------------------


def test_every_shipped_template_is_a_valid_set(shipped_content: Content) -> None:
    for role in shipped_content.roles:
        rows = template_rows(role)
        assert validate_target_rows(rows, BUDGET) == [], role.name
        assert parse_target_rows(rows, BUDGET) == rows
        assert all(line.note == "" for line in rows)


def test_a_template_summing_to_59_is_refused_naming_the_total(shipped_content: Content) -> None:
    role = shipped_content.roles[0]
    rows = [line.as_dict() for line in template_rows(role)]
    rows[0]["分值"] -= 1
    problems = validate_target_rows(rows, BUDGET)
    assert [p.message for p in problems] == ["个性目标分值合计应为 60 分，当前为 59 分"]
    assert problems[0].row is None and problems[0].field == "分值"
    with pytest.raises(TargetRowsInvalid) as refused:
        parse_target_rows(rows, BUDGET)
    assert "当前为 59 分" in str(refused.value)
    assert refused.value.problems == problems


def test_over_budget_and_fractional_totals_are_named() -> None:
    assert messages([row(30), row(31)]) == ["个性目标分值合计应为 60 分，当前为 61 分"]
    assert messages([row(30), row(29.5)]) == ["个性目标分值合计应为 60 分，当前为 59.5 分"]


def test_float_noise_does_not_break_an_exact_total() -> None:
    rows = [row(0.1), row(0.2), row(59.7)]
    assert validate_target_rows(rows, BUDGET) == []


# -- rows -----------------------------------------------------------------------------------


def test_every_row_needs_content_evidence_and_deadline_with_row_numbers() -> None:
    rows = [row(20), row(20, content=" "), row(20, evidence="", deadline="")]
    assert messages(rows) == [
        "第 2 行：请填写目标内容",
        "第 3 行：请填写佐证材料及分值",
        "第 3 行：请填写完成时限",
    ]


@pytest.mark.parametrize("bad", [0, -5, "abc", None, "", True, float("nan"), float("inf"), "nan", "-inf"])
def test_points_must_be_a_positive_finite_number(bad: Any) -> None:
    found = messages([row(30), row(bad), row(30)])
    assert len(found) == 1  # no misleading total while a 分值 is unreadable
    assert found[0].startswith("第 2 行：分值应为大于 0 的数字，当前为")


def test_points_as_text_are_accepted() -> None:
    assert parse_points("15") == 15.0
    assert parse_points(" 7.5 ") == 7.5
    assert parse_points("１５") == 15.0  # full-width digits from a Chinese IME
    assert parse_points("15分") == 15.0
    assert parse_points(False) is None
    assert parse_points([15]) is None
    lines = parse_target_rows([row("40"), row("２０分")], BUDGET)
    assert [line.points for line in lines] == [40.0, 20.0]


def test_english_aliases_and_stripping() -> None:
    raw = [
        {"content": " 完成教学任务 ", "points": 60, "evidence": "教案", "deadline": "12月31日前",
         "note": "无", "extra": "ignored"},
    ]
    (line,) = parse_target_rows(raw, BUDGET)
    assert line == TargetLine("完成教学任务", 60.0, "教案", "12月31日前", "无")
    assert normalise_row({"Points": 3, "目标内容": "x"}) == {"分值": 3, "目标内容": "x"}


def test_blank_rows_are_skipped_but_keep_their_numbers() -> None:
    rows = [row(30), {"目标内容": "", "分值": "", "佐证材料及分值": "", "完成时限": ""}, row(30, content="")]
    assert messages(rows) == ["第 3 行：请填写目标内容"]
    ok = [row(30), {}, row(30)]
    assert len(parse_target_rows(ok, BUDGET)) == 2
    # a row holding only an unreadable 分值 is not blank: it is reported, not skipped
    assert "第 2 行：分值应为大于 0 的数字，当前为“nan”" in messages([row(60), {"分值": float("nan")}])


def test_an_empty_set_is_refused() -> None:
    assert messages([]) == ["请至少填写一条个性目标"]
    assert messages([{}, {"备注": " "}]) == ["请至少填写一条个性目标"]


def test_too_many_rows_and_too_long_text_are_refused() -> None:
    assert messages([row(1)] * 60) == ["个性目标最多 50 条，当前为 60 条"]
    assert messages([row(60, content="很" * 1001)]) == ["第 1 行：目标内容不能超过 1000 字"]
    assert messages([row(60, note="注" * 1001)]) == ["第 1 行：备注不能超过 1000 字"]


def test_target_rows_from_the_content_model_are_accepted() -> None:
    rows = [TargetRow("甲", 40, "乙", "丙"), TargetRow("丁", 20, "戊", "己")]
    assert validate_target_rows(rows, BUDGET) == []
    assert parse_target_rows(rows, BUDGET)[1] == TargetLine("丁", 20, "戊", "己")


def test_rows_from_a_form_with_repeated_names() -> None:
    items = [
        ("csrf", "t"),
        ("目标内容", "甲"), ("分值", "40"), ("佐证材料及分值", "乙"), ("完成时限", "丙"), ("备注", ""),
        ("目标内容", "丁"), ("分值", "20"), ("佐证材料及分值", "戊"), ("完成时限", "己"), ("备注", "注"),
        ("目标内容", ""), ("分值", ""), ("佐证材料及分值", ""), ("完成时限", ""), ("备注", ""),
    ]
    rows = rows_from_form(items)
    assert len(rows) == 3
    lines = parse_target_rows(rows, BUDGET)
    assert lines == (TargetLine("甲", 40, "乙", "丙"), TargetLine("丁", 20, "戊", "己", "注"))
    assert rows_from_form([("points", "60"), ("content", "x")]) == [{"分值": "60", "目标内容": "x"}]
    assert rows_from_form([]) == []


def test_format_points() -> None:
    assert num(59.0) == "59"
    assert num(59.999999999) == "60"
    assert num(7.25) == "7.25"


# -- approval workflow ----------------------------------------------------------------------


def actor(role: str, department: str | None) -> User:
    """An account of `role`; a leader oversees jwc."""
    return User(role, role, department, oversees=frozenset({"jwc"}) if role == "leader" else frozenset())


def refused(state: str | None, action: str, role: str, department: str | None,
            owner: str = "jwc", comment: str | None = None) -> str:
    with pytest.raises(TransitionRefused) as caught:
        transition(state, action, actor(role, department), owner, comment=comment)
    assert caught.value.message  # always a Chinese message for the user
    return caught.value.code


def test_the_happy_path_draft_submit_approve() -> None:
    state = transition(None, SAVE, actor("department", "jwc"), "jwc")
    assert state == TARGET_DRAFT
    state = transition(state, SAVE, actor("department", "jwc"), "jwc")
    assert state == TARGET_DRAFT
    state = transition(state, SUBMIT, actor("department", "jwc"), "jwc")
    assert state == TARGET_SUBMITTED
    assert transition(state, APPROVE, actor("leader", None), "jwc") == TARGET_APPROVED


def test_a_leader_returns_with_a_comment_and_the_set_is_edited_and_resubmitted() -> None:
    state = transition(TARGET_SUBMITTED, RETURN, actor("leader", None), "jwc", comment="第2条分值偏高，请调整")
    assert state == TARGET_RETURNED
    assert transition(state, SAVE, actor("department", "jwc"), "jwc") == TARGET_DRAFT
    assert transition(state, SUBMIT, actor("department", "jwc"), "jwc") == TARGET_SUBMITTED


def test_returning_needs_a_comment() -> None:
    assert refused(TARGET_SUBMITTED, RETURN, "leader", None) == "comment_required"
    assert refused(TARGET_SUBMITTED, RETURN, "leader", None, comment="  ") == "comment_required"


def test_a_leader_decides_only_for_the_departments_they_oversee() -> None:
    assert refused(TARGET_SUBMITTED, APPROVE, "leader", None, owner="cwc") == "not_overseen"
    assert refused(TARGET_SUBMITTED, RETURN, "leader", None, owner="cwc", comment="x") == "not_overseen"
    assert allowed_actions(TARGET_SUBMITTED, actor("leader", None), "cwc") == ()
    nobody = User("new", "leader")  # no departments assigned yet: decides nothing
    with pytest.raises(TransitionRefused):
        transition(TARGET_SUBMITTED, APPROVE, nobody, "jwc")


def test_a_department_cannot_approve_its_own() -> None:
    assert refused(TARGET_SUBMITTED, APPROVE, "department", "jwc") == "not_leader"
    assert refused(TARGET_SUBMITTED, RETURN, "department", "jwc", comment="x") == "not_leader"


def test_hr_drafts_for_any_department_but_never_approves() -> None:
    assert transition(None, SAVE, actor("hr", None), "cwc") == TARGET_DRAFT
    assert transition(TARGET_DRAFT, SUBMIT, actor("hr", "rsc"), "cwc") == TARGET_SUBMITTED
    assert refused(TARGET_SUBMITTED, APPROVE, "hr", "rsc") == "not_leader"


def test_a_department_cannot_touch_another_departments_people() -> None:
    assert refused(TARGET_DRAFT, SAVE, "department", "cwc") == "not_own_department"
    assert refused(TARGET_DRAFT, SUBMIT, "department", None) == "not_own_department"


def test_a_leader_does_not_edit_submit_or_withdraw() -> None:
    assert refused(TARGET_DRAFT, SAVE, "leader", None) == "leader_cannot_edit"
    assert refused(TARGET_RETURNED, SUBMIT, "leader", None) == "leader_cannot_edit"
    assert refused(TARGET_SUBMITTED, WITHDRAW, "leader", None) == "leader_cannot_edit"


def test_unknown_roles_actions_and_states() -> None:
    assert refused(TARGET_DRAFT, SAVE, "staff", "jwc") == "forbidden_role"
    assert refused(TARGET_DRAFT, "delete", "hr", None) == "unknown_action"
    assert refused("作废", SAVE, "hr", None) == "unknown_state"


@pytest.mark.parametrize(("state", "action", "role"), [
    (TARGET_DRAFT, APPROVE, "leader"),  # approving a draft
    (None, APPROVE, "leader"),
    (TARGET_RETURNED, APPROVE, "leader"),
    (TARGET_APPROVED, APPROVE, "leader"),
    (TARGET_APPROVED, RETURN, "leader"),
    (TARGET_APPROVED, SAVE, "department"),  # an approved set is final
    (TARGET_APPROVED, SAVE, "hr"),
    (TARGET_SUBMITTED, SAVE, "department"),  # withdraw first
    (TARGET_SUBMITTED, SUBMIT, "department"),
    (None, SUBMIT, "department"),
    (TARGET_DRAFT, WITHDRAW, "department"),
])
def test_illegal_moves_are_refused_as_bad_state(state: str | None, action: str, role: str) -> None:
    department = None if role == "leader" else "jwc"
    assert refused(state, action, role, department, comment="意见") == "bad_state"


def test_bad_state_messages_explain() -> None:
    with pytest.raises(TransitionRefused, match="已审定"):
        transition(TARGET_APPROVED, SAVE, actor("department", "jwc"), "jwc")
    with pytest.raises(TransitionRefused, match="撤回"):
        transition(TARGET_SUBMITTED, SAVE, actor("department", "jwc"), "jwc")
    with pytest.raises(TransitionRefused, match="草稿"):
        transition(TARGET_DRAFT, APPROVE, actor("leader", None), "jwc")


def test_withdraw_takes_a_submitted_set_back_to_draft() -> None:
    assert transition(TARGET_SUBMITTED, WITHDRAW, actor("department", "jwc"), "jwc") == TARGET_DRAFT


def test_allowed_actions_per_actor() -> None:
    assert allowed_actions(None, actor("department", "jwc"), "jwc") == (SAVE,)
    assert allowed_actions(TARGET_DRAFT, actor("department", "jwc"), "jwc") == (SAVE, SUBMIT)
    assert allowed_actions(TARGET_RETURNED, actor("hr", None), "jwc") == (SAVE, SUBMIT)
    assert allowed_actions(TARGET_SUBMITTED, actor("department", "jwc"), "jwc") == (WITHDRAW,)
    assert allowed_actions(TARGET_SUBMITTED, actor("leader", None), "jwc") == (APPROVE, RETURN)
    assert allowed_actions(TARGET_SUBMITTED, actor("department", "cwc"), "jwc") == ()
    assert allowed_actions(TARGET_APPROVED, actor("leader", None), "jwc") == ()
