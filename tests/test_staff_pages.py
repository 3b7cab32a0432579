"""A staff member's own pages through HTTP: their targets (the approved version, its history),
their contract file, their monthly results and score, their confirmation of the exact
version (asked again after a reopening), and an objection that goes to the department's and
HR's lists and comes back answered."""

from __future__ import annotations

import io
import json

import pytest
from docx import Document
from helpers import DEPT, JPEG, PDF, PNG, Service, login, page_csrf, parse_html, running_service
from paper import png_declaring
from serverproc import cli
from staff_helpers import approve_targets, issue_slips, me, report_month, staff_session
from starlette.testclient import TestClient

from service.config import Settings
from service.content.codes import (
    CONFIRM_DONE,
    CONFIRM_NOT_APPROVED,
    CONFIRM_PENDING,
    DISPUTE_ANSWERED,
    DISPUTE_MONTHLY,
    DISPUTE_OPEN,
    DISPUTE_SCORE_ITEM,
)


@pytest.fixture
def person(service: Service) -> tuple[str, TestClient]:
    """A member of DEPT signed in with their own password (from a slip)."""
    passwords = issue_slips(service)
    staff_id = service.context.content.members(DEPT)[3].staff_id
    return staff_id, staff_session(service, staff_id, passwords[staff_id])


def confirm(client: TestClient, version: object, read: bool = True) -> object:
    form = {"csrf": page_csrf(client, "/me"), "version": str(version), **({"read": "on"} if read else {})}
    return client.post("/me/confirm", data=form)


def test_own_targets_contract_and_results(service: Service, person: tuple[str, TestClient]) -> None:
    staff_id, client = person
    member = service.context.content.staff(staff_id)
    assert member is not None
    before = me(client)
    assert before["targets"]["state"] is None and before["confirmation"]["state"] == CONFIRM_NOT_APPROVED
    approve_targets(service, staff_id)
    report_month(service, 3, {staff_id: 48.5})
    event = {"department": DEPT, "item_id": service.context.content.common_targets[0].id, "rule_index": 0,
             "note": "会议缺席", "at": "2019-03-12"}
    assert service.client.post("/api/score-events", json=event, headers=service.bearer("hr")).status_code == 201

    data = me(client)
    targets = data["targets"]
    assert targets["approved"] and targets["version"] == 1 and targets["total"] == 60
    assert [h["action"] for h in targets["history"]] == ["submit", "approve"]
    results = data["results"]
    march = next(m for m in results["months"] if m["month"] == 3)
    assert march["business"] == 48.5 and march["attendance"]["事假"] == 1  # their own leave, to them only
    assert results["business"] == 48.5 and results["total"] == results["common"] + 48.5
    deducted = next(i for i in results["items"] if i["item_id"] == event["item_id"])
    assert deducted["deducted"] > 0 and deducted["events"][0]["note"] == "会议缺席"
    assert data["grade"] == {"published": False, "year": 2019}

    page = parse_html(client.get("/me").text)
    assert page.find(data_version=True).text == "1"
    rows = page.find("table", data_my_targets=True).rows()
    assert len(rows) == len(targets["rows"]) + 1
    results_page = parse_html(client.get("/me/results").text)
    assert "48.5" in results_page.find("tr", data_month="3").text  # type: ignore[union-attr]

    contract = client.get("/me/forms/contract.docx")
    assert contract.status_code == 200 and "attachment" in contract.headers["content-disposition"]
    text = "\n".join(p.text for p in Document(io.BytesIO(contract.content)).paragraphs)
    assert member.name in text
    clerk_copy = service.session("clerk").get(f"/board/{DEPT}/forms/{staff_id}/annex1.docx")
    assert Document(io.BytesIO(clerk_copy.content)).core_properties.identifier == \
        Document(io.BytesIO(contract.content)).core_properties.identifier  # the file the department prints
    assert client.get("/me/forms/targets.xlsx").status_code == 200
    assert client.get("/me/forms/other.pdf").status_code == 404


def test_confirmation_records_the_version_and_a_reopening_asks_again(
        service: Service, person: tuple[str, TestClient]) -> None:
    staff_id, client = person
    refused = confirm(client, 1)
    assert refused.status_code == 409 and "尚未审定" in refused.text
    approve_targets(service, staff_id)
    assert confirm(client, 1, read=False).status_code == 400  # the box says they read it
    assert confirm(client, 2).status_code == 409  # not the version shown
    done = confirm(client, 1)
    assert done.status_code == 303 and done.headers["location"] == "/me?notice=confirmed"
    status = me(client)["confirmation"]
    assert status["state"] == CONFIRM_DONE and status["confirmed_version"] == 1 and status["confirmed_at"]
    page = client.get("/me?notice=confirmed").text
    assert "不是电子签名" in page and "纸质责任状" in page
    entries = [json.loads(line) for line in (service.settings.data_dir / "audit.log").read_text().splitlines()]
    (entry,) = [e for e in entries if e["action"] == "targets.confirm"]
    assert entry["detail"]["version"] == 1 and entry["detail"]["staff_id"] == staff_id
    assert entry["detail"]["at"] and len(entry["detail"]["digest"]) == 64

    board = parse_html(service.hr_session().get("/board/confirmations").text)
    row = board.find("tr", data_department=DEPT)
    assert row.find(data_field="confirmed").text == "1"
    people = parse_html(service.session("clerk").get(f"/board/{DEPT}/confirmations").text)
    assert people.find("tr", data_staff=staff_id).attrs["data-state"] == CONFIRM_DONE
    assert service.session("other").get(f"/board/{DEPT}/confirmations").status_code == 403

    reopened = service.client.post(f"/api/targets/{staff_id}/reopen", json={"comment": "岗位调整"},
                                   headers=service.bearer("hr"))
    assert reopened.status_code == 200 and reopened.json()["state"] == "草稿"
    assert me(client)["confirmation"]["state"] == CONFIRM_NOT_APPROVED
    assert confirm(client, 1).status_code == 409
    approve_targets(service, staff_id)
    status = me(client)["confirmation"]
    assert status["state"] == CONFIRM_PENDING and status["version"] == 2 and status["confirmed_version"] == 1
    assert "请阅读上面的新目标后再次确认" in client.get("/me").text
    assert confirm(client, 2).status_code == 303
    assert me(client)["confirmation"]["state"] == CONFIRM_DONE


def test_only_hr_reopens_and_only_with_a_reason(service: Service) -> None:
    staff_id = service.context.content.members(DEPT)[0].staff_id
    approve_targets(service, staff_id)
    for who, status in (("clerk", 403), ("boss", 403)):
        response = service.client.post(f"/api/targets/{staff_id}/reopen", json={"comment": "x"},
                                       headers=service.bearer(who))
        assert response.status_code == status and response.json()["code"] == "not_hr"
    assert service.client.post(f"/api/targets/{staff_id}/reopen", json={}, headers=service.bearer("hr")
                               ).json()["code"] == "reason_required"


def test_an_objection_goes_to_the_lists_and_comes_back_answered(
        service: Service, person: tuple[str, TestClient]) -> None:
    staff_id, client = person
    report_month(service, 3, {staff_id: 30})
    form = {"csrf": page_csrf(client, "/me/objections"), "kind": DISPUTE_MONTHLY, "ref": "3",
            "reason": "3月业务工作目标漏记了竞赛指导"}
    raised = client.post("/me/objections", data=form, files=[("file", ("证书.png", PNG, "image/png")),
                                                            ("file", ("说明.pdf", PDF, "application/pdf"))])
    assert raised.status_code == 303 and raised.headers["location"] == "/me/objections?notice=objection"
    (mine,) = me(client)["objections"]
    assert mine["state"] == DISPUTE_OPEN and mine["subject"] == "2019年3月考核结果"
    assert [a["name"] for a in mine["attachments"]] == ["证书.png", "说明.pdf"]
    again = client.post("/me/objections", data=form)
    assert again.status_code == 409 and "尚未答复" in again.text

    hr = service.client.get("/api/objections", headers=service.bearer("hr")).json()
    assert hr["waiting"] == 1 and hr["objections"][0]["name"] == service.context.content.staff(staff_id).name  # type: ignore[union-attr]
    clerk = service.session("clerk")
    listed = parse_html(clerk.get(f"/board/{DEPT}/objections").text)
    assert listed.find(data_waiting=True).find("strong").text == "1"
    assert clerk.get(f"/board/{DEPT}/objections/{mine['id']}/files/1").content == PNG
    assert client.get(f"/board/{DEPT}/objections/{mine['id']}/files/2").content == PDF  # the person's own
    other = service.session("other")
    assert other.get(f"/board/{DEPT}/objections").status_code == 403
    assert other.get(f"/board/{DEPT}/objections/{mine['id']}/files/1").status_code == 404
    assert service.session("boss").get("/api/objections").status_code == 403

    answer = clerk.post(f"/board/{DEPT}/objections/{mine['id']}",
                        data={"csrf": page_csrf(clerk, f"/board/{DEPT}/objections"), "answer": "已核实，重报3月汇总表"})
    assert answer.status_code == 303
    (mine,) = me(client)["objections"]
    assert mine["state"] == DISPUTE_ANSWERED and mine["answer"] == "已核实，重报3月汇总表" and mine["answered_at"]
    shown = parse_html(client.get("/me/objections").text).find("tr", data_objection=mine["id"])
    assert shown.attrs["data-state"] == DISPUTE_ANSWERED and "已核实" in shown.text
    twice = service.client.post(f"/api/objections/{DEPT}/{mine['id']}", json={"answer": "再答"},
                                headers=service.bearer("hr"))
    assert twice.status_code == 409
    assert service.client.get("/api/objections?state=open", headers=service.bearer("hr")).json()["waiting"] == 0


def test_an_objection_with_an_attachment_over_the_pixel_limit_is_not_raised(
        service: Service, person: tuple[str, TestClient]) -> None:
    _staff_id, client = person
    form = {"csrf": page_csrf(client, "/me/objections"), "kind": DISPUTE_SCORE_ITEM,
            "ref": service.context.content.common_targets[0].id, "reason": "附件见扫描件"}
    refused = client.post("/me/objections", data=form, files=[("file", ("a.png", PNG, "image/png")),
                                                             ("file", ("b.png", png_declaring(30_000, 30_000),
                                                                       "image/png"))])
    assert refused.status_code == 422 and "尺寸过大" in refused.text
    assert me(client)["objections"] == []
    assert not (service.settings.data_dir / "files" / "2019" / DEPT / "objections").exists() or not any(
        (service.settings.data_dir / "files" / "2019" / DEPT / "objections").iterdir())


def test_a_score_item_objection_is_answered_by_hr_only(service: Service, person: tuple[str, TestClient]) -> None:
    _staff_id, client = person
    item = service.context.content.common_targets[2].id
    form = {"csrf": page_csrf(client, "/me/objections"), "kind": DISPUTE_SCORE_ITEM, "ref": item,
            "reason": "本部门该项未发生扣分情形"}
    assert client.post("/me/objections", data=form).status_code == 303
    (mine,) = me(client)["objections"]
    clerk = service.client.post(f"/api/objections/{DEPT}/{mine['id']}", json={"answer": "不同意"},
                                headers=service.bearer("clerk"))
    assert clerk.status_code == 403 and "由人事处答复" in clerk.json()["error"]
    listed = service.client.get("/api/objections", headers=service.bearer("clerk")).json()
    assert listed["waiting"] == 0 and len(listed["objections"]) == 1  # seen, not theirs to answer
    assert service.client.post(f"/api/objections/{DEPT}/{mine['id']}", json={"answer": "扣分有据，维持"},
                               headers=service.bearer("hr")).status_code == 200
    assert me(client)["objections"][0]["state"] == DISPUTE_ANSWERED


def test_objections_are_checked_before_anything_is_kept(service: Service, person: tuple[str, TestClient]) -> None:
    _staff_id, client = person
    url = "/me/objections"

    def post(files: list[tuple[str, tuple[str, bytes, str]]] | None = None, **fields: str) -> object:
        form = {"csrf": page_csrf(client, url), "kind": DISPUTE_SCORE_ITEM,
                "ref": service.context.content.common_targets[0].id, "reason": "理由", **fields}
        return client.post(url, data=form, files=files or [])

    cases = [
        (post(files=[("file", ("a.txt", b"plain text", "text/plain"))]), 415, "PDF、JPEG 或 PNG"),
        (post(files=[("file", (f"{n}.png", PNG, "image/png")) for n in range(4)]), 400, "最多 3 个"),
        (post(reason=""), 400, "请填写"),
        (post(kind="nothing"), 400, "异议的对象"),
        (post(ref="c99"), 400, "共性目标条目"),
        (post(kind=DISPUTE_MONTHLY, ref="4"), 422, "尚未报送"),
        (post(kind=DISPUTE_MONTHLY, ref="13"), 400, "1–12"),
        (post(kind="grade", ref="2019"), 422, "尚未送达"),
        (post(reason="长" * 1001), 400, "1000"),
    ]
    for response, status, words in cases:
        assert response.status_code == status and words in response.text, (status, words)  # type: ignore[attr-defined]
    assert me(client)["objections"] == []
    folder = service.settings.data_dir / "files" / "2019" / DEPT / "objections"
    assert not folder.exists() or not [p for p in folder.iterdir() if not p.name.startswith(".")]
    assert post(files=[("file", ("scan.jpg", JPEG, "image/jpeg"))]).status_code == 303  # type: ignore[attr-defined]
    assert len(list(folder.iterdir())) == 1


def test_the_person_sees_their_own_leave_and_nobody_elses(service: Service, person: tuple[str, TestClient]) -> None:
    staff_id, client = person
    colleague = service.context.content.members(DEPT)[4].staff_id
    response = service.client.put(f"/api/completion/{DEPT}", headers=service.bearer("clerk"), json={
        "entries": [{"staff_id": staff_id, "status": "病假"}, {"staff_id": colleague, "status": "产假"}]})
    assert response.status_code == 200
    contract = me(client)["contract"]
    assert contract["status"] == "病假" and contract["on_leave"]
    page = client.get("/me").text
    assert "病假" in page and "产假" not in page


def test_objection_files_survive_a_restart_and_are_verified(settings: Settings) -> None:
    with running_service(settings) as service:
        passwords = issue_slips(service)
        staff_id = sorted(passwords)[0]
        client = staff_session(service, staff_id, passwords[staff_id])
        form = {"csrf": page_csrf(client, "/me/objections"), "kind": DISPUTE_SCORE_ITEM,
                "ref": service.context.content.common_targets[0].id, "reason": "附件见扫描件"}
        assert client.post("/me/objections", data=form, files=[("file", ("a.png", PNG, "image/png"))]
                           ).status_code == 303
        (mine,) = me(client)["objections"]
    with running_service(settings, users=False) as again:  # a restart: orphaned uploads are cleaned up
        kept = again.client.get(f"/board/{DEPT}/objections/{mine['id']}/files/1", headers=again.bearer("hr"))
        assert kept.status_code == 200 and kept.content == PNG
    verified = cli(settings, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    (stored,) = (settings.data_dir / "files" / "2019" / DEPT / "objections").iterdir()
    stored.write_bytes(PDF)
    tampered = cli(settings, "audit", "verify")
    assert tampered.returncode == 1 and "SHA-256 不符" in tampered.stderr and staff_id in tampered.stderr


def test_hr_resets_a_staff_members_password_from_the_account_page(service: Service,
                                                                   person: tuple[str, TestClient]) -> None:
    staff_id, client = person
    hr = service.hr_session()
    page = hr.get(f"/board/accounts/{staff_id}")
    assert page.status_code == 200 and "教职工" in page.text
    reset = hr.post(f"/board/accounts/{staff_id}", data={"csrf": page_csrf(hr, f"/board/accounts/{staff_id}"),
                                                         "action": "reset", "confirm": "on"})
    assert reset.status_code == 200
    password = parse_html(reset.text).find("code").text  # type: ignore[union-attr]
    assert client.get("/api/me").status_code == 401  # the reset ended the person's sessions
    fresh = service.new_client()
    assert login(fresh, staff_id, password).headers["location"] == "/account"
    edit = hr.post(f"/board/accounts/{staff_id}", data={"csrf": page_csrf(hr, f"/board/accounts/{staff_id}"),
                                                        "action": "update", "display_name": "别名"})
    assert edit.status_code == 400 and "以教职工名册为准" in edit.text
