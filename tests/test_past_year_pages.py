"""After the next year starts, the public status page shows the current year only; a past year's
公示 takes no more objections (409 year_closed), even within its window; and a form
a past year refuses brings the browser back to the page in the current year, saying why."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

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
    assert action.endswith("?year=2019")  # the page's form names its year: the service refuses it
    csrf = page_csrf(browser, "/board/workbooks?year=2019")
    refused = browser.post(action, data={"csrf": csrf},
                           headers={**HTML, "referer": "http://testserver/board/workbooks?year=2019&department=jxx"})
    assert refused.status_code == 303, refused.text
    assert refused.headers["location"] == "/board/workbooks?department=jxx&year_closed=2019"
    back = parse_html(browser.get(refused.headers["location"]).text)
    assert "2019 年度已结束" in back.find(data_year_closed=True).text
    still = parse_html(browser.get("/board/workbooks?year=2019").text)
    assert any(f.attrs.get("action") == action for f in still.find_all("form"))  # nothing was marked handled

    for referer in ("http://evil.example/x", "http://testserver//evil.example/x", "http://testserver/\\evil.example"):
        elsewhere = browser.post(action, data={"csrf": csrf}, headers={**HTML, "referer": referer})
        assert elsewhere.headers["location"] == "/board?year_closed=2019", referer  # never back to another site

    monthly = service.context.content.members(DEPT)[0].staff_id
    inline = browser.post(f"/board/{DEPT}/completion?year=2019", data={"csrf": csrf, f"status:{monthly}": "产假"},
                          headers={"referer": f"http://testserver/board/{DEPT}?year=2019"})
    assert inline.status_code == 409  # a page that shows its own refusals: the message, and the way back
    shown = parse_html(inline.text)
    assert "2019 年度已结束" in shown.find(role="alert").text
    assert shown.find(data_scope_past=True).find("a").attrs["href"] == f"/board/{DEPT}"


# -- the forms of a past year's pages -------------------------------------------------------------


def page_paths() -> list[str]:
    """The app's pages (GET routes of the board, /me and the 公示) that need no more than a department."""
    from starlette.routing import Route

    from service.web.app import routes

    settings = Settings(root=ROOT, content_dir=ROOT, site_dir=ROOT, data_dir=ROOT, mkdocs_file=ROOT)
    found = []
    for route in routes(settings, 1024):
        if not isinstance(route, Route):
            continue
        params = set(re.findall(r"\{(\w+)", route.path))
        if ("GET" in (route.methods or ()) and route.path.startswith(("/board", "/me", "/gongshi"))
                and params <= {"department_id"} and not re.search(r"\.(xlsx|docx|pdf|zip|csv)$", route.path)):
            found.append(route.path.replace("{department_id}", DEPT))
    return found


def year_of(action: str) -> list[str]:
    return parse_qs(urlsplit(html.unescape(action)).query).get("year", [])


def test_every_form_of_a_past_years_page_carries_the_year(switched: tuple[Service, dict[str, str]]) -> None:
    service, _ = switched
    service.ensure_user("clerk")
    shown: dict[str, list[Any]] = {"open": [], "ended": [], "get": []}
    paths = page_paths()
    assert f"/board/{DEPT}" in paths and "/board/grades/reviews" in paths and "/gongshi" in paths
    for browser in (service.hr_session(), service.session("clerk")):
        for path in paths:
            answer = browser.get(f"{path}?year=2019", headers=HTML)
            if answer.status_code != 200 or "text/html" not in answer.headers.get("content-type", ""):
                continue
            page = parse_html(answer.text)
            assert page.find(data_scope_past=True) is not None, path  # the page is 2019's
            for form in page.find("article").find_all("form"):  # the page's own (the shell's search is not the year's)
                if "data-every-year" in form.attrs:
                    continue
                where = (path, form.attrs.get("action"), form.attrs.get("class"))
                if form.attrs.get("method", "get").lower() != "post":
                    chosen = [f.attrs.get("value") for f in form.find_all(name_="year")]
                    assert "2019" in chosen or form.find("select", name_="year"), where
                    shown["get"].append(where)
                    continue
                assert "action" not in form.attrs or year_of(form.attrs["action"]) == ["2019"], where
                if "data-year-ended" in form.attrs:  # what 2019 no longer takes: disabled, and said so
                    controls = [e for e in form.find_all() if e.tag in ("button", "input", "select", "textarea")]
                    assert controls and all("disabled" in c.attrs for c in controls), where
                    assert form.attrs.get("hidden") is not None or "本年度已结束" in form.text, where
                    shown["ended"].append(where)
                else:
                    assert form.attrs["data-year-action"], where
                    shown["open"].append(where)
    assert shown["open"] and shown["ended"] and shown["get"], shown
    ended = {w[1] for w in shown["ended"]}
    assert "/board/grades/do/sanction?year=2019" in ended and "/board/grades/do/objection?year=2019" in ended


def test_a_past_years_forms_post_into_that_year(switched: tuple[Service, dict[str, str]]) -> None:
    service, person = switched
    before = service.clock.now()
    service.clock.set(dt.datetime(2020, 1, 13, 9))  # the 2019 公示 has ended
    try:
        browser = service.hr_session()
        page = parse_html(browser.get("/board/grades?year=2019").text)
        notified = page.find("form", data_action="notified")
        assert notified is not None and "data-year-ended" not in notified.attrs
        assert year_of(notified.attrs["action"]) == ["2019"]
        csrf = page_csrf(browser, "/board/grades?year=2019")
        sent = browser.post(html.unescape(notified.attrs["action"]),
                            data={"csrf": csrf, "next": "/board/grades?year=2019", "departments": DEPT,
                                  "date": "2020-01-13"})
        assert sent.status_code == 303 and "year=2019" in sent.headers["location"], sent.text

        reviews = parse_html(browser.get("/board/grades/reviews?year=2019").text)
        row = reviews.find("tr", data_staff=person["basic"])
        form = row.find("form", data_action="review")
        assert form is not None and "data-year-ended" not in form.attrs
        applied = browser.post(html.unescape(form.attrs["action"]),
                               data={"csrf": csrf, "next": "/board/grades/reviews?year=2019",
                                     "staff_id": person["basic"], "applied_on": "2020-01-13", "reason": "对结果有异议"})
        assert applied.status_code == 303, applied.text
        assert applied.headers["location"].startswith("/board/grades/reviews?year=2019")

        def cases(year: int) -> dict[str, Any]:
            answer = service.client.get(f"/api/grades/reviews?year={year}", headers=hr(service))
            assert answer.status_code == 200, answer.text
            return {c["staff_id"]: c for c in answer.json()["cases"]}

        case = cases(2019)[person["basic"]]
        assert case["notified_on"] == "2020-01-13" and case["review"]["applied_on"] == "2020-01-13"
        assert person["basic"] not in cases(2020)
    finally:
        service.clock.set(before)
