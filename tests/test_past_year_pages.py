"""After the next year starts, the public status page shows the current year only; a past year's
公示 takes no more objections (409 year_closed), even within its window; and a form
a past year refuses brings the browser back to the page in the current year, saying why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from grade_helpers import decide_and_publish, grade_everyone, hr
from helpers import DEPT, Service, page_csrf, parse_html, running_service

from service.config import ROOT, Settings
from service.content.codes import GRADE_BASIC, GRADE_EXCELLENT

PUBLICITY = "2019-12-30"  # five working days: the 公示 runs into January 2020
NEW_YEAR = dt.datetime(2020, 1, 2, 9)
HTML = {"accept": "text/html,application/xhtml+xml"}  # what a browser asks for


@pytest.fixture(scope="module")
def switched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, dict[str, str]]]:
    """2019 graded, its 公示 begun on 12-30 and a leave status recorded; 2020 started on 01-02."""
    import shutil

    root = tmp_path_factory.mktemp("past")
    shutil.copytree(ROOT / "content", root / "content")
    settings = Settings(root=ROOT, content_dir=root / "content", site_dir=root / "site", data_dir=root / "var",
                        mkdocs_file=ROOT / "mkdocs.yml")
    with running_service(settings, now=dt.datetime(2019, 12, 27, 9)) as service:
        grades = grade_everyone(service, basic=1)
        decide_and_publish(service, start=PUBLICITY)
        person = service.context.content.members(DEPT)[-1].staff_id
        leave = service.client.put(f"/api/completion/{DEPT}", headers=hr(service),
                                   json={"entries": [{"staff_id": person, "status": "产假"}]})
        assert leave.status_code == 200, leave.text
        browser = service.hr_session()  # a workbook that could not be read, on record for 2019
        refused = browser.post(f"/board/{DEPT}/monthly/xlsx", data={"csrf": page_csrf(browser, "/board/workbooks")},
                               files={"file": ("月汇总.xlsx", b"PK\x03\x04 not a workbook", "application/octet-stream")})
        assert refused.status_code == 415, refused.text
        service.settle()
        assert int(parse_html(service.status_page.read_text(encoding="utf-8")).find(
            "tr", data_totals=True).find(data_field="exempt").text) == 1
        service.clock.set(NEW_YEAR)
        started = service.client.post("/api/years", json={"year": 2020}, headers=hr(service))
        assert started.status_code == 201, started.text
        yield service, {"basic": next(s for s, g in grades.items() if g == GRADE_BASIC),
                        "excellent": next(s for s, g in grades.items() if g == GRADE_EXCELLENT)}


def test_the_public_status_page_shows_the_current_year_only(switched: tuple[Service, dict[str, str]]) -> None:
    service, _ = switched
    assert service.client.get(f"/api/departments/{DEPT}/staff?year=2019", headers=hr(service)).status_code == 200
    service.settle()
    page = parse_html(service.status_page.read_text(encoding="utf-8"))
    board = page.find("div", data_status_board=True)
    assert board is not None and board.attrs["data-year"] == "2020" and "2020 年度" in board.text
    assert board.find("tr", data_totals=True).find(data_field="exempt").text == "0"  # 2019's leave is not shown
    assert "2019" not in board.text


def test_a_past_years_publicity_takes_no_objection(switched: tuple[Service, dict[str, str]]) -> None:
    service, person = switched
    before = service.client.get("/api/grades/objections?year=2019", headers=hr(service)).json()
    for who in ("hr", "clerk"):
        refused = service.client.post("/api/grades/actions/objection?year=2019", headers=service.bearer(who),
                                      json={"staff_id": person["excellent"], "text": "对名单有意见"})
        assert refused.status_code == 409 and refused.json()["code"] == "year_closed", refused.text
        assert "2019 年度已结束" in refused.json()["error"]
    assert service.client.get("/api/grades/objections?year=2019", headers=hr(service)).json() == before


def test_a_past_years_form_refused_comes_back_to_the_current_year(switched: tuple[Service, dict[str, str]]) -> None:
    service, person = switched
    browser = service.hr_session()
    shown = parse_html(browser.get("/gongshi?year=2019").text).find("form", data_objection_form=True)
    assert shown is not None and shown.attrs["action"] == "/board/grades/do/objection?year=2019"
    csrf = page_csrf(browser, "/gongshi?year=2019")
    refused = browser.post(shown.attrs["action"], data={"csrf": csrf, "next": "/gongshi?year=2019",
                                                        "staff_id": person["excellent"], "text": "有意见"})
    assert refused.status_code == 303 and refused.headers["location"] == "/gongshi?year_closed=2019"
    back = parse_html(browser.get(refused.headers["location"]).text)
    notice = back.find(data_year_closed=True)
    assert notice is not None and "2019 年度已结束" in notice.text and "2020 年度" in notice.text

    # a form with no page of its own to return to: the page it was sent from, in the current year
    sanction = browser.post("/board/grades/do/sanction?year=2019", headers={"referer": "/board/grades?year=2019"},
                            data={"csrf": csrf, "staff_id": person["basic"], "kind": "警告", "on": "2019-12-02"})
    assert sanction.status_code == 303 and sanction.headers["location"] == "/board/grades?year_closed=2019"
    assert parse_html(browser.get(sanction.headers["location"]).text).find(data_year_closed=True) is not None
    records = service.client.get("/api/grades/records?year=2019", headers=hr(service)).json()
    assert records["sanctions"] == []


def test_a_refusal_notice_names_only_a_past_year(switched: tuple[Service, dict[str, str]]) -> None:
    service, _ = switched
    browser = service.hr_session()
    for query in ("year_closed=2020", "year_closed=1999", "year_closed=abc", "year=2019&year_closed=2019"):
        assert parse_html(browser.get(f"/board/grades?{query}").text).find(data_year_closed=True) is None, query


def test_any_form_a_past_year_refuses_returns_to_the_page_it_came_from(
        switched: tuple[Service, dict[str, str]]) -> None:
    service, _ = switched
    browser = service.hr_session()
    page = parse_html(browser.get("/board/workbooks?year=2019").text)
    [action] = [f.attrs["action"] for f in page.find_all("form") if f.attrs.get("action", "").startswith("/board/workbooks/")]
    csrf = page_csrf(browser, "/board/workbooks?year=2019")
    refused = browser.post(f"{action}?year=2019", data={"csrf": csrf},
                           headers={**HTML, "referer": "http://testserver/board/workbooks?year=2019&department=jxx"})
    assert refused.status_code == 303, refused.text
    assert refused.headers["location"] == "/board/workbooks?department=jxx&year_closed=2019"
    back = parse_html(browser.get(refused.headers["location"]).text)
    assert "2019 年度已结束" in back.find(data_year_closed=True).text
    still = parse_html(browser.get("/board/workbooks?year=2019").text)
    assert any(f.attrs.get("action") == action for f in still.find_all("form"))  # nothing was marked handled

    for referer in ("http://evil.example/x", "http://testserver//evil.example/x", "http://testserver/\\evil.example"):
        elsewhere = browser.post(f"{action}?year=2019", data={"csrf": csrf}, headers={**HTML, "referer": referer})
        assert elsewhere.headers["location"] == "/board?year_closed=2019", referer  # never back to another site

    monthly = service.context.content.members(DEPT)[0].staff_id
    inline = browser.post(f"/board/{DEPT}/completion?year=2019", data={"csrf": csrf, f"status:{monthly}": "产假"},
                          headers={"referer": f"http://testserver/board/{DEPT}?year=2019"})
    assert inline.status_code == 409  # a page that shows its own refusals: the message, and the way back
    shown = parse_html(inline.text)
    assert "2019 年度已结束" in shown.find(role="alert").text
    assert shown.find(data_scope_past=True).find("a").attrs["href"] == f"/board/{DEPT}"
