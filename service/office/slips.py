"""One-time password slips (Word, A4): one slip per person of a department, five to a page,
with dashed cut lines between them, each with the name, 工号, the password and how to sign in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from docx.enum.table import WD_ROW_HEIGHT_RULE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table, _Cell

from service.office import docx_base as w
from service.office.styles import AUTHOR, TITLE_FONT

TITLE = "登录密码条"
SLIP_CM = 5.0  # five slips and the heading fill an A4 page inside the margins
WIDTH_CM = 17.0
PASSWORD_FONT = "Courier New"  # letters and digits people can tell apart
PASSWORD_PT = 16.0


@dataclass(frozen=True)
class SlipText:
    """What every slip of one printing says besides the person."""

    college: str
    year: int
    department: str
    login_url: str
    printed: str  # when, as people read it
    directory: bool  # the campus directory's password works too


@dataclass(frozen=True)
class Person:
    staff_id: str
    name: str
    post: str
    password: str


def slips_docx(text: SlipText, people: Sequence[Person]) -> bytes:
    """Every person's slip, in the order given."""
    doc = w.new_document()
    w.add_paragraph(doc, f"{text.college} {text.department} {text.year}年度岗位目标责任状系统{TITLE}"
                         f"（共 {len(people)} 人，沿虚线剪开，逐人发放）", size=w.TABLE_PT, after=2)
    table = doc.add_table(rows=len(people), cols=1)
    table.autofit = False
    _cut_lines(table)
    for row, person in zip(table.rows, people, strict=True):
        w.keep_row_whole(row)
        row.height, row.height_rule = Cm(SLIP_CM), WD_ROW_HEIGHT_RULE.EXACTLY
        row.cells[0].width = Cm(WIDTH_CM)
        _slip(row.cells[0], text, person)
    props = doc.core_properties
    props.title = f"{text.department}{TITLE}"
    props.subject = TITLE
    props.author = AUTHOR
    props.keywords = f"{TITLE};{text.year}"
    return w.to_bytes(doc)


def _slip(cell: _Cell, text: SlipText, person: Person) -> None:
    first = cell.paragraphs[0]
    first.paragraph_format.space_before = Pt(6)
    w.add_run(first, f"{text.college} · 岗位目标责任状系统 · {TITLE}", font=TITLE_FONT, size=w.LABEL_PT)
    w.add_run(first, f"　　{text.year}年度", size=w.TABLE_PT)
    lines = cell.add_paragraph()
    w.add_run(lines, f"姓名：{person.name}　　工号：{person.staff_id}　　{text.department}　{person.post}",
              size=w.BODY_PT)
    secret = cell.add_paragraph()
    w.add_run(secret, "一次性密码：", size=w.BODY_PT)
    w.add_run(secret, person.password, font=PASSWORD_FONT, size=PASSWORD_PT, bold=True)
    how = cell.add_paragraph()
    also = "也可用学校统一身份认证的密码登录；" if text.directory else ""
    w.add_run(how, f"登录地址：{text.login_url}　用户名填工号，密码填上面的一次性密码。首次登录后须立即修改为自己的密码；"
                   f"{also}本密码条只对本人有效，请妥善保管、勿交他人，用后销毁。", size=w.TABLE_PT)
    foot = cell.add_paragraph()
    w.add_run(foot, f"人事处打印于 {text.printed}；重新打印后，之前的密码条作废。", size=w.TABLE_PT)
    for paragraph in cell.paragraphs:
        paragraph.paragraph_format.space_after = Pt(3)
        paragraph.paragraph_format.line_spacing = 1.0


def _cut_lines(table: Table) -> None:
    """Dashed lines above, below and between the slips (where the scissors go); none at the sides."""
    props = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for side, kind in (("top", "dashed"), ("left", "nil"), ("bottom", "dashed"), ("right", "nil"),
                       ("insideH", "dashed"), ("insideV", "nil")):
        border = OxmlElement(f"w:{side}")
        border.set(qn("w:val"), kind)
        if kind != "nil":
            border.set(qn("w:sz"), "8")
            border.set(qn("w:space"), "0")
            border.set(qn("w:color"), "666666")
        borders.append(border)
    props.append(borders)
