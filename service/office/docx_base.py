"""Word helpers: A4 pages and runs whose Chinese text really is in 宋体 / 黑体.

python-docx sets only the Latin font through `font.name`; Word picks the font for Han
characters from the `w:eastAsia` attribute, so every run and the Normal style get it.
"""

from __future__ import annotations

from io import BytesIO

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Cm, Pt
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from service.office.cells import clean_text
from service.office.identity import FormIdentity
from service.office.styles import AUTHOR, BODY_FONT, TITLE_FONT

BODY_PT = 10.5  # 五号
TABLE_PT = 9.0  # 小五
TITLE_PT = 16.0  # 三号
LABEL_PT = 12.0  # 小四

CENTER = WD_ALIGN_PARAGRAPH.CENTER
LEFT = WD_ALIGN_PARAGRAPH.LEFT
RIGHT = WD_ALIGN_PARAGRAPH.RIGHT
JUSTIFY = WD_ALIGN_PARAGRAPH.JUSTIFY


def new_document(*, landscape: bool = False) -> DocumentObject:
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = Pt(BODY_PT)
    set_east_asia(normal.element, BODY_FONT)
    section = doc.sections[0]
    width, height = Cm(21.0), Cm(29.7)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (height, width) if landscape else (width, height)
    section.left_margin = section.right_margin = Cm(2.0)
    section.top_margin = Cm(1.6)
    section.bottom_margin = Cm(1.3)
    return doc


def set_east_asia(element: BaseOxmlElement, font: str) -> None:
    """Set all four font slots, `w:eastAsia` included, on a style or run element."""
    rpr = element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), font)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")


def add_run(paragraph: Paragraph, text: str, *, font: str = BODY_FONT, size: float = BODY_PT,
            bold: bool = False) -> Run:
    run = paragraph.add_run(clean_text(text))
    run.font.name = font
    run.font.size = Pt(size)
    run.font.bold = bold
    set_east_asia(run._element, font)
    return run


def add_paragraph(doc: DocumentObject, text: str = "", *, align: WD_ALIGN_PARAGRAPH = LEFT,
                  font: str = BODY_FONT, size: float = BODY_PT, bold: bool = False,
                  after: float = 0.0) -> Paragraph:
    paragraph = doc.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(after)
    paragraph.paragraph_format.space_before = Pt(0)
    if text:
        add_run(paragraph, text, font=font, size=size, bold=bold)
    return paragraph


def add_title(doc: DocumentObject, lines: list[str], *, size: float = TITLE_PT) -> Paragraph:
    paragraph = add_paragraph(doc, "\n".join(lines), align=CENTER, font=TITLE_FONT, size=size, after=8)
    paragraph.paragraph_format.line_spacing = 1.25
    return paragraph


def write_cell(cell: _Cell, text: str, *, align: WD_ALIGN_PARAGRAPH = CENTER, bold: bool = False,
               size: float = TABLE_PT, font: str = BODY_FONT) -> None:
    """Replace a cell's text, one paragraph per line."""
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    first = cell.paragraphs[0]
    for extra in cell.paragraphs[1:]:
        extra._element.getparent().remove(extra._element)
    for run in list(first.runs):
        run._element.getparent().remove(run._element)
    for index, line in enumerate(text.split("\n")):
        paragraph = first if index == 0 else cell.add_paragraph()
        paragraph.alignment = align
        paragraph.paragraph_format.space_after = Pt(0)
        paragraph.paragraph_format.line_spacing = Pt(size * 1.35)  # exact: the same in Word and WPS
        if line:
            add_run(paragraph, line, size=size, bold=bold, font=font)


def tight_cell(cell: _Cell, twips: int = 30) -> None:
    """Narrow left and right cell margins, so a short label fits on one line."""
    props = cell._tc.get_or_add_tcPr()
    margins = OxmlElement("w:tcMar")
    for side in ("w:left", "w:right"):
        margin = OxmlElement(side)
        margin.set(qn("w:w"), str(twips))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    props.append(margins)


def new_table(doc: DocumentObject, rows: int, widths_cm: list[float]) -> Table:
    table = doc.add_table(rows=rows, cols=len(widths_cm))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)
        for cell in column.cells:
            cell.width = Cm(width)
    return table


def row_height(row: _Row, cm: float) -> None:
    row.height = Cm(cm)


def repeat_header(row: _Row) -> None:
    """Repeat this row at the top of every page the table runs onto."""
    _row_flag(row, "w:tblHeader")


def keep_row_whole(row: _Row) -> None:
    _row_flag(row, "w:cantSplit")


def _row_flag(row: _Row, tag: str) -> None:
    props = row._tr.get_or_add_trPr()
    flag = OxmlElement(tag)
    flag.set(qn("w:val"), "true")
    props.append(flag)


def stamp(doc: DocumentObject, identity: FormIdentity, title: str) -> None:
    props = doc.core_properties
    props.title = title
    props.subject = title
    props.identifier = str(identity)
    props.author = AUTHOR
    props.keywords = f"附件{identity.annex}"


def to_bytes(doc: DocumentObject) -> bytes:
    buffer = BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
