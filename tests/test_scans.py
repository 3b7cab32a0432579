"""Contract marks: the tag of a set of target rows, the QR payload and the printed label."""

from __future__ import annotations

import pytest

from service.content.target_rows import TargetLine
from service.rules import contract_mark
from service.rules.contract_mark import ContractMark

SECRET = b"data-dir-secret"
ROWS = [
    {"目标内容": "完成本部门年度工作计划", "分值": 30, "佐证材料及分值": "工作计划文本", "完成时限": "3月31日", "备注": ""},
    {"目标内容": "组织教职工培训两次", "分值": "30", "佐证材料及分值": "培训记录", "完成时限": "12月31日"},
]


# -- the mark ------------------------------------------------------------------------------


def test_the_same_content_gives_the_same_tag() -> None:
    tag = contract_mark.tag_for(SECRET, ROWS)
    assert len(tag) == contract_mark.TAG_LENGTH and tag.isalnum() and tag.isupper()
    same = [
        [{**ROWS[0], "分值": 30.0}, {**ROWS[1], "备注": None}],  # points as a float, an empty note
        [{"content": " 完成本部门年度工作计划 ", "points": "３０", "evidence": "工作计划文本", "deadline": "3月31日"},
         ROWS[1]],  # English keys, padding, full-width digits
        [TargetLine("完成本部门年度工作计划", 30, "工作计划文本", "3月31日"), *ROWS[1:], {"目标内容": ""}],
    ]
    assert [contract_mark.tag_for(SECRET, rows) for rows in same] == [tag] * len(same)


@pytest.mark.parametrize("column, value", [("目标内容", "完成本部门年度工作计划。"), ("分值", 29),
                                           ("佐证材料及分值", "计划"), ("完成时限", "4月1日"), ("备注", "新增")])
def test_any_change_to_a_row_changes_the_tag(column: str, value: object) -> None:
    changed = [{**ROWS[0], column: value}, ROWS[1]]
    assert contract_mark.tag_for(SECRET, changed) != contract_mark.tag_for(SECRET, ROWS)


def test_the_tag_depends_on_the_secret_and_the_row_order() -> None:
    tag = contract_mark.tag_for(SECRET, ROWS)
    assert contract_mark.tag_for(b"another secret", ROWS) != tag
    assert contract_mark.tag_for(SECRET, ROWS[::-1]) != tag


@pytest.mark.parametrize("staff_id", ["100264", "T-07", "a:b", "工号12"])
def test_a_mark_reads_back_from_its_payload(staff_id: str) -> None:
    mark = ContractMark(2019, staff_id, 3, contract_mark.tag_for(SECRET, ROWS))
    payload = contract_mark.encode(mark)
    assert payload.startswith("MBZ1:2019:")
    assert contract_mark.decode(payload) == mark


def test_the_payload_and_label() -> None:
    mark = ContractMark(2019, "100264", 3, "ABCDEF2345")
    assert contract_mark.encode(mark) == "MBZ1:2019:100264:3:ABCDEF2345"
    assert contract_mark.label(mark) == "2019 · 100264 · 第3版 · ABCDEF2345"


@pytest.mark.parametrize("text", [
    "", "https://example.org/MBZ1:2019:100264:3:ABCDEF2345", "MBZ2:2019:100264:3:ABCDEF2345",
    "MBZ1:2019:100264:3", "MBZ1:19:100264:3:ABCDEF2345", "MBZ1:2019::3:ABCDEF2345",
    "MBZ1:2019:100264:0:ABCDEF2345", "MBZ1:2019:100264:3:abcdef2345", "MBZ1:2019:100264:3:ABCDEF234",
    "MBZ1:2019:100264:3:ABCDEF2341", "MBZ1:2019:10 0264:3:ABCDEF2345",
])
def test_anything_else_is_not_a_mark(text: str) -> None:
    assert contract_mark.decode(text) is None


def test_encode_refuses_what_decode_would_not_read() -> None:
    for mark in (ContractMark(2019, "", 1, "ABCDEF2345"), ContractMark(2019, "1 2", 1, "ABCDEF2345"),
                 ContractMark(2019, "1", 0, "ABCDEF2345"), ContractMark(2019, "1", 1, "short")):
        with pytest.raises(ValueError):
            contract_mark.encode(mark)
