"""Reading filled forms back: round trips as a clerk would do them, and every refusal."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from sheets import edit, refused

from service.content.models import Content, TargetRow
from service.office import annex3, annex4, annex5
from service.office.annex3 import read_targets
from service.office.annex5 import read_completion
from service.office.identity import META_SHEET
from service.office.safe_reader import WorkbookRejected


def with_year(content: Content, year: int) -> Content:
    return Content(settings=replace(content.settings, year=year), departments=content.departments,
                   roles=content.roles, common_targets=content.common_targets, roster=content.roster)


# -- annex 5 ---------------------------------------------------------------------------


def given(read: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """The rows with a status (the others are None: blank)."""
    return [(staff_id, status) for staff_id, status in read if status]


def test_completion_round_trip(shipped_content: Content) -> None:
    members = shipped_content.members("jxx")
    data = annex5.completion_xlsx(shipped_content, "jxx")
    chosen = {0: "完成", 1: "产假", 5: "病假", 6: "长期事假", 41: "完成"}
    filled = edit(data, "附件5", {f"D{5 + i}": status for i, status in chosen.items()})
    assert read_completion(shipped_content, "jxx", filled).entries == [  # a blank status clears: None
        (m.staff_id, chosen.get(i)) for i, m in enumerate(members)]


def test_completion_round_trip_keeps_prefilled_statuses(shipped_content: Content) -> None:
    members = shipped_content.members("rsc")
    data = annex5.completion_xlsx(shipped_content, "rsc", {members[2].staff_id: "病假"})
    filled = edit(data, "附件5", {"D5": " 完成 "})
    assert given(read_completion(shipped_content, "rsc", filled).entries) == [
        (members[0].staff_id, "完成"), (members[2].staff_id, "病假")]


def test_untouched_form_gives_every_status_blank(shipped_content: Content) -> None:
    read = read_completion(shipped_content, "dzb", annex5.completion_xlsx(shipped_content, "dzb")).entries
    assert read == [(m.staff_id, None) for m in shipped_content.members("dzb")]


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice not installed")
def test_completion_survives_a_save_in_another_program(shipped_content: Content, tmp_path: Path) -> None:
    members = shipped_content.members("xsc")
    source = tmp_path / "in" / "附件5.xlsx"
    source.parent.mkdir()
    source.write_bytes(edit(annex5.completion_xlsx(shipped_content, "xsc"), "附件5", {"D6": "产假", "D7": "完成"}))
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to",
                    "xlsx:Calc MS Excel 2007 XML", "--outdir", str(tmp_path / "out"), str(source)],
                   check=True, capture_output=True, timeout=120)
    resaved = (tmp_path / "out" / "附件5.xlsx").read_bytes()
    assert given(read_completion(shipped_content, "xsc", resaved).entries) == [
        (members[1].staff_id, "产假"), (members[2].staff_id, "完成")]


def test_unknown_status_names_the_cell(shipped_content: Content) -> None:
    data = edit(annex5.completion_xlsx(shipped_content, "jxx"), "附件5", {"D7": "出差"})
    error = refused(read_completion, shipped_content, "jxx", data)
    assert error.code == "status_unknown"
    name = shipped_content.members("jxx")[2].name
    assert error.message == (f"工作表“附件5”第 7 行 D 列（完成情况）：{name}的完成情况“出差”无效，"
                             "应为完成、产假、病假、长期事假之一（或留空）。")
    assert (error.sheet, error.row, error.column) == ("附件5", 7, "D")


def test_all_problems_are_reported_at_once(shipped_content: Content) -> None:
    data = edit(annex5.completion_xlsx(shipped_content, "jxx"), "附件5", {"D7": "出差", "D9": "休假"})
    error = refused(read_completion, shipped_content, "jxx", data)
    assert [p.row for p in error.problems] == [7, 9]
    assert error.message.startswith("表格中有 2 处问题：")


def test_person_from_another_department(shipped_content: Content) -> None:
    stranger = shipped_content.members("dqx")[0]
    data = edit(annex5.completion_xlsx(shipped_content, "jxx"), "附件5", {"E8": stranger.staff_id, "D8": "完成"})
    error = refused(read_completion, shipped_content, "jxx", data)
    assert error.code == "person_foreign"
    assert error.message.startswith("工作表“附件5”第 8 行 E 列（工号）：工号 ")
    assert "不是机械工程系的教职工" in error.message


def test_row_without_staff_id(shipped_content: Content) -> None:
    data = edit(annex5.completion_xlsx(shipped_content, "jxx"), "附件5", {"E8": None, "D8": "完成"})
    assert refused(read_completion, shipped_content, "jxx", data).code == "person_unknown"


def test_duplicate_person(shipped_content: Content) -> None:
    members = shipped_content.members("jxx")
    data = edit(annex5.completion_xlsx(shipped_content, "jxx"), "附件5",
                {"B8": members[0].name, "E8": members[0].staff_id})  # a row copied over another
    error = refused(read_completion, shipped_content, "jxx", data)
    assert error.code == "person_duplicate"
    assert "与第 5 行重复" in error.message


def test_formula_in_the_status_column(shipped_content: Content) -> None:
    data = edit(annex5.completion_xlsx(shipped_content, "jxx"), "附件5", {"D6": '=IF(1,"完成","")'})
    error = refused(read_completion, shipped_content, "jxx", data)
    assert error.code == "xlsx_formula"
    assert error.message.startswith("工作表“附件5”第 6 行 D 列（完成情况）：")


def test_wrong_annex(shipped_content: Content) -> None:
    member = shipped_content.members("jxx")[0]
    error = refused(read_completion, shipped_content, "jxx", annex3.targets_xlsx(shipped_content, member))
    assert error.code == "form_wrong_annex"
    assert error.message == ("上传的是附件3（教职工个人岗位个性工作目标考核标准分解表），"
                             "这里需要附件5（教职工岗位工作目标责任状签订完成情况统计表）。")
    monthly = annex4.monthly_xlsx(shipped_content, "jxx", 2019, 4)
    assert refused(read_completion, shipped_content, "jxx", monthly).code == "form_wrong_annex"
    assert refused(read_targets, shipped_content, "jxx",
                   annex5.completion_xlsx(shipped_content, "jxx")).code == "form_wrong_annex"


def test_other_departments_form(shipped_content: Content) -> None:
    error = refused(read_completion, shipped_content, "jxx", annex5.completion_xlsx(shipped_content, "dqx"))
    assert error.code == "form_wrong_department"
    assert error.message == "这是电气工程系的表格，不能作为机械工程系的表格上传。"


def test_other_years_form(shipped_content: Content) -> None:
    old = annex5.completion_xlsx(with_year(shipped_content, 2018), "jxx")
    error = refused(read_completion, shipped_content, "jxx", old)
    assert error.code == "form_wrong_year"
    assert "2018 年度" in error.message and "2019 年度" in error.message


def test_outdated_form(shipped_content: Content, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(annex5, "VERSION", "0-00000000")
        old = annex5.completion_xlsx(shipped_content, "jxx")
    error = refused(read_completion, shipped_content, "jxx", old)
    assert error.code == "form_outdated"
    assert "0-00000000" in error.message and annex5.VERSION in error.message


def test_blank_form_cannot_be_matched(shipped_content: Content) -> None:
    data = edit(annex5.completion_xlsx(shipped_content), "附件5", {"B5": "某人", "D5": "完成"})
    assert refused(read_completion, shipped_content, "jxx", data).code == "form_blank"


def test_foreign_workbook(shipped_content: Content) -> None:
    book = openpyxl.Workbook()
    book.active.title = "附件5"
    out = io.BytesIO()
    book.save(out)
    error = refused(read_completion, shipped_content, "jxx", out.getvalue())
    assert error.code == "form_unknown"
    assert "附件5" in error.message


def test_identity_falls_back_to_the_custom_properties(shipped_content: Content) -> None:
    book = openpyxl.load_workbook(io.BytesIO(annex5.completion_xlsx(shipped_content, "jxx")))
    book.remove(book[META_SHEET])
    book["附件5"]["D5"] = "完成"
    out = io.BytesIO()
    book.save(out)
    first = shipped_content.members("jxx")[0]
    assert given(read_completion(shipped_content, "jxx", out.getvalue()).entries) == [(first.staff_id, "完成")]


def test_inserted_rows_are_noticed(shipped_content: Content) -> None:
    book = openpyxl.load_workbook(io.BytesIO(annex5.completion_xlsx(shipped_content, "jxx")))
    book["附件5"].insert_rows(10)
    out = io.BytesIO()
    book.save(out)
    error = refused(read_completion, shipped_content, "jxx", out.getvalue())
    assert error.code == "form_layout"
    assert error.message.startswith("工作表“附件5”第 48 行 A 列：")


def test_changed_header_is_noticed(shipped_content: Content) -> None:
    data = edit(annex5.completion_xlsx(shipped_content, "jxx"), "附件5", {"D4": "状态"})
    error = refused(read_completion, shipped_content, "jxx", data)
    assert error.code == "form_layout"
    assert "第 4 行 D 列" in error.message and "完成情况" in error.message


def test_hostile_packages_are_refused_before_identity(shipped_content: Content) -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024)
    assert refused(read_completion, shipped_content, "jxx", ole).code == "xlsx_ole"
    assert refused(read_completion, shipped_content, "jxx", b"").code == "xlsx_empty"


# -- annex 3 ---------------------------------------------------------------------------


def test_targets_round_trip_unchanged_template(shipped_content: Content) -> None:
    member = next(m for m in shipped_content.members("jxx") if m.role == "major-teacher")
    role = shipped_content.role(member.role)
    assert role is not None
    staff_id, rows = read_targets(shipped_content, "jxx", annex3.targets_xlsx(shipped_content, member))
    assert staff_id == member.staff_id
    assert rows == list(role.targets)


def test_targets_round_trip_with_edits(shipped_content: Content) -> None:
    member = next(m for m in shipped_content.members("jxx") if m.role == "major-teacher")
    data = annex3.targets_xlsx(shipped_content, member)
    filled = edit(data, "附件3", {
        "B5": "完成专业课教学任务", "C5": 7, "C6": "5",  # points typed as text are accepted
        "B11": "参加技能大赛裁判培训", "C11": 10, "D11": "培训证书（未参加扣10分）", "E11": "10月31日前",
        "F11": "新增",
    })
    role = shipped_content.role(member.role)
    assert role is not None
    staff_id, rows = read_targets(shipped_content, "jxx", filled)
    assert staff_id == member.staff_id
    expected = [replace(role.targets[0], content="完成专业课教学任务", points=7.0),
                replace(role.targets[1], points=5.0), *role.targets[2:],
                TargetRow("参加技能大赛裁判培训", 10.0, "培训证书（未参加扣10分）", "10月31日前")]
    assert rows == expected
    assert sum(r.points for r in rows) == 60


def test_targets_text_with_formula_prefix_round_trips(shipped_content: Content) -> None:
    member = shipped_content.members("dzb")[0]
    rows = [TargetRow("-全年无事故", 60, "+记录", "@年底")]
    staff_id, read = read_targets(shipped_content, "dzb", annex3.targets_xlsx(shipped_content, member, rows))
    assert (staff_id, read) == (member.staff_id, rows)


def test_targets_total_must_be_60(shipped_content: Content) -> None:
    member = next(m for m in shipped_content.members("jxx") if m.role == "major-teacher")
    data = edit(annex3.targets_xlsx(shipped_content, member), "附件3", {"C5": 2})
    error = refused(read_targets, shipped_content, "jxx", data)
    assert error.code == "targets_total"
    assert error.message == f"工作表“附件3”第 19 行 C 列（分值）：{member.name}的个性目标分值合计应为 60 分，实际为 50 分。"


def test_targets_bad_cells_name_row_and_column(shipped_content: Content) -> None:
    member = next(m for m in shipped_content.members("jxx") if m.role == "major-teacher")
    data = edit(annex3.targets_xlsx(shipped_content, member), "附件3",
                {"C6": "十分", "D7": None, "B12": "只写了内容"})
    error = refused(read_targets, shipped_content, "jxx", data)
    messages = [p.message for p in error.problems]
    assert messages[0] == (f"工作表“附件3”第 6 行 C 列（分值）：{member.name}的第 2 条目标：分值应为大于 0、不超过 60 的数字，"
                           "实际为“十分”。")
    assert messages[1] == f"工作表“附件3”第 7 行 D 列（佐证材料及分值）：{member.name}的第 3 条目标：佐证材料及分值不能为空。"
    assert {(p.row, p.column) for p in error.problems[2:]} == {(12, "C"), (12, "D"), (12, "E")}
    assert error.code == "value_invalid"


def test_targets_other_departments_person(shipped_content: Content) -> None:
    member = shipped_content.members("dqx")[0]
    error = refused(read_targets, shipped_content, "jxx", annex3.targets_xlsx(shipped_content, member))
    assert error.code == "form_wrong_department"


def test_targets_person_who_left_the_department(shipped_content: Content) -> None:
    member = shipped_content.members("jxx")[0]
    data = annex3.targets_xlsx(shipped_content, member)
    moved = Content(settings=shipped_content.settings, departments=shipped_content.departments,
                    roles=shipped_content.roles, common_targets=shipped_content.common_targets,
                    roster=tuple(replace(m, department="dqx") if m == member else m
                                 for m in shipped_content.roster))
    assert refused(read_targets, moved, "jxx", data).code == "person_foreign"


def test_targets_blank_form_and_empty_form(shipped_content: Content) -> None:
    assert refused(read_targets, shipped_content, "jxx", annex3.targets_xlsx(shipped_content)).code == "form_blank"
    member = shipped_content.members("jxx")[0]
    empty = annex3.targets_xlsx(shipped_content, member, [])
    assert refused(read_targets, shipped_content, "jxx", empty).code == "targets_empty"


def test_targets_outdated_and_other_year(shipped_content: Content, monkeypatch: pytest.MonkeyPatch) -> None:
    member = shipped_content.members("jxx")[0]
    with monkeypatch.context() as patch:
        patch.setattr(annex3, "VERSION", "0-00000000")
        old = annex3.targets_xlsx(shipped_content, member)
    assert refused(read_targets, shipped_content, "jxx", old).code == "form_outdated"
    other_year = annex3.targets_xlsx(with_year(shipped_content, 2020), member)
    assert refused(read_targets, shipped_content, "jxx", other_year).code == "form_wrong_year"


def test_targets_total_formula_is_not_read(shipped_content: Content) -> None:
    """The generator's own SUM and warning formulas sit below the data rows and are allowed."""
    member = shipped_content.members("jxx")[0]
    data = annex3.targets_xlsx(shipped_content, member)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert "SUM(C5:C18)" in str(book["附件3"]["C19"].value)
    read_targets(shipped_content, "jxx", data)


def test_intake_writes_nothing(shipped_content: Content, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = edit(annex5.completion_xlsx(shipped_content, "jxx"), "附件5", {"D5": "完成"})
    read_completion(shipped_content, "jxx", data)
    with pytest.raises(WorkbookRejected):
        read_completion(shipped_content, "jxx", edit(data, "附件5", {"D6": "出差"}))
    assert list(tmp_path.iterdir()) == []
