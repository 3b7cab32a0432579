"""The paper round trip in a real browser at 1280 px (screenshots under test-artifacts/browser/):
a clerk prints the department's contracts as one PDF, previews a stack with an upside-down page
and an unreadable one, enlarges the unreadable page, gives it to someone still without a scan,
stores the stack (the upside-down page stored upright), and sends the same stack again: it
previews as 已存 and stores nothing."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import httpx2
import pypdfium2 as pdfium
import pytest
import zxingcpp
from approvals import signed_page
from paper import A4_150, contract_copies, needs_office, pdf_of, scanned, with_code
from PIL import Image
from pypdf import PdfReader
from test_browser import (
    DEPT,
    Portal,
    browser,  # noqa: F401
    day,  # noqa: F401
    drop_file,
    portal,  # noqa: F401
)

from service.rules import contract_mark
from service.rules.contract_mark import ContractMark

pytestmark = pytest.mark.browser
PRINT_MS = 300_000  # LibreOffice prints a whole department on a busy machine


def _approved_mark(portal: Portal, staff_id: str) -> ContractMark:  # noqa: F811
    clerk = {"Authorization": f"Bearer {portal.token('clerk')}"}
    boss = {"Authorization": f"Bearer {portal.token('boss')}"}
    with httpx2.Client(base_url=portal.url, timeout=60) as api:
        rows = api.get(f"/api/targets/{staff_id}", headers=clerk).json()["rows"]
        assert api.put(f"/api/targets/{staff_id}", json={"rows": rows, "submit": True}, headers=clerk).status_code == 200
        approved = api.post(f"/api/targets/{staff_id}/approve", json={}, headers=boss).json()["approved"]
    return ContractMark(_year(portal), staff_id, approved["version"], approved["tag"])


def _year(portal: Portal) -> int:  # noqa: F811
    from service.content.loader import load_content

    return load_content(Path(portal.env["PORTAL_CONTENT"])).settings.year


def _codes(pdf: bytes) -> list[list[tuple[str, int]]]:
    document = pdfium.PdfDocument(pdf)
    try:
        images = [page.render(scale=150 / 72).to_pil().convert("L") for page in document]
    finally:
        document.close()
    return [[(b.text, b.orientation) for b in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
            for image in images]


def _scans(portal: Portal, staff_id: str) -> list[dict[str, Any]]:  # noqa: F811
    hr = {"Authorization": f"Bearer {portal.token('clerk')}"}
    staff = httpx2.get(f"{portal.url}/api/departments/{DEPT}/staff", headers=hr, timeout=60).json()
    people = staff["staff"] if isinstance(staff, dict) else staff
    return next(p for p in people if p["staff_id"] == staff_id)["versions"]  # type: ignore[no-any-return]


@needs_office
def test_clerk_prints_the_department_then_stores_a_stack_upright_once(day: Any, portal: Portal,  # noqa: F811
                                                                     tmp_path: Path) -> None:
    from playwright.sync_api import expect

    first, second, by_hand = portal.members[0], portal.members[1], portal.members[2]
    marks = {m.staff_id: _approved_mark(portal, m.staff_id) for m in (first, second)}
    clerk = day("clerk-print-and-scan")
    page = clerk.page
    clerk.login("clerk")
    page.goto(f"/board/{DEPT}")

    # one print job for the whole department
    link = page.locator("a[data-print-contracts]")
    with page.expect_download(timeout=PRINT_MS) as waited:
        link.click()
        expect(page.locator("[data-print-status]").first).to_contain_text("正在生成")
        clerk.shot("print-generating", link)
    printed = Path(waited.value.path()).read_bytes()
    expect(page.locator("[data-print-status]").first).to_contain_text("已生成")
    clerk.shot("printed", link)
    people = contract_copies(printed, [m.name for m in portal.members])
    per_copy = [len(own[0]) for own in people]  # a long copy takes two pages
    assert len(PdfReader(io.BytesIO(printed)).pages) == 3 * sum(per_copy), per_copy
    codes = _codes(printed)
    approved = {n: portal.members[n].staff_id for n in (0, 1)}  # the first two in the roster's order
    coded = {index: n for n in approved for copy in people[n] for index in copy}
    assert [index for index, found in enumerate(codes) if found] == sorted(coded)  # drafts carry none
    for index, n in coded.items():  # each approved person's three copies, their code on every page
        assert [text for text, _ in codes[index]] == [contract_mark.encode(marks[approved[n]])], index

    # a stack: the first person's page upside down, the second's as it should be, a page without a code
    upside_down = scanned(with_code([contract_mark.encode(marks[first.staff_id])]).rotate(180), 1)
    stack = pdf_of([upside_down, signed_page(marks[second.staff_id], 2), scanned(Image.new("L", A4_150, 255), 3)])
    page.goto(f"/board/{DEPT}/scans")
    drop_file(page, "[data-drop-zone]", "一摞责任状.pdf", stack, "application/pdf")
    page.get_by_role("button", name="识别并预览").click()
    expect(page.locator("[data-batch-preview]")).to_contain_text("预览（尚未保存）")
    expect(page.locator(f'tr[data-person="{first.staff_id}"] [data-turn="180"]')).to_have_count(1)
    clerk.shot("stack-preview", page.locator("[data-batch-unreadable]"))

    enlarge = page.locator('details[data-large="1:3"]')
    enlarge.locator("summary").click()
    image = enlarge.locator("img")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.naturalWidth") >= 1200
    page.screenshot(path=clerk.folder / "enlarged-page-desktop.png", full_page=True)
    enlarge.locator("summary").click()

    chooser = page.get_by_label(re.compile("第 1 个文件第 3 页属于"))
    waiting = chooser.locator('optgroup[label="尚无有效扫描件"] option')
    assert by_hand.staff_id in waiting.evaluate_all("options => options.map(o => o.value)")
    assert chooser.locator("optgroup").first.get_attribute("label") == "尚无有效扫描件"
    chooser.select_option(by_hand.staff_id)
    page.get_by_role("button", name="确认存入").click()
    stored = page.locator("[data-batch-stored]")
    expect(stored).to_contain_text("已存入 3 人的扫描件")
    clerk.shot("stack-stored", stored)

    scan = _scans(portal, first.staff_id)[-1]
    pdf = httpx2.get(f"{portal.url}/api/departments/{DEPT}/contracts/{scan['id']}", timeout=60,
                     headers={"Authorization": f"Bearer {portal.token('clerk')}"}).content
    ((text, orientation),) = _codes(pdf)[0]
    assert contract_mark.decode(text) == marks[first.staff_id] and abs(orientation) < 45  # upright as viewed

    # the same stack again: 已存, and nothing stored
    page.goto(f"/board/{DEPT}/scans")
    drop_file(page, "[data-drop-zone]", "一摞责任状.pdf", stack, "application/pdf")
    page.get_by_role("button", name="识别并预览").click()
    for member in (first, second):
        expect(page.locator(f'tr[data-person="{member.staff_id}"]')).to_contain_text("已存")
    expect(page.locator('tr[data-page="1:3"]')).to_contain_text("已存")
    expect(page.locator("[data-will-store]")).to_have_text("0")
    expect(page.locator("[data-already-stored]")).to_contain_text("2 人的页面已存")
    clerk.shot("stack-again-already-stored", page.locator("[data-batch-people]"))
    page.get_by_role("button", name="确认存入").click()
    expect(page.locator("[data-error=nothing_to_store]")).to_contain_text("没有可以存入的扫描件")
    assert [len(_scans(portal, m.staff_id)) for m in (first, second, by_hand)] == [1, 1, 1]
