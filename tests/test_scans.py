"""Contract marks: the tag, the QR payload, the code on every page of a Word file, and
reading real scans (Word → LibreOffice PDF → 150 dpi raster, tilted, noisy, JPEG) back into
one group of pages per person and version."""

from __future__ import annotations

import io
import struct
import zlib

import pypdfium2 as pdfium
import pytest
import segno
from docx import Document
from docx.enum.section import WD_SECTION
from paper import (
    A4_150,
    jpeg_bytes,
    needs_office,
    pdf_of,
    png_bytes,
    print_pdfs,
    rasterised,
    scanned,
    with_code,
)
from PIL import Image, ImageOps
from pypdf import PdfReader, PdfWriter

from service.content.target_rows import TargetLine
from service.office import docx_base as w
from service.office import qr, scan_files, scans
from service.rules import contract_mark
from service.rules.contract_mark import ContractMark

SECRET = b"data-dir-secret"
ROWS = [
    {"目标内容": "完成本部门年度工作计划", "分值": 30, "佐证材料及分值": "工作计划文本", "完成时限": "3月31日", "备注": ""},
    {"目标内容": "组织教职工培训两次", "分值": "30", "佐证材料及分值": "培训记录", "完成时限": "12月31日"},
]


# -- the mark ------------------------------------------------------------------------------


def test_the_same_content_gives_the_same_tag() -> None:
    tag = contract_mark.tag_for(SECRET, 2019, "100264", ROWS)
    assert len(tag) == contract_mark.TAG_LENGTH and tag.isalnum() and tag.isupper()
    same = [
        [{**ROWS[0], "分值": 30.0}, {**ROWS[1], "备注": None}],  # points as a float, an empty note
        [{"content": " 完成本部门年度工作计划 ", "points": "３０", "evidence": "工作计划文本", "deadline": "3月31日"},
         ROWS[1]],  # English keys, padding, full-width digits
        [TargetLine("完成本部门年度工作计划", 30, "工作计划文本", "3月31日"), *ROWS[1:], {"目标内容": ""}],
    ]
    assert [contract_mark.tag_for(SECRET, 2019, "100264", rows) for rows in same] == [tag] * len(same)


@pytest.mark.parametrize("column, value", [("目标内容", "完成本部门年度工作计划。"), ("分值", 29),
                                           ("佐证材料及分值", "计划"), ("完成时限", "4月1日"), ("备注", "新增")])
def test_any_change_to_a_row_changes_the_tag(column: str, value: object) -> None:
    changed = [{**ROWS[0], column: value}, ROWS[1]]
    assert contract_mark.tag_for(SECRET, 2019, "100264", changed) != contract_mark.tag_for(SECRET, 2019, "100264", ROWS)


def test_the_tag_depends_on_the_secret_the_person_the_year_and_the_row_order() -> None:
    tag = contract_mark.tag_for(SECRET, 2019, "100264", ROWS)
    assert contract_mark.tag_for(b"another secret", 2019, "100264", ROWS) != tag
    assert contract_mark.tag_for(SECRET, 2019, "100264", ROWS[::-1]) != tag
    assert contract_mark.tag_for(SECRET, 2019, "100265", ROWS) != tag
    assert contract_mark.tag_for(SECRET, 2020, "100264", ROWS) != tag


@pytest.mark.parametrize("staff_id", ["100264", "T-07", "a:b", "工号12"])
def test_a_mark_reads_back_from_its_payload(staff_id: str) -> None:
    mark = ContractMark(2019, staff_id, 3, contract_mark.tag_for(SECRET, 2019, "100264", ROWS))
    payload = contract_mark.encode(mark)
    assert payload.startswith("MBZ1:2019:")
    assert contract_mark.decode(payload) == mark


def test_the_payload_and_label() -> None:
    mark = ContractMark(2019, "100264", 3, "ABCDEF2345")
    assert contract_mark.encode(mark) == "MBZ1:2019:100264:3:ABCDEF2345"
    assert contract_mark.label(mark) == "2019 · 100264 · 第3版 · ABCDEF2345"
    assert qr.label_lines(contract_mark.label(mark)) == ["2019 · 100264", "第3版 · ABCDEF2345"]


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


# -- the code as a picture ---------------------------------------------------------------


def test_qr_png_reads_back_and_fits_its_width() -> None:
    payload = contract_mark.encode(ContractMark(2019, "100264", 3, "ABCDEF2345"))
    png = qr.qr_png(payload, px=480)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width == image.height <= 480
    assert image.width % segno.make_qr(payload, error="m").symbol_size(border=qr.QUIET_ZONE)[0] == 0
    assert scans.read_marks(image) == [payload]


def test_marking_twice_leaves_one_mark_per_header() -> None:
    doc = w.new_document()
    doc.sections[0].different_first_page_header_footer = True
    mark = ContractMark(2019, "100264", 3, "ABCDEF2345")
    qr.mark_document(doc, mark)
    qr.mark_document(doc, ContractMark(2019, "100264", 4, "ABCDEF2345"))
    reread = Document(io.BytesIO(w.to_bytes(doc)))
    for header in (reread.sections[0].header, reread.sections[0].first_page_header):
        names = [e.get("name") for e in header._element.iter("{*}docPr")]
        assert names.count(qr.MARK_NAME) == 1
        assert "第4版" in "".join(t.text or "" for t in header._element.iter("{*}t"))


# -- files in -------------------------------------------------------------------------------


def test_an_image_is_read_upright_from_its_exif_orientation() -> None:
    image = Image.new("L", (300, 200), 255)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90° clockwise when shown
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    [(index, page)] = list(scan_files.pages_of(out.getvalue()))
    assert index == 0 and page.size == (200, 300)


def test_deep_grey_and_transparent_images_are_read_as_they_look() -> None:
    code = Image.open(io.BytesIO(qr.qr_png("MBZ1:2019:100264:3:ABCDEF2345", px=200))).convert("L")
    page = Image.new("L", (400, 400), 255)
    page.paste(code, (100, 100))
    deep = page.convert("I").point(lambda value: value * 257).convert("I;16")
    clear = Image.new("RGBA", page.size, (0, 0, 0, 0))
    clear.paste((0, 0, 0, 255), mask=ImageOps.invert(page))  # black code on a transparent page
    for image in (deep, clear):
        [(_, read)] = list(scan_files.pages_of(png_bytes(image)))
        assert read.mode == ("L" if image is deep else "RGB")
        assert scans.read_marks(read) == ["MBZ1:2019:100264:3:ABCDEF2345"]


def test_files_that_are_not_scans_are_refused_in_chinese() -> None:
    cases = {b"": "scan_empty", b"PK\x03\x04 a zip": "scan_type", b"%PDF-1.7 broken": "scan_damaged",
             png_bytes(Image.new("L", (10, 10)))[:40]: "scan_damaged"}
    for data, code in cases.items():
        with pytest.raises(scan_files.ScanRefused) as refused:
            list(scan_files.pages_of(data))
        assert refused.value.code == code and any("\u4e00" <= c <= "\u9fff" for c in refused.value.message)


def test_a_decompression_bomb_is_refused_before_it_is_decoded() -> None:
    data = bytearray(png_bytes(Image.new("1", (8, 8))))
    ihdr = struct.pack(">II", 60_000, 60_000) + bytes(data[24:29])  # claim 3.6 gigapixels
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    with pytest.raises(scan_files.ScanRefused) as refused:
        list(scan_files.pages_of(bytes(data)))
    assert refused.value.code == "scan_too_many_pixels"
    assert refused.value.as_api_error().status == 422


def test_pdf_pages_beyond_the_limits_are_refused() -> None:
    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(595, 842)
    writer.add_blank_page(14_400, 14_400)  # 200 inches square
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue()
    with pytest.raises(scan_files.ScanRefused) as refused:
        next(scan_files.pages_of(data))
    assert refused.value.code == "scan_too_many_pixels" and "第 4 页" in refused.value.message
    with pytest.raises(scan_files.ScanRefused) as refused:
        next(scan_files.pages_of(data, scan_files.ScanSettings(max_pages=2)))
    assert refused.value.code == "scan_too_many_pages"
    result = scans.sort_scan([data, b"not a scan"])
    assert result.pages == () and [(r.file, r.code) for r in result.refused] == [
        (0, "scan_too_many_pixels"), (1, "scan_type")]
    assert result.refused[1].message.startswith("第 2 个文件：")


def test_a_batch_stops_at_its_page_limit() -> None:
    three = pdf_of([Image.new("L", (124, 175), 255)] * 3)
    result = scans.sort_scan([three, three, png_bytes(Image.new("L", (50, 50), 255))],
                             scan_files.ScanSettings(max_batch_pages=4))
    assert [(p.file, p.page) for p in result.pages] == [(0, 0), (0, 1), (0, 2), (2, 0)]
    assert [(r.file, r.code) for r in result.refused] == [(1, "scan_batch_too_large")]


# -- real scans ---------------------------------------------------------------------------

PEOPLE = [  # (staff id, version, rows' first content, copies)
    ("100264", 1, "完成本部门年度工作计划", 3),
    ("100264", 2, "完成本部门年度工作计划并报送", 2),
    ("100301", 1, "组织教职工培训两次", 3),
    ("T-07", 5, "指导学生技能竞赛", 1),
]


def people_marks() -> list[ContractMark]:
    return [ContractMark(2019, staff_id, version, contract_mark.tag_for(SECRET, 2019, staff_id, [{**ROWS[0], "目标内容": first}]))
            for staff_id, version, first, _ in PEOPLE]


def contracts_docx(marks: list[ContractMark], *, marked: bool = True) -> bytes:
    """One section per person and version, one copy a page; the first section shows its
    first page through a header of its own."""
    doc = w.new_document()
    doc.sections[0].different_first_page_header_footer = True
    for number, (mark, (_, _, first, copies)) in enumerate(zip(marks, PEOPLE, strict=True)):
        if number:
            doc.add_section(WD_SECTION.NEW_PAGE)
        for copy in range(copies):
            title = w.add_title(doc, ["2019年教职工岗位工作目标责任状", f"{mark.staff_id}（第 {copy + 1} 份）"])
            title.paragraph_format.page_break_before = copy > 0
            w.add_paragraph(doc, first, align=w.CENTER)
        if marked:
            qr.mark_section(doc.sections[number], mark)
    return w.to_bytes(doc)


@pytest.fixture(scope="module")
def prints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The contracts as LibreOffice prints them, marked and plain."""
    work = tmp_path_factory.mktemp("scans")
    sources = []
    for name in ("marked", "plain"):
        sources.append(work / f"{name}.docx")
        sources[-1].write_bytes(contracts_docx(people_marks(), marked=name == "marked"))
    return print_pdfs(sources, work, timeout=120)


@pytest.fixture(scope="module")
def printed(prints: dict[str, bytes]) -> bytes:
    return prints["marked"]


def text_places(pdf: bytes, needles: tuple[str, ...] = ("责任状", "份）")) -> list[tuple[float, float]]:
    """Where the body's title lines sit on each page: the left and top of each needle."""
    document = pdfium.PdfDocument(pdf)
    places = []
    try:
        for page in document:
            textpage = page.get_textpage()
            for needle in needles:
                found = textpage.search(needle).get_next()
                assert found is not None
                left, _, _, top = textpage.get_charbox(found[0])
                places.append((round(left, 1), round(top, 1)))
    finally:
        document.close()
    return places


@needs_office
def test_every_printed_page_carries_the_code_and_its_label(printed: bytes) -> None:
    marks = people_marks()
    expected = [mark for mark, person in zip(marks, PEOPLE, strict=True) for _ in range(person[3])]
    document = pdfium.PdfDocument(printed)
    try:
        assert len(document) == len(expected)
        texts = ["".join(page.get_textpage().get_text_range().split()) for page in document]
    finally:
        document.close()
    for (index, image), mark, text in zip(scan_files.pages_of(printed), expected, texts, strict=True):
        assert scans.read_marks(image) == [contract_mark.encode(mark)], f"page {index + 1}"
        for line in qr.label_lines(contract_mark.label(mark)):
            assert "".join(line.split()) in text, f"page {index + 1}"


@needs_office
def test_marking_moves_nothing_on_the_page(prints: dict[str, bytes]) -> None:
    assert text_places(prints["marked"]) == text_places(prints["plain"])
    assert scan_files.page_count(prints["marked"]) == scan_files.page_count(prints["plain"])


@needs_office
def test_a_stack_of_scans_is_sorted_per_person_and_version(printed: bytes) -> None:
    marks = people_marks()
    pages = [scanned(image, seed) for seed, image in enumerate(rasterised(printed))]
    foreign = scanned(with_code(["https://www.example.edu.cn/notice/2019"]), 90)
    blank = scanned(Image.new("L", A4_150, 255), 91)
    stack = pdf_of([pages[0], pages[3], blank, pages[1], pages[5], foreign, *pages[6:]])
    single = jpeg_bytes(pages[2])  # one copy photographed on its own
    files = [stack, single, pdf_of([pages[4]])]

    result = scans.sort_scan(files)

    assert result.refused == () and result.conflicting == ()
    assert [group.mark for group in result.groups] == marks
    located = {group.mark: [(p.file, p.page) for p in group.pages] for group in result.groups}
    assert located == {
        marks[0]: [(0, 0), (0, 3), (1, 0)],
        marks[1]: [(0, 1), (2, 0)],
        marks[2]: [(0, 4), (0, 6), (0, 7)],
        marks[3]: [(0, 8)],
    }
    assert [(p.where, p.foreign) for p in result.unreadable] == [("第 1 个文件第 3 页", 0), ("第 1 个文件第 6 页", 1)]

    person = scans.assemble_pdf([(files[p.file], p.page) for p in result.groups[0].pages])
    reader = PdfReader(io.BytesIO(person))
    assert len(reader.pages) == 3
    assert scans.sort_scan([person]).groups[0].mark == marks[0]


@needs_office
def test_pdf_pages_are_copied_not_rendered(printed: bytes) -> None:
    person = scans.assemble_pdf([(printed, 4), (printed, 3)])
    copied, original = PdfReader(io.BytesIO(person)), PdfReader(io.BytesIO(printed))
    assert [p.extract_text() for p in copied.pages] == [original.pages[i].extract_text() for i in (4, 3)]
    assert "100264" in copied.pages[1].extract_text()


def test_a_page_with_two_different_marks_is_flagged() -> None:
    one, other = (ContractMark(2019, "100264", v, "ABCDEF2345") for v in (1, 2))
    page = scanned(with_code([contract_mark.encode(one), contract_mark.encode(other)]), 7)
    same_twice = scanned(with_code([contract_mark.encode(one)] * 2), 8)
    result = scans.sort_scan([pdf_of([page, same_twice])])
    assert [p.page for p in result.conflicting] == [0] and set(result.pages[0].marks) == {one, other}
    assert [(g.mark, [p.page for p in g.pages]) for g in result.groups] == [(one, [1])]
    assert result.unreadable == ()


def test_an_image_becomes_a_page_of_its_own_size() -> None:
    image = with_code([contract_mark.encode(ContractMark(2019, "100264", 1, "ABCDEF2345"))])
    stated = jpeg_bytes(image)  # says 150 dpi: an A4 page
    unstated = png_bytes(image.resize((620, 877)))  # no dpi: scaled to A4's length
    document = PdfReader(io.BytesIO(scans.assemble_pdf([(stated, 0), (unstated, 0)])))
    for page in document.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - 595) < 3 and abs(height - 842) < 3
    assert len(scans.sort_scan([scans.assemble_pdf([(stated, 0)])]).groups) == 1


def test_thumbnails_are_small_jpegs() -> None:
    image = with_code(["x"])
    pdf = pdf_of([image, image])
    for data, index in ((pdf, 1), (png_bytes(image), 0)):
        thumb = Image.open(io.BytesIO(scan_files.thumbnail(data, index, px=200)))
        assert thumb.format == "JPEG" and max(thumb.size) == 200
    with pytest.raises(scan_files.ScanRefused):
        scan_files.thumbnail(pdf, 2)


def test_page_count() -> None:
    image = Image.new("L", (100, 140), 255)
    assert scan_files.page_count(pdf_of([image] * 3)) == 3
    assert scan_files.page_count(png_bytes(image)) == 1

