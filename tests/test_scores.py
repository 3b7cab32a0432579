"""Scores through HTTP: a hand-computed college, the score sheet, and privacy.

招生办公室 (zsb, five people). Annex 2: c1 5, c2 5, c3 8, c4 5, c5 5, c6 8, c7 4 = 40.
Events: c1 rule 1 (2 points, January), c2 rule 1 (3 points, February), c4 rule 2 (3 points)
in February and again in March: 6 > 5, capped at 5. Common = 40 − 2 − 3 − 5 = 30 for
everyone in zsb, minus each person's own 其他项目.
Business = mean of the months reported (settings: average).

    person  business Jan Feb Mar  其他项目     common  business  total
    100183  50 55 60               –          30      55        85
    100185  40 45 —                1 (Feb)    29      42.5      71.5
    100186  60 60 60               –          30      60        90
    100187  30 36 42               .5 + .5    29      36        65
    100189  — — — (on leave)       –          30      —         —
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from helpers import Service, built_site, page_csrf, parse_html, running_service

from service.config import Settings

DEPT = "zsb"
BUSINESS = {"100183": (50, 55, 60), "100185": (40, 45, None), "100186": (60, 60, 60),
            "100187": (30, 36, 42), "100189": (None, None, None)}
OTHER = {("100185", 2): 1, ("100187", 1): 0.5, ("100187", 3): 0.5}
EXPECTED = {"100183": (30, 55, 85), "100185": (29, 42.5, 71.5), "100186": (30, 60, 90),
            "100187": (29, 36, 65), "100189": (30, None, None)}
EVENTS = (("c1", 0, "2019-01-15", "校园内发现邪教宣传品"), ("c2", 0, "2019-02-10", "管理不当造成财产损失"),
          ("c4", 1, "2019-02-20", "部门人员被通报批评累计三人次"), ("c4", 1, "2019-03-12", "再次累计三人次"))


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    with running_service(settings, now=dt.datetime(2019, 4, 10, 9, 0)) as svc:
        svc.add_user("zsb-clerk", "department", DEPT)
        yield svc


@pytest.fixture
def scored(service: Service) -> Service:
    """The hand-computed case entered through the API: four events, three months of summaries."""
    hr = service.bearer("hr")
    for item, rule, at, note in EVENTS:
        response = service.client.post("/api/score-events", headers=hr, json={
            "department": DEPT, "item_id": item, "rule_index": rule, "note": note, "at": at})
        assert response.status_code == 201, response.text
    clerk = service.bearer("zsb-clerk")
    for month in (1, 2, 3):
        rows = []
        for staff_id, results in BUSINESS.items():
            business = results[month - 1]
            rows.append({"工号": staff_id, "出勤": 21 if business is not None else 0, "病假": 0 if business else 21,
                         "其他项目": OTHER.get((staff_id, month), 0),
                         "业务工作目标": "" if business is None else business})
        response = service.client.put(f"/api/monthly/{DEPT}/{month}", json={"rows": rows}, headers=clerk)
        assert response.status_code == 200, response.text
    return service


def scores(service: Service, headers: dict[str, str], **params: Any) -> dict[str, dict[str, Any]]:
    response = service.client.get("/api/scores", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return {p["staff_id"]: p for p in response.json()["people"]}


def test_each_member_gets_the_hand_computed_scores(scored: Service) -> None:
    people = scores(scored, scored.bearer("hr"))
    for staff_id, (common, business, total) in EXPECTED.items():
        person = people[staff_id]
        assert (person["common"], person["business"], person["total"]) == (common, business, total), staff_id
    assert people["100183"]["common_by_item"] == {"c1": 3, "c2": 2, "c3": 8, "c4": 0, "c5": 5, "c6": 8, "c7": 4}
    ranks = {s: (people[s]["rank"], people[s]["department_rank"]) for s in EXPECTED}
    assert ranks == {"100186": (1, 1), "100183": (2, 2), "100185": (3, 3), "100187": (4, 4), "100189": (None, None)}
    elsewhere = next(p for p in people.values() if p["department"] == "cwc")
    assert (elsewhere["common"], elsewhere["business"], elsewhere["total"]) == (40, None, None)

    months = {m["month"]: m for m in people["100183"]["months"]}
    assert (months[2]["common"], months[2]["business"], months[2]["total"]) == (34, 55, 89)  # c2 3 + c4 3
    january = scores(scored, scored.bearer("hr"), month=1)
    assert (january["100183"]["common"], january["100183"]["total"]) == (38, 88)
    assert (january["100187"]["common"], january["100187"]["total"]) == (37.5, 67.5)


def test_events_are_validated_and_only_hr_records_them(service: Service) -> None:
    hr = service.bearer("hr")
    bad_rule = service.client.post("/api/score-events", headers=hr,
                                   json={"department": DEPT, "item_id": "c3", "rule_index": 1})
    assert bad_rule.status_code == 422 and "只有 1 条评分标准" in bad_rule.json()["error"]
    too_much = service.client.post("/api/score-events", headers=hr,
                                   json={"department": DEPT, "item_id": "c7", "rule_index": 0, "points": 5})
    assert too_much.status_code == 422 and "不超过该项分值 4" in too_much.json()["error"]
    clerk = service.client.post("/api/score-events", headers=service.bearer("zsb-clerk"),
                                json={"department": DEPT, "item_id": "c7", "rule_index": 0})
    assert clerk.status_code == 403
    made = service.client.post("/api/score-events", headers=hr, json={"department": DEPT, "item_id": "c7",
                                                                       "rule_index": 0, "points": 1.5})
    assert made.status_code == 201 and made.json()["deduction"] == 1.5
    assert scores(service, hr)["100183"]["common"] == 38.5
    assert service.client.delete(f"/api/score-events/{made.json()['id']}", headers=hr).status_code == 204
    assert scores(service, hr)["100183"]["common"] == 40


def test_the_event_form_on_the_scores_page(service: Service) -> None:
    browser = service.hr_session()
    csrf = page_csrf(browser, "/board/scores")
    refused = browser.post("/board/score-events", data={"csrf": csrf, "department": DEPT, "rule": "c7:0",
                                                       "points": "9", "note": "招生未完成"})
    assert refused.status_code == 422
    page = parse_html(refused.text)
    assert page.find("textarea", name="note").text == "招生未完成"  # type: ignore[union-attr]
    done = browser.post("/board/score-events", data={"csrf": csrf, "department": DEPT, "rule": "c7:0",
                                                    "note": "招生未完成"})
    assert done.status_code == 303
    page = parse_html(browser.get("/board/scores", params={"department": DEPT}).text)
    row = page.find("table", data_scores_table=True).find("tr", data_staff="100183")  # type: ignore[union-attr]
    assert row is not None and row.find(data_common=True).text == "36"  # type: ignore[union-attr]


def test_the_score_sheet_has_everyone_with_the_boards_figures(scored: Service) -> None:
    people = scores(scored, scored.bearer("hr"))
    response = scored.client.get("/hr/scores.xlsx", headers=scored.bearer("hr"))
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book["得分排名"]
    header = [c.value for c in sheet[2]]
    col = {name: header.index(next(h for h in header if str(h).startswith(name))) for name in
           ("工号", "姓名", "共性目标得分", "业务工作目标得分", "总分", "全院名次")}
    found = {}
    for row in sheet.iter_rows(min_row=3, values_only=True):
        found[row[col["工号"]]] = row
    roster = {m.staff_id for m in scored.context.content.roster}
    assert set(found) == roster == set(people)

    def value(cell: Any) -> Any:
        return None if cell == "—" else cell

    for staff_id, person in people.items():
        row = found[staff_id]
        assert row[col["姓名"]] == person["name"]
        assert (value(row[col["共性目标得分"]]), value(row[col["业务工作目标得分"]]), value(row[col["总分"]]),
                value(row[col["全院名次"]])) == (person["common"], person["business"], person["total"], person["rank"])
    page = parse_html(scored.hr_session().get("/board/scores").text)
    board = {r[2]: r for r in page.find("table", data_scores_table=True).rows()}  # type: ignore[union-attr]
    assert board["100185"][5:8] == ["29", "42.5", "71.5"]
    assert len(board) == len(roster)


def test_the_score_sheet_prints_on_a4_with_its_titles(scored: Service) -> None:
    response = scored.client.get("/hr/scores.xlsx", headers=scored.bearer("hr"))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["得分排名", "各月明细"]
    for sheet in book.worksheets:
        assert str(sheet["A1"].value).startswith(f"{scored.context.year}年度")
        (title,) = sheet.merged_cells.ranges  # over the columns of the first printed page
        assert (title.min_row, title.max_row, title.min_col) == (1, 1, 1)
        assert title.max_col == (sheet.col_breaks.brk[0].id if sheet.col_breaks.brk else sheet.max_column)
        assert (sheet.freeze_panes, sheet.print_title_rows) == ("A3", "$2:$2")
        assert (sheet.page_setup.paperSize, sheet.page_setup.orientation) == (9, "landscape")  # 9: A4
        assert sheet["A2"].font.b and sheet["A3"].font.name == "宋体"
    ranking, monthly = book["得分排名"], book["各月明细"]
    # 18 columns are split across pages between columns, who each row is repeated on every page;
    # the 7 monthly columns are scaled to one page wide
    assert not ranking.sheet_properties.pageSetUpPr.fitToPage and ranking.print_title_cols == "$A:$D"
    assert ranking.col_breaks.brk and all(4 < b.id < ranking.max_column for b in ranking.col_breaks.brk)
    assert monthly.sheet_properties.pageSetUpPr.fitToPage and not monthly.col_breaks.brk
    assert monthly.max_row > 2 and str(monthly["D3"].value).endswith("月")


def test_scores_are_never_public(scored: Service) -> None:
    names = [m.name for m in scored.context.content.members(DEPT)]
    assert scored.client.get("/api/scores").status_code == 401
    assert scored.client.get("/hr/scores.xlsx").status_code == 401
    assert scored.client.get("/api/score-events").status_code == 401
    assert scored.client.get("/board/scores", headers={"accept": "text/html"}).status_code == 303
    status = scored.client.get("/api/status")
    assert status.status_code == 200
    assert not any(name in status.text for name in names) and "100183" not in status.text
    assert not {"common", "business", "total", "score", "scores"} & set(_keys(status.json()))
    scored.settle()
    page = scored.status_page.read_text(encoding="utf-8")
    assert not any(name in page for name in names) and "得分" not in page and "总分" not in page
    for path in _html_files(built_site()):
        text = path.read_text(encoding="utf-8")
        assert not any(name in text for name in names), path


def test_a_department_sees_only_its_own_people_and_a_leader_may_view(scored: Service) -> None:
    own = scores(scored, scored.bearer("zsb-clerk"))
    assert set(own) == set(EXPECTED)
    assert scored.client.get("/api/scores", params={"department": "cwc"},
                             headers=scored.bearer("zsb-clerk")).status_code == 403
    assert set(scores(scored, scored.bearer("clerk"))).isdisjoint(EXPECTED)
    assert scored.client.get("/hr/scores.xlsx", headers=scored.bearer("zsb-clerk")).status_code == 403
    scored.add_user("zsb-leader", "leader", oversees=("zsb",))
    seen = scores(scored, scored.bearer("zsb-leader"))
    assert seen["100186"]["total"] == 90  # a leader sees the departments they oversee, and only those
    assert {p["department"] for p in seen.values()} == {"zsb"}
    assert scored.client.get("/api/scores", params={"department": "cwc"},
                             headers=scored.bearer("zsb-leader")).status_code == 403
    page = parse_html(scored.session("zsb-clerk").get("/board/scores").text)
    shown = {r[2] for r in page.find("table", data_scores_table=True).rows()}  # type: ignore[union-attr]
    assert shown == set(EXPECTED)
    progress = scored.client.get("/api/progress", headers=scored.bearer("zsb-clerk")).json()
    assert [d["id"] for d in progress["departments"]] == [DEPT]


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _keys(inner)


def _html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_the_board_links_to_progress_scores_and_the_review_queue(service: Service) -> None:
    def links(username: str) -> set[str]:
        client = service.hr_session() if username == "hr" else service.session(username)
        page = parse_html(client.get("/board").text)
        found = page.find(data_workflow_links=True)
        assert found is not None
        return {a.attrs["href"] for a in found.find_all("a")}

    assert links("hr") == {"/board/progress", "/board/scores", "/board/grades", "/board/confirmations",
                           "/board/objections"}
    assert links("boss") == {"/board/progress", "/board/scores", "/board/review", "/board/grades",
                             "/board/confirmations"}
    assert service.session("boss").get("/board/progress").status_code == 200
    assert service.session("clerk").get("/board/progress").status_code == 403


def test_the_ranking_pages_through_the_api_without_losing_anyone(scored: Service) -> None:
    hr = scored.bearer("hr")
    whole = scored.client.get("/api/scores", headers=hr).json()
    assert whole["total"] == len(whole["people"]) == len(scored.context.content.roster)
    assert (whole["offset"], whole["limit"]) == (0, None)
    pieces: list[dict[str, Any]] = []
    offset = 0
    while offset < whole["total"]:
        part = scored.client.get("/api/scores", params={"offset": offset, "limit": 70}, headers=hr).json()
        assert (part["total"], part["offset"], part["limit"]) == (whole["total"], offset, 70)
        assert 0 < len(part["people"]) <= 70
        pieces += part["people"]
        offset += 70
    assert pieces == whole["people"]  # the same people, ranks and scores, in the same order
    own = scored.client.get("/api/scores", params={"limit": 2}, headers=scored.bearer("zsb-clerk")).json()
    assert own["total"] == len(EXPECTED) and [p["staff_id"] for p in own["people"]] == ["100186", "100183"]
    for params, code in (({"limit": "0"}, "invalid_limit"), ({"limit": "x"}, "invalid_limit"),
                         ({"offset": "-1"}, "invalid_offset"), ({"limit": "10001"}, "invalid_limit")):
        refused = scored.client.get("/api/scores", params=params, headers=hr)
        assert refused.status_code == 400 and refused.json()["code"] == code, params
        assert not refused.json()["error"].isascii()


def test_the_scores_page_shows_one_page_at_a_time_with_links_to_the_rest(scored: Service) -> None:
    browser = scored.hr_session()
    ranking = [p["staff_id"] for p in scored.client.get("/api/scores", headers=scored.bearer("hr")).json()["people"]]
    seen: list[str] = []
    url: str | None = "/board/scores?per_page=100&month=3"
    pages = 0
    while url:
        page = parse_html(browser.get(url).text)
        rows = [r[2] for r in page.find("table", data_scores_table=True).rows()]  # type: ignore[union-attr]
        assert 0 < len(rows) <= 100
        seen += rows
        pages += 1
        nav = page.find(data_pages=True)
        assert nav is not None and f"共 {len(ranking)} 人" in nav.text
        following = nav.find("a", rel="next")
        url = following.attrs["href"] if following else None
        assert url is None or ("month=3" in url and "per_page=100" in url)  # the filters stay
    assert pages == -(-len(ranking) // 100) > 1
    march = [p["staff_id"] for p in scored.client.get("/api/scores", params={"month": 3},
                                                       headers=scored.bearer("hr")).json()["people"]]
    assert seen == march and set(seen) == set(ranking)

    beyond = parse_html(browser.get("/board/scores?per_page=100&page=99").text)  # past the end: the last page
    last = [r[2] for r in beyond.find("table", data_scores_table=True).rows()]  # type: ignore[union-attr]
    assert last == ranking[(pages - 1) * 100:]
    assert beyond.find(data_pages=True).find("a", rel="next") is None  # type: ignore[union-attr]
    wrong = browser.get("/board/scores?per_page=7", headers={"Accept": "text/html"})
    assert wrong.status_code == 400 and "每页人数应为" in wrong.text


def test_an_unknown_department_is_a_404_not_a_crash(service: Service) -> None:
    api = service.client.get("/api/scores", params={"department": "nope"}, headers=service.bearer("hr"))
    assert api.status_code == 404 and api.json()["code"] == "unknown_department"
    page = service.hr_session().get("/board/scores?department=nope", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "没有代码为“nope”的部门或系" in page.text


@pytest.mark.parametrize("count", [0, 1, 499, 500, 501, 1234])
def test_a_streamed_list_is_byte_for_byte_the_json_response(count: int) -> None:
    """/api/scores writes its people a chunk at a time; the bytes are those of one JSONResponse."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from service.web.views.common import json_list_stream

    head = {"year": 2019, "名称": "得分", "total": count}
    items = [{"staff_id": f"{i:06d}", "name": "张三", "total": i / 3, "months": [{"month": 1}]} for i in range(count)]
    app = Starlette(routes=[Route("/", lambda request: json_list_stream(head, "people", iter(items), chunk=500))])
    streamed = TestClient(app).get("/")
    assert streamed.headers["content-type"] == "application/json"
    assert streamed.content == JSONResponse({**head, "people": items}).body
