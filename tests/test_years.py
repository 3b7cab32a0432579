"""A year is a scope: 2019 run to its end through HTTP, 2020 started from the browser's API;
2019 stays readable on every page with `?year=2019` and workable for what legally continues
(复核, 申诉, notices, the person's result), and refuses every other write (409 year_closed)."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from grade_helpers import START, decide_and_publish, grade_everyone, hr, members
from helpers import DEPT, OTHER_DEPT, Service, page_csrf, parse_html, portal, running_service
from openpyxl import load_workbook
from staff_helpers import issue_slips, sign_in_again, staff_session

from service.config import ROOT, Settings
from service.content.codes import GRADE_BASIC, GRADE_PASS
from service.content.loader import load_content
from service.rules import years

EXPORTS = ("/hr/grades/filing.xlsx", "/hr/export.xlsx", "/hr/scores.xlsx")
NEW_YEAR = dt.datetime(2020, 1, 6, 9)


def act(service: Service, name: str, body: dict[str, Any], year: int | None = 2019) -> Any:
    query = f"?year={year}" if year else ""
    return service.client.post(f"/api/grades/actions/{name}{query}", json=body, headers=hr(service))


def cells(data: bytes) -> dict[str, list[list[Any]]]:
    book = load_workbook(io.BytesIO(data))
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}


def exports(service: Service) -> dict[str, dict[str, list[list[Any]]]]:
    found = {}
    for path in EXPORTS:
        response = service.client.get(f"{path}?year=2019", headers=hr(service))
        assert response.status_code == 200, (path, response.text)
        found[path] = cells(response.content)
    return found


def run_2019(service: Service) -> dict[str, str]:
    """2019 to its end: scores, grades, the decision, 公示, the notices delivered in December."""
    grades = grade_everyone(service, basic=2)
    decide_and_publish(service)
    service.clock.set(dt.datetime(2019, 10, 10, 9))
    assert act(service, "close-publicity", {}, None).status_code == 200
    service.clock.set(dt.datetime(2019, 12, 20, 9))
    assert act(service, "notified", {"department": DEPT, "date": "2019-12-20"}, None).status_code == 200
    return grades


def start_2020(service: Service) -> None:
    service.clock.set(NEW_YEAR)
    preview = service.client.post("/api/years", json={"year": 2020, "preview": True}, headers=hr(service))
    assert preview.status_code == 200, preview.text
    shown = preview.json()
    assert shown["from"] == 2019 and shown["carried"]["roster"] == len(service.context.content.roster)
    assert {"name": "contracts", "from": "2019-04-26", "to": "2020-04-26"} in shown["deadlines"]
    assert "月度考核汇总" in shown["empty"]
    assert load_content(service.settings.content_dir).settings.year == 2019  # a preview changes nothing
    started = service.client.post("/api/years", json={"year": 2020}, headers=hr(service))
    assert started.status_code == 201, started.text
    assert started.json()["year"] == 2020 and started.json()["years"] == [2020, 2019]


C, P, X = years.CURRENT, years.PAST, years.CLOSED
WRITES = [  # (action, step): may it write in a current, a past, a closed year
    (("monthly.submit", None), (True, False, False)),
    (("contract.upload", None), (True, False, False)),
    (("grades.sanction", None), (True, False, False)),
    (("grades.propose", None), (True, False, False)),
    (("grades.publicity", None), (True, False, False)),
    (("grades.adjust", "人事处调整"), (True, False, False)),
    (("grades.adjust", "公示异议处理"), (True, False, False)),
    (("grades.adjust", "复核"), (True, True, True)),
    (("grades.adjust", "申诉"), (True, True, True)),
    (("grades.review.apply", None), (True, True, True)),
    (("grades.review.decide", None), (True, True, True)),
    (("grades.appeal.apply", None), (True, True, True)),
    (("grades.appeal.decide", None), (True, True, True)),
    (("grades.notified", None), (True, True, False)),
    (("grades.view", None), (True, True, False)),
    (("objection.raise", None), (True, True, False)),
    (("objection.answer", None), (True, True, False)),
    (("year.close", None), (False, True, False)),
]


@pytest.mark.parametrize(("write", "expected"), WRITES)
def test_which_writes_a_year_takes(write: tuple[str, str | None], expected: tuple[bool, bool, bool]) -> None:
    action, step = write
    assert tuple(years.may_write(state, action, step) for state in (C, P, X)) == expected


def test_the_state_of_a_year() -> None:
    assert [years.state(2020, 2020, False), years.state(2019, 2020, False), years.state(2019, 2020, True)] == [C, P, X]


def test_2019_stays_workable_for_what_continues_after_2020_starts(settings: Settings) -> None:
    with running_service(settings, now=START) as service:
        grades = run_2019(service)
        basic, kept = [sid for sid, grade in grades.items() if grade == GRADE_BASIC]
        staff_session(service, basic, issue_slips(service)[basic])
        before = exports(service)
        december = {"rows": [{"工号": basic, "业务工作目标": 50}], "partial": True}
        start_2020(service)
        assert service.context.year == 2020
        assert exports(service) == before
        assert (settings.content_dir / "years" / "2019" / "settings.yml").is_file()
        assert load_content(settings.content_dir / "years" / "2019").settings.year == 2019

        # 复核 applied for and decided within its window, then a 申诉 recorded, all in 2020
        assert act(service, "review", {"staff_id": basic}, None).json()["code"] == "no_grade"
        applied = act(service, "review", {"staff_id": basic, "applied_on": "2020-01-06"})
        assert applied.status_code == 200, applied.text
        decided = act(service, "review-decision", {"staff_id": basic, "decided_on": "2020-01-08",
                                                   "grade": GRADE_PASS, "note": "复核后改为合格"})
        assert decided.status_code == 200, decided.text
        assert act(service, "review", {"staff_id": kept, "applied_on": "2020-01-07"}).status_code == 200
        assert act(service, "review-decision", {"staff_id": kept, "decided_on": "2020-01-09"}).status_code == 200
        appealed = act(service, "appeal", {"staff_id": kept, "applied_on": "2020-01-10", "authority": "市人社局"})
        assert appealed.status_code == 200, appealed.text
        cases = service.client.get("/api/grades/reviews?year=2019", headers=hr(service)).json()["cases"]
        assert sorted(c["staff_id"] for c in cases) == sorted([basic, kept])
        assert next(c for c in cases if c["staff_id"] == kept)["appeal"]["authority"] == "市人社局"
        assert service.client.get("/api/grades/reviews", headers=hr(service)).json()["cases"] == []

        notice = service.client.get(f"/board/{DEPT}/grades/{basic}/notice.docx?year=2019", headers=hr(service))
        assert notice.status_code == 200 and notice.content[:2] == b"PK"
        assert service.client.get(f"/board/{DEPT}/grades/{basic}/notice.docx", headers=hr(service)).status_code == 404

        client = sign_in_again(service, basic)  # a new session in 2020
        answer = client.get("/api/me?year=2019")
        assert answer.status_code == 200, answer.text
        mine = answer.json()["grade"]
        assert mine["published"] and mine["year"] == 2019 and mine["grade"] == GRADE_PASS
        page = parse_html(client.get("/me/grade?year=2019").text)
        assert page.find(data_field="grade").text == GRADE_PASS
        listed = parse_html(client.get("/me").text).find("table", data_my_years=True)
        assert [row[0] for row in listed.rows()] == ["2020 年度", "2019 年度"]

        overview = service.client.get("/api/grades", headers=hr(service)).json()
        assert overview["year"] == 2020 and overview["graded"] == 0
        assert service.client.get("/api/grades/records", headers=hr(service)).json()["sanctions"] == []
        assert service.client.get("/api/scores", headers=hr(service)).json()["people"][0]["total"] in (None, 0)

        stored = service.client.get(f"/api/monthly/{DEPT}/12?year=2019", headers=hr(service)).json()
        late = service.client.put(f"/api/monthly/{DEPT}/12?year=2019", json=december, headers=hr(service))
        assert late.status_code == 409 and late.json()["code"] == "year_closed", late.text
        assert "2019 年度已结束" in late.json()["error"]
        assert service.client.get(f"/api/monthly/{DEPT}/12?year=2019", headers=hr(service)).json() == stored
    verified = portal(settings, "audit", "verify")  # both years' writes went into the one chain
    assert verified.returncode == 0, verified.stdout + verified.stderr


# -- every page of year-bound data takes ?year= --------------------------------------------

SANCTION_NOTE = "二〇一九年登记的警告"


@pytest.fixture(scope="module")
def switched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, dict[str, str]]]:
    """2019 run to its end (with a sanction, a leave status and a 复核 on record), then 2020 started."""
    root = tmp_path_factory.mktemp("years")
    shutil.copytree(ROOT / "content", root / "content")
    settings = Settings(root=ROOT, content_dir=root / "content", site_dir=root / "site", data_dir=root / "var",
                        mkdocs_file=ROOT / "mkdocs.yml")
    with running_service(settings, now=START) as service:
        grades = run_2019(service)
        ids = list(grades)
        basic = next(sid for sid, grade in grades.items() if grade == GRADE_BASIC)
        assert act(service, "sanction", {"staff_id": ids[3], "kind": "警告", "on": "2019-12-01",
                                         "note": SANCTION_NOTE}, None).status_code == 200
        assert act(service, "review", {"staff_id": basic, "applied_on": "2019-12-21"}, None).status_code == 200
        leave = service.client.put(f"/api/completion/{DEPT}", headers=hr(service),
                                   json={"entries": [{"staff_id": ids[4], "status": "产假"}]})
        assert leave.status_code == 200, leave.text
        start_2020(service)
        yield service, {"basic": basic, "name": service.context.content.staff(basic).name,  # type: ignore[union-attr]
                        "leave": "产假"}


PAGES = [  # (path, what only the 2019 answer holds)
    ("/api/grades", '"year":2019'),
    ("/board/grades", "data-past-year"),
    (f"/api/grades/{DEPT}", GRADE_BASIC),
    (f"/board/{DEPT}/grades", "data-past-year"),
    ("/api/grades/reviews", "{basic}"),
    ("/board/grades/reviews", "{name}"),
    ("/api/grades/records", SANCTION_NOTE),
    ("/board/grades/records", SANCTION_NOTE),
    ("/api/scores", '"year":2019'),
    ("/board/scores", 'data-year-scope="2019"'),
    (f"/api/monthly/{DEPT}/1", "{basic}"),
    (f"/board/{DEPT}/monthly/1", 'data-year-scope="2019"'),
    (f"/board/{DEPT}/monthly", 'data-year-scope="2019"'),
    ("/api/progress", '"year":2019'),
    ("/board/progress", 'data-year-scope="2019"'),
    ("/api/status", '"year":2019'),
    ("/board", "2019年度责任状"),
    (f"/api/departments/{DEPT}/staff", "{leave}"),
    (f"/board/{DEPT}", 'data-year-scope="2019"'),
    (f"/board/{DEPT}/targets", 'data-year-scope="2019"'),
    (f"/api/duties/{DEPT}", "2019-04-23"),
    (f"/board/{DEPT}/duties", 'data-year-scope="2019"'),
    ("/board/objections", 'data-year-scope="2019"'),
    ("/board/grades/objections", 'data-year-scope="2019"'),
    ("/board/confirmations", 'data-year-scope="2019"'),
    ("/api/chase", "2019-04-23"),
    ("/board/chase", 'data-year-scope="2019"'),
    ("/board/reminders", 'data-year-scope="2019"'),
    ("/board/workbooks", 'data-year-scope="2019"'),
]


@pytest.mark.parametrize(("path", "marker"), PAGES)
def test_a_page_shows_2019_with_year_2019(switched: tuple[Service, dict[str, str]], path: str, marker: str) -> None:
    service, person = switched
    headers = {**hr(service), "accept": "text/html"} if not path.startswith("/api/") else hr(service)
    marker = marker.format(**person)
    old = service.client.get(f"{path}{'&' if '?' in path else '?'}year=2019", headers=headers)
    new = service.client.get(path, headers=headers)
    assert old.status_code == 200 and new.status_code == 200, (old.text[:300], new.text[:300])
    assert marker in old.text, old.text[:600]
    assert marker not in new.text


@pytest.mark.parametrize(("year", "status", "code"), [("2018", 404, "unknown_year"), ("2021", 404, "unknown_year"),
                                                      ("二〇一九", 400, "invalid_year"), ("２０１９", 400, "invalid_year"),
                                                      ("19", 400, "invalid_year")])
def test_a_year_without_data_or_not_a_year_is_refused(switched: tuple[Service, dict[str, str]], year: str,
                                                      status: int, code: str) -> None:
    service, _ = switched
    for path in ("/api/grades", f"/api/monthly/{DEPT}/1", "/hr/export.xlsx"):
        response = service.client.get(path, params={"year": year}, headers=hr(service))
        assert response.status_code == status and response.json()["code"] == code, (path, response.text)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["error"])
    page = service.client.get("/board/grades?year=2018", headers={**hr(service), "accept": "text/html"})
    assert page.status_code == 404 and "没有 2018 年度的数据" in page.text


def test_the_board_carries_a_year_switch_and_hr_the_years_page(switched: tuple[Service, dict[str, str]]) -> None:
    service, _ = switched
    browser = service.hr_session()
    switch = parse_html(browser.get("/board/scores?year=2019").text).find("form", data_year_scope="2019")
    assert [o.attrs["value"] for o in switch.find_all("option")] == ["2020", "2019"]
    years = parse_html(browser.get("/board/years").text).find("table", data_years_table=True)
    assert [row[0] for row in years.rows()] == ["2020 年度", "2019 年度"]


def test_closing_2019_leaves_only_appeals_open(switched: tuple[Service, dict[str, str]]) -> None:
    service, person = switched
    basic = person["basic"]
    current = service.client.post("/api/years/2020/close", headers=hr(service))
    assert current.status_code == 409 and current.json()["code"] == "year_current"
    clerk = service.client.post("/api/years/2019/close", headers=service.bearer("clerk"))
    assert clerk.status_code == 403
    closed = service.client.post("/api/years/2019/close", headers=hr(service))
    assert closed.status_code == 200 and closed.json()["state"] == "closed", closed.text
    again = service.client.post("/api/years/2019/close", headers=hr(service))
    assert again.status_code == 409 and again.json()["code"] == "year_closed"
    records = service.client.get("/api/grades/records?year=2019", headers=hr(service)).json()
    other = members(service, OTHER_DEPT)[0]  # notified of nothing yet
    for name, body in [("notified", {"staff_ids": [other], "date": "2020-01-06"}),
                       ("sanction", {"staff_id": basic, "kind": "警告", "on": "2019-12-02"})]:
        refused = act(service, name, body)
        assert refused.status_code == 409 and refused.json()["code"] == "year_closed", (name, refused.text)
        assert "已归档" in refused.json()["error"]
    assert service.client.get("/api/grades/records?year=2019", headers=hr(service)).json() == records
    decided = act(service, "review-decision", {"staff_id": basic, "decided_on": "2020-01-07"})
    assert decided.status_code == 200, decided.text
    assert act(service, "appeal", {"staff_id": basic, "applied_on": "2020-01-08",
                                   "authority": "市人社局"}).status_code == 200
    assert act(service, "sanction", {"staff_id": basic, "kind": "警告", "on": "2020-01-02"}, None).status_code == 200


def test_hr_starts_the_next_year_from_the_board_after_a_preview(settings: Settings) -> None:
    with running_service(settings, now=dt.datetime(2019, 12, 30, 9)) as service:
        browser = service.hr_session()
        board = parse_html(browser.get("/board").text)
        assert board.find("a", data_years_link=True).attrs["href"] == "/board/years"
        csrf = page_csrf(browser, "/board/years")
        bad = browser.post("/board/years/preview", data={"csrf": csrf, "year": "2019"})
        assert bad.status_code == 409 and "应晚于当前年度 2019" in bad.text
        shown = parse_html(browser.post("/board/years/preview", data={"csrf": csrf, "year": "2020"}).text)
        assert shown.find(data_new_year_preview="2020") is not None
        assert load_content(settings.content_dir).settings.year == 2019
        started = browser.post("/board/years/start", data={"csrf": csrf, "year": "2020"})
        assert started.status_code == 303 and started.headers["location"] == "/board/years"
        assert service.client.get("/api/grades", headers=hr(service)).json()["year"] == 2020
        entries = [json.loads(line) for line in (settings.data_dir / "audit.log").read_text().splitlines()]
        assert [(e["action"], e["detail"]["year"], e["detail"]["previous"]) for e in entries if e["action"] == "year.start"] == [
            ("year.start", 2020, 2019)]
        rows = parse_html(browser.get("/board/years").text).find("table", data_years_table=True).rows()
        assert rows[0][:2] == ["2020 年度", "当前年度"]


def test_portal_new_year_starts_the_year_through_the_same_workflow_and_audits_it(settings: Settings) -> None:
    with running_service(settings, now=START) as service:
        assert service.client.get("/api/grades", headers=hr(service)).json()["year"] == 2019
    result = portal(settings, "new-year", "2020")
    assert result.returncode == 0, result.stdout + result.stderr
    assert load_content(settings.content_dir / "years" / "2019").settings.year == 2019
    entries = [json.loads(line) for line in (settings.data_dir / "audit.log").read_text().splitlines()]
    assert [(e["actor"], e["detail"]["year"]) for e in entries if e["action"] == "year.start"] == [("cli", 2020)]
    again = portal(settings, "new-year", "2020")
    assert again.returncode == 1 and "应晚于当前年度 2020" in again.stdout + again.stderr
    with running_service(settings, now=NEW_YEAR, users=False) as service:
        assert service.context.year == 2020
        assert service.client.get("/api/years", headers=service.bearer("hr")).json()["years"] == [2020, 2019]
