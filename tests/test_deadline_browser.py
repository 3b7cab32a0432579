"""Deadline week in a real browser (Chromium at 1280 and 390 px) against `portal serve`: a
clerk's to-dos and where they lead, a leader approving five sets at once after the page that
names them, finding a person by 工号, name and pinyin initials, the department page, the
monthly form and the leader's review as cards on a phone, and a clerk's whole contract round
for a 42-person department, counted step by step, from the to-do to a complete board.

Screenshots go to test-artifacts/browser/<user>/ like the other browser tests.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx2
import pytest
from test_browser import (  # noqa: F401 - the module's server, browser and users' days
    DEPT,
    DESKTOP,
    PASSWORD,
    PHONE,
    Portal,
    browser,
    day,
    portal,
)

from service.rules.people_search import initials

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = pytest.mark.browser
OTHER = "dqx"  # the leader's five sets and the lists come from here; 机械工程系 keeps its 42 for the round


@pytest.fixture(scope="module")
def accounts(portal: Portal) -> Portal:  # noqa: F811
    portal.cli("users", "add", "dqx-clerk", "--role", "department", "--department", OTHER,
               stdin=f"{PASSWORD}\n{PASSWORD}\n")
    portal.cli("users", "add", "boss2", "--role", "leader", "--oversees", OTHER, "--display-name", "李副院长",
               stdin=f"{PASSWORD}\n{PASSWORD}\n")
    return portal


def api(portal: Portal, user: str) -> httpx2.Client:  # noqa: F811
    return httpx2.Client(base_url=portal.url, headers={"Authorization": f"Bearer {portal.token(user)}"}, timeout=30)


def on_phone(page: Page, folder: Path, name: str, controls: list[Locator]) -> None:
    """At 390 px: nothing wider than the screen, and each control shown inside it."""
    from playwright.sync_api import expect

    page.set_viewport_size(PHONE)
    try:
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{name}: 手机上页面横向溢出 {widths}"
        for control in controls:
            control.scroll_into_view_if_needed()
            expect(control).to_be_visible()
            box = control.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (name, box)
        page.screenshot(path=folder / f"{name}-phone.png", animations="disabled")
    finally:
        page.set_viewport_size(DESKTOP)


class Steps:
    """The user actions a test performs, counted: each a click, a typed field or a file chosen."""

    def __init__(self) -> None:
        self.done: list[str] = []

    def __call__(self, what: str, action: Callable[[], Any]) -> Any:
        self.done.append(what)
        return action()


def test_a_clerks_todos_show_their_counts_and_lead_to_the_work(day: Any, accounts: Portal) -> None:  # noqa: F811 - the imported fixture
    from playwright.sync_api import expect

    clerk = day("todo-clerk")
    page = clerk.page
    clerk.login("clerk")
    panel = page.locator("[data-todos]")
    expect(panel.locator("h2")).to_have_text("我的待办")
    people = len(accounts.members)
    expected = {"no_scan": (people, f"/board/{DEPT}/scans"), "targets_open": (people, f"/board/{DEPT}/targets"),
                "monthly": (3, f"/board/{DEPT}/monthly/3")}
    for kind, (count, link) in expected.items():
        item = panel.locator(f'[data-todo="{kind}"]')
        expect(item.locator("[data-count]")).to_have_text(str(count))
        expect(item.locator("a")).to_have_attribute("href", link)
    expect(panel.locator('[data-todo="duties"] a')).to_have_attribute("href", f"/board/{DEPT}/duties")
    expect(panel.locator('[data-todo="no_scan"]')).to_contain_text("尚无有效责任状扫描件")
    clerk.shot("todos", panel)
    on_phone(page, clerk.folder, "todos", [panel.locator('[data-todo="no_scan"] a')])
    panel.locator('[data-todo="monthly"] a').click()
    expect(page.locator("h1")).to_contain_text("3月考核月汇总表")
    clerk.shot("todo-monthly")


def test_a_clerks_contract_round_for_42_people_takes_under_20_actions(day: Any, accounts: Portal,  # noqa: F811
                                                                      tmp_path: Path) -> None:
    from approvals import signed_page
    from paper import pdf_of
    from playwright.sync_api import expect

    from service.rules.contract_mark import ContractMark

    clerk, leader = day("round-clerk"), day("round-leader")
    page, boss = clerk.page, leader.page
    steps, leader_steps = Steps(), Steps()  # what the clerk and the leader do, one user action each

    page.goto("/login")
    steps("用户名", lambda: page.get_by_label("用户名").fill("clerk"))
    steps("密码", lambda: page.get_by_label("密码").fill(PASSWORD))
    steps("登录", lambda: page.get_by_role("button", name="登录").click())
    page.wait_for_url(re.compile(f"/board/{DEPT}$"))
    expect(page.locator('[data-todo="targets_open"] [data-count]')).to_have_text("42")
    steps("待办：个性目标尚未提交", lambda: page.locator('[data-todo="targets_open"] a').click())
    steps("全选", lambda: page.get_by_label("全选（当前显示的人员）").check())
    expect(page.locator("[data-selected-count]")).to_have_text("已选 42 人")
    steps("提交所选", lambda: page.get_by_role("button", name=re.compile("提交所选")).click())
    expect(page.locator("[data-bulk-result=submit]")).to_contain_text("已办理 42 人")
    clerk.shot("round-submitted", page.locator("[data-bulk-result]"))

    boss.goto("/login")
    leader_steps("用户名", lambda: boss.get_by_label("用户名").fill("boss"))
    leader_steps("密码", lambda: boss.get_by_label("密码").fill(PASSWORD))
    leader_steps("登录", lambda: boss.get_by_role("button", name="登录").click())
    expect(boss.locator('[data-todo="targets_waiting"] [data-count]')).to_have_text("42")
    leader_steps("待办：个性目标等待审定", lambda: boss.locator('[data-todo="targets_waiting"] a').click())
    leader_steps("全选", lambda: boss.get_by_label("全选（当前显示的人员）").check())
    leader_steps("审定通过所选", lambda: boss.get_by_role("button", name="审定通过所选").click())
    expect(boss.locator("[data-confirm-list]")).to_have_attribute("data-confirm-list", "42")
    leader_steps("确认", lambda: boss.get_by_role("button", name="确认审定通过这 42 人").click())
    expect(boss.locator("[data-bulk-result=approve]")).to_contain_text("已办理 42 人")

    steps("返回本部门", lambda: page.get_by_role("link", name="← 返回本部门").click())
    expect(page.locator('[data-todo="no_scan"] [data-count]')).to_have_text("42")
    steps("待办：尚无有效扫描件", lambda: page.locator('[data-todo="no_scan"] a').click())
    expect(page.locator("h1")).to_contain_text("批量上传责任状扫描件")
    with page.expect_download() as download:
        steps("下载全部责任状", lambda: page.locator("a[data-all-contracts]").click())
    with zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes())) as archive:
        contracts = archive.namelist()
        assert len(contracts) == 42  # printed and signed, then scanned as one stack
    with api(accounts, "clerk") as client:
        marks = []
        for member in accounts.members:
            found = client.get(f"/api/targets/{member.staff_id}").json()
            marks.append(ContractMark(2019, member.staff_id, found["approved"]["version"], found["approved"]["tag"]))
    stack = tmp_path / "全部门责任状.pdf"
    stack.write_bytes(pdf_of([signed_page(mark, seed) for seed, mark in enumerate(marks)]))
    steps("选择扫描件", lambda: page.get_by_label(re.compile("扫描件（PDF")).set_input_files(stack))
    steps("识别并预览", lambda: page.get_by_role("button", name="识别并预览").click())
    expect(page.locator("[data-will-store]")).to_have_text("42", timeout=60_000)
    steps("确认存入", lambda: page.get_by_role("button", name="确认存入").click())
    expect(page.locator("[data-batch-stored]")).to_contain_text("已存入 42 人的扫描件", timeout=60_000)
    clerk.shot("round-stored", page.locator("[data-batch-stored]"))
    steps("返回本部门", lambda: page.get_by_role("link", name=re.compile("返回")).first.click())
    expect(page.locator("[data-totals] [data-field=completed]")).to_have_text("42")
    expect(page.locator("[data-totals] [data-field=outstanding]")).to_have_text("0")
    expect(page.locator('[data-todo="no_scan"]')).to_have_count(0)
    clerk.shot("round-complete", page.locator("[data-totals]"))
    with httpx2.Client(base_url=accounts.url, timeout=60) as public:
        row = next(d for d in public.get("/api/status").json()["departments"] if d["id"] == DEPT)
    assert (row["completed"], row["outstanding"], row["unapproved"]) == (42, 0, 0)
    (clerk.folder / "steps.txt").write_text("\n".join([*steps.done, "—— 院领导", *leader_steps.done]) + "\n",
                                            encoding="utf-8")
    assert len(steps.done) < 20, steps.done
    assert len(leader_steps.done) < 10, leader_steps.done


def test_a_leader_approves_five_sets_at_once_after_the_confirmation(day: Any, accounts: Portal) -> None:  # noqa: F811 - the imported fixture
    from playwright.sync_api import expect

    five = [m for m in _members(accounts, OTHER)][:5]
    with api(accounts, "dqx-clerk") as client:
        sent = client.post("/api/targets/bulk", json={"action": "submit", "staff_ids": [m["staff_id"] for m in five]})
        assert sent.status_code == 200 and len(sent.json()["done"]) == 5, sent.text
    leader = day("bulk-leader")
    page = leader.page
    leader.login("boss2")
    expect(page.locator('[data-todo="targets_waiting"] [data-count]')).to_have_text("5")
    page.locator('[data-todo="targets_waiting"] a').click()
    table = page.locator("[data-review-table]")
    expect(table.locator("tbody tr")).to_have_count(5)
    page.get_by_label("全选（当前显示的人员）").check()
    expect(page.locator("[data-selected-count]")).to_have_text("已选 5 人")
    leader.shot("review-selected", page.locator("[data-bulk-bar]"))
    on_phone(page, leader.folder, "review", [table.locator("input[data-pick]").first,
                                              page.get_by_role("button", name="审定通过所选")])
    page.get_by_role("button", name="审定通过所选").click()
    listed = page.locator("[data-confirm-list]")
    for member in five:
        expect(listed).to_contain_text(member["name"])
    expect(page.locator("[data-bulk-result]")).to_have_count(0)  # nothing decided before the confirmation
    leader.shot("review-confirm", listed)
    page.get_by_role("button", name="确认审定通过这 5 人").click()
    expect(page.locator("[data-bulk-result=approve]")).to_contain_text("审定通过：已办理 5 人")
    leader.shot("review-done", page.locator("[data-bulk-result]"))
    with api(accounts, "boss2") as client:
        assert {client.get(f"/api/targets/{m['staff_id']}").json()["state"] for m in five} == {"已审定"}


def test_search_finds_a_person_by_staff_id_name_and_initials(day: Any, accounts: Portal) -> None:  # noqa: F811 - the imported fixture
    from playwright.sync_api import expect

    clerk = day("search-clerk")
    page = clerk.page
    clerk.login("dqx-clerk")
    people = _members(accounts, OTHER)
    person = people[9]
    box = page.get_by_role("searchbox", name="查找人员")
    rows = page.locator("[data-staff-table] tbody tr")
    visible = page.locator("[data-staff-table] tbody tr:visible")
    expect(rows).to_have_count(len(people))
    for query in (person["staff_id"], person["name"], initials(person["name"])):
        box.fill(query)
        expect(visible.filter(has_text=person["name"])).to_have_count(1)
        expect(visible).not_to_have_count(len(people))
        assert all(query.lower() in (r.get_attribute("data-search") or "") for r in visible.all())
    box.fill(f"\u200b{person['name']}\u3000")  # pasted with a zero-width and a full-width space
    expect(visible.filter(has_text=person["name"])).to_have_count(1)
    expect(visible).not_to_have_count(len(people))
    box.fill(person["staff_id"])
    expect(visible).to_have_count(1)
    expect(page.locator("[data-filter-count]")).to_have_text(f"显示 1 / 共 {len(people)} 人")
    clerk.shot("search-staff-id", page.locator("[data-people-filter]"))
    on_phone(page, clerk.folder, "search", [box, visible.first.locator("select")])
    box.fill("")
    expect(visible).to_have_count(len(people))
    page.get_by_label("状态", exact=True).select_option("未完成")
    expect(visible).to_have_count(len(people))  # nobody has signed yet
    page.get_by_label("状态", exact=True).select_option("完成")
    expect(visible).to_have_count(0)
    page.reload()  # the filter is in the address: a reload keeps it
    expect(page.get_by_label("状态", exact=True)).to_have_value("完成")
    expect(visible).to_have_count(0)


def test_on_a_phone_the_department_page_monthly_form_and_review_are_cards(day: Any, accounts: Portal) -> None:  # noqa: F811 - the imported fixture
    from playwright.sync_api import expect

    clerk = day("phone-clerk")
    page = clerk.page
    clerk.login("dqx-clerk")
    first = _members(accounts, OTHER)[0]
    row = page.locator(f'[data-staff-table] tr[data-staff="{first["staff_id"]}"]')
    on_phone(page, clerk.folder, "department", [row.locator("select"), row.locator('a:has-text("责任状")'),
                                                 page.get_by_role("button", name="保存完成情况"),
                                                 page.locator("a[data-bulk-link]")])
    page.set_viewport_size(PHONE)
    assert row.evaluate("r => getComputedStyle(r).display") == "block"  # a card, not a table row
    page.set_viewport_size(DESKTOP)
    page.get_by_role("link", name="报送月汇总（附件4）").click()
    page.get_by_role("link", name="3月", exact=True).click()
    expect(page.locator("h1")).to_contain_text("3月考核月汇总表")
    person = page.locator(f'tr[data-staff="{first["staff_id"]}"]')
    on_phone(page, clerk.folder, "monthly", [person.get_by_label(f"{first['name']}出勤", exact=True),
                                              person.get_by_label(f"{first['name']}离岗", exact=True),
                                              person.get_by_label(f"{first['name']}业务工作目标", exact=True),
                                              page.get_by_role("button", name="报送", exact=True)])
    page.set_viewport_size(PHONE)
    person.get_by_label(f"{first['name']}出勤", exact=True).fill("22")
    label = person.locator('td[data-label="离岗（次）"]').evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"离岗（次）"'  # each field of the card says what it is and its unit
    page.set_viewport_size(DESKTOP)
    clerk.shot("monthly-cards", person)


def _members(portal: Portal, department: str) -> list[dict[str, Any]]:  # noqa: F811
    """The department's people as its own account sees them (staff_id, name, status …)."""
    with api(portal, "dqx-clerk") as client:
        return client.get(f"/api/departments/{department}/staff").json()["staff"]  # type: ignore[no-any-return]


def test_a_form_sent_after_the_session_ended_is_restored_after_signing_in(day: Any, accounts: Portal) -> None:  # noqa: F811 - the imported fixture
    from playwright.sync_api import expect

    clerk = day("expired-clerk")
    page = clerk.page
    clerk.login("dqx-clerk")
    first, second = _members(accounts, OTHER)[:2]
    page.goto(f"/board/{OTHER}/monthly/2")
    page.get_by_label(f"{first['name']}出勤", exact=True).fill("21")
    page.get_by_label(f"{second['name']}业务工作目标", exact=True).fill("55")
    page.locator("[data-monthly-form] input[name=partial]").check()
    page.context.clear_cookies()  # the session ended while the clerk was typing
    page.get_by_role("button", name="报送", exact=True).click()
    alert = page.locator("[data-expired]")
    expect(alert).to_contain_text("登录已过期，请重新登录后再提交")
    clerk.shot("expired-login", alert)
    page.get_by_label("用户名").fill("dqx-clerk")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(f"/board/{OTHER}/monthly/2$"))
    expect(page.locator("[data-restored]")).to_contain_text("登录过期前填写的内容已恢复")
    expect(page.get_by_label(f"{first['name']}出勤", exact=True)).to_have_value("21")
    expect(page.get_by_label(f"{second['name']}业务工作目标", exact=True)).to_have_value("55")
    expect(page.locator("[data-monthly-form] input[name=partial]")).to_be_checked()
    clerk.shot("expired-restored", page.locator("[data-restored]"))
    page.get_by_role("button", name="报送", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("月汇总表已报送")
    page.reload()
    expect(page.locator("[data-restored]")).to_have_count(0)  # restored once, then forgotten


def test_the_targets_form_adds_up_its_points_as_they_are_typed(day: Any, accounts: Portal) -> None:  # noqa: F811 - the imported fixture
    from playwright.sync_api import expect

    clerk = day("points-clerk")
    page = clerk.page
    clerk.login("dqx-clerk")
    person = _members(accounts, OTHER)[20]
    page.goto(f"/board/{OTHER}/targets/{person['staff_id']}")
    total = page.locator("[data-points-total]")
    expect(total.locator("[data-points-sum]")).to_have_text("60")
    expect(page.get_by_role("button", name="提交审定")).to_be_in_viewport()  # from the start, without scrolling
    points = page.get_by_label("第1行分值")
    before = float(points.input_value())
    points.fill(str(before - 1).removesuffix(".0"))
    expect(total.locator("[data-points-sum]")).to_have_text("59")
    expect(total).to_have_class(re.compile("off"))
    clerk.shot("points-59", total)
    points.fill(str(before).removesuffix(".0"))
    expect(total).to_have_class(re.compile("ok"))


def test_hr_chases_from_the_board_and_sees_the_outstanding_with_contacts(day: Any, accounts: Portal) -> None:  # noqa: F811 - the imported fixture
    from playwright.sync_api import expect

    hr = day("chase-hr")
    page = hr.page
    hr.login("hr", accounts.hr_password)
    page.locator("a[data-chase-link]").click()
    expect(page.locator("h1")).to_contain_text("催办")
    page.get_by_label("步骤").select_option("contracts")
    page.get_by_role("button", name="查看").click()
    row = page.locator(f'[data-chase-table] tr[data-department="{OTHER}"][data-step="contracts"]')
    expect(row).to_contain_text("责任状签订")
    expect(row.locator("[data-contacts]")).to_contain_text("dqx-clerk")
    hr.shot("chase", row)
    page.get_by_role("button", name="预览催办").click()
    expect(page.locator("[data-preview]")).to_contain_text("催办预览（尚未发送）")
    hr.shot("chase-preview", page.locator("[data-preview]"))
    page.get_by_role("link", name="催办记录").click()
    expect(page.locator("h1")).to_have_text("催办记录")
    hr.shot("reminders")
