"""年度考核登记表 (Word): one person per page (their summary may run onto the back of the sheet), A4,
in the layout of the college's set-up: a title, a header table of the person's facts (two items a
row, or one wide item), then each section as a row of its label and its text, with the signature
and date line where the layout asks for one."""

from __future__ import annotations

from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH

from service.content.registration_form import Item
from service.office import docx_base as w
from service.workflows.registration import Forms, PersonForm

TITLE = "年度考核登记表"
WIDTHS = [3.2, 5.3, 3.2, 5.3]  # label, value, label, value (cm, 17 in all)
DATE_LINE = "年　　月　　日"


def forms_docx(forms: Forms) -> bytes:
    document = w.new_document()
    for index, person in enumerate(forms.people):
        _form(document, forms, person, new_page=index > 0)
    props = document.core_properties
    props.title = f"{forms.year}{TITLE}"
    props.subject = TITLE
    props.author = w.AUTHOR
    props.keywords = f"年度考核;{forms.year}"
    return w.to_bytes(document)


def _form(document: Any, forms: Forms, person: PersonForm, *, new_page: bool) -> None:
    title = w.add_title(document, forms.layout.title.format(college=forms.college, year=forms.year).split("\n"))
    title.paragraph_format.page_break_before = new_page
    rows = _header_rows(forms.layout.header)
    table = w.new_table(document, len(rows) + len(forms.layout.sections), WIDTHS)
    for row, items in zip(table.rows, rows, strict=False):
        w.row_height(row, 0.9)
        if len(items) == 1 and items[0].wide:
            value = row.cells[1].merge(row.cells[3])
            w.write_cell(row.cells[0], items[0].label, bold=True, size=w.BODY_PT)
            w.write_cell(value, person.header.get(items[0].field, ""), size=w.BODY_PT, align=w.LEFT)
            continue
        for index, item in enumerate(items):
            w.write_cell(row.cells[index * 2], item.label, bold=True, size=w.BODY_PT)
            w.write_cell(row.cells[index * 2 + 1], person.header.get(item.field, ""), size=w.BODY_PT)
    for row, section in zip(table.rows[len(rows):], forms.layout.sections, strict=True):
        _section(row, section, person.sections.get(section.field, ""))


def _header_rows(items: tuple[Item, ...]) -> list[list[Item]]:
    """Two items a row; a wide item alone."""
    rows: list[list[Item]] = []
    for item in items:
        if item.wide or not rows or len(rows[-1]) == 2 or rows[-1][0].wide:
            rows.append([item])
        else:
            rows[-1].append(item)
    return rows


def _section(row: Any, section: Item, text: str) -> None:
    if section.lines <= 8:
        w.keep_row_whole(row)
    label = row.cells[0]
    body = row.cells[1].merge(row.cells[3])
    w.write_cell(label, section.label, bold=True, size=w.BODY_PT)
    lines = text.split("\n") if text else []
    lines += [""] * max(0, section.lines - len(lines))
    w.write_cell(body, "\n".join(lines), size=w.BODY_PT, align=w.JUSTIFY if text else w.LEFT)
    if section.sign:
        sign = body.add_paragraph()
        sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        w.add_run(sign, f"{section.sign}：　　　　　　　　", size=w.BODY_PT)
        date = body.add_paragraph()
        date.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        w.add_run(date, DATE_LINE, size=w.BODY_PT)
