"""The small things people trip on: a session that ends while a form is sent, lists found by
name, 工号 and pinyin initials, the portal's 登录 link, each role's own annex 3, the units of
the monthly summary, confirmations before what cannot be undone, one download of all the
contracts, times in the exported workbook as people read them."""

from __future__ import annotations

import io
import zipfile
from urllib.parse import parse_qs, urlsplit

import openpyxl
from helpers import (
    DEPT,
    PASSWORD,
    Service,
    built_site,
    csrf_from,
    page_csrf,
    parse_html,
    scan_of,
    upload,
)

from service.office import catalog
from service.rules.people_search import initials, matches, search_text
from service.workflows import sessions

HTML = {"accept": "text/html"}


def test_a_form_sent_after_the_session_ended_comes_back_to_its_page(service: Service) -> None:
    clerk = service.session("clerk")
    csrf = page_csrf(clerk, f"/board/{DEPT}")
    sessions.end_all(service.context, "clerk")  # the session ends (idle, or signed out elsewhere)
    person = service.context.content.members(DEPT)[0].staff_id
    sent = clerk.post(f"/board/{DEPT}/completion", data={"csrf": csrf, f"status:{person}": "病假"},
                      headers={**HTML, "referer": f"http://testserver/board/{DEPT}?q=abc"})
    assert sent.status_code == 303
    where = urlsplit(sent.headers["location"])
    assert where.path == "/login"
    assert parse_qs(where.query) == {"next": [f"/board/{DEPT}?q=abc"], "expired": ["post"]}
    login = clerk.get(sent.headers["location"])
    alert = parse_html(login.text).find(data_expired=True)
    assert alert is not None and "登录已过期，请重新登录后再提交" in alert.text and "已在本浏览器中保留" in alert.text
    back = clerk.post("/login", data={"username": "clerk", "password": PASSWORD, "csrf": csrf_from(login.text),
                                      "next": f"/board/{DEPT}?q=abc", "expired": "post"})
    assert back.status_code == 303 and back.headers["location"] == f"/board/{DEPT}?q=abc"
    # nothing was saved by the post that found no session
    assert service.client.get(f"/api/departments/{DEPT}/staff", headers=service.bearer("clerk")).json()[
        "staff"][0]["status"] == "未完成"
    # a page asked for with a stale cookie says so too; a signed-in visitor of /login goes to the landing page
    assert clerk.get("/login").headers["location"] == f"/board/{DEPT}"
    sessions.end_all(service.context, "clerk")
    again = clerk.get(f"/board/{DEPT}/targets", headers=HTML)
    assert parse_qs(urlsplit(again.headers["location"]).query) == {"next": [f"/board/{DEPT}/targets"],
                                                                    "expired": ["1"]}


def test_a_person_is_found_by_name_staff_id_and_pinyin_initials(service: Service) -> None:
    members = service.context.content.members(DEPT)
    person = members[7]
    assert initials("张晓明") == "zxm"
    assert matches(initials(person.name), search_text(person.staff_id, person.name))
    assert matches("１０", search_text("100010", "韩静"))  # full-width digits are digits
    clerk = service.session("clerk")

    def shown(query: str) -> list[str]:
        page = parse_html(clerk.get(f"/board/{DEPT}?{query}").text)
        table = page.find("table", data_people_list=True)
        assert table is not None
        return [row.attrs["data-staff"] for row in table.find_all("tr", data_staff=True) if "hidden" not in row.attrs]

    assert shown(f"q={person.staff_id}") == [person.staff_id]
    assert person.staff_id in shown(f"q={person.name}")
    assert person.staff_id in shown(f"q={initials(person.name)}")
    assert len(shown("")) == len(members)
    upload(service.client, members[0].staff_id, scan_of(members[0].staff_id), headers=service.bearer("clerk"))
    assert shown("status=目标未审定") == [members[0].staff_id]  # signed before any approved set
    every = parse_html(clerk.get(f"/board/{DEPT}?status=目标未审定").text).find("table", data_people_list=True)
    assert every is not None and len(every.find_all("tr", data_staff=True)) == len(members)  # hidden, not dropped
    row = every.find("tr", data_staff=person.staff_id)
    assert row is not None and initials(person.name) in row.attrs["data-search"]
    # the same box on the targets list (by state) and the monthly form
    targets = parse_html(clerk.get(f"/board/{DEPT}/targets?q={person.staff_id}").text)
    visible = [r for r in targets.find_all("tr", data_staff=True) if "hidden" not in r.attrs]
    assert [r.attrs["data-staff"] for r in visible] == [person.staff_id]
    assert targets.find("form", data_people_filter="targets") is not None
    month = parse_html(clerk.get(f"/board/{DEPT}/monthly/3?q={initials(person.name)}").text)
    assert person.staff_id in [r.attrs["data-staff"] for r in month.find_all("tr", data_staff=True)
                               if "hidden" not in r.attrs]


def test_rows_keep_their_place_when_a_status_changes(service: Service) -> None:
    clerk = service.bearer("clerk")
    members = [m.staff_id for m in service.context.content.members(DEPT)]
    before = [p["staff_id"] for p in service.client.get("/api/targets", headers=clerk).json()["people"]]
    rows = service.client.get(f"/api/targets/{members[-1]}", headers=clerk).json()["rows"]
    service.client.put(f"/api/targets/{members[-1]}", json={"rows": rows, "submit": True}, headers=clerk)
    page = parse_html(service.session("clerk").get(f"/board/{DEPT}/targets").text)
    after = [r.attrs["data-staff"] for r in page.find_all("tr", data_staff=True)]
    assert after == members and before == members  # the roster's order, whatever the state


def test_the_portal_header_has_a_login_link_and_each_role_page_its_annex_3(service: Service) -> None:
    site = built_site()
    for page in ("index.html", "notice/index.html", "status/index.html"):
        html = parse_html((site / page).read_text(encoding="utf-8"))
        header = html.find("header")
        assert header is not None
        link = header.find("a", data_portal_login=True)
        assert link is not None and link.attrs["href"] == "/login" and link.text == "登录"
    role = service.context.content.roles[0]
    page = parse_html((site / "roles" / role.id / "index.html").read_text(encoding="utf-8"))
    button = page.find("a", data_role_annex3="1")
    assert button is not None and "本岗位" in button.text
    path = site / catalog.role_site_path(role)
    assert path.exists()
    sheet = openpyxl.load_workbook(path)["附件3"]
    typed = [sheet.cell(row, 2).value for row in range(5, 5 + len(role.targets))]
    assert typed == [t.content for t in role.targets]
    # the service's pages wear the same header: its link leads a signed-in user to the landing page
    assert service.session("clerk").get("/login").headers["location"] == f"/board/{DEPT}"


def test_the_login_link_shows_only_to_who_is_not_signed_in(service: Service) -> None:
    anonymous = parse_html(service.new_client().get("/gongshi").text).find("header")
    assert anonymous is not None and anonymous.find("a", data_portal_login=True) is not None
    for path in ("/gongshi", f"/board/{DEPT}", "/account"):
        response = service.session("clerk").get(path)
        assert response.status_code == 200, path
        header = parse_html(response.text).find("header")
        assert header is not None and header.find("a", data_portal_login=True) is None, path
        assert parse_html(response.text).find("form", class_="account-bar") is not None  # who is signed in shows


def test_the_monthly_form_says_its_units_and_that_attendance_is_recorded(service: Service) -> None:
    page = parse_html(service.session("clerk").get(f"/board/{DEPT}/monthly/3").text)
    heads = [th.text for th in page.find("table", data_people_list=True).find_all("th")]  # type: ignore[union-attr]
    assert {"出勤（天）", "迟到（次）", "旷工（天）", "其他项目（扣分）", "业务工作目标（得分）"} <= set(heads)
    note = page.find(data_units_note=True)
    assert note is not None and "只作记录，不直接计分" in note.text
    cell = page.find("td", data_label="离岗（次）")
    assert cell is not None and cell.find("input") is not None  # each card names its field on a phone


def test_what_cannot_be_undone_asks_first(service: Service) -> None:
    from approvals import approve

    members = service.context.content.members(DEPT)
    approve(service, members[0].staff_id)
    upload(service.client, members[1].staff_id, scan_of(members[1].staff_id), headers=service.bearer("clerk"))
    hr = service.hr_session()
    reopen = parse_html(hr.get(f"/board/{DEPT}/targets/{members[0].staff_id}").text).find("button", value="reopen")
    assert reopen is not None and "不能撤销" in reopen.attrs["data-confirm"]
    withdraw = parse_html(hr.get(f"/board/{DEPT}").text).find("tr", data_staff=members[1].staff_id)
    assert withdraw is not None
    button = withdraw.find("button", data_confirm=True)
    assert button is not None and "撤回" in button.attrs["data-confirm"]
    event = {"department": DEPT, "item_id": service.context.content.common_targets[-1].id, "rule_index": 0,
             "points": 0.5, "note": "确认"}
    assert service.client.post("/api/score-events", json=event, headers=service.bearer("hr")).status_code == 201
    scores = parse_html(hr.get("/board/scores").text).find("button", name="remove")
    assert scores is not None and "撤销这条扣分记录" in scores.attrs["data-confirm"]


def test_duties_offer_the_template_and_targets_a_running_total(service: Service) -> None:
    clerk = service.session("clerk")
    duties = parse_html(clerk.get(f"/board/{DEPT}/duties").text)
    button = duties.find("button", data_fill_template=True)
    assert button is not None and button.text == "使用模板"
    role_id = button.attrs["data-fill-template"].removeprefix("duties-")
    role = service.context.content.role(role_id)
    assert role is not None and button.attrs["data-template"] == "\n".join(role.duties)
    person = service.context.content.members(DEPT)[0].staff_id
    form = parse_html(clerk.get(f"/board/{DEPT}/targets/{person}").text).find("form", data_targets_form=True)
    assert form is not None
    total = form.find(data_points_sum=True)
    assert total is not None and total.text == "60"
    bar = form.find(data_targets_actions=True)
    assert bar is not None and bar.find("button", value="submit") is not None  # beside the total, always in view


def test_all_contracts_of_a_department_in_one_download(service: Service) -> None:
    from approvals import approve

    members = service.context.content.members(DEPT)
    approve(service, members[0].staff_id)
    answer = service.client.get(f"/board/{DEPT}/forms/contracts.zip", headers=service.bearer("clerk"))
    assert answer.status_code == 200 and answer.headers["content-disposition"].startswith("attachment")
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        names = archive.namelist()
        assert names == [catalog.member_file_name(service.context.content, 1, "docx", m) for m in members]
        first, second = (headers(archive.read(name)) for name in names[:2])
    assert members[0].staff_id in first and "第1版" in first  # the approved set's mark, as its own download
    assert members[1].staff_id not in second  # no approved set yet: the role's template, no mark
    page = parse_html(service.session("clerk").get(f"/board/{DEPT}").text)
    assert page.find("a", data_all_contracts=True) is not None
    assert page.find("a", data_bulk_link=True) is not None


def headers(data: bytes) -> str:
    """The text of a Word file's page headers."""
    with zipfile.ZipFile(io.BytesIO(data)) as document:
        return " ".join(document.read(n).decode("utf-8") for n in document.namelist() if n.startswith("word/header"))


def test_times_in_the_exported_workbook_read_as_people_write_them(service: Service) -> None:
    person = service.context.content.members(DEPT)[0].staff_id
    upload(service.client, person, scan_of(person), headers=service.bearer("clerk"))
    book = openpyxl.load_workbook(io.BytesIO(service.client.get("/hr/export.xlsx", headers=service.bearer("hr")).content))
    sheet = book["机械工程系"]
    row = next(r for r in sheet.iter_rows(min_row=3, values_only=True) if r[1] == person)
    assert row[-1] == "2019年4月20日 10:00"


def test_departments_in_the_contents_order_unless_a_column_is_chosen(service: Service) -> None:
    hr = service.hr_session()
    order = [d.name for d in service.context.content.departments]
    default = parse_html(hr.get("/board").text).find("table", data_board_table=True)
    assert default is not None and [r[0] for r in default.rows()] == order
    by_name = parse_html(hr.get("/board?sort=name").text).find("table", data_board_table=True)
    assert by_name is not None and [r[0] for r in by_name.rows()] == sorted(order)
    by_staff = parse_html(hr.get("/board?sort=staff").text).find("table", data_board_table=True)
    counts = [int(r[1]) for r in by_staff.rows()]  # type: ignore[union-attr]
    assert counts == sorted(counts, reverse=True)
