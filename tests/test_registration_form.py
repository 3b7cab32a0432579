"""The annual registration form (年度考核登记表): filled from the roster (its optional fields imported
from the personnel export), the person's summary, the leaders' views, the score and the grade;
one person a page, Word and PDF (through LibreOffice), per person and per department, in the
layout of the college's set-up; the person sees their own, the views and grade once delivered."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from docx import Document
from grade_helpers import grade_everyone, view
from helpers import DEPT, OTHER_DEPT, Service, page_csrf, running_service
from staff_helpers import issue_slips, staff_session

from service.config import Settings
from service.content.formats import num
from service.office import pdf

NOW = dt.datetime(2019, 11, 20, 10, 0)
SUMMARY = "本年度承担数控实训教学，指导学生获省级技能大赛二等奖。"
COMMENT = "教学扎实，责任心强，成绩突出。"
FACTS = {"性别": "女", "出生年月": "1985.03", "政治面貌": "中共党员", "文化程度": "大学本科", "任现职时间": "2016.09"}


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    with running_service(settings, now=NOW) as running:
        yield running


def import_facts(service: Service, staff_id: str) -> None:
    """HR imports the roster from an export that has the form's columns for one person."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["人员编号", "姓名", "所在部门", "岗位类别", "职务", *FACTS])
    content = service.context.content
    for m in content.roster:
        extra = list(FACTS.values()) if m.staff_id == staff_id else [""] * len(FACTS)
        sheet.append([m.staff_id, m.name, content.department(m.department).name, m.role, m.post, *extra])  # type: ignore[union-attr]
    out = io.BytesIO()
    book.save(out)
    hr = service.hr_session()
    preview = hr.post("/board/roster", data={"csrf": page_csrf(hr, "/board/roster")},
                      files={"file": ("名册.xlsx", out.getvalue(), "application/octet-stream")})
    assert preview.status_code == 200, preview.text
    preview_id = preview.text.split('name="preview" value="')[1].split('"')[0]
    done = hr.post("/board/roster/confirm", data={"csrf": page_csrf(hr, "/board/roster"), "preview": preview_id,
                                                  "confirm": "on"})
    assert done.status_code == 303, done.text


def prepared(service: Service) -> dict[str, Any]:
    """One person with roster facts, a submitted summary, the leader's comment and a proposed grade."""
    sid = service.context.content.members(DEPT)[0].staff_id
    import_facts(service, sid)
    me = staff_session(service, sid, issue_slips(service)[sid])
    saved = me.put("/api/me/summary", json={"text": SUMMARY, "submit": True},
                   headers={"X-CSRF-Token": page_csrf(me, "/me/summary")})
    assert saved.status_code == 200, saved.text
    leader = service.client.put(f"/api/appraisal/views/{sid}/leader", headers=service.bearer("boss"),
                                json={"comment": COMMENT, "grade": "优秀"})
    assert leader.status_code == 200, leader.text
    grades = grade_everyone(service)
    person = next(p for p in view(service)["people"] if p["staff_id"] == sid)
    return {"sid": sid, "me": me, "name": service.context.content.staff(sid).name,  # type: ignore[union-attr]
            "grade": grades[sid], "score": num(person["score"])}


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_the_form_carries_the_person_and_the_round(service: Service) -> None:
    facts = prepared(service)
    clerk = service.bearer("clerk")
    got = service.client.get(f"/board/{DEPT}/appraisal/{facts['sid']}/form.docx", headers=clerk)
    assert got.status_code == 200, got.text
    assert "attachment" in got.headers["content-disposition"]
    text = docx_text(got.content)
    for expected in (facts["name"], *FACTS.values(), SUMMARY, COMMENT, "建议考核等次：优秀",
                     f"年度考核得分：{facts['score']} 分", f"考核等次：{facts['grade']}", "本人签名", "年　　月　　日"):
        assert expected in text, expected
    labels = [label for label in ("姓名", "性别", "出生年月", "政治面貌", "文化程度", "现工作单位及岗位（职务）",
                                  "任现职时间", "从事或分管工作", "个人总结", "主管领导评语和考核等次建议",
                                  "单位负责人意见及考核等次", "未确定等次或不参加考核情况说明", "本人意见")]
    assert all(label in text for label in labels)
    assert text.index("个人总结") < text.index("主管领导评语") < text.index("单位负责人意见") < text.index("本人意见")


@pytest.mark.skipif(not pdf.available(), reason="需要 LibreOffice（soffice）")
def test_the_pdf_through_libreoffice_reads_back(service: Service) -> None:
    facts = prepared(service)
    got = service.client.get(f"/board/{DEPT}/appraisal/{facts['sid']}/form.pdf", headers=service.bearer("boss"))
    assert got.status_code == 200, got.text
    assert got.content.startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=got.content, capture_output=True, check=True,
                          timeout=120).stdout.decode("utf-8")
    flat = "".join(text.split())
    for expected in (facts["name"], SUMMARY, COMMENT, facts["score"], f"考核等次：{facts['grade']}"):
        assert "".join(expected.split()) in flat, expected
    pages = subprocess.run(["pdfinfo", "-"], input=got.content, capture_output=True, check=True, timeout=60)
    assert "595.3" in pages.stdout.decode() or "595.2" in pages.stdout.decode()  # A4 wide (points)


def test_one_file_per_department_one_person_a_page(service: Service) -> None:
    facts = prepared(service)
    got = service.client.get(f"/board/{DEPT}/appraisal/forms.docx", headers=service.bearer("hr"))
    assert got.status_code == 200
    doc = Document(io.BytesIO(got.content))
    members = service.context.content.members(DEPT)
    titles = [p for p in doc.paragraphs if "年度考核登记表" in p.text]
    assert len(titles) == len(members)
    assert [bool(p.paragraph_format.page_break_before) for p in titles] == [False] + [True] * (len(members) - 1)
    names = [t.rows[0].cells[1].text for t in doc.tables]
    assert names == [m.name for m in members]
    assert SUMMARY in docx_text(got.content) and facts["name"] in names


def test_who_gets_a_form(service: Service) -> None:
    facts = prepared(service)
    me = facts["me"]
    own = me.get("/me/appraisal/form.docx")
    assert own.status_code == 200, own.text
    text = docx_text(own.content)
    assert facts["name"] in text and SUMMARY in text
    assert COMMENT not in text and "考核等次：" not in text  # the views and the grade wait for the notice
    colleague = service.context.content.members(DEPT)[1].staff_id
    for path in (f"/board/{DEPT}/appraisal/{facts['sid']}/form.docx", f"/board/{DEPT}/appraisal/{colleague}/form.docx",
                 f"/board/{DEPT}/appraisal/forms.docx"):
        assert me.get(path).status_code == 403, path
    assert service.client.get(f"/board/{DEPT}/appraisal/forms.docx", headers=service.bearer("other")).status_code == 403
    service.add_user("boss2", "leader", oversees=(OTHER_DEPT,))
    assert service.client.get(f"/board/{DEPT}/appraisal/{facts['sid']}/form.docx",
                              headers=service.bearer("boss2")).status_code == 403
    assert service.client.get(f"/board/{DEPT}/appraisal/{facts['sid']}/form.xlsx",
                              headers=service.bearer("hr")).status_code == 404
    assert service.client.get("/me/appraisal/form.docx", headers=service.bearer("clerk")).status_code == 403


def test_the_layout_comes_from_the_set_up(service: Service) -> None:
    sid = service.context.content.members(DEPT)[0].staff_id
    layout = service.settings.content_dir / "registration_form.yml"
    layout.write_text('title: "{year}年度考核登记表（本省格式）"\n'
                      "header:\n  - {label: 姓名, field: name}\n  - {label: 所在单位, field: department}\n"
                      "sections:\n  - {label: 本人意见, field: own_view}\n  - {label: 述职报告, field: summary}\n",
                      encoding="utf-8")
    got = service.client.get(f"/board/{DEPT}/appraisal/{sid}/form.docx", headers=service.bearer("hr"))
    assert got.status_code == 200, got.text
    text = docx_text(got.content)
    assert "2019年度考核登记表（本省格式）" in text and "所在单位" in text
    assert text.index("本人意见") < text.index("述职报告") and "主管领导评语" not in text
    layout.write_text("title: 表\nheader:\n  - {label: 姓名, field: shoe_size}\nsections: []\n", encoding="utf-8")
    refused = service.client.get(f"/board/{DEPT}/appraisal/{sid}/form.docx", headers=service.bearer("hr"))
    assert refused.status_code == 409 and refused.json()["code"] == "setup_invalid"
    assert "header[0].field" in refused.json()["error"]


def test_the_roster_keeps_the_forms_fields(service: Service) -> None:
    sid = service.context.content.members(DEPT)[0].staff_id
    import_facts(service, sid)
    member = service.context.content.staff(sid)
    assert member is not None
    assert (member.gender, member.birth, member.politics, member.education, member.post_since) == tuple(FACTS.values())
    roster = (service.settings.content_dir / "roster.yml").read_text(encoding="utf-8")
    assert "politics: 中共党员" in roster and "birth: '1985.03'" in roster
    assert service.context.content.members(DEPT)[1].gender == ""
