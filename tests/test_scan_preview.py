"""The bulk preview a clerk decides from, through HTTP: a page read upside down or sideways is
stored upright (its /Rotate set, its image untouched), a page nobody's code is on comes with a
full-size image, the chooser lists the people still without a scan first, and a stack stored
once previews as 已存 the second time and stores nothing unless the clerk asks (仍然存入)."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp
from approvals import approve, mark_of, people
from helpers import DEPT, Service, page_csrf, parse_html, staff_of, stored_files
from paper import A4_150, pdf_of, scanned
from PIL import Image
from pypdf import PdfReader

from service.office import scans
from service.rules import contract_mark

PDF_TYPE = "application/pdf"


def post(service: Service, stack: bytes, *, dry_run: bool, **fields: str) -> Any:
    query = "?dry_run=1&thumbnails=1" if dry_run else ""
    return service.client.post(f"/api/departments/{DEPT}/scans{query}", headers=service.bearer("clerk"),
                               data=fields, files=[("file", ("stack.pdf", stack, PDF_TYPE))])


def upright_code(pdf: bytes, index: int) -> tuple[str, int]:
    """The contract mark on a stored page rendered as a viewer shows it, and the code's orientation."""
    document = pdfium.PdfDocument(pdf)
    try:
        image = document[index].render(scale=150 / 72).to_pil().convert("L")
    finally:
        document.close()
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode, try_rotate=True)
    assert found, "no code on the stored page"
    return found[0].text, found[0].orientation


def stored_pdf(service: Service, staff_id: str) -> bytes:
    scan = staff_of(service.client, DEPT, service.bearer("hr"))[staff_id]["versions"][-1]
    response = service.client.get(f"/api/departments/{DEPT}/contracts/{scan['id']}", headers=service.bearer("clerk"))
    assert response.status_code == 200
    return response.content


def test_turned_pages_are_stored_upright_and_a_stack_stored_once_previews_as_already_stored(service: Service) -> None:
    first, second, third = people(service)[:3]
    approve(service, first)
    approve(service, second)
    marks = {staff_id: mark_of(service, staff_id) for staff_id in (first, second)}
    upside_down = scanned(_page(marks[first]).rotate(180, expand=True), 1)
    sideways = scanned(_page(marks[second]).rotate(90, expand=True), 2)  # turned a quarter counter-clockwise
    blank = scanned(Image.new("L", A4_150, 255), 3)
    stack = pdf_of([upside_down, sideways, blank])

    preview = post(service, stack, dry_run=True)
    assert preview.status_code == 200, preview.text
    answer = preview.json()
    found = {p["staff_id"]: p for p in answer["people"]}
    assert found[first]["pages"][0]["turn"] == 180 and found[second]["pages"][0]["turn"] == 90
    assert all(p["will_store"] and p["already_stored"] is None for p in found.values())
    (unreadable,) = answer["unreadable"]
    assert unreadable["already_stored"] is None
    large = Image.open(io.BytesIO(_data_uri(unreadable["large"])))
    assert large.width >= 1200

    expected = {f"sha256:{f['file']}": f["sha256"] for f in answer["files"]}
    stored = post(service, stack, dry_run=False, **expected, **{"assign:1:3": third})
    assert stored.status_code == 201, stored.text
    for staff_id in (first, second):
        pdf = stored_pdf(service, staff_id)
        assert PdfReader(io.BytesIO(pdf)).pages[0].rotation in (90, 180)
        text, orientation = upright_code(pdf, 0)
        assert contract_mark.decode(text) == marks[staff_id] and abs(orientation) < 45
    assert len(stored_files(service.settings)) == 3

    again = post(service, stack, dry_run=True)
    answer = again.json()
    found = {p["staff_id"]: p for p in answer["people"]}
    assert {s: (p["already_stored"], p["will_store"]) for s, p in found.items()} == {first: (1, False),
                                                                                    second: (1, False)}
    assert answer["unreadable"][0]["already_stored"] == {"staff_id": third, "version": 1}
    nothing = post(service, stack, dry_run=False, **expected, **{"assign:1:3": third})
    assert nothing.status_code == 422 and nothing.json()["code"] == "nothing_to_store"
    assert len(stored_files(service.settings)) == 3

    asked = post(service, stack, dry_run=False, **expected, again=first)
    assert asked.status_code == 201, asked.text
    assert [p["staff_id"] for p in asked.json()["people"] if p["stored"]] == [first]
    assert staff_of(service.client, DEPT, service.bearer("hr"))[first]["versions"][-1]["version"] == 2


def test_the_page_offers_the_full_size_page_and_lists_people_without_a_scan_first(service: Service) -> None:
    first, second = people(service)[:2]
    approve(service, first)
    stack = pdf_of([_signed(mark_of(service, first), 1)])
    preview = post(service, stack, dry_run=True).json()
    post(service, stack, dry_run=False, **{f"sha256:{f['file']}": f["sha256"] for f in preview["files"]})

    browser = service.session("clerk")
    path = f"/board/{DEPT}/scans"
    blank = pdf_of([scanned(Image.new("L", A4_150, 255), 5), _signed(mark_of(service, first), 1)])
    shown = browser.post(path, data={"csrf": page_csrf(browser, path), "dry_run": "1"},
                         files=[("file", ("stack.pdf", blank, PDF_TYPE))])
    assert shown.status_code == 200
    html = parse_html(shown.text)
    enlarge = html.find("details", data_large="1:1")
    assert enlarge is not None and Image.open(io.BytesIO(_data_uri(enlarge.find("img").attrs["src"]))).width >= 1200
    groups = html.find("select", name="assign:1:1").find_all("optgroup")  # type: ignore[union-attr]
    assert [g.attrs["label"] for g in groups] == ["尚无有效扫描件", "已有扫描件"]
    waiting = [o.attrs["value"] for o in groups[0].find_all("option")]
    assert second in waiting and first not in waiting
    assert [o.attrs["value"] for o in groups[1].find_all("option")] == [first]
    row = html.find("tr", data_person=first)
    assert row is not None and "已存" in row.text and row.find("input", type="checkbox", name="again")


def _wait_for(condition: Any, timeout: float = 60) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def _page(mark: contract_mark.ContractMark) -> Image.Image:
    from paper import with_code

    return with_code([contract_mark.encode(mark)])


def _signed(mark: contract_mark.ContractMark, seed: int) -> Image.Image:
    return scanned(_page(mark), seed)


def _data_uri(uri: str) -> bytes:
    import base64

    assert uri.startswith("data:image/jpeg;base64,")
    return base64.b64decode(uri.split(",", 1)[1])


def test_pages_are_read_in_the_pool_started_on_first_use_and_shut_down_with_the_service(
        settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from helpers import running_service

    with running_service(settings.with_(scan_workers=2)) as service:
        pool = service.app.state.scan_pool
        assert pool.workers == 2 and pool._executor is None  # nothing read yet: no process started
        first = people(service)[0]
        approve(service, first)
        stack = pdf_of([_signed(mark_of(service, first), 1), scanned(Image.new("L", A4_150, 255), 2)])
        answer = post(service, stack, dry_run=True).json()
        assert [p["staff_id"] for p in answer["people"]] == [first] and len(answer["unreadable"]) == 1
        executor = pool._executor
        assert executor is not None
        workers = list(executor._processes.values())
        assert 1 <= len(workers) <= 2 and all(w.is_alive() for w in workers)

        for worker in workers:  # a worker killed (out of memory, by hand): the pool breaks
            worker.kill()
        _wait_for(lambda: executor._broken)
        again = post(service, stack, dry_run=True).json()  # read in-process this once
        assert [p["staff_id"] for p in again["people"]] == [first]
        monkeypatch.setattr(scans, "HAND_OVER_BYTES", 0)  # every file handed over as a scratch copy
        scratch = tmp_path / "scratch"
        scratch.mkdir()
        monkeypatch.setattr(tempfile, "tempdir", str(scratch))
        handed = post(service, stack, dry_run=True).json()
        assert handed["people"] == again["people"] and list(scratch.iterdir()) == []  # the copy removed
        assert pool._executor is not None and pool._executor is not executor  # then a fresh pool
        workers = list(pool._executor._processes.values())
    assert pool._executor is None and all(not w.is_alive() for w in workers)  # stopped with the service
    assert pool.executor() is None  # a stopped service reads no more in the pool


def test_a_long_stack_is_read_in_the_pool_a_few_pages_at_a_time_each_worker_opening_the_file_itself(
        settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from helpers import running_service

    monkeypatch.setattr(scans, "RUN_PAGES", 1)  # a run a page: more runs than are handed to the pool at once
    monkeypatch.setattr(scans, "IN_FLIGHT", 2)
    monkeypatch.setattr(scans, "HAND_OVER_BYTES", 0)  # the workers open the scratch copy by its path
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    with running_service(settings.with_(scan_workers=2)) as service:
        first, second, third = people(service)[:3]
        for staff_id in (first, second, third):
            approve(service, staff_id)
        marks = [mark_of(service, staff_id) for staff_id in (first, second, third)]
        pages = [_signed(marks[0], 1), _signed(marks[1], 2), scanned(Image.new("L", A4_150, 255), 3),
                 _signed(marks[2], 4), _signed(marks[0], 5), _signed(marks[1], 6), _signed(marks[2], 7)]
        stack = pdf_of(pages)
        answer = post(service, stack, dry_run=True).json()
        assert service.app.state.scan_pool._executor is not None  # read in the pool
    in_process = scans.sort_scan([stack])
    assert [(p["staff_id"], [page["page"] for page in p["pages"]]) for p in answer["people"]] == [
        (first, [1, 5]), (second, [2, 6]), (third, [4, 7])]
    assert [page["page"] for page in answer["unreadable"]] == [3]
    assert [(g.mark, [p.page + 1 for p in g.pages]) for g in in_process.groups] == [
        (marks[0], [1, 5]), (marks[1], [2, 6]), (marks[2], [4, 7])]
    assert list(scratch.glob("portal-scan-*")) == []  # the scratch copy removed
