"""A department's forms as one print job, through HTTP: every person's contract in one PDF
(three copies each, a code on every page of the approved ones), every person's annex 3 in
another, each kept while the forms are unchanged and made again once they change."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import zxingcpp
from approvals import approve, mark_of, people
from helpers import DEPT, OTHER_DEPT, Service
from paper import contract_copies, needs_office
from pypdf import PdfReader

from service.rules import contract_mark


def codes_on(pdf: bytes) -> list[set[str]]:
    """The QR texts on each page, rendered at 150 dpi."""
    document = pdfium.PdfDocument(pdf)
    try:
        pages = [page.render(scale=150 / 72).to_pil().convert("L") for page in document]
    finally:
        document.close()
    return [{b.text for b in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)} for image in pages]


def kept(service: Service) -> list[str]:
    folder = service.settings.data_dir / "cache" / "print"
    return sorted(p.name for p in folder.rglob("*.pdf")) if folder.exists() else []


@needs_office
def test_a_department_prints_every_contract_as_one_pdf_kept_until_the_forms_change(service: Service) -> None:
    mine = people(service)
    approve(service, mine[0])
    clerk = service.bearer("clerk")
    response = service.client.get(f"/board/{DEPT}/forms/contracts.pdf", headers=clerk)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert ".pdf" in response.headers["content-disposition"]
    copies = contract_copies(response.content, [m.name for m in service.context.content.members(DEPT)])
    per_copy = [len(own[0]) for own in copies]  # a long copy takes two pages
    assert len(PdfReader(io.BytesIO(response.content)).pages) == 3 * sum(per_copy), per_copy
    codes = codes_on(response.content)
    first = {contract_mark.encode(mark_of(service, mine[0]))}
    coded = [page for copy in copies[0] for page in copy]  # the approved person's three copies come first
    assert [index for index, found in enumerate(codes) if found] == coded  # drafts carry none
    assert all(codes[index] == first for index in coded)  # a code on each of their pages
    (name,) = kept(service)

    again = service.client.get(f"/board/{DEPT}/forms/contracts.pdf", headers=clerk)
    assert again.content == response.content and kept(service) == [name]  # the kept file, not made again

    approve(service, mine[1])
    changed = service.client.get(f"/board/{DEPT}/forms/contracts.pdf", headers=clerk)
    assert changed.status_code == 200 and changed.content != response.content
    second = {contract_mark.encode(mark_of(service, mine[1]))}
    assert [found for found in codes_on(changed.content) if found] == [first] * len(coded) + [second] * len(coded)
    assert len(kept(service)) == 1 and kept(service) != [name]  # the older one of the department removed

    assert service.client.get(f"/board/{OTHER_DEPT}/forms/contracts.pdf", headers=clerk).status_code == 403


@needs_office
def test_every_annex_3_of_a_department_prints_as_one_pdf(service: Service) -> None:
    mine = people(service)
    response = service.client.get(f"/board/{DEPT}/forms/annex3.pdf", headers=service.bearer("clerk"))
    assert response.status_code == 200, response.text
    assert len(PdfReader(io.BytesIO(response.content)).pages) >= len(mine)
    department = service.session("clerk").get(f"/board/{DEPT}").text
    assert f"/board/{DEPT}/forms/contracts.pdf" in department and f"/board/{DEPT}/forms/annex3.pdf" in department
