"""After 公示: notification, 复核 and 申诉 on their clocks (day 31 refused, overdue on day 31),
never worse; the notices (docx, PDF), the 备案 sheet, the person's view and the history."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from docx import Document
from grade_helpers import START, action, decide_and_publish, excellent, grade_everyone, view
from helpers import DEPT, PDF, Service, parse_html, running_service
from openpyxl import load_workbook

from service.config import Settings
from service.content.codes import GRADE_BASIC, GRADE_FAIL, GRADE_PASS

needs_office = pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")),
                                  reason="LibreOffice / poppler-utils not installed")


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    with running_service(settings, now=START) as running:
        grades = grade_everyone(running)
        decide_and_publish(running)
        running.clock.set(dt.datetime(2019, 10, 10, 9))
        assert action(running, "close-publicity", {}).status_code == 200
        running.grades = grades  # type: ignore[attr-defined]
        yield running


def on(service: Service, day: dt.date) -> None:
    service.clock.set(dt.datetime.combine(day, dt.time(10)))


def basic_person(service: Service) -> str:
    return next(sid for sid, g in service.grades.items() if g == GRADE_BASIC)  # type: ignore[attr-defined]


def notify(service: Service, day: str = "2019-10-15") -> None:
    on(service, dt.date.fromisoformat(day))
    response = action(service, "notified", {"department": DEPT, "date": day})
    assert response.status_code == 200 and response.json()["people"] == 42


def test_a_review_applied_for_on_day_31_is_refused(service: Service) -> None:
    sid = basic_person(service)
    early = action(service, "review", {"staff_id": sid, "applied_on": "2019-10-12"})
    assert early.status_code == 422 and "尚未登记送达" in early.json()["error"]
    notify(service)
    on(service, dt.date(2019, 11, 20))
    late = action(service, "review", {"staff_id": sid, "applied_on": "2019-11-15"})  # day 31
    assert late.status_code == 422 and late.json()["code"] == "review_refused"
    assert "2019-11-14 前" in late.json()["error"] and "第 31 日" in late.json()["error"]
    ok = action(service, "review", {"staff_id": sid, "applied_on": "2019-11-14"})  # day 30
    assert ok.status_code == 200, ok.text
    passed = next(s for s, g in service.grades.items() if g == GRADE_PASS)  # type: ignore[attr-defined]
    refused = action(service, "review", {"staff_id": passed, "applied_on": "2019-11-01"})
    assert refused.status_code == 422 and "只有基本合格、不合格" in refused.json()["error"]


def cases(service: Service) -> dict[str, dict]:  # type: ignore[type-arg]
    response = service.client.get("/api/grades/reviews", headers=service.bearer("hr"))
    assert response.status_code == 200
    return {c["staff_id"]: c for c in response.json()["cases"]}


def test_a_decision_overdue_on_day_31_is_flagged(service: Service) -> None:
    sid = basic_person(service)
    notify(service)
    on(service, dt.date(2019, 10, 20))
    assert action(service, "review", {"staff_id": sid, "applied_on": "2019-10-20"}).status_code == 200
    on(service, dt.date(2019, 11, 19))  # day 30: due today
    clock = next(c for c in cases(service)[sid]["clocks"] if c["label"] == "复核决定期限")
    assert (clock["due"], clock["days_left"], clock["overdue"]) == ("2019-11-19", 0, False)
    on(service, dt.date(2019, 11, 20))  # day 31
    clock = next(c for c in cases(service)[sid]["clocks"] if c["label"] == "复核决定期限")
    assert clock["overdue"] and clock["days_left"] == -1
    board = parse_html(service.hr_session().get("/board/grades/reviews").text)
    row = board.find("tr", data_staff=sid)
    assert row is not None and row.attrs.get("class") == "overdue-row" and row.find(data_overdue=True) is not None


def test_the_grade_cannot_get_worse_through_the_review_or_the_appeal(service: Service) -> None:
    sid = basic_person(service)
    notify(service)
    assert action(service, "review", {"staff_id": sid, "applied_on": "2019-10-20"}).status_code == 200
    worse = action(service, "review-decision", {"staff_id": sid, "decided_on": "2019-10-25", "grade": GRADE_FAIL})
    assert worse.status_code == 422 and worse.json()["code"] == "would_worsen"
    assert "不得加重" in worse.json()["error"]
    assert next(p for p in view(service)["people"] if p["staff_id"] == sid)["grade"] == GRADE_BASIC  # in force
    kept = action(service, "review-decision", {"staff_id": sid, "decided_on": "2019-10-25", "grade": GRADE_BASIC,
                                                "note": "维持原考核结果"})
    assert kept.status_code == 200
    on(service, dt.date(2019, 11, 1))
    appeal = action(service, "appeal", {"staff_id": sid, "applied_on": "2019-11-01", "authority": "市人社局"})
    assert appeal.status_code == 200
    assert action(service, "appeal-decision", {"staff_id": sid, "grade": GRADE_FAIL}).json()["code"] == "would_worsen"
    better = action(service, "appeal-decision", {"staff_id": sid, "grade": GRADE_PASS, "note": "申诉成立"})
    assert better.status_code == 200
    person = next(p for p in view(service)["people"] if p["staff_id"] == sid)
    assert person["grade"] == GRADE_PASS and person["changes"][-1]["step"] == "申诉"


def test_the_notices_of_a_department_one_page_each(service: Service) -> None:
    browser = service.session("clerk")
    response = browser.get(f"/board/{DEPT}/grades/notices.docx")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    doc = Document(io.BytesIO(response.content))
    titles = [p for p in doc.paragraphs if "年度考核结果通知书" in p.text]
    assert len(titles) == 42 and sum(1 for p in titles if p.paragraph_format.page_break_before) == 41
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    people = {p["staff_id"]: p for p in view(service)["people"]}
    for person in people.values():
        assert f"{person['name']}同志：" in text
    assert text.count("申请复核") == 1  # only the 基本合格 person's notice tells how to challenge it
    assert "2019年9月25日" in text and "您 2019 年度考核结果为：优秀。" in text
    assert "本人意见" in cells and "本人签名" in cells
    rfonts = doc.paragraphs[0].runs[0]._element.rPr.rFonts
    assert rfonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "黑体"
    assert browser.get(f"/board/{service.context.content.roster[0].department}/grades/notices.docx").status_code == 403


@needs_office
def test_one_persons_notice_as_pdf(service: Service, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sid = basic_person(service)
    response = service.hr_session().get(f"/board/{DEPT}/grades/{sid}/notice.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    path = tmp_path / "notice.pdf"
    path.write_bytes(response.content)
    text = "".join(subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout.split())
    name = service.context.content.staff(sid).name
    assert f"{name}同志" in text and "考核结果为：基本合格" in text and "30日内向人事处书面申请复核" in text


def test_the_filing_sheet_counts_grades_and_the_ungraded_by_reason(settings: Settings) -> None:
    with running_service(settings, now=START) as service:
        ids = [m.staff_id for m in service.context.content.members(DEPT)]
        assert action(service, "newcomer", {"staff_id": ids[0], "joined": "2019-09-01"}).status_code == 200
        assert action(service, "sanction", {"staff_id": ids[1], "kind": "记过", "on": "2019-03-01"}).status_code == 200
        assert action(service, "leave", {"staff_id": ids[2], "kind": "事假", "start": "2019-01-01",
                                         "end": "2019-08-31"}).status_code == 200
        grades = grade_everyone(service, basic=2)
        sheet = load_workbook(io.BytesIO(service.client.get("/hr/grades/filing.xlsx",
                                                           headers=service.bearer("hr")).content)).active
        assert sheet["A1"].value == "哈尔滨技师学院（哈尔滨劳动技师学院）2019年度工作人员考核结果备案表"
        head = [c.value for c in sheet[2]]
        assert head[:7] == ["部门、系", "参加考核人数", "优秀", "合格", "基本合格", "不合格", "不定档次合计"]
        assert head[7:10] == ["不定档次：试用期", "不定档次：处分期", "不定档次：其他"]
        rows = {r[0]: r for r in sheet.iter_rows(min_row=3, values_only=True) if r[0]}
        jxx = rows["机械工程系"]
        assert jxx[1:10] == (42, 8, 29, 2, 0, 3, 1, 1, 1)
        assert rows["合计"][1] == 331 and rows["合计"][2] == len(excellent(grades))
        assert sheet["B3"].font.name == "宋体" and sheet["A2"].font.name == "黑体"


def test_the_signed_view_is_uploaded_as_a_scan(service: Service) -> None:
    sid = basic_person(service)
    clerk = service.bearer("clerk")
    refused = service.client.post(f"/api/grades/views/{sid}", files={"file": ("v.txt", b"hello", "text/plain")},
                                  headers=clerk)
    assert refused.status_code == 415
    saved = service.client.post(f"/api/grades/views/{sid}", files={"file": ("v.pdf", PDF, "application/pdf")},
                                headers=clerk)
    assert saved.status_code == 201 and saved.json()["ext"] == "pdf"
    assert (service.settings.data_dir / saved.json()["file"]).read_bytes() == PDF
    assert service.client.post(f"/api/grades/views/{sid}", files={"file": ("v.pdf", PDF, "application/pdf")},
                               headers=service.bearer("other")).status_code == 403


def test_history_flags_two_weak_years_running(service: Service) -> None:
    sid = basic_person(service)
    store = service.context.store
    earlier = store.db_dir / "2018" / DEPT
    earlier.mkdir(parents=True)
    person = service.context.content.staff(sid)
    record = {"staff_id": sid, "name": person.name, "department": DEPT, "department_name": "机械工程系",
              "post": person.post, "score": 61, "grade": GRADE_BASIC, "reason": ""}
    (earlier / "grades.json").write_text(json.dumps({"grades": {"1": record}}, ensure_ascii=False), encoding="utf-8")
    found = service.client.get(f"/api/grades/history/{sid}", headers=service.bearer("clerk")).json()
    assert [(y["year"], y["grade"]) for y in found["years"]] == [(2018, GRADE_BASIC), (2019, GRADE_BASIC)]
    assert found["flags"] == ["2018—2019 年连续两年基本合格"]
    assert service.client.get(f"/api/grades/history/{sid}", headers=service.bearer("other")).status_code == 403
    overview = service.client.get("/api/grades", headers=service.bearer("hr")).json()
    assert overview["weak_twice"] == {sid: "连续两年基本合格"} and overview["years"] == [2019, 2018]
    page = parse_html(service.hr_session().get("/board/grades?year=2018").text)
    assert page.find(data_past_year=True) is not None
