"""A staff member's day on a phone (390 px wide), in Chromium against `portal serve`: HR prints
the department's password slips, the person signs in with theirs, sets their own password,
reads and confirms their approved targets, and objects to a score item with a scan attached;
the department sees the objection in its list.

The server, the browser and the screenshots are test_browser.py's (one server for this module);
every step must fit the phone's width and label every control.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from helpers import PNG
from staff_helpers import NEW_PASSWORD, slip_passwords
from test_browser import (  # the module's server, browser and desktop days, as test_browser.py makes them
    ACTION_MS,
    DEPT,
    PASSWORD,
    PHONE,
    UNLABELLED,
    Day,
    Portal,
    browser,  # noqa: F401
    day,  # noqa: F401
    portal,  # noqa: F401
)

from service.content.loader import load_content

pytestmark = pytest.mark.browser


class PhoneDay(Day):
    """A user's day on a phone: the whole context is 390 px wide."""

    def new_context(self, browser: Any) -> Any:
        context = browser.new_context(viewport=PHONE, base_url=self.portal.url, locale="zh-CN",
                                      timezone_id="Asia/Shanghai", accept_downloads=True, is_mobile=True,
                                      has_touch=True)
        context.set_default_timeout(ACTION_MS)
        return context

    def shot(self, step: str, focus: Any = None, page: Any = None) -> None:
        page = page or self.page
        self.steps += 1
        name = f"{self.steps:02d}-{step}"
        assert page.evaluate("() => document.documentElement.lang") == "zh"
        assert page.evaluate(UNLABELLED) == [], f"{name}: 表单控件没有标签"
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{name}: 手机上页面横向溢出 {widths}"
        if focus is not None:
            focus.scroll_into_view_if_needed()
        page.screenshot(path=self.folder / f"{name}-phone.png", animations="disabled")


@pytest.fixture
def phone(browser: Any, portal: Portal) -> Iterator[Any]:
    days: list[PhoneDay] = []

    def start(user: str) -> PhoneDay:
        days.append(PhoneDay(browser, portal, user))
        return days[-1]

    yield start
    for started in days:
        started.close()


def approve(portal: Portal, staff_id: str) -> None:
    """The department submits the person's targets and the leader approves them (API, as scripts do)."""
    content = load_content(Path(portal.env["PORTAL_CONTENT"]))
    role = content.role(content.staff(staff_id).role)  # type: ignore[union-attr]
    rows = [{"目标内容": r.content, "分值": r.points, "佐证材料及分值": r.evidence, "完成时限": r.deadline}
            for r in role.targets]  # type: ignore[union-attr]
    clerk = {"Authorization": f"Bearer {portal.token('clerk')}"}
    saved = httpx2.put(f"{portal.url}/api/targets/{staff_id}", json={"rows": rows, "submit": True}, headers=clerk)
    assert saved.status_code == 200, saved.text
    boss = {"Authorization": f"Bearer {portal.token('boss')}"}
    approved = httpx2.post(f"{portal.url}/api/targets/{staff_id}/approve", json={}, headers=boss)
    assert approved.status_code == 200, approved.text


def test_staff_signs_in_confirms_targets_and_objects_on_a_phone(day: Any, phone: Any, portal: Portal,
                                                                 tmp_path: Path) -> None:
    from playwright.sync_api import expect

    person = portal.members[4]
    approve(portal, person.staff_id)

    hr = day("hr-slips")
    hr.login("hr", portal.hr_password)
    hr.page.goto(f"/board/{DEPT}/staff-accounts")
    hr.page.get_by_label("格式").select_option("docx")
    hr.page.get_by_label("我知道：打印后").check()
    hr.shot("slips-form", hr.page.locator("[data-slips-form]"))
    with hr.page.expect_download() as download:
        hr.page.get_by_role("button", name=re.compile("生成并下载密码条")).click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    password = slip_passwords(saved.read_bytes())[person.staff_id]

    staff = phone("staff-phone")
    page = staff.page
    page.goto("/login")
    page.get_by_label("用户名").fill(person.staff_id)
    page.get_by_label("密码").fill(password)
    staff.shot("login")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/account"))
    expect(page.locator("[data-must-change]")).to_be_visible()
    page.get_by_label("当前密码").fill(password)
    page.get_by_label("新密码（").fill(NEW_PASSWORD)
    page.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    staff.shot("new-password", page.locator("[data-password-form]"))
    page.get_by_role("button", name="修改密码").click()
    page.wait_for_url(re.compile(r"/me$"))
    expect(page.locator("h1")).to_contain_text(person.name)
    expect(page.locator("[data-targets-state]")).to_have_text("已审定")
    expect(page.locator("table[data-my-targets]")).to_contain_text("合计")
    staff.shot("my-targets", page.locator("table[data-my-targets]"))

    expect(page.locator("[data-confirm-note]")).to_contain_text("不是电子签名")
    page.get_by_label("我已阅读以上经审定的第 1 版个性工作目标").check()
    staff.shot("confirm", page.locator("[data-confirm-form]"))
    page.get_by_role("button", name="确认", exact=True).click()
    page.wait_for_url(re.compile(r"/me\?notice=confirmed"))
    expect(page.locator("[data-confirm-state]")).to_contain_text("确认第 1 版")
    staff.shot("confirmed", page.locator("[data-confirm-state]"))

    page.get_by_role("link", name="我的考核结果与得分").click()
    expect(page.locator("[data-my-score]")).to_be_visible()
    staff.shot("results", page.locator("table[data-my-items]"))
    page.locator("table[data-my-items] tr").nth(2).get_by_role("link", name="提出异议").click()
    page.wait_for_url(re.compile(r"/me/objections\?kind=score_item"))
    expect(page.get_by_label("针对")).to_have_value("score_item")
    page.get_by_label("理由").fill("本部门该项目未发生扣分情形，附会议签到表。")
    scan = tmp_path / "签到表.png"
    scan.write_bytes(PNG)
    page.get_by_label("证明材料").set_input_files(str(scan))
    staff.shot("objection-form", page.locator("[data-objection-form]"))
    page.get_by_role("button", name="提交异议").click()
    page.wait_for_url(re.compile(r"/me/objections\?notice=objection"))
    row = page.locator("table[data-my-objections] tr[data-state='open']")
    expect(row).to_contain_text("待答复")
    expect(row).to_contain_text("签到表.png")
    staff.shot("objection-raised", row)

    clerk = phone("clerk-phone")
    clerk.login("clerk", PASSWORD)
    clerk.page.goto(f"/board/{DEPT}/objections")
    expect(clerk.page.locator("table[data-objections-list]")).to_contain_text(person.name)
    clerk.shot("department-sees-it", clerk.page.locator("table[data-objections-list]"))
