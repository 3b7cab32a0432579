"""A person's contract from their approved targets, its code read back from the scan, and every
mistake put right through HTTP: a scan withdrawn, an approved set reopened, a completion
status that cannot change — each in the audit log, the log still verifying afterwards."""

from __future__ import annotations

import io
import zipfile

import docx
import openpyxl
from approvals import approve, decide, mark_of, page_png, people, reopen, submit, target_set
from helpers import (
    DEPT,
    OTHER_DEPT,
    PDF,
    Service,
    audit_actions,
    page_csrf,
    parse_html,
    portal,
    running_service,
    scan_of,
    staff_of,
    stored_files,
    upload,
)
from paper import pdf_of, png_declaring
from PIL import Image

from service.config import Settings
from service.office import scans
from service.rules import contract_mark

CUSTOM = "技能鉴定合格率不低于97%"


def send(service: Service, staff_id: str, data: bytes, user: str = "clerk", **form: str):  # type: ignore[no-untyped-def]
    return upload(service.client, staff_id, data, "scan.png", service.bearer(user), **form)


def status_counts(service: Service, department: str = DEPT) -> dict[str, int]:
    row = next(d for d in service.client.get("/api/status").json()["departments"] if d["id"] == department)
    return {k: row[k] for k in ("completed", "outstanding", "resign", "unapproved")}


def person(service: Service, staff_id: str) -> dict[str, object]:
    return staff_of(service.client, DEPT, service.bearer("hr"))[staff_id]


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    headers = [p.text for s in document.sections for h in (s.header, s.first_page_header) for p in h.paragraphs]
    boxes = [t.text or "" for s in document.sections for t in s.header._element.iter("{*}t")]
    return "\n".join([*cells, *headers, *boxes])


def docx_codes(data: bytes) -> list[str]:
    """The QR codes of the pictures in a Word file's page headers."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        pictures = [archive.read(n) for n in archive.namelist() if n.startswith("word/media/")]
    return sorted({text for png in pictures for text in scans.read_marks(Image.open(io.BytesIO(png)))})


# -- the contract printed from the record ---------------------------------------------------------


def test_the_contract_prints_the_approved_set_with_its_mark_and_a_draft_under_its_warning(service: Service) -> None:
    staff_id = people(service)[0]
    clerk = service.bearer("clerk")
    form = f"/board/{DEPT}/forms/{staff_id}"
    template = service.client.get(f"{form}/annex1.docx", headers=clerk).content
    assert CUSTOM not in docx_text(template) and "草稿，未经审定" in docx_text(template) and docx_codes(template) == []

    submit(service, staff_id, CUSTOM)
    draft = service.client.get(f"{form}/annex1.docx", headers=clerk).content
    assert CUSTOM in docx_text(draft) and "草稿，未经审定" in docx_text(draft)
    assert docx_codes(draft) == []  # nothing to sign yet: no code
    sheet = openpyxl.load_workbook(io.BytesIO(service.client.get(f"{form}/annex3.xlsx", headers=clerk).content))["附件3"]
    assert sheet["B5"].value == CUSTOM and sheet["F1"].value == "草稿，未经审定"

    assert decide(service, staff_id, "approve", "boss", "同意").status_code == 200
    contract = service.client.get(f"{form}/annex1.docx", headers=clerk).content
    text = docx_text(contract)
    assert CUSTOM in text and "草稿" not in text
    mark = mark_of(service, staff_id)
    assert mark.version == 1 and docx_codes(contract) == [contract_mark.encode(mark)]
    assert "第1版" in text and mark.tag in text  # the label under the code
    sheet = openpyxl.load_workbook(io.BytesIO(service.client.get(f"{form}/annex3.xlsx", headers=clerk).content))["附件3"]
    assert sheet["B5"].value == CUSTOM and sheet["F1"].value is None


def test_the_contract_of_a_person_without_any_target_set_is_printed_as_a_draft(service: Service) -> None:
    """The role's template, nothing approved to sign: the draft line on every page and no code."""
    staff_id = people(service)[1]
    assert service.client.get(f"/api/targets/{staff_id}", headers=service.bearer("hr")).json()["state"] is None
    answer = service.client.get(f"/board/{DEPT}/forms/{staff_id}/annex1.docx", headers=service.bearer("clerk"))
    assert answer.status_code == 200
    document = docx.Document(io.BytesIO(answer.content))
    for section in document.sections:
        shown = [p.text for h in (section.header, section.first_page_header) for p in h.paragraphs]
        assert "草稿，未经审定" in shown
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        assert [n for n in archive.namelist() if n.startswith("word/media/")] == []  # no QR code, no picture
    sheet = openpyxl.load_workbook(io.BytesIO(service.client.get(
        f"/board/{DEPT}/forms/{staff_id}/annex3.xlsx", headers=service.bearer("clerk")).content))["附件3"]
    assert sheet["F1"].value == "草稿，未经审定"


# -- scans read, tied to their version ------------------------------------------------------------


def test_a_scan_counts_for_its_version_and_reapproving_the_same_content_keeps_it(service: Service) -> None:
    staff_id = people(service)[0]
    approve(service, staff_id, CUSTOM)
    first = mark_of(service, staff_id)
    answer = send(service, staff_id, page_png(first))
    assert answer.status_code == 201, answer.text
    assert (answer.json()["target_version"], answer.json()["match"]) == (1, "matched")
    assert person(service, staff_id)["status"] == "完成"
    assert status_counts(service)["completed"] == 1

    assert reopen(service, staff_id).status_code == 200
    assert person(service, staff_id)["status"] == "需重签"
    assert status_counts(service) == {**status_counts(service), "completed": 0, "resign": 1}
    hr_board = parse_html(service.hr_session().get("/board").text)
    row = hr_board.find("tr", data_department=DEPT)
    assert row is not None and row.find("td", data_field="resign").text == "1"  # type: ignore[union-attr]

    approve(service, staff_id)  # the same rows again: version 2, the same tag, still signed
    second = mark_of(service, staff_id)
    assert (second.version, second.tag) == (2, first.tag)
    assert person(service, staff_id)["status"] == "完成" and status_counts(service)["resign"] == 0

    reopen(service, staff_id)
    approve(service, staff_id, CUSTOM + "，并组织复训")  # changed: a new tag
    assert mark_of(service, staff_id).tag != first.tag
    assert person(service, staff_id)["status"] == "需重签"
    stale = send(service, staff_id, scan_of(staff_id, page_png(first, seed=3)))  # the old paper again
    assert stale.status_code == 201 and stale.json()["match"] == "stale"
    assert "第 1 版" in stale.json()["warning"] and "第 3 版" in stale.json()["warning"]
    assert person(service, staff_id)["status"] == "需重签"
    current = send(service, staff_id, page_png(mark_of(service, staff_id), seed=4))
    assert current.json()["match"] == "matched" and person(service, staff_id)["status"] == "完成"


def test_a_single_upload_whose_code_names_someone_else_is_refused(service: Service) -> None:
    mine, theirs = people(service)[:2]
    approve(service, theirs)
    name = service.context.content.staff(theirs).name  # type: ignore[union-attr]
    answer = send(service, mine, page_png(mark_of(service, theirs)))
    assert answer.status_code == 422
    assert answer.json()["code"] == "scan_other_person"
    assert f"{name}（{theirs}）" in answer.json()["error"] and "未保存" in answer.json()["error"]
    assert stored_files(service.settings) == [] and "contract.upload" not in audit_actions(service.settings)


def test_a_whole_stack_is_not_taken_for_one_persons_scan(service: Service) -> None:
    stack = pdf_of([Image.new("L", (124, 175), 255)] * 61)
    answer = send(service, people(service)[0], stack)
    assert answer.status_code == 422 and answer.json()["code"] == "scan_is_a_stack"
    assert "批量上传" in answer.json()["error"] and stored_files(service.settings) == []
    leader = send(service, people(service)[0], stack, user="boss")
    assert leader.status_code == 403  # refused before a page is read


def test_a_single_scan_over_the_pixel_limit_is_refused_like_in_a_stack(service: Service) -> None:
    """900 megapixels declared in a PNG's header: refused through the API and the upload form."""
    staff_id = people(service)[0]
    huge = png_declaring(30_000, 30_000)
    answer = send(service, staff_id, huge)
    assert answer.status_code == 422 and answer.json()["code"] == "scan_too_many_pixels"
    assert "尺寸过大" in answer.json()["error"]
    clerk = service.session("clerk")
    form = clerk.post(f"/board/{DEPT}/contracts", data={"csrf": page_csrf(clerk, f"/board/{DEPT}"), "staff_id": staff_id},
                      files={"file": ("scan.png", huge, "image/png")})
    assert form.status_code == 422 and "尺寸过大" in form.text
    assert stored_files(service.settings) == [] and "contract.upload" not in audit_actions(service.settings)
    assert person(service, staff_id)["versions"] == []


def test_the_same_file_for_another_person_is_flagged_before_it_is_stored(service: Service) -> None:
    first, second = people(service)[:2]
    assert send(service, first, PDF).status_code == 201
    name = service.context.content.staff(first).name  # type: ignore[union-attr]
    answer = send(service, second, PDF)
    assert answer.status_code == 409 and answer.json()["code"] == "duplicate_file"
    assert f"{name}（{first}）第 1 版" in answer.json()["error"]
    assert len(stored_files(service.settings)) == 1 and person(service, second)["versions"] == []
    assert send(service, second, PDF, allow_duplicate="1").status_code == 201  # confirmed: stored


def test_refusing_scans_without_approved_targets_is_a_setting(settings: Settings) -> None:
    path = settings.content_dir / "settings.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("refuse_unapproved: false", "refuse_unapproved: true"),
                    encoding="utf-8")
    with running_service(settings) as service:
        staff_id = people(service)[0]
        answer = send(service, staff_id, PDF)
        assert answer.status_code == 409 and answer.json()["code"] == "targets_not_approved"
        assert "尚未审定" in answer.json()["error"] and stored_files(settings) == []
        approve(service, staff_id)
        assert send(service, staff_id, PDF).status_code == 201


# -- putting mistakes right -----------------------------------------------------------------------


def test_a_withdrawn_scan_keeps_its_file_and_the_person_falls_back(service: Service) -> None:
    staff_id = people(service)[0]
    approve(service, staff_id)
    v1 = send(service, staff_id, page_png(mark_of(service, staff_id))).json()
    v2 = send(service, staff_id, scan_of(staff_id)).json()
    url = f"/api/departments/{DEPT}/contracts/{{}}/withdraw"
    clerk, other, boss = (service.bearer(u) for u in ("clerk", "other", "boss"))
    assert service.client.post(url.format(v2["id"]), headers=clerk, json={"reason": " "}).json()["code"] == "reason_required"
    assert service.client.post(url.format(v2["id"]), headers=other, json={"reason": "传错了人"}).status_code == 403
    assert service.client.post(url.format(v2["id"]), headers=boss, json={"reason": "传错了人"}).status_code == 403

    answer = service.client.post(url.format(v2["id"]), headers=clerk, json={"reason": "传错了人"})
    assert answer.status_code == 200, answer.text
    versions = person(service, staff_id)["versions"]
    assert [(v["version"], v["state"]) for v in versions] == [(1, "valid"), (2, "withdrawn")]  # type: ignore[index]
    assert (versions[1]["withdrawn_by"], versions[1]["withdraw_reason"]) == ("clerk", "传错了人")  # type: ignore[index]
    assert person(service, staff_id)["status"] == "完成"  # back on version 1
    again = service.client.post(url.format(v2["id"]), headers=clerk, json={"reason": "再撤一次"})
    assert again.status_code == 409 and again.json()["code"] == "already_withdrawn"

    browser = service.hr_session()
    page = browser.get(f"/board/{DEPT}")
    form = {"csrf": page_csrf(browser, f"/board/{DEPT}"), "reason": "扫描不清，重新扫描"}
    assert browser.post(f"/board/{DEPT}/contracts/{v1['id']}/withdraw", data=form).status_code == 303
    assert person(service, staff_id)["status"] == "未完成" and status_counts(service)["completed"] == 0
    shown = parse_html(browser.get(f"/board/{DEPT}?notice=withdrawn").text)
    cell = shown.find("tr", data_staff=staff_id).find("td", data_versions=True)  # type: ignore[union-attr]
    assert cell is not None and cell.text.count("已撤回") == 2 and "扫描不清，重新扫描" in cell.text and "hr" in cell.text
    assert page.status_code == 200 and len(stored_files(service.settings)) == 2  # both files kept
    assert audit_actions(service.settings).count("contract.withdraw") == 2
    verify = portal(service.settings, "audit", "verify")
    assert verify.returncode == 0 and "校验通过" in verify.stdout, verify.stdout + verify.stderr


def test_only_hr_reopens_an_approved_set_and_only_with_a_reason(service: Service) -> None:
    staff_id = people(service)[0]
    approve(service, staff_id)
    assert decide(service, staff_id, "reopen", "clerk", "想改").status_code == 403
    assert decide(service, staff_id, "reopen", "boss", "想改").status_code == 403
    refused = decide(service, staff_id, "reopen", "hr", "")
    assert refused.status_code == 400 and refused.json()["code"] == "reason_required"
    assert target_set(service, staff_id)["state"] == "已审定"
    reopened = reopen(service, staff_id, "岗位调整，目标需修改")
    assert reopened.status_code == 200 and reopened.json()["state"] == "草稿"
    assert reopened.json()["history"][-1]["comment"] == "岗位调整，目标需修改"
    assert decide(service, staff_id, "reopen", "hr", "再开").status_code == 409  # not approved now
    assert "targets.reopen" in audit_actions(service.settings)
    page = parse_html(service.hr_session().get(f"/board/{DEPT}/targets/{staff_id}").text)
    assert "重新打开" in page.text and "岗位调整，目标需修改" in page.text
    assert portal(service.settings, "audit", "verify").returncode == 0


def test_a_status_that_cannot_change_says_why_and_nothing_unsaved_says_saved(service: Service) -> None:
    signed, other = people(service)[:2]
    clerk = service.bearer("clerk")
    send(service, signed, PDF)
    name = service.context.content.staff(signed).name  # type: ignore[union-attr]
    before = audit_actions(service.settings)
    refused = service.client.put(f"/api/completion/{DEPT}", headers=clerk,
                                 json={"entries": [{"staff_id": signed, "status": "产假"}]})
    assert refused.status_code == 409 and refused.json()["code"] == "status_locked"
    assert refused.json()["error"] == ("以下人员已上传签字的责任状扫描件，完成情况由扫描件确定为“完成”，不能改为其他状态，"
                                       f"应先撤回扫描件：{name}（{signed}）（要改为“产假”）")
    assert audit_actions(service.settings) == before

    first = service.client.put(f"/api/completion/{DEPT}", headers=clerk,
                               json={"entries": [{"staff_id": other, "status": "病假"}]})
    assert first.json()["saved"] is True and first.json()["changed"] == {other: "病假"}
    logged = audit_actions(service.settings)
    same = service.client.put(f"/api/completion/{DEPT}", headers=clerk,
                              json={"entries": [{"staff_id": other, "status": "病假"}]})
    assert same.status_code == 200 and same.json()["saved"] is False and same.json()["changed"] == {}
    assert audit_actions(service.settings) == logged  # nothing saved, nothing logged

    browser = service.session("clerk")
    csrf = page_csrf(browser, f"/board/{DEPT}")
    answer = browser.post(f"/board/{DEPT}/completion", data={"csrf": csrf, f"status:{other}": "病假"})
    assert answer.headers["location"].endswith("notice=unchanged")
    page = parse_html(browser.get(answer.headers["location"]).text)
    assert "没有改动" in page.text and "已保存" not in page.text
    select = page.find("select", name=f"status:{signed}")
    assert select is not None and "disabled" in select.attrs  # decided by the scan

    form = service.client.get(f"/board/{DEPT}/forms/annex5.xlsx", headers=clerk).content
    book = openpyxl.load_workbook(io.BytesIO(form))
    row = next(r for r in range(5, 60) if book["附件5"][f"E{r}"].value == other)
    assert book["附件5"][f"D{row}"].value == "病假"
    book["附件5"][f"D{row}"].value = None  # a blank status clears it
    out = io.BytesIO()
    book.save(out)
    cleared = service.client.post(f"/api/completion/{DEPT}/xlsx", headers=clerk,
                                  files={"file": ("附件5.xlsx", out.getvalue(), "application/octet-stream")})
    assert cleared.status_code == 200 and cleared.json()["changed"][other] is None
    assert person(service, other)["status"] == "未完成"
    assert audit_actions(service.settings).count("completion.update") == 2
    assert portal(service.settings, "audit", "verify").returncode == 0


def test_another_departments_clerk_cannot_withdraw(service: Service) -> None:
    staff_id = people(service, OTHER_DEPT)[0]
    record = send(service, staff_id, PDF, user="other").json()
    answer = service.client.post(f"/api/departments/{OTHER_DEPT}/contracts/{record['id']}/withdraw",
                                 headers=service.bearer("clerk"), json={"reason": "不是我的"})
    assert answer.status_code == 403
    assert staff_of(service.client, OTHER_DEPT, service.bearer("hr"))[staff_id]["versions"][0]["state"] == "valid"
