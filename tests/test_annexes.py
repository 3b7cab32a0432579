"""The annex generators: every field, column and pre-filled value against content and roster,
fonts, A4 print setup, print titles, protection, drop-downs, identity; and LibreOffice prints."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from io import BytesIO
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from service.content import forms_text
from service.content.codes import COMPLETION_STATUSES
from service.content.formats import num
from service.content.forms_text import ANNEX_TITLES, MONTHLY_COLUMNS
from service.content.loader import load_content
from service.content.models import Content, StaffMember, TargetRow
from service.office import annex1, annex2, annex3, annex4, annex5, catalog, styles
from service.office.identity import META_SHEET, FormIdentity, UnknownDepartment

A4 = 9  # openpyxl's PAPERSIZE_A4


def book_of(data: bytes) -> Workbook:
    return openpyxl.load_workbook(BytesIO(data))


def identity_of(book: Workbook) -> FormIdentity:
    meta = book[META_SHEET]
    pairs = {meta.cell(row=r, column=1).value: meta.cell(row=r, column=2).value for r in range(1, 20)}
    found = FormIdentity.from_pairs(pairs)
    assert found is not None
    return found


def squash(text: object) -> str:
    return "".join(str(text or "").split())


def assert_print_setup(sheet: Worksheet, *, landscape: bool, title_rows: str) -> None:
    assert sheet.page_setup.paperSize == A4
    assert sheet.page_setup.orientation == ("landscape" if landscape else "portrait")
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows == title_rows


def assert_identity_sheet(book: Workbook, **expected: object) -> FormIdentity:
    meta = book[META_SHEET]
    assert meta.sheet_state == "veryHidden"
    assert meta.protection.sheet is True
    assert book.security is not None and book.security.lockStructure
    identity = identity_of(book)
    for key, value in expected.items():
        assert getattr(identity, key) == value, key
    props = {p.name: p.value for p in book.custom_doc_props}
    assert props["portal.annex"] == str(identity.annex)
    assert props["portal.department"] in (identity.department, None)
    return identity


def assert_fonts(sheet: Worksheet, title_ref: str = "A2") -> None:
    assert sheet[title_ref].font.name == styles.TITLE_FONT
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str | int | float) and cell.coordinate != title_ref \
                    and cell.coordinate != "A1":
                assert cell.font.name == styles.BODY_FONT, cell.coordinate


# -- annex 5 ---------------------------------------------------------------------------


def test_completion_blank_form(shipped_content: Content) -> None:
    book = book_of(annex5.completion_xlsx(shipped_content))
    assert book.sheetnames == ["附件5", META_SHEET]
    sheet = book["附件5"]
    assert sheet["A1"].value == "附件5："
    assert sheet["A2"].value == ANNEX_TITLES[5]
    assert sheet["A3"].value == "部门、系："
    assert sheet["C3"].value == "　　年　　月　　日"
    assert [sheet.cell(row=4, column=c).value for c in range(1, 6)] == ["序号", "姓名", "岗位、职务", "完成情况", "工号"]
    for offset in range(18):
        row = 5 + offset
        assert sheet[f"A{row}"].value == offset + 1
        assert all(sheet[f"{c}{row}"].value is None for c in "BCDE")
        assert all(sheet[f"{c}{row}"].protection.locked is False for c in "BCD")
        assert sheet[f"A{row}"].protection.locked is True
        assert sheet[f"D{row}"].border.left.style == "thin"
    assert sheet["A24"].value == "注：完成情况需填写完成、产假、病假、长期事假。"
    assert sheet["A25"].value == "部门负责人签字："
    assert sheet["C25"].value == "填表人签字："
    assert sheet["C26"].value == "联系方式："
    assert_print_setup(sheet, landscape=False, title_rows="$4:$4")
    assert sheet.protection.sheet is True
    assert sheet.column_dimensions["E"].hidden is True
    assert_fonts(sheet)
    assert_identity_sheet(book, annex=5, department="", year=2019, version=annex5.VERSION,
                          first_row=5, last_row=22)


@pytest.mark.parametrize("department_id", ["jxx", "rsc", "xljy"])
def test_completion_prefilled_with_the_roster(shipped_content: Content, department_id: str) -> None:
    members = shipped_content.members(department_id)
    chosen = {members[0].staff_id: "产假", members[-1].staff_id: "完成"}
    book = book_of(annex5.completion_xlsx(shipped_content, department_id, chosen))
    sheet = book["附件5"]
    department = shipped_content.department(department_id)
    assert department is not None
    assert sheet["A3"].value == f"部门、系：{department.name}"
    assert sheet["C3"].value == "2019年　　月　　日"
    assert sheet["A3"].protection.locked is True
    last = 4 + len(members)
    for offset, member in enumerate(members):
        row = 5 + offset
        assert sheet[f"A{row}"].value == offset + 1
        assert sheet[f"B{row}"].value == member.name
        assert sheet[f"C{row}"].value == member.post
        assert sheet[f"E{row}"].value == member.staff_id
        assert sheet[f"E{row}"].data_type == "s"
        assert sheet[f"D{row}"].value == chosen.get(member.staff_id)
        assert sheet[f"D{row}"].protection.locked is False
        assert all(sheet[f"{c}{row}"].protection.locked is True for c in "ABCE")
    assert sheet[f"A{last + 1}"].value is None
    assert sheet[f"A{last + 2}"].value == forms_text.completion_note()
    [validation] = sheet.data_validations.dataValidation
    assert validation.type == "list"
    assert validation.formula1 == '"' + ",".join(COMPLETION_STATUSES) + '"'
    assert validation.formula1 == '"完成,产假,病假,长期事假"'
    assert str(validation.sqref) == f"D5:D{last}"
    assert validation.showErrorMessage is True
    assert sheet.print_area == f"'附件5'!$A$1:$D${last + 4}"
    assert_identity_sheet(book, annex=5, department=department_id, year=2019, first_row=5, last_row=last)


def test_completion_rejects_an_unknown_department(shipped_content: Content) -> None:
    with pytest.raises(UnknownDepartment):
        annex5.completion_xlsx(shipped_content, "nope")


def test_text_that_looks_like_a_formula_stays_text(shipped_content: Content) -> None:
    first = shipped_content.members("rsc")[0]
    roster = tuple(replace(m, name="=HYPERLINK(\"http://x\")", post="+1\x07") if m == first else m
                   for m in shipped_content.roster)
    content = Content(settings=shipped_content.settings, departments=shipped_content.departments,
                      roles=shipped_content.roles, common_targets=shipped_content.common_targets,
                      roster=roster)
    sheet = book_of(annex5.completion_xlsx(content, "rsc"))["附件5"]
    hostile = sheet["B5"]
    assert hostile.value == "=HYPERLINK(\"http://x\")"
    assert hostile.data_type == "s"  # a shared string, not a formula
    assert hostile.quotePrefix is True  # and Excel keeps it text when the cell is edited
    assert sheet["C5"].value == "+1"  # the control character is dropped
    assert sheet["C5"].quotePrefix is True
    assert sheet["B6"].quotePrefix is False


# -- annex 3 ---------------------------------------------------------------------------


def test_targets_blank_form(shipped_content: Content) -> None:
    book = book_of(annex3.targets_xlsx(shipped_content))
    sheet = book["附件3"]
    assert sheet["A1"].value == "附件3："
    assert sheet["A2"].value == "2019年教职工个人岗位个性工作目标\n考核标准分解表"
    assert (sheet["A3"].value, sheet["C3"].value, sheet["E3"].value) == ("部门：", "责任人：", "岗位及职务：")
    assert [sheet.cell(row=4, column=c).value for c in range(1, 7)] == [
        "序号", "目标内容", "分值\n60分", "佐证材料及分值", "完成时限", "备注"]
    assert [sheet[f"A{r}"].value for r in range(5, 19)] == list(range(1, 15))
    assert sheet["A19"].value == "合计"
    assert sheet["C19"].value == '=IF(COUNT(C5:C18)=0,"",SUM(C5:C18))'  # blank on a blank form
    assert_print_setup(sheet, landscape=True, title_rows="$4:$4")
    assert_identity_sheet(book, annex=3, department="", staff_id="", first_row=5, last_row=18)


def one_member_per_role(content: Content) -> list[StaffMember]:
    found: dict[str, StaffMember] = {}
    for member in content.roster:
        found.setdefault(member.role, member)
    return list(found.values())


def test_targets_prefilled_from_each_role_template(shipped_content: Content) -> None:
    members = one_member_per_role(shipped_content)
    assert {m.role for m in members} == {r.id for r in shipped_content.roles}
    for member in members:
        role = shipped_content.role(member.role)
        department = shipped_content.department(member.department)
        assert role is not None and department is not None
        book = book_of(annex3.targets_xlsx(shipped_content, member))
        sheet = book["附件3"]
        assert sheet["A3"].value == f"部门：{department.name}"
        assert sheet["C3"].value == f"责任人：{member.name}"
        assert sheet["E3"].value == f"岗位及职务：{member.post}"
        for offset, target in enumerate(role.targets):
            row = 5 + offset
            assert [sheet[f"{c}{row}"].value for c in "ABCDEF"] == [
                offset + 1, target.content, target.points, target.evidence, target.deadline, None]
            assert all(sheet[f"{c}{row}"].protection.locked is False for c in "BCDEF")
            assert sheet[f"A{row}"].protection.locked is True
        assert sheet[f"B{5 + len(role.targets)}"].value is None
        assert_identity_sheet(book, annex=3, department=member.department, staff_id=member.staff_id,
                              version=annex3.VERSION)


def test_targets_total_formula_and_warning(shipped_content: Content) -> None:
    member = shipped_content.roster[0]
    rows = [TargetRow(f"目标{i}", 3.0, "材料", "年底") for i in range(20)]
    sheet = book_of(annex3.targets_xlsx(shipped_content, member, rows))["附件3"]
    last = 5 + 22 - 1  # 20 rows plus two spare ones
    assert sheet[f"A{last}"].value == 22
    assert sheet[f"B{last - 2}"].value == "目标19"
    total = last + 1
    assert sheet[f"C{total}"].value == f'=IF(COUNT(C5:C{last})=0,"",SUM(C5:C{last}))'
    warning = sheet[f"D{total}"].value
    assert warning.startswith("=IF(AND(COUNT(") and "<>60" in warning and "分值合计应为60分" in warning
    [rule_range] = list(sheet.conditional_formatting)
    assert str(rule_range.sqref) == f"C{total}"
    assert f"$C${total}<>60" in rule_range.rules[0].formula[0]
    validation = sheet.data_validations.dataValidation[0]
    assert (validation.type, validation.formula1, validation.formula2) == ("decimal", "0", "60")
    assert str(validation.sqref) == f"C5:C{last}"


# -- annex 4 ---------------------------------------------------------------------------


def test_monthly_blank_form(shipped_content: Content) -> None:
    book = book_of(annex4.monthly_xlsx(shipped_content))
    sheet = book["附件4"]
    assert sheet["A2"].value == ANNEX_TITLES[4]
    assert sheet["A3"].value == "部　门："
    assert sheet["G3"].value == "　　年　　月　　日"
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A4:A5", "B4:B5", "C4:J4", "K4:K5"} <= merged
    assert (sheet["A4"].value, sheet["B4"].value, sheet["C4"].value, sheet["K4"].value) == (
        "序号", "姓　名", "共性目标", "业务工作目标\n（得分）")
    assert tuple(sheet.cell(row=5, column=c).value for c in range(3, 11)) == (
        "出勤\n（天）", "事假\n（天）", "病假\n（天）", "迟到\n（次）", "早退\n（次）", "旷工\n（天）", "离岗\n（次）",
        "其他项目\n（扣分）")
    assert "只作记录，不直接计分" in forms_text.monthly_note(shipped_content)
    assert [sheet[f"A{r}"].value for r in range(6, 17)] == list(range(1, 12))
    assert sheet["A18"].value == forms_text.monthly_note(shipped_content)
    assert "每月5日前" in sheet["A18"].value and "其他项目" in sheet["A18"].value
    assert (sheet["A19"].value, sheet["G19"].value, sheet["G20"].value) == ("部门负责人：", "填表人：", "联系电话：")
    assert_print_setup(sheet, landscape=True, title_rows="$4:$5")
    assert sheet.print_area == "'附件4'!$A$1:$K$20"
    assert_fonts(sheet)
    assert_identity_sheet(book, annex=4, department="", month=0)


def test_monthly_prefilled_with_the_roster(shipped_content: Content) -> None:
    members = shipped_content.members("xsc")
    book = book_of(annex4.monthly_xlsx(shipped_content, "xsc", 2019, 4))
    sheet = book["附件4"]
    assert sheet["A2"].value == f"{ANNEX_TITLES[4]}（2019年4月）"
    assert sheet["A3"].value == "部　门：学生处"
    for offset, member in enumerate(members):
        row = 6 + offset
        assert (sheet[f"A{row}"].value, sheet[f"B{row}"].value, sheet[f"L{row}"].value) == (
            offset + 1, member.name, member.staff_id)
        assert all(sheet.cell(row=row, column=c).protection.locked is False for c in range(3, 12))
        assert sheet[f"B{row}"].protection.locked is True
    assert sheet.column_dimensions["L"].hidden is True
    assert_identity_sheet(book, annex=4, department="xsc", year=2019, month=4, first_row=6,
                          last_row=5 + len(members), version=annex4.VERSION)
    with pytest.raises(ValueError):
        annex4.monthly_xlsx(shipped_content, "xsc", 2019, 13)


def test_the_signature_and_contact_cells_open_for_typing_and_the_date_carries_the_year(
        shipped_content: Content) -> None:
    count = len(shipped_content.members("jxx"))
    monthly = book_of(annex4.monthly_xlsx(shipped_content, "jxx", 2019, 4))["附件4"]
    completion = book_of(annex5.completion_xlsx(shipped_content, "jxx"))["附件5"]
    for sheet, first_row, columns, labels in ((monthly, 6, ("A", "G", "G"), forms_text.MONTHLY_SIGNATURES),
                                              (completion, 5, ("A", "C", "C"), forms_text.COMPLETION_SIGNATURES)):
        sign = first_row + count + 2  # after the people, a blank row and the note
        cells = [f"{columns[0]}{sign}", f"{columns[1]}{sign}", f"{columns[2]}{sign + 1}"]
        assert tuple(sheet[c].value for c in cells) == labels
        assert all(sheet[c].protection.locked is False for c in cells)
        assert sheet[f"A{sign - 1}"].protection.locked is True  # the note stays protected
        assert sheet["A2"].protection.locked is True and sheet.protection.sheet is True
    assert monthly["G3"].value == "2019年　　月　　日"
    assert completion["C3"].value == f"{shipped_content.settings.year}年　　月　　日"
    assert book_of(annex4.monthly_xlsx(shipped_content))["附件4"]["G3"].value == "　　年　　月　　日"  # blank form


def test_a_typed_signature_does_not_stop_a_form_being_read(shipped_content: Content) -> None:
    members = shipped_content.members("jxx")
    book = book_of(annex4.monthly_xlsx(shipped_content, "jxx", 2019, 4))
    sheet = book["附件4"]
    for row in range(6, 6 + len(members)):
        for col in range(3, 12):
            sheet.cell(row, col, 22 if col == 3 else 0)
    sign = 6 + len(members) + 2
    sheet[f"A{sign}"] = "部门负责人：张三"
    sheet[f"G{sign}"] = "填表人：李四"
    sheet[f"G{sign + 1}"] = "联系电话：0451-12345678"
    out = BytesIO()
    book.save(out)
    month, rows = annex4.read_monthly(shipped_content, "jxx", out.getvalue())
    assert month == 4 and len(rows) == len(members)


# -- annex 2 ---------------------------------------------------------------------------


def test_common_targets_workbook(shipped_content: Content) -> None:
    book = book_of(annex2.common_xlsx(shipped_content))
    sheet = book["附件2"]
    assert sheet["A2"].value == "2019年教职工个人岗位共性工作目标\n考核标准分解表"
    assert [sheet.cell(row=4, column=c).value for c in (1, 2, 3)] == ["目标内容", "分值\n40分", "评分标准"]
    commons = shipped_content.common_targets
    assert len(commons) == 7
    for offset, target in enumerate(commons):
        row = 5 + offset
        assert sheet[f"A{row}"].value == target.content
        assert sheet[f"B{row}"].value == target.points
        assert sheet[f"C{row}"].value == forms_text.rules_text(tuple(r.text for r in target.rules))
    assert sheet["C5"].value == ("1、有法轮功、黑恶势力等现象，扣2分；\n"
                                 "2、发生重大安全责任事故，给学院造成恶劣影响，扣3分。")
    assert sheet["C7"].value == "因工作不力，严重影响职业训练院试点建设工作的，扣8分。"
    assert (sheet["A12"].value, sheet["B12"].value) == ("合计", 40)
    assert sheet.protection.sheet is True
    assert_print_setup(sheet, landscape=False, title_rows="$4:$4")
    assert_fonts(sheet)


# -- Word files ------------------------------------------------------------------------


def run_fonts_ok(document: docx.document.Document) -> None:
    normal = document.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "宋体"
    runs = document.element.body.iter(qn("w:r"))
    count = 0
    for run in runs:
        if run.find(qn("w:t")) is None:
            continue
        fonts = run.find(qn("w:rPr")).find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) in ("宋体", "黑体")
        assert fonts.get(qn("w:ascii")) == fonts.get(qn("w:eastAsia"))
        count += 1
    assert count > 10


def page_is_a4(document: docx.document.Document) -> None:
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0
    assert round(section.page_height.cm, 1) == 29.7


def cell_texts(table: docx.table.Table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_contract_blank(shipped_content: Content) -> None:
    document = docx.Document(BytesIO(annex1.contract_docx(shipped_content)))
    page_is_a4(document)
    run_fonts_ok(document)
    paragraphs = [p.text for p in document.paragraphs]
    assert "哈尔滨技师学院（哈尔滨劳动技师学院）\n2019年教职工岗位工作目标责任状" in paragraphs
    title = next(p for p in document.paragraphs if "责任状" in p.text and "学院" in p.text)
    assert title.runs[0].element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    [table] = document.tables
    rows = cell_texts(table)
    assert rows[0] == ["岗位工作任务及目标", "岗位工作任务及目标", "目标分值", "目标要求（完成数据、标准、时限等）"]
    assert [r[0] for r in rows[1:7]] == ["个性工作目标\n（60分）"] * 6
    assert [r[0] for r in rows[7:14]] == ["共性目标\n（40分）"] * 7
    assert all(r[1:] == ["", "", ""] for r in rows[1:7])
    commons = shipped_content.common_targets  # the same for everyone: printed on the blank form too
    assert [(r[1], r[2]) for r in rows[7:14]] == [(t.content, num(t.points)) for t in commons]
    assert rows[14] == ["目标责任人", "目标责任人", "部门、系负责人", "部门、系负责人"]
    assert rows[15][0] == rows[15][2] == "签名：\n\n年　　月　　日"
    assert not any(p.paragraph_format.page_break_before for p in document.paragraphs)
    identity = dict(pair.split("=", 1) for pair in document.core_properties.identifier.split(";"))
    assert identity["annex"] == "1" and identity["department"] == ""


def test_contract_for_a_person_in_three_copies(shipped_content: Content) -> None:
    member = next(m for m in shipped_content.roster if m.role == "major-teacher")
    role = shipped_content.role(member.role)
    assert role is not None
    document = docx.Document(BytesIO(annex1.contract_docx(shipped_content, member)))
    run_fonts_ok(document)
    labels = [p.text for p in document.paragraphs if p.text.startswith("（") and p.text.endswith("）")]
    assert labels == ["（部门存档）", "（人事处存档）", "（职工本人存留）"]
    breaks = [p.text for p in document.paragraphs if p.paragraph_format.page_break_before]
    assert breaks == ["（人事处存档）", "（职工本人存留）"]
    info = [p.text for p in document.paragraphs if p.text.startswith("部门、系：")]
    assert info == [f"部门、系：机械工程系　　目标责任人：{member.name}　　岗位及职务：{member.post}"] * 3
    assert len(document.tables) == 3
    for table in document.tables:
        rows = cell_texts(table)
        individual = rows[1:1 + len(role.targets)]
        for row, target in zip(individual, role.targets, strict=True):
            assert row == ["个性工作目标\n（60分）", target.content, num(target.points),
                           f"{target.evidence}\n完成时限：{target.deadline}"]
        commons = rows[1 + len(role.targets):1 + len(role.targets) + 7]
        for row, target in zip(commons, shipped_content.common_targets, strict=True):
            assert row[0] == "共性目标\n（40分）"
            assert row[1:] == [target.content, num(target.points),
                               forms_text.rules_text(tuple(r.text for r in target.rules))]
        assert sum(float(r[2]) for r in individual) == 60
        assert sum(float(r[2]) for r in commons) == 40
        assert rows[-2][0] == "目标责任人" and rows[-2][2] == "部门、系负责人"
    identity = dict(pair.split("=", 1) for pair in document.core_properties.identifier.split(";"))
    assert identity["staff_id"] == member.staff_id and identity["department"] == "jxx"


def test_contract_with_given_rows(shipped_content: Content) -> None:
    member = shipped_content.roster[0]
    rows = [TargetRow("甲", 30, "甲材料", "6月"), TargetRow("乙", 30, "乙材料", "12月")]
    document = docx.Document(BytesIO(annex1.contract_docx(shipped_content, member, rows)))
    table = cell_texts(document.tables[0])
    assert table[1][1:] == ["甲", "30", "甲材料\n完成时限：6月"]
    assert table[2][1:] == ["乙", "30", "乙材料\n完成时限：12月"]
    assert table[3][0] == "共性目标\n（40分）"


def test_common_targets_word(shipped_content: Content) -> None:
    document = docx.Document(BytesIO(annex2.common_docx(shipped_content)))
    page_is_a4(document)
    run_fonts_ok(document)
    assert document.paragraphs[0].text == "附件2："
    assert document.paragraphs[1].text == "2019年教职工个人岗位共性工作目标\n考核标准分解表"
    rows = cell_texts(document.tables[0])
    assert rows[0] == ["目标内容", "分值\n40分", "评分标准"]
    for row, target in zip(rows[1:8], shipped_content.common_targets, strict=True):
        assert row == [target.content, num(target.points), forms_text.rules_text(tuple(r.text for r in target.rules))]
    assert rows[8] == ["合计", "40", ""]


# -- the site files --------------------------------------------------------------------


def test_site_files_are_every_blank_form(shipped_content: Content) -> None:
    files = catalog.site_files(shipped_content)
    assert sorted(files) == sorted([
        "annexes/files/附件1-教职工岗位工作目标责任状.docx",
        "annexes/files/附件2-教职工个人岗位共性工作目标考核标准分解表.xlsx",
        "annexes/files/附件2-教职工个人岗位共性工作目标考核标准分解表.docx",
        "annexes/files/附件3-教职工个人岗位个性工作目标考核标准分解表.xlsx",
        "annexes/files/附件4-教职工岗位工作目标考核月汇总表.xlsx",
        "annexes/files/附件5-教职工岗位工作目标责任状签订完成情况统计表.xlsx",
    ])
    for path, data in files.items():
        if path.endswith(".xlsx"):
            book = book_of(data)
            assert identity_of(book).department == ""
        else:
            docx.Document(BytesIO(data))
    links = catalog.downloads()
    assert [label for label, _ in links[2]] == ["Excel", "Word"]
    assert all(f"annexes/{path}" in files for items in links.values() for _, path in items)
    assert catalog.department_file_name(shipped_content, 4, "xlsx", "jxx", 4) == \
        "附件4-教职工岗位工作目标考核月汇总表-机械工程系-2019年4月.xlsx"


def test_built_site_links_the_forms(tmp_path: Path) -> None:
    from service.config import from_env
    from service.sitegen.build import build_site

    shipped = from_env()
    settings = shipped.with_(content_dir=shipped.sample_dir, site_dir=tmp_path / "site")
    build_site(settings)
    files = sorted(p.name for p in (tmp_path / "site" / "annexes" / "files").iterdir())
    content = load_content(settings.content_dir)
    assert len(files) == 6 + len(content.roles)  # the blank forms and each role's annex 3
    page = (tmp_path / "site" / "annexes" / "index.html").read_text(encoding="utf-8")
    assert page.count('href="files/') == 6
    assert page.count("查看并打印") == 5


# -- printed through LibreOffice -------------------------------------------------------

needs_office = pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")
                                       and shutil.which("pdfinfo")),
                                  reason="LibreOffice / poppler-utils not installed")


def to_pdf(paths: list[Path], out: Path, profile: Path) -> None:
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(out), *map(str, paths)],
        check=True, capture_output=True, timeout=120,
    )


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def pdf_text(path: Path) -> str:
    """The text in reading order and in layout order (a wrapped cell or a spaced label can
    only be found in one of them), without whitespace."""
    return "\n".join(
        squash(subprocess.run(["pdftotext", *mode, str(path), "-"], check=True, capture_output=True,
                              text=True).stdout)
        for mode in ([], ["-layout"])
    )


@needs_office
def test_blank_forms_print_on_a4(shipped_content: Content, tmp_path: Path) -> None:
    expected = {  # annex, pages, words that must be printed
        "附件1-教职工岗位工作目标责任状.docx": (1, [
            "哈尔滨技师学院（哈尔滨劳动技师学院）", "2019年教职工岗位工作目标责任状", "岗位工作任务及目标",
            "目标分值", "目标要求（完成数据、标准、时限等）", "个性工作目标", "（60分）", "共性目标",
            "（40分）", "目标责任人", "部门、系负责人", "签名："]),
        "附件2-教职工个人岗位共性工作目标考核标准分解表.xlsx": (1, [
            "附件2：", "2019年教职工个人岗位共性工作目标", "考核标准分解表", "目标内容", "评分标准",
            "40分", "完成招生任务。", "合计"]),
        "附件2-教职工个人岗位共性工作目标考核标准分解表.docx": (1, [
            "附件2：", "2019年教职工个人岗位共性工作目标", "目标内容", "评分标准", "未完成招生指标，扣4分。"]),
        "附件3-教职工个人岗位个性工作目标考核标准分解表.xlsx": (1, [
            "附件3：", "考核标准分解表", "部门：", "责任人：", "岗位及职务：", "序号", "目标内容", "60分",
            "佐证材料及分值", "完成时限", "备注", "合计"]),
        "附件4-教职工岗位工作目标考核月汇总表.xlsx": (1, [
            "附件4：", ANNEX_TITLES[4], "部门：", "序号", "姓名", "共性目标", *MONTHLY_COLUMNS, "业务工作目标",
            "填表说明：", "部门负责人：", "填表人：", "联系电话："]),
        "附件5-教职工岗位工作目标责任状签订完成情况统计表.xlsx": (1, [
            "附件5：", ANNEX_TITLES[5], "部门、系：", "序号", "姓名", "岗位、职务", "完成情况",
            "注：完成情况需填写完成、产假、病假、长期事假。", "部门负责人签字：", "填表人签字：", "联系方式："]),
    }
    sources = []
    for path, data in catalog.site_files(shipped_content).items():
        target = tmp_path / Path(path).name
        target.write_bytes(data)
        sources.append(target)
    member = next(m for m in shipped_content.roster if m.role == "theory-teacher")
    person = tmp_path / "contract-person.docx"
    person.write_bytes(annex1.contract_docx(shipped_content, member))
    sources.append(person)
    out = tmp_path / "pdf"
    to_pdf(sources, out, tmp_path / "lo-profile")
    for name, (pages, words) in expected.items():
        pdf = out / (Path(name).stem + ".pdf")
        assert pdf_pages(pdf) == pages, name
        text = pdf_text(pdf)
        for word in words:
            assert squash(word) in text, (name, word)
        assert "工号" not in text or name.startswith("附件1"), name  # the hidden column does not print
    assert pdf_pages(out / "contract-person.pdf") == 3
    text = pdf_text(out / "contract-person.pdf")
    for label in forms_text.COPY_LABELS:
        assert f"（{label}）" in text
    assert text.count(squash(member.name)) >= 2 * 3


@needs_office
def test_prefilled_forms_print(shipped_content: Content, tmp_path: Path) -> None:
    members = shipped_content.members("jxx")
    sources = {
        "completion.xlsx": annex5.completion_xlsx(shipped_content, "jxx"),
        "monthly.xlsx": annex4.monthly_xlsx(shipped_content, "jxx", 2019, 4),
        "targets.xlsx": annex3.targets_xlsx(shipped_content, members[20]),
        "short.xlsx": annex3.targets_xlsx(shipped_content, members[20], [
            TargetRow("甲", 30, "材料", "6月"), TargetRow("乙", 20, "材料", "6月")]),
    }
    for name, data in sources.items():
        (tmp_path / name).write_bytes(data)
    out = tmp_path / "pdf"
    to_pdf([tmp_path / n for n in sources], out, tmp_path / "lo-profile")
    completion = pdf_text(out / "completion.pdf")
    assert pdf_pages(out / "completion.pdf") == 2  # 42 people; the header row repeats
    assert completion.count("岗位、职务") == 2 * 2  # each page, in both text orders
    for member in members:
        assert squash(member.name) in completion
    assert members[0].staff_id not in completion
    monthly = pdf_text(out / "monthly.pdf")
    assert "（2019年4月）" in monthly
    # the header on each page and the note once, in both text orders
    assert monthly.count("业务工作目标") == 2 * pdf_pages(out / "monthly.pdf") + 2
    targets = pdf_text(out / "targets.pdf")
    role = shipped_content.role(members[20].role)
    assert role is not None
    assert squash(role.targets[0].content) in targets
    assert "合计60" in targets  # LibreOffice computes the SUM formula
    assert "分值合计应为" not in targets
    short = pdf_text(out / "short.pdf")
    assert "合计50" in short and "分值合计应为60分，当前为50分" in short
