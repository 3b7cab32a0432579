"""A department's one-time password slips print on A4: the PDF the page answers (made by
LibreOffice) and the Word file rendered by LibreOffice are A4 pages, five slips a page with
cut lines, each slip's name, 工号 and password as pdftotext reads them, and each password signs
its person in."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import DEPT, Service, login, running_service
from pypdf import PdfReader
from staff_helpers import print_slips, slip_passwords

from service.config import Settings

needs_office = pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext") and shutil.which("pdfinfo")),
                                  reason="LibreOffice / poppler-utils not installed (make test installs them as root)")
A4 = (595.3, 841.9)  # points
PER_PAGE = 5


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    with running_service(settings) as running:
        yield running


def is_a4(width: float, height: float) -> bool:
    return abs(width - A4[0]) < 1.5 and abs(height - A4[1]) < 1.5


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True,
                          timeout=60).stdout


def check_pdf(path: Path, people: int) -> str:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True, timeout=60).stdout
    assert "(A4)" in info, info
    pages = PdfReader(path).pages
    assert len(pages) == -(-people // PER_PAGE)
    for page in pages:
        box = page.mediabox
        assert is_a4(float(box.width), float(box.height))
    return pdf_text(path)


@needs_office
def test_the_slips_of_a_department_print_on_a4(service: Service, tmp_path: Path) -> None:
    members = service.context.content.members(DEPT)
    response = print_slips(service, kind="pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    printed = tmp_path / "slips.pdf"
    printed.write_bytes(response.content)
    text = check_pdf(printed, len(members))
    found = dict(re.findall(r"工号：(\d+).*?一次性密码：(\w+)", text, re.S))
    assert sorted(found) == sorted(m.staff_id for m in members)
    for member in members:
        assert member.name in text
    assert text.count("一次性密码：") == len(members) and "沿虚线剪开" in text
    first = members[0]
    client = service.new_client()
    assert login(client, first.staff_id, found[first.staff_id]).headers["location"] == "/account"


@needs_office
def test_the_word_slips_render_on_a4_in_libreoffice(service: Service, tmp_path: Path) -> None:
    response = print_slips(service, kind="docx")
    assert response.status_code == 200
    source = tmp_path / "slips.docx"
    source.write_bytes(response.content)
    passwords = slip_passwords(response.content)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=180)
    text = check_pdf(tmp_path / "slips.pdf", len(passwords))
    for staff_id, password in passwords.items():
        assert re.search(rf"工号：{staff_id}.*?一次性密码：{password}", text, re.S), staff_id
