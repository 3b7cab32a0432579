"""WCAG 2.1 AA on every page, for every role: axe-core in Chromium against `portal serve`.

One server (test_browser.py's) whose department is filled first: a contract scan, a set of
targets waiting for the leader, one approved, a month reported, grades proposed,
a score event and a staff member's objection. Then one browser context per role (nobody, HR, a
department clerk, a leader, a staff member) walks every GET route of service/web/app.py (a new
route is walked too), the static portal's page types, the search results and the error pages,
and axe must find no violation of WCAG 2.1 A or AA on any page that answers in HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx2
import pytest
from axe_check import axe_or_skip, violations, weak_focus_rings
from helpers import PNG, scan_of
from staff_helpers import NEW_PASSWORD, slip_passwords
from starlette.routing import Route
from test_browser import (  # the module's server and browser, as test_browser.py makes them
    ACTION_MS,
    DEPT,
    DESKTOP,
    PASSWORD,
    Portal,
    browser,  # noqa: F401
    portal,  # noqa: F401
)
from test_browser_staff import approve

from service.config import Settings
from service.content.loader import load_content
from service.web.app import routes
from service.workflows import setup

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.browser

ROLES = ("anonymous", "hr", "clerk", "leader", "staff")
NOT_PAGES = ("/api/", "/healthz")  # JSON for scripts, never drawn in a browser
PRINT_JOBS = ("/forms/contracts.pdf", "/forms/annex3.pdf")  # PDFs LibreOffice makes, no page (test_print_jobs.py)
# Query strings that make a page show what it is for (without them it shows its search form or nothing).
QUERIES = {"/board/grades/history": "staff_id={staff_id}", "/me/objections": "kind=score_item&ref={item_id}",
           "/board/{department_id}/forms/annex4.xlsx": "month=3"}
MISSING = ("/no-such-page/", f"/board/{DEPT}/targets/no-such-person")  # 404s: the site's and the service's
TITLE = re.compile(r"<title>(.*?)</title>", re.S)
SEARCH = "/?q=值班值宿"  # Material runs the search from the q parameter


@dataclass
class Filled:
    """The served portal with its department filled, the ids the routes need and the staff member's login."""

    portal: Portal
    values: dict[str, str]
    staff_id: str
    waiting: str  # a person whose targets wait for the leader


def _api(served: Portal, user: str) -> httpx2.Client:
    return httpx2.Client(base_url=served.url, headers={"Authorization": f"Bearer {served.token(user)}"},
                         timeout=60)


def _ok(response: httpx2.Response) -> Any:
    assert response.status_code < 300, response.text
    return response.json()


def _new_context(chromium: Browser, served: Portal) -> BrowserContext:
    # Playwright adds axe as an inline script, which the pages' CSP would refuse
    context = chromium.new_context(viewport=DESKTOP, base_url=served.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  accept_downloads=True, bypass_csp=True)
    context.set_default_timeout(ACTION_MS)
    return context


def _login(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/(board|account|me)"))


@pytest.fixture(scope="module")
def filled(portal: Portal, browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Filled:  # noqa: F811
    axe_or_skip()
    content = load_content(Path(portal.env["PORTAL_CONTENT"]))
    members = portal.members
    waiting, person = members[1], members[4]
    clerk, hr = _api(portal, "clerk"), _api(portal, "hr")
    contract = _ok(clerk.post("/api/contracts", data={"staff_id": members[0].staff_id},
                              files={"file": ("scan.pdf", scan_of(members[0].staff_id), "application/pdf")}))
    role = content.role(waiting.role)
    assert role is not None
    rows = [{"目标内容": r.content, "分值": r.points, "佐证材料及分值": r.evidence, "完成时限": r.deadline}
            for r in role.targets]
    _ok(clerk.put(f"/api/targets/{waiting.staff_id}", json={"rows": rows, "submit": True}))
    approve(portal, person.staff_id)
    month = [{"工号": m.staff_id, "出勤": 22, "事假": 0, "病假": 0, "迟到": 0, "早退": 0, "旷工": 0, "离岗": 0,
              "其他项目": 0, "业务工作目标": 50} for m in members]
    _ok(clerk.put(f"/api/monthly/{DEPT}/3", json={"rows": month}))
    item = content.common_targets[-1].id
    _ok(hr.post("/api/score-events", json={"department": DEPT, "item_id": item, "rule_index": 0, "points": 0.5,
                                           "note": "无障碍检查"}))
    _ok(hr.put(f"/api/grades/{DEPT}", json={"grades": {person.staff_id: "合格"}}))
    ballot_round = _ok(hr.post("/api/appraisal/rounds", json={
        "unit": DEPT, "candidates": [members[0].staff_id, members[1].staff_id], "voters": [person.staff_id],
        "opens": "2000-01-01T00:00", "closes": "2099-12-31T23:00"}))["id"]
    duties = _ok(hr.get(f"/api/duties/{DEPT}"))
    role_id = next(r["role_id"] for o in duties["obligations"] for r in o["roles"])
    # the roster again, DEPT under the personnel system's own name mapped once: /board/roster lists the mapping
    exported = ["工号,姓名,部门,岗位,职务", *(f"{m.staff_id},{m.name},{'人事系统中的机械系' if m.department == DEPT else m.department},"
                                         f"{m.role},{m.post}" for m in content.roster)]
    _ok(hr.post("/api/roster", data={"map:部门:人事系统中的机械系": DEPT, "confirm": "1"},
                files={"file": ("roster.csv", "\n".join(exported).encode("utf-8"), "text/csv")}))

    # HR prints the department's password slips; the person signs in, sets a password, objects
    context = _new_context(browser, portal)
    try:
        page = context.new_page()
        _login(page, "hr", portal.hr_password)
        page.goto(f"/board/{DEPT}/staff-accounts")
        page.get_by_label("格式").select_option("docx")
        page.get_by_label("我知道：打印后").check()
        with page.expect_download() as download:
            page.get_by_role("button", name=re.compile("生成并下载密码条")).click()
        slips = tmp_path_factory.mktemp("slips") / "slips.docx"
        download.value.save_as(slips)
        password = slip_passwords(slips.read_bytes())[person.staff_id]
    finally:
        context.close()
    context = _new_context(browser, portal)
    try:
        page = context.new_page()
        _login(page, person.staff_id, password)
        page.get_by_label("当前密码").fill(password)
        page.get_by_label("新密码（").fill(NEW_PASSWORD)
        page.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
        page.get_by_role("button", name="修改密码").click()
        page.wait_for_url(re.compile(r"/me$"))
        page.goto(f"/me/objections?kind=score_item&ref={item}")
        page.get_by_label("理由").fill("本部门该项目未发生扣分情形。")
        evidence = tmp_path_factory.mktemp("evidence") / "签到表.png"
        evidence.write_bytes(PNG)
        page.get_by_label("证明材料").set_input_files(str(evidence))
        page.get_by_role("button", name="提交异议").click()
        page.wait_for_url(re.compile(r"/me/objections\?notice=objection"))
    finally:
        context.close()
    objection = _ok(clerk.get("/api/objections", params={"department": DEPT}))["objections"][0]["id"]
    clerk.close()
    hr.close()
    values = {"department_id": DEPT, "staff_id": person.staff_id, "contract_id": contract["id"], "month": "3",
              "annex": "annex1.docx", "role_id": role_id, "action": "approve", "username": "clerk",
              "name": "contract.docx", "objection_id": objection, "number": "1", "kind": "docx",
              "error_id": "no-such-error", "note_id": "no-such-note", "item_id": item, "year": "2019",
              "round_id": ballot_round, "file_id": "no-such-file"}
    return Filled(portal, values, person.staff_id, waiting.staff_id)


# -- the pages ------------------------------------------------------------------------------------


def route_pages(values: dict[str, str]) -> list[str]:
    """Every GET route of the app with its parameters filled in (a parameter without a value fails);
    a set-up page once for each part."""
    settings = Settings(root=Path("."), content_dir=Path("."), site_dir=Path("."), data_dir=Path("."),
                        mkdocs_file=Path("."))
    paths = []
    for route in routes(settings, 1024):
        if not isinstance(route, Route) or "GET" not in (route.methods or ()) or route.path.startswith(NOT_PAGES) \
                or route.path.endswith(PRINT_JOBS):
            continue
        for part in setup.PARTS if "{part}" in route.path else ("",):
            paths.append(_filled(route.path, {**values, "part": part}))
    return paths


def _filled(template: str, values: dict[str, str]) -> str:
    query = QUERIES.get(template, "")
    path = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values.get(m.group(1), "{" + m.group(1) + "}"), template)
    query = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), query)
    assert "{" not in path + query, f"{template}：测试不知道 {path + query} 中参数的取值，请在 values 中补上"
    return f"{path}?{query}" if query else path


def site_pages(context: BrowserContext) -> list[str]:
    """One page of each kind the static portal's navigation leads to (by its place in the tree),
    the search results and the 404s."""
    page = context.new_page()
    page.goto("/")
    linked = page.evaluate("""() => Array.from(document.querySelectorAll('a.md-nav__link[href]'),
                                                 a => new URL(a.href).pathname)""")
    page.close()
    kinds: dict[tuple[str, int], str] = {}
    for path in ["/", *linked]:
        parts = [p for p in path.split("/") if p]
        kinds.setdefault((parts[0] if parts else "", len(parts)), path)
    assert len(kinds) > 5, kinds
    return [*kinds.values(), SEARCH, *MISSING]


def walk(context: BrowserContext, paths: list[str]) -> dict[str, list[str]]:
    """axe on each path that answers in HTML; a page reached twice (the same redirect, the same
    error) is checked once. path → violations, for the pages that have any."""
    page = context.new_page()
    problems: dict[str, list[str]] = {}
    checked: set[str] = set()
    for path in paths:
        probe = context.request.get(path, headers={"accept": "text/html"})
        if not probe.headers.get("content-type", "").startswith("text/html"):
            continue  # a download
        landed = urlsplit(probe.url)
        sent_on = landed.path != urlsplit(path).path  # to the login page, to the person's own page
        title = TITLE.search(probe.text())
        error = f"{probe.status} {title.group(1) if title else ''}"  # the site's 404 page, the service's
        key = error if not probe.ok else landed.path if sent_on else path
        if key in checked:
            continue
        checked.add(key)
        page.goto(path, wait_until="load")
        if path == SEARCH:
            page.locator(".md-search-result__link").first.wait_for()
        found = violations(page)
        if found:
            problems[f"{path}（{probe.status}）"] = found
    page.close()
    assert checked, "没有检查任何页面"
    return problems


@pytest.fixture
def signed_in(browser: Browser, filled: Filled) -> Iterator[Any]:  # noqa: F811
    contexts: list[BrowserContext] = []

    def open_as(role: str) -> BrowserContext:
        context = _new_context(browser, filled.portal)
        contexts.append(context)
        logins = {"hr": ("hr", filled.portal.hr_password), "clerk": ("clerk", PASSWORD),
                  "leader": ("boss", PASSWORD), "staff": (filled.staff_id, NEW_PASSWORD)}
        if role in logins:
            page = context.new_page()
            _login(page, *logins[role])
            page.close()
        return context

    yield open_as
    for context in contexts:
        context.close()


def report(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{page}:\n  " + "\n  ".join(found) for page, found in problems.items())


@pytest.mark.parametrize("role", ROLES)
def test_every_page_meets_wcag_21_aa(role: str, signed_in: Any, filled: Filled) -> None:
    context = signed_in(role)
    paths = route_pages(filled.values)
    if role == "anonymous":
        paths = site_pages(context) + paths
    problems = walk(context, paths)
    assert not problems, f"{role} 看到的页面不符合 WCAG 2.1 AA：\n{report(problems)}"



def test_the_answers_to_forms_meet_wcag_21_aa(signed_in: Any, filled: Filled, tmp_path: Path) -> None:
    """What a form answers with: the leader's confirmation and result, the clerk's refused month,
    HR's roster preview."""
    from playwright.sync_api import expect

    problems: dict[str, list[str]] = {}
    leader = signed_in("leader").new_page()
    leader.goto("/board/review")
    leader.locator(f"#pick-{filled.waiting}").check()
    leader.get_by_role("button", name="审定通过所选").click()
    expect(leader.locator("[data-confirm-list]")).to_be_visible()
    problems["审定确认"] = violations(leader)
    leader.get_by_role("button", name=re.compile("确认审定通过")).click()
    expect(leader.locator("[data-bulk-result]")).to_be_visible()
    problems["审定结果"] = violations(leader)

    clerk = signed_in("clerk").new_page()
    first = filled.portal.members[0]
    clerk.goto(f"/board/{DEPT}/monthly/2")  # March is reported already
    clerk.get_by_label(f"{first.name}出勤", exact=True).fill("2l")
    clerk.get_by_role("button", name="报送", exact=True).click()
    expect(clerk.get_by_role("alert")).to_contain_text("出勤")
    problems["月汇总退回"] = violations(clerk)

    hr = signed_in("hr").new_page()  # a roster with one newcomer: the preview of the changes, nothing stored
    content = load_content(Path(filled.portal.env["PORTAL_CONTENT"]))
    newcomer = filled.portal.members[0]
    lines = ["工号,姓名,部门,岗位,职务"] + [f"{m.staff_id},{m.name},{m.department},{m.role},{m.post}"
                                         for m in content.roster]
    lines.append(f"199999,新同事,{newcomer.department},{newcomer.role},{newcomer.post}")
    roster = tmp_path / "名册.csv"
    roster.write_text("\n".join(lines), encoding="utf-8")
    hr.goto("/board/roster")
    hr.get_by_label("名册文件").set_input_files(str(roster))
    hr.get_by_role("button", name=re.compile("上传并查看变化")).click()
    expect(hr.locator("h1")).to_contain_text("名册")
    expect(hr.locator("article")).to_contain_text("新同事")
    problems["名册变化预览"] = violations(hr)
    problems = {page: found for page, found in problems.items() if found}
    assert not problems, f"表单提交后的页面不符合 WCAG 2.1 AA：\n{report(problems)}"


@pytest.mark.parametrize(("role", "path"), [("anonymous", "/"), ("anonymous", "/login"), ("clerk", f"/board/{DEPT}"),
                                            ("hr", "/board")])
def test_the_keyboard_focus_ring_shows_at_3_to_1(role: str, path: str, signed_in: Any, filled: Filled) -> None:
    page = signed_in(role).new_page()
    page.goto(path)
    weak = weak_focus_rings(page, 40)
    assert not weak, f"{path} 的键盘焦点不够醒目（至少 2 像素、对比度 3:1）：\n" + "\n".join(weak)
