"""The words of the notice's five forms, shared by their web pages (`sitegen.pages`) and
their Word and Excel files (`office.annex1` … `office.annex5`): titles, column names, labels
and notes.

Target column names live in `content.models` with the content they name. Texts here are
plain, with "\n" for a line break; each output turns that into its own (a `<br>`, a new line
in a cell).
"""

from __future__ import annotations

from service.content.codes import COMPLETION_STATUSES
from service.content.models import COL_CONTENT, COL_DEADLINE, COL_EVIDENCE, COL_POINTS, Content

ANNEX_TITLES = {
    1: "教职工岗位工作目标责任状",
    2: "教职工个人岗位共性工作目标考核标准分解表",
    3: "教职工个人岗位个性工作目标考核标准分解表",
    4: "教职工岗位工作目标考核月汇总表",
    5: "教职工岗位工作目标责任状签订完成情况统计表",
}
TABLE_SPLIT = "考核标准分解表"  # the notice breaks annex 2 and 3 titles before this

# Shared by several forms.
SERIAL = "序号"
TOTAL = "合计"
DATE_BLANK = "年　　月　　日"
INDIVIDUAL_GROUP = "个性工作目标"
COMMON_GROUP = "共性目标"

# Annex 1 (the contract).
CONTRACT_TASK = "岗位工作任务及目标"
CONTRACT_POINTS = "目标分值"
CONTRACT_REQUIREMENT = "目标要求（完成数据、标准、时限等）"
CONTRACT_PERSON = "目标责任人"
CONTRACT_HEAD = "部门、系负责人"
SIGNATURE = "签名："
COPY_LABELS = ("部门存档", "人事处存档", "职工本人存留")
CONTRACT_NOTE = "本责任状一式三份，部门、人事处、职工本人各一份。"
DRAFT_MARK = "草稿，未经审定"  # on every page of a contract or target sheet whose set is not approved

# Annex 2.
RULES_HEADER = "评分标准"

# Annex 3.
REMARK = "备注"
TARGET_COLUMNS = (SERIAL, COL_CONTENT, COL_POINTS, COL_EVIDENCE, COL_DEADLINE, REMARK)
FIELD_DEPARTMENT = "部门："
FIELD_PERSON = "责任人："
FIELD_POST = "岗位及职务："

# Annex 4.
NAME = "姓　名"
MONTHLY_COLUMNS = ("出勤", "事假", "病假", "迟到", "早退", "旷工", "离岗", "其他项目")
BUSINESS = "业务工作目标"
MONTHLY_UNITS = {"出勤": "天", "事假": "天", "病假": "天", "迟到": "次", "早退": "次", "旷工": "天", "离岗": "次",
                 "其他项目": "扣分", BUSINESS: "得分"}
MONTHLY_DEPARTMENT = "部　门："
MONTHLY_SIGNATURES = ("部门负责人：", "填表人：", "联系电话：")

# Annex 5.
STATUS_HEADER = "完成情况"
COMPLETION_COLUMNS = (SERIAL, "姓名", "岗位、职务", STATUS_HEADER)
COMPLETION_DEPARTMENT = "部门、系："
COMPLETION_SIGNATURES = ("部门负责人签字：", "填表人签字：", "联系方式：")
STAFF_ID = "工号"


def annex_label(number: int) -> str:
    return f"附件{number}："


def annex_heading(number: int) -> str:
    """"附件5 教职工岗位工作目标责任状签订完成情况统计表"."""
    return f"附件{number} {ANNEX_TITLES[number]}"


def title_lines(content: Content, number: int) -> list[str]:
    """The form title as the notice prints it, one string per line."""
    s = content.settings
    title = ANNEX_TITLES[number]
    if number == 1:
        return [s.college, f"{s.year}年{title}"]
    if number in (2, 3) and TABLE_SPLIT in title:
        head = title[: title.index(TABLE_SPLIT)]
        return [f"{s.year}年{head}", TABLE_SPLIT]
    return [title]


def points_header(points: int) -> str:
    return f"{COL_POINTS}\n{points}分"


def section_label(group: str, points: int) -> str:
    """A block of the contract: "个性工作目标\n（60分）"."""
    return f"{group}\n（{points}分）"


def monthly_header(column: str, sep: str = "") -> str:
    """An annex-4 column with its unit: 出勤（天）, 迟到（次）, 其他项目（扣分）; `sep` goes between."""
    unit = MONTHLY_UNITS.get(column)
    return f"{column}{sep}（{unit}）" if unit else column


ATTENDANCE_NOTE = "出勤、事假、病假、旷工填天数，迟到、早退、离岗填次数，只作记录，不直接计分"


def monthly_note(content: Content) -> str:
    day = content.settings.monthly_due_day
    return (
        f"填表说明：1、此表为部门的月报表，各部门、系在每月{day}日前将上月考核情况填入该表，送人事教育处。"
        "2、表中共性目标中“其他项目”是指教职工共性目标中除考勤以外的所有项目，填扣分；业务工作目标填本月得分。"
        f"3、{ATTENDANCE_NOTE}。"
    )


def completion_note() -> str:
    return f"注：完成情况需填写{'、'.join(COMPLETION_STATUSES)}。"


def date_line(year: int | None = None, month: int | None = None) -> str:
    """"　　年　　月　　日" with what is known filled in."""
    y = f"{year}" if year else "　　"
    m = f"{month}" if month else "　　"
    return f"{y}年{m}月　　日"


def rules_text(rules: tuple[str, ...]) -> str:
    """Deduction rules numbered as in the notice: "1、…；\n2、…。" (a single rule unnumbered)."""
    if len(rules) == 1:
        return f"{rules[0]}。"
    return "\n".join(f"{i}、{text}{'。' if i == len(rules) else '；'}" for i, text in enumerate(rules, 1))


def requirement_text(evidence: str, deadline: str) -> str:
    """An individual target's 目标要求 on the contract: its evidence and its deadline."""
    return f"{evidence}\n{COL_DEADLINE}：{deadline}"
