"""The mistakes a clerk makes in the office workbooks (annex 3, 4, 5), each refused with its exact
Chinese message naming the sheet, the Excel row, the column letter and the person — never
recorded against the wrong person — and the look-alikes that are no mistake read as meant."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from helpers import parse_html, running_service
from openpyxl.worksheet.worksheet import Worksheet
from sheets import edit, refused

from service.config import Settings
from service.content.models import Content, StaffMember
from service.office import annex3, annex4, annex5
from service.office.annex3 import read_targets
from service.office.annex4 import read_monthly
from service.office.annex5 import read_completion

DEPT = "jxx"  # 42 people: annex 5 rows 5–46, annex 4 rows 6–47
NOTE = "请不要改动姓名，也不要对行排序或移动；请重新下载表格填写。"
OUTSIDE = "：这一行不在系统生成的名册表格内，不会被记录，已拒收。请只在表格内填写；新增人员请联系人事处更新名册后重新下载表格。"


def member(content: Content, index: int) -> StaffMember:
    return content.members(DEPT)[index]


def annex4_all_filled(content: Content) -> Callable[[Worksheet], Any]:
    def fill(sheet: Worksheet) -> None:
        for row in range(6, 6 + len(content.members(DEPT))):
            sheet[f"C{row}"], sheet[f"K{row}"] = 22, 50
    return fill


def then(*changes: Callable[[Worksheet], Any] | dict[str, object]) -> Callable[[Worksheet], Any]:
    def apply(sheet: Worksheet) -> None:
        for change in changes:
            if callable(change):
                change(sheet)
            else:
                for ref, value in change.items():
                    sheet[ref] = value
    return apply


def swap_columns(left: str, right: str, rows: range) -> Callable[[Worksheet], Any]:
    def swap(sheet: Worksheet) -> None:
        for row in rows:
            sheet[f"{left}{row}"].value, sheet[f"{right}{row}"].value = (sheet[f"{right}{row}"].value,
                                                                        sheet[f"{left}{row}"].value)
    return swap


READERS = {"附件3": read_targets, "附件4": read_monthly, "附件5": read_completion}

# (what the clerk did, the sheet, the form, the edit, the reader's keyword arguments, the code, the message)
MISTAKES: list[tuple[str, str, Callable[[Content], bytes], Callable[[Content], Any], dict[str, Any], str,
                     Callable[[Content], str]]] = [
    ("annex 5: a name typed over another person's",
     "附件5", lambda c: annex5.completion_xlsx(c, DEPT), lambda c: {"B7": "王五", "D7": "产假"}, {}, "person_mismatch",
     lambda c: f"工作表“附件5”第 7 行 B 列（姓名）：姓名“王五”与本行隐藏的工号 {member(c, 2).staff_id}（{member(c, 2).name}）"
               f"不符，已拒收，以免记到别人名下。{NOTE}"),
    ("annex 4: a name typed over another person's",
     "附件4", lambda c: annex4.monthly_xlsx(c, DEPT, 2019, 3), lambda c: then(annex4_all_filled(c), {"B8": "王五"}), {},
     "person_mismatch",
     lambda c: f"工作表“附件4”第 8 行 B 列（姓名）：姓名“王五”与本行隐藏的工号 {member(c, 2).staff_id}（{member(c, 2).name}）"
               f"不符，已拒收，以免记到别人名下。{NOTE}"),
    ("annex 3: the person's name changed",
     "附件3", lambda c: annex3.targets_xlsx(c, member(c, 0)), lambda c: {"C3": "责任人：王五"}, {}, "person_mismatch",
     lambda c: f"工作表“附件3”第 3 行 C 列（责任人）：姓名“王五”与本行隐藏的工号 {member(c, 0).staff_id}（{member(c, 0).name}）"
               f"不符，已拒收，以免记到别人名下。{NOTE}"),
    ("annex 5: the visible columns 姓名 and 岗位 swapped",
     "附件5", lambda c: annex5.completion_xlsx(c, DEPT), lambda c: swap_columns("B", "C", range(4, 47)), {}, "form_layout",
     lambda c: "工作表“附件5”第 4 行 B 列：表头应为“姓名”，实际为“岗位、职务”。表格的行列被改动过，请重新下载表格填写，"
               "不要插入、删除或移动行列。"),
    ("annex 4: the visible columns 出勤 and 事假 swapped",
     "附件4", lambda c: annex4.monthly_xlsx(c, DEPT, 2019, 3),
     lambda c: then(annex4_all_filled(c), swap_columns("C", "D", range(5, 48))), {}, "form_layout",
     lambda c: "工作表“附件4”第 5 行 C 列：表头应为“出勤（天）”，实际为“事假（天）”。表格的行列被改动过，请重新下载表格填写，"
               "不要插入、删除或移动行列。"),
    ("annex 5: a person added in the line below the table",
     "附件5", lambda c: annex5.completion_xlsx(c, DEPT), lambda c: {"B47": "王五", "D47": "完成"}, {}, "row_outside_table",
     lambda c: f"工作表“附件5”第 47 行 B 列（姓名）：表格外填写了“王五”{OUTSIDE}"),
    ("annex 4: a person added below the signatures",
     "附件4", lambda c: annex4.monthly_xlsx(c, DEPT, 2019, 3), lambda c: then(annex4_all_filled(c), {"B53": "王五", "C53": 22}),
     {}, "row_outside_table", lambda c: f"工作表“附件4”第 53 行 B 列（姓名）：表格外填写了“王五”{OUTSIDE}"),
    ("annex 3: a target added under the total",
     "附件3", lambda c: annex3.targets_xlsx(c, member(c, 0)), lambda c: {"B21": "多写的一条目标"}, {}, "row_outside_table",
     lambda c: f"工作表“附件3”第 21 行 B 列（目标内容）：表格外填写了“多写的一条目标”{OUTSIDE}"),
    ("annex 4 returned untouched",
     "附件4", lambda c: annex4.monthly_xlsx(c, DEPT, 2019, 3), lambda c: {}, {}, "form_blank",
     lambda c: "工作表“附件4”：表格中没有填写任何人的数据（第 6–47 行全部为空），未报送。"),
    ("annex 4 with one person left empty, not sent as partial",
     "附件4", lambda c: annex4.monthly_xlsx(c, DEPT, 2019, 3),
     lambda c: then(annex4_all_filled(c), {"C9": None, "K9": None}), {}, "row_blank",
     lambda c: f"工作表“附件4”第 9 行 B 列（姓名）：{member(c, 3).name}这一行没有填写。如本月只报送部分人员，"
               "请勾选“部分报送”后重新上传。"),
    ("annex 4: words in a number cell",
     "附件4", lambda c: annex4.monthly_xlsx(c, DEPT, 2019, 3), lambda c: then(annex4_all_filled(c), {"C7": "二十二"}), {},
     "value_invalid",
     lambda c: f"工作表“附件4”第 7 行 C 列（出勤）：{member(c, 1).name}的出勤应为 0–31 之间的数字，当前为“二十二”。"),
    ("annex 4: business points over the 60",
     "附件4", lambda c: annex4.monthly_xlsx(c, DEPT, 2019, 3), lambda c: then(annex4_all_filled(c), {"K10": "６５"}), {},
     "value_invalid",
     lambda c: f"工作表“附件4”第 10 行 K 列（业务工作目标）：{member(c, 4).name}的业务工作目标应为 0–60 之间的数字，当前为“６５”。"),
    ("annex 3: words in the points cell",
     "附件3", lambda c: annex3.targets_xlsx(c, member(c, 0)), lambda c: {"C5": "十五分"}, {}, "value_invalid",
     lambda c: f"工作表“附件3”第 5 行 C 列（分值）：{member(c, 0).name}的第 1 条目标：分值应为大于 0、不超过 60 的数字，"
               "实际为“十五分”。"),
]


@pytest.mark.parametrize(("sheet", "form", "change", "options", "code", "message"),
                         [case[1:] for case in MISTAKES], ids=[case[0] for case in MISTAKES])
def test_a_workbook_mistake_is_refused_with_its_message(
        shipped_content: Content, sheet: str, form: Callable[[Content], bytes], change: Callable[[Content], Any],
        options: dict[str, Any], code: str, message: Callable[[Content], str]) -> None:
    data = edit(form(shipped_content), sheet, change(shipped_content))
    error = refused(READERS[sheet], shipped_content, DEPT, data, **options)
    assert (error.code, error.message) == (code, message(shipped_content))
    assert error.problems[0].sheet == sheet and error.problems[0].row and error.problems[0].column


# -- what is no mistake ----------------------------------------------------------------------------


def test_a_partial_annex_4_is_read_when_sent_as_partial(shipped_content: Content) -> None:
    data = edit(annex4.monthly_xlsx(shipped_content, DEPT, 2019, 3), "附件4",
                then(annex4_all_filled(shipped_content), {"C9": None, "K9": None}))
    month, rows = read_monthly(shipped_content, DEPT, data, partial=True)
    assert month == 3 and len(rows) == len(shipped_content.members(DEPT)) - 1
    assert member(shipped_content, 3).staff_id not in {r["工号"] for r in rows}


def test_full_width_digits_are_digits(shipped_content: Content) -> None:
    data = edit(annex4.monthly_xlsx(shipped_content, DEPT, 2019, 3), "附件4",
                then(annex4_all_filled(shipped_content), {"C6": "２１", "K6": "５５．５"}))
    _, rows = read_monthly(shipped_content, DEPT, data)
    assert (rows[0]["出勤"], rows[0]["业务工作目标"]) == ("２１", "５５．５")  # read as typed, judged as digits
    person = member(shipped_content, 0)
    role = shipped_content.role(person.role)
    assert role is not None
    typed = {f"C{5 + i}": f"{target.points:g}".translate(FULL_WIDTH) for i, target in enumerate(role.targets)}
    _, lines = read_targets(shipped_content, DEPT, edit(annex3.targets_xlsx(shipped_content, person), "附件3", typed))
    assert [line.points for line in lines] == [target.points for target in role.targets]


FULL_WIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")


def test_a_name_that_starts_with_an_equals_sign_is_text(shipped_content: Content) -> None:
    first = member(shipped_content, 0)
    odd = replace(first, name="=王五")
    roster = tuple(odd if m.staff_id == first.staff_id else m for m in shipped_content.roster)
    content = Content(settings=shipped_content.settings, departments=shipped_content.departments,
                      roles=shipped_content.roles, common_targets=shipped_content.common_targets, roster=roster)
    data = edit(annex5.completion_xlsx(content, DEPT), "附件5", {"D6": "产假"})
    read = dict(read_completion(content, DEPT, data).entries)
    assert read[first.staff_id] is None and read[member(content, 1).staff_id] == "产假"
    formula = edit(annex5.completion_xlsx(content, DEPT), "附件5", {"B5": '=CONCAT("王","五")'})
    assert refused(read_completion, content, DEPT, formula).code == "xlsx_formula"  # a real formula is still refused


def test_a_partial_annex_4_through_http_only_when_sent_as_partial(settings: Settings) -> None:
    with running_service(settings, now=dt.datetime(2019, 4, 3, 9, 0)) as service:
        content = service.context.content
        data = edit(annex4.monthly_xlsx(content, DEPT, 2019, 3), "附件4",
                    then(annex4_all_filled(content), {"C9": None, "K9": None}))

        def send(**fields: str) -> Any:
            return service.client.post(f"/api/monthly/{DEPT}/xlsx", headers=service.bearer("clerk"), data=fields,
                                       files={"file": ("附件4.xlsx", data, "application/octet-stream")})

        refused_whole = send()
        assert refused_whole.status_code == 422 and refused_whole.json()["code"] == "row_blank"
        assert refused_whole.json()["problems"][0]["row"] == 9
        accepted = send(partial="1")
        assert accepted.status_code == 200 and accepted.json()["state"] == "partial"
        assert accepted.json()["missing"] == [member(content, 3).staff_id]
        progress = service.client.get("/api/progress", headers=service.bearer("hr")).json()
        row = next(d for d in progress["departments"] if d["id"] == DEPT)
        assert row["monthly"]["3"]["state"] == "partial"
        page = parse_html(service.hr_session().get("/board/progress").text)
        table = page.find("table", data_progress_monthly=True)
        cell = table.find("tr", data_department=DEPT).find("td", data_month="3")  # type: ignore[union-attr]
        assert cell is not None and cell.text == "部分报送"
