"""Annex 1, the contract (Word): blank, or pre-filled for one person in three labelled copies.

A person's contract prints their approved target set with its mark (the QR code and its
label) on every page, or a set not yet approved (or, with no set at all, their role's template)
under a "草稿，未经审定" line on every page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from docx.document import Document as DocumentObject
from docx.shared import RGBColor
from docx.table import Table

from service.content import forms_text, target_rows
from service.content.models import COL_CONTENT, COL_DEADLINE, COL_EVIDENCE, COL_POINTS, Content, StaffMember
from service.content.target_rows import RowInput, text_of
from service.office import docx_base as w
from service.office import qr
from service.office.annex2 import common_row
from service.office.identity import FormIdentity, layout_version
from service.rules.contract_mark import ContractMark

ANNEX = 1
WIDTHS = [2.3, 5.9, 1.3, 7.5]  # section, task, points, requirement (cm, 17 in all)
BLANK_INDIVIDUAL_ROWS = 6
DRAFT_PT = 14.0
DRAFT_COLOUR = RGBColor(0xC0, 0x00, 0x00)
VERSION = layout_version(ANNEX, "docx", 1, (forms_text.CONTRACT_TASK, forms_text.CONTRACT_POINTS,
                                            forms_text.CONTRACT_REQUIREMENT))


def contract_docx(content: Content, member: StaffMember | None = None,
                  rows: Sequence[RowInput] | None = None, *, mark: ContractMark | None = None,
                  draft: bool = False) -> bytes:
    """Annex 1. Blank when `member` is None; otherwise pre-filled for that person (with their
    role's target rows, or `rows` when given) and printed as three labelled copies, one a page.
    `mark` puts the contract mark on every page; `draft` the line "草稿，未经审定"."""
    doc = w.new_document()
    if member is None:
        _contract_copy(doc, content, None, [], None)
    else:
        role = content.role(member.role)
        targets = [target_rows.normalise_row(r) for r in (rows if rows is not None else (role.targets if role else ()))]
        targets = [row for row in targets if not target_rows.is_blank(row)]
        for index, label in enumerate(forms_text.COPY_LABELS):
            _contract_copy(doc, content, member, targets, label, new_page=index > 0)
    if mark is not None:
        qr.mark_document(doc, mark)
    if draft:
        _draft_line(doc)
    identity = FormIdentity(annex=ANNEX, year=content.settings.year, version=VERSION,
                            department=member.department if member else "",
                            staff_id=member.staff_id if member else "")
    w.stamp(doc, identity, forms_text.annex_heading(ANNEX))
    return w.to_bytes(doc)


def _draft_line(doc: DocumentObject) -> None:
    """"草稿，未经审定" at the top right of every page, in red."""
    for section in doc.sections:
        for header in qr.headers_shown(section):
            header.is_linked_to_previous = False
            paragraph = header.add_paragraph()
            paragraph.alignment = w.RIGHT
            w.add_run(paragraph, forms_text.DRAFT_MARK, size=DRAFT_PT, bold=True).font.color.rgb = DRAFT_COLOUR


def _contract_copy(doc: DocumentObject, content: Content, member: StaffMember | None,
                   targets: list[dict[str, Any]], label: str | None, *, new_page: bool = False) -> None:
    s = content.settings
    top = w.add_paragraph(doc, f"（{label}）" if label else "", align=w.RIGHT, size=w.BODY_PT)
    top.paragraph_format.page_break_before = new_page
    w.add_title(doc, forms_text.title_lines(content, ANNEX))
    if member is not None:
        department = content.department(member.department)
        line = "　　".join((
            f"{forms_text.COMPLETION_DEPARTMENT}{department.name if department else member.department}",
            f"{forms_text.CONTRACT_PERSON}：{member.name}",
            f"{forms_text.FIELD_POST}{member.post}",
        ))
        w.add_paragraph(doc, line, after=4)
    individual = max(len(targets), 1) if member is not None else BLANK_INDIVIDUAL_ROWS
    commons = content.common_targets
    table = w.new_table(doc, 1 + individual + len(commons) + 2, WIDTHS)
    head = table.rows[0]
    w.repeat_header(head)
    head.cells[0].merge(head.cells[1])
    w.write_cell(head.cells[0], forms_text.CONTRACT_TASK, bold=True, size=w.BODY_PT)
    w.write_cell(head.cells[2], forms_text.CONTRACT_POINTS, bold=True, size=w.BODY_PT)
    w.write_cell(head.cells[3], forms_text.CONTRACT_REQUIREMENT, bold=True, size=w.BODY_PT)

    first = 1
    block = table.rows[first:first + individual]
    _section(table, first, individual, forms_text.section_label(forms_text.INDIVIDUAL_GROUP, s.individual_points))
    for index, row in enumerate(block):
        w.keep_row_whole(row)
        if member is None:
            w.row_height(row, 1.6)
            continue
        if index < len(targets):
            target = targets[index]
            w.write_cell(row.cells[1], text_of(target.get(COL_CONTENT)), align=w.JUSTIFY)
            w.write_cell(row.cells[2], text_of(target.get(COL_POINTS)))
            w.write_cell(row.cells[3], forms_text.requirement_text(text_of(target.get(COL_EVIDENCE)),
                                                                   text_of(target.get(COL_DEADLINE))), align=w.JUSTIFY)

    first += individual
    _section(table, first, len(commons), forms_text.section_label(forms_text.COMMON_GROUP, s.common_points))
    for row, target in zip(table.rows[first:first + len(commons)], commons, strict=True):
        w.keep_row_whole(row)
        common_row(row.cells, target, size=w.TABLE_PT)  # the same for everyone, blank form included

    names, signs = table.rows[-2], table.rows[-1]
    for row in (names, signs):
        w.keep_row_whole(row)
        row.cells[0].merge(row.cells[1])
        row.cells[2].merge(row.cells[3])
    w.write_cell(names.cells[0], forms_text.CONTRACT_PERSON, bold=True, size=w.BODY_PT)
    w.write_cell(names.cells[2], forms_text.CONTRACT_HEAD, bold=True, size=w.BODY_PT)
    for cell in (signs.cells[0], signs.cells[2]):
        w.write_cell(cell, f"{forms_text.SIGNATURE}\n\n{forms_text.DATE_BLANK}", align=w.LEFT, size=w.BODY_PT)
        cell.paragraphs[-1].alignment = w.RIGHT
    w.row_height(signs, 2.4)
    w.add_paragraph(doc, forms_text.CONTRACT_NOTE, size=w.TABLE_PT)


def _section(table: Table, first: int, count: int, label: str) -> None:
    """Merge the first column over a block of rows and label it."""
    top = table.cell(first, 0)
    if count > 1:
        top = top.merge(table.cell(first + count - 1, 0))
    w.tight_cell(top)
    w.write_cell(top, label, bold=True, size=w.TABLE_PT + 0.5)
