"""The contract mark as a QR code: a PNG, and placed on every page of a Word document.

The code and its label sit in a borderless text box anchored in the page header at the
top left corner of the page, in front of the text (on white, so nothing beneath shows
through) and taking no room in it, so marking a document changes none of its page breaks. Every header a section shows (the first-page and
even-page ones when the section uses them) carries the box, so every printed page has it.
"""

from __future__ import annotations

import io
from typing import cast

import segno
from docx.document import Document as DocumentObject
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.parts.document import DocumentPart
from docx.section import Section, _Header
from docx.shared import Cm, Length, Pt

from service.office import docx_base as w
from service.rules import contract_mark
from service.rules.contract_mark import ContractMark

QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks
MARK_CM = 2.5  # printed width of the code, quiet zone included: a module of 0.75 mm, 4.5 pixels at 150 dpi
MARK_PX = 600  # PNG width: about 600 dpi at MARK_CM, crisp when printed
LABEL_PT = 7.0
BOX_WIDTH_CM = 3.3
BOX_HEIGHT_CM = 3.3
MARK_NAME = "contract-mark"  # the text box's name, to find and replace a mark

_ANCHOR = """<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
 xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"
 xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
 xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"
 xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">
<mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>
<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="251659264" behindDoc="0"
 locked="1" layoutInCell="1" allowOverlap="1">
<wp:simplePos x="0" y="0"/>
<wp:positionH relativeFrom="page"><wp:posOffset>{x}</wp:posOffset></wp:positionH>
<wp:positionV relativeFrom="page"><wp:posOffset>{y}</wp:posOffset></wp:positionV>
<wp:extent cx="{cx}" cy="{cy}"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapNone/>
<wp:docPr id="{id}" name="{name}"/><wp:cNvGraphicFramePr/>
<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">
<wps:wsp><wps:cNvSpPr txBox="1"/>
<wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>
<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill><a:ln><a:noFill/></a:ln>
</wps:spPr>
<wps:txbx><w:txbxContent/></wps:txbx>
<wps:bodyPr rot="0" vert="horz" wrap="square" lIns="0" tIns="0" rIns="0" bIns="0" anchor="t"><a:noAutofit/></wps:bodyPr>
</wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice></mc:AlternateContent></w:r>"""


def qr_png(payload: str, *, px: int) -> bytes:
    """A black-on-white QR code (error correction M at least, raised when that costs no size),
    with a quiet zone, as a PNG at most `px` wide: each module a whole number of pixels, at
    least one."""
    code = segno.make_qr(payload, error="m")
    modules = code.symbol_size(scale=1, border=QUIET_ZONE)[0]
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=max(1, px // modules), border=QUIET_ZONE)
    return buffer.getvalue()


def mark_document(doc: DocumentObject, mark: ContractMark, *, left_cm: float = 1.0, top_cm: float = 0.5) -> None:
    """Put the mark on every page of every section."""
    for section in doc.sections:
        mark_section(section, mark, left_cm=left_cm, top_cm=top_cm)


def mark_section(section: Section, mark: ContractMark, *, left_cm: float = 1.0, top_cm: float = 0.5) -> None:
    """Put the code and its label on every page of `section`, `left_cm` and `top_cm` from the
    page's top left corner; a mark already there is replaced."""
    png = qr_png(contract_mark.encode(mark), px=MARK_PX)
    for header in headers_shown(section):
        header.is_linked_to_previous = False
        _remove_marks(header)
        _add_mark(header, png, contract_mark.label(mark), Cm(left_cm), Cm(top_cm))


def headers_shown(section: Section) -> list[_Header]:
    """The headers the section's pages show: the primary one, and the first-page and even-page
    ones when the section and the document use them."""
    headers = [section.header]
    if section.different_first_page_header_footer:
        headers.append(section.first_page_header)
    if cast(DocumentPart, section.part).settings.odd_and_even_pages_header_footer:
        headers.append(section.even_page_header)
    return headers


def label_lines(text: str) -> list[str]:
    """The label on two lines, split at the middle " · ": year and staff id, version and tag."""
    parts = text.split(" · ")
    half = (len(parts) + 1) // 2
    return [" · ".join(parts[:half]), " · ".join(parts[half:])] if len(parts) > 1 else [text]


def _add_mark(header: _Header, png: bytes, text: str, left: Length, top: Length) -> None:
    host = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
    if not host.text:  # an empty header line one point high: the header grows no taller than before
        host.paragraph_format.line_spacing = Pt(1)
        host.paragraph_format.space_before = host.paragraph_format.space_after = Pt(0)
    picture = header.add_paragraph()
    picture.add_run().add_picture(io.BytesIO(png), width=Cm(MARK_CM))
    lines = [header.add_paragraph() for _ in label_lines(text)]
    for paragraph, line in zip(lines, label_lines(text), strict=True):
        w.add_run(paragraph, line, size=LABEL_PT)
        paragraph.paragraph_format.line_spacing = Pt(LABEL_PT * 1.25)
    for paragraph in (picture, *lines):
        paragraph.alignment = w.CENTER
        paragraph.paragraph_format.space_before = paragraph.paragraph_format.space_after = Pt(0)
    anchor = parse_xml(_ANCHOR.format(x=int(left), y=int(top), cx=int(Cm(BOX_WIDTH_CM)),
                                      cy=int(Cm(BOX_HEIGHT_CM)), id=header.part.next_id, name=MARK_NAME))
    box = anchor.find(".//" + qn("w:txbxContent"))
    for paragraph in (picture, *lines):
        box.append(paragraph._p)  # moved from the header's body into the text box
    host._p.append(anchor)


def _remove_marks(header: _Header) -> None:
    element: BaseOxmlElement = header._element
    runs = [next(doc_pr.iterancestors(qn("w:r"))) for doc_pr in element.iter(qn("wp:docPr"))
            if doc_pr.get("name") == MARK_NAME]
    for run in runs:
        run.getparent().remove(run)
