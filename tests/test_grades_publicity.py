"""公示 of the 优秀 list: its end in Chinese working days, the public page while it runs and
after, objections, the lock after the collective decision, and a year the calendar does not know."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from grade_helpers import (
    START,
    action,
    decide_and_publish,
    excellent,
    give_scores,
    grade_everyone,
    propose,
    view,
)
from helpers import DEPT, Service, parse_html, running_service
from starlette.testclient import TestClient

from service.config import Settings
from service.content.codes import GRADE_EXCELLENT, GRADE_PASS

SKIPPED = (".css", ".js", ".png", ".jpg", ".svg", ".ico", ".xlsx", ".docx", ".pdf", ".zip", ".xml", ".gz", ".json",
           ".woff", ".woff2", ".txt")


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    with running_service(settings, now=START, full_site=True) as running:
        yield running


def on(service: Service, year: int, month: int, day: int) -> None:
    service.clock.set(dt.datetime(year, month, day, 10, 0))


def test_publicity_from_friday_27_september_2019_ends_on_9_october(service: Service) -> None:
    grade_everyone(service)
    publicity = decide_and_publish(service)
    assert publicity["end"] == "2019-10-09" and publicity["warning"] is None
    assert publicity["workdays"] == ["2019-09-27", "2019-09-29", "2019-09-30", "2019-10-08", "2019-10-09"]
    overview = service.client.get("/api/grades", headers=service.bearer("hr")).json()
    assert overview["stage"] == "decided"  # 公示 begins tomorrow
    on(service, 2019, 9, 27)
    assert service.client.get("/api/grades", headers=service.bearer("hr")).json()["stage"] == "publicity"


def gongshi_rows(client: TestClient) -> list[list[str]]:
    page = client.get("/gongshi")
    assert page.status_code == 200
    table = parse_html(page.text).find("table", data_gongshi_table=True)
    return table.rows() if table else []


def test_the_public_page_shows_the_excellent_list_only_during_publicity(service: Service) -> None:
    grades = grade_everyone(service)
    decide_and_publish(service)
    anonymous = service.new_client()
    assert gongshi_rows(anonymous) == []  # not yet begun
    on(service, 2019, 9, 30)
    rows = gongshi_rows(anonymous)
    best = [service.context.content.staff(sid) for sid in excellent(grades)]
    assert sorted(r[1] for r in rows) == sorted(m.name for m in best)
    assert all(len(r) == 4 for r in rows)  # 序号, name, department, post: nothing else
    assert {tuple(r[1:]) for r in rows} == {(m.name, "机械工程系", m.post) for m in best}
    page = parse_html(anonymous.get("/gongshi").text)
    assert page.find(data_publicity_end="2019-10-09") is not None and "2019年10月9日" in page.text
    on(service, 2019, 10, 9)  # the last day
    assert len(gongshi_rows(anonymous)) == 8
    on(service, 2019, 10, 10)  # closed by itself
    assert gongshi_rows(anonymous) == []
    assert parse_html(anonymous.get("/gongshi").text).find(data_publicity_closed=True) is not None


def crawl(client: TestClient, starts: tuple[str, ...]) -> dict[str, str]:
    """Every page an anonymous visitor reaches from `starts` by following links: path → text."""
    seen: dict[str, str] = {}
    queue = list(starts)
    while queue and len(seen) < 600:
        path = queue.pop()
        if path in seen or path.endswith(SKIPPED):
            continue
        response = client.get(path, follow_redirects=True)
        seen[path] = response.text if response.status_code == 200 else ""
        if "html" not in response.headers.get("content-type", ""):
            continue
        for link in parse_html(response.text).find_all("a"):
            target = urlparse(urljoin("http://testserver" + path, link.attrs.get("href", "")))
            if target.netloc == "testserver" and target.path not in seen:
                queue.append(target.path)
    return seen


def test_a_crawl_of_public_pages_finds_no_grade_but_the_excellent_list(service: Service) -> None:
    grades = grade_everyone(service)
    decide_and_publish(service)
    roster = service.context.content
    best = {roster.staff(sid).name for sid in excellent(grades)}
    others = {m.name for m in roster.roster} - best
    anonymous = service.new_client()
    for path in ("/api/grades", f"/api/grades/{DEPT}", "/api/grades/reviews", f"/api/grades/history/{excellent(grades)[0]}",
                 "/hr/grades/filing.xlsx", f"/board/{DEPT}/grades/notices.docx"):
        assert anonymous.get(path).status_code == 401, path
    assert anonymous.get("/board/grades", headers={"accept": "text/html"}).headers["location"].startswith("/login")
    for day, listed in ((30, True), (10, False)):
        on(service, 2019, 9 if listed else 10, day)
        pages = crawl(anonymous, ("/", "/gongshi", "/status/", "/api/status"))
        assert len(pages) > 20 and "/gongshi" in pages and "/notice/" in pages
        for path, text in pages.items():
            shown = text
            if path == "/gongshi":
                for name in sorted(best, key=len, reverse=True):
                    shown = shown.replace(name, "")
            assert not [n for n in others if n in shown], path  # nobody else, anywhere
            assert path == "/gongshi" or not [n for n in best if n in text], path
        assert all(name in pages["/gongshi"] for name in best) == listed
        assert not any(name in pages["/gongshi"] for name in best) or listed


def test_objections_during_publicity_and_their_resolution(service: Service) -> None:
    grades = grade_everyone(service)
    decide_and_publish(service)
    target = excellent(grades)[0]
    early = action(service, "objection", {"staff_id": target, "text": "述职材料与实际不符"}, service.bearer("other"))
    assert early.status_code == 409  # 公示 begins tomorrow
    on(service, 2019, 9, 30)
    anonymous = service.new_client()
    assert anonymous.post("/api/grades/actions/objection", json={"text": "x"}).status_code == 401
    browser = service.session("other")  # anyone signed in, any department
    page = parse_html(browser.get("/gongshi").text)
    form = page.find("form", data_objection_form=True)
    csrf = form.find("input", name="csrf").attrs["value"]
    sent = browser.post("/board/grades/do/objection", data={"csrf": csrf, "next": "/gongshi", "staff_id": target,
                                                             "text": "该同志本年度有两个月未完成教学任务"})
    assert sent.status_code == 303 and sent.headers["location"] == "/gongshi?notice=objection"
    stranger = action(service, "objection", {"staff_id": "100001", "text": "x"})  # not on the list
    assert stranger.status_code == 422 and stranger.json()["code"] == "not_listed"
    early_close = action(service, "close-publicity", {})
    assert early_close.status_code == 422 and "至 2019-10-09 结束" in early_close.json()["error"]
    on(service, 2019, 10, 10)
    assert action(service, "objection", {"text": "迟到的异议"}).status_code == 409
    assert action(service, "close-publicity", {}).json()["code"] == "objections_open"
    listed = service.client.get("/api/grades/objections", headers=service.bearer("hr")).json()["objections"]
    assert len(listed) == 1 and listed[0]["by"] == "other"
    resolved = action(service, "resolve-objection", {"id": listed[0]["id"], "resolution": "经核实反映属实，改为合格",
                                                      "grade": GRADE_PASS})
    assert resolved.status_code == 200, resolved.text
    assert next(p for p in view(service)["people"] if p["staff_id"] == target)["grade"] == GRADE_PASS
    assert action(service, "close-publicity", {}).status_code == 200
    assert service.client.get("/api/grades", headers=service.bearer("hr")).json()["stage"] == "closed"


def test_the_collective_decision_needs_everyone_graded_and_then_locks(service: Service) -> None:
    grades = grade_everyone(service)
    ids = list(grades)
    refused = action(service, "decision", {"date": "2019-09-27", "leaders": ["院长甲"]})
    assert refused.status_code == 422 and refused.json()["code"] == "future_date"
    assert action(service, "decision", {"date": "2019-09-25"}).json()["code"] == "missing_leaders"
    assert action(service, "confirm", {}, service.bearer("hr")).status_code == 403
    confirmed = action(service, "confirm", {}, service.bearer("boss"))  # a leader account records it
    assert confirmed.status_code == 200 and confirmed.json()["confirmations"][0]["username"] == "boss"
    locked = propose(service, DEPT, {ids[-1]: GRADE_EXCELLENT})
    assert locked.status_code == 409 and locked.json()["code"] == "grades_locked"
    assert action(service, "adjust", {"staff_id": ids[0], "grade": GRADE_PASS, "reason": "x"}).status_code == 409


def test_the_decision_is_refused_while_someone_has_no_grade(settings: Settings) -> None:
    with running_service(settings, now=START) as service:
        assert propose(service, DEPT, {sid: GRADE_PASS for sid in give_scores(service)}).status_code == 200
        refused = action(service, "decision", {"date": "2019-09-25", "leaders": "院长甲、副院长乙"})
        assert refused.status_code == 422 and refused.json()["code"] == "grades_missing"
        assert "尚有 289 人没有拟定档次（党政办公室 10 人" in refused.json()["error"]


def test_a_year_the_calendar_package_does_not_know_uses_the_settings_and_warns(settings: Settings) -> None:
    path = Path(settings.content_dir) / "settings.yml"
    text = path.read_text(encoding="utf-8").replace("year: 2019", "year: 2031")
    text = text.replace("    extra_holidays: []", "    extra_holidays: [2031-10-01, 2031-10-02, 2031-10-03]")
    text = text.replace("    extra_workdays: []", "    extra_workdays: [2031-09-28]")
    path.write_text(text, encoding="utf-8")
    with running_service(settings, now=dt.datetime(2031, 9, 25, 10)) as service:
        for department in service.context.content.departments:
            ids = give_scores(service, department.id)
            assert propose(service, department.id, {sid: GRADE_PASS for sid in ids}).status_code == 200
        assert action(service, "decision", {"date": "2031-09-25", "leaders": ["院长甲"]}).status_code == 200
        publicity = action(service, "publicity", {"start": "2031-09-26"}).json()
        # Friday 09-26, Sunday 09-28 (a workday by settings), 09-29, 09-30, then 10-01…10-03 off: Monday 10-06
        assert publicity["workdays"] == ["2031-09-26", "2031-09-28", "2031-09-29", "2031-09-30", "2031-10-06"]
        assert "2031 年" in publicity["warning"] and "assessment.calendar" in publicity["warning"]
        page = parse_html(service.hr_session().get("/board/grades").text)
        assert page.find(data_calendar_warning=True) is not None
