"""A department's stack of signed contracts sorted by the codes on its pages, through HTTP:
the API's dry run and confirmation, the bulk page without JavaScript, and the whole way from
a custom target set to ten scanned contracts in one PDF stored as their people."""

from __future__ import annotations

import io
import json
from typing import Any

import docx
import pytest
from approvals import approve, mark_of, people, reopen, signed_page
from helpers import (
    DEPT,
    OTHER_DEPT,
    Service,
    audit_actions,
    page_csrf,
    parse_html,
    portal,
    staff_of,
    stored_files,
)
from paper import A4_150, needs_office, pdf_of, print_pdfs, rasterised, scanned, with_code
from PIL import Image
from pypdf import PdfReader

from service.rules import contract_mark
from service.rules.contract_mark import ContractMark

PDF_TYPE = "application/pdf"


def post(service: Service, files: list[tuple[str, bytes]], *, dry_run: bool, user: str = "clerk",
         **fields: str) -> Any:
    query = "?dry_run=1&thumbnails=1" if dry_run else ""
    return service.client.post(f"/api/departments/{DEPT}/scans{query}", headers=service.bearer(user), data=fields,
                               files=[("file", (name, data, PDF_TYPE)) for name, data in files])


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("L").save(out, "JPEG", quality=80, dpi=(150, 150))
    return out.getvalue()


def by_person(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["staff_id"]: p for p in answer["people"]}


# -- the API ------------------------------------------------------------------------------------


def test_a_stack_is_previewed_then_stored_one_pdf_per_person(service: Service) -> None:
    mine = people(service)
    for staff_id in mine[:4]:
        approve(service, staff_id)
    old = mark_of(service, mine[3])
    reopen(service, mine[3])
    approve(service, mine[3], "本学期指导学生技能竞赛获奖")  # changed since its paper was printed
    theirs = people(service, OTHER_DEPT)[0]
    approve(service, theirs)
    marks = [mark_of(service, s) for s in mine[:3]]
    stranger = ContractMark(service.context.year, "999999", 1, "ABCDEFGHIJ")
    blank = scanned(Image.new("L", A4_150, 255), 40)
    foreign = scanned(with_code(["https://www.example.edu.cn/"]), 41)
    stack = pdf_of([signed_page(marks[0], 1), signed_page(marks[1], 2), signed_page(marks[0], 3), blank,
                    signed_page(old, 4), signed_page(mark_of(service, theirs), 5), foreign,
                    signed_page(stranger, 6)])
    files = [("stack.pdf", stack), ("photo.jpg", jpeg(signed_page(marks[2], 7)))]
    service.bearer("clerk")
    before = audit_actions(service.settings)

    preview = post(service, files, dry_run=True)
    assert preview.status_code == 200, preview.text
    answer = preview.json()
    assert answer["dry_run"] is True and answer["stored"] is False
    found = by_person(answer)
    assert {s: found[s]["status"] for s in found} == {
        mine[0]: "matched", mine[1]: "matched", mine[2]: "matched", mine[3]: "stale", theirs: "other_department",
        "999999": "unknown"}
    assert [(p["file"], p["page"]) for p in found[mine[0]]["pages"]] == [(1, 1), (1, 3)]
    assert found[mine[2]]["pages"][0]["where"] == "第 2 个文件第 1 页"
    assert found[mine[3]]["target_version"] == 1 and "第 2 版" in found[mine[3]]["message"]
    assert all(p["pages"][0]["thumbnail"].startswith("data:image/jpeg;base64,") for p in answer["people"])
    assert [(p["file"], p["page"], p["reason"]) for p in answer["unreadable"]] == [(1, 4, "no_code"),
                                                                                  (1, 7, "foreign_code")]
    assert stored_files(service.settings) == [] and audit_actions(service.settings) == before  # a dry run

    expected = {f"sha256:{f['file']}": f["sha256"] for f in answer["files"]}
    changed = post(service, files, dry_run=False, **{**expected, "sha256:1": "0" * 64})
    assert changed.status_code == 409 and changed.json()["code"] == "files_changed"
    assert stored_files(service.settings) == []

    stored = post(service, files, dry_run=False, **expected, **{"assign:1:4": mine[4]})
    assert stored.status_code == 201, stored.text
    found = by_person(stored.json())
    assert {s for s, p in found.items() if p["stored"]} == {*mine[:5]}
    assert not found[theirs]["stored"] and not found["999999"]["stored"]
    assert [(p["file"], p["page"]) for p in stored.json()["unreadable"]] == [(1, 7)]  # assigned: gone from the list
    staff = staff_of(service.client, DEPT, service.bearer("hr"))
    assert [staff[s]["status"] for s in mine[:5]] == ["完成", "完成", "完成", "需重签", "目标未审定"]
    scan = staff[mine[0]]["versions"][0]
    assert (scan["version"], scan["target_version"], scan["pages"]) == (1, 1, 2)
    pdf = service.client.get(f"/api/departments/{DEPT}/contracts/{scan['id']}", headers=service.bearer("clerk"))
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 2
    assert staff_of(service.client, OTHER_DEPT, service.bearer("hr"))[theirs]["versions"] == []  # stored nowhere
    assert audit_actions(service.settings)[-2:] == ["contract.upload_batch", "contract.download"]

    again = post(service, files, dry_run=False, **expected, **{"assign:1:4": mine[4]})
    assert again.status_code == 422 and again.json()["code"] == "nothing_to_store"  # the same stack twice
    assert all("完全相同" in p["note"] for p in again.json()["people"] if p["staff_id"] in mine[:5])
    assert portal(service.settings, "audit", "verify").returncode == 0


def test_a_clerk_sends_only_to_their_own_department_and_pages_only_to_their_people(service: Service) -> None:
    blank = pdf_of([scanned(Image.new("L", A4_150, 255), 1)])
    refused = service.client.post(f"/api/departments/{OTHER_DEPT}/scans?dry_run=1", headers=service.bearer("clerk"),
                                  files=[("file", ("a.pdf", blank, PDF_TYPE))])
    assert refused.status_code == 403
    stranger = people(service, OTHER_DEPT)[0]
    wrong = post(service, [("a.pdf", blank)], dry_run=False, **{"assign:1:1": stranger})
    assert wrong.status_code == 422 and wrong.json()["code"] == "staff_not_in_department"
    nothing = post(service, [("a.pdf", blank)], dry_run=False)
    assert nothing.status_code == 422 and nothing.json()["unreadable"][0]["reason"] == "no_code"
    assert post(service, [], dry_run=True).json()["code"] == "missing_file"
    assert stored_files(service.settings) == []


# -- the page ------------------------------------------------------------------------------------


def test_the_bulk_page_previews_and_then_stores_without_javascript(service: Service) -> None:
    first, second = people(service)[:2]
    approve(service, first)
    stack = pdf_of([signed_page(mark_of(service, first), 1), scanned(Image.new("L", A4_150, 255), 2)])
    browser = service.session("clerk")
    department = parse_html(browser.get(f"/board/{DEPT}").text)
    assert department.find("a", data_bulk_link=True).attrs["href"] == f"/board/{DEPT}/scans"  # type: ignore[union-attr]
    path = f"/board/{DEPT}/scans"
    page = parse_html(browser.get(path).text)
    form = page.find("form", data_scan_batch_form=True)
    assert form is not None and form.find("input", type="file", multiple=True) is not None

    csrf = page_csrf(browser, path)
    preview = browser.post(path, data={"csrf": csrf, "dry_run": "1"}, files=[("file", ("stack.pdf", stack, PDF_TYPE))])
    assert preview.status_code == 200
    shown = parse_html(preview.text)
    row = shown.find("tr", data_person=first)
    assert row is not None and "可存入" in row.text
    assert row.find("img").attrs["src"].startswith("data:image/jpeg;base64,")  # type: ignore[union-attr]
    confirm = shown.find("form", data_scan_confirm_form=True)
    assert confirm is not None and confirm.find("select", name="assign:1:2") is not None
    assert stored_files(service.settings) == []

    fields = {i.attrs["name"]: i.attrs["value"] for i in confirm.find_all("input", type="hidden")}
    done = browser.post(path, data={**fields, "assign:1:2": second}, files=[("file", ("stack.pdf", stack, PDF_TYPE))])
    assert done.status_code == 200
    result = parse_html(done.text)
    assert result.find(data_batch_stored="2") is not None
    assert {li.attrs["data-stored"] for li in result.find_all("li", data_stored=True)} == {first, second}
    assert len(stored_files(service.settings)) == 2


# -- the whole way ---------------------------------------------------------------------------------


@pytest.mark.slow
@needs_office
def test_ten_contracts_from_custom_targets_come_back_as_their_people(service: Service, tmp_path: Any) -> None:
    """Custom target sets drafted, submitted and approved; each annex 1 downloaded, printed by
    LibreOffice, rasterised at 150 dpi, tilted 2°, salted with noise and saved as JPEG quality 70;
    all ten in one PDF; posted once: each stored as its person and version, the board counting them."""
    ten = people(service)[:10]
    clerk = service.bearer("clerk")
    sources = []
    for number, staff_id in enumerate(ten):
        custom = f"本岗位技能鉴定合格率不低于{90 + number}%"
        approve(service, staff_id, custom)
        contract = service.client.get(f"/board/{DEPT}/forms/{staff_id}/annex1.docx", headers=clerk)
        assert contract.status_code == 200
        cells = {c.text for t in docx.Document(io.BytesIO(contract.content)).tables for r in t.rows for c in r.cells}
        assert custom in cells  # the approved text, not the role's template
        sources.append(tmp_path / f"{staff_id}.docx")
        sources[-1].write_bytes(contract.content)
    printed = print_pdfs(sources, tmp_path)
    pages = []
    counts = {}
    for staff_id in ten:
        images = rasterised(printed[staff_id])
        counts[staff_id] = len(images)
        pages += [scanned(image, len(pages)) for image in images]
    stack = pdf_of(pages)

    answer = post(service, [("全部门责任状.pdf", stack)], dry_run=False)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["unreadable"] == [] and body["refused"] == []
    found = by_person(body)
    assert set(found) == set(ten)
    for staff_id in ten:
        assert (found[staff_id]["status"], found[staff_id]["target_version"], found[staff_id]["stored"]) == (
            "matched", 1, True)
        assert len(found[staff_id]["pages"]) == counts[staff_id]
    staff = staff_of(service.client, DEPT, service.bearer("hr"))
    for staff_id in ten:
        [scan] = staff[staff_id]["versions"]
        assert (staff[staff_id]["status"], scan["target_version"], scan["pages"]) == ("完成", 1, counts[staff_id])
        assert scan["mark"] == contract_mark.encode(mark_of(service, staff_id))
    row = next(d for d in service.client.get("/api/status").json()["departments"] if d["id"] == DEPT)
    assert (row["completed"], row["resign"]) == (10, 0)

    assert reopen(service, ten[0], "岗位调整").status_code == 200
    row = next(d for d in service.client.get("/api/status").json()["departments"] if d["id"] == DEPT)
    assert (row["completed"], row["resign"], row["outstanding"]) == (9, 1, row["staff"] - 9)
    board = parse_html(service.hr_session().get("/board").text).find("tr", data_department=DEPT)
    assert board is not None and board.find("td", data_field="resign").text == "1"  # type: ignore[union-attr]
    lines = (service.settings.data_dir / "audit.log").read_text(encoding="utf-8").splitlines()
    batch = [json.loads(line) for line in lines if '"contract.upload_batch"' in line]
    assert len(batch) == 1 and {s["staff_id"] for s in batch[0]["detail"]["scans"]} == set(ten)
    assert portal(service.settings, "audit", "verify").returncode == 0
