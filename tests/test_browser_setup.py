"""HR sets the college up in a real browser, from a fresh install, with no shell and no restart.

`portal serve` over a new data directory (the set-up seeded from the shipped sample, as on a
first installation). HR renames the college, adds two departments (one a 系), adds a role with
its template rows, has a leader oversee the new 系, imports a roster putting people in the new
departments (mapping the export's own 岗位 values, one added as a new role led by the new 系) and moves the contract deadline: the board, /api/status and the public status page
show the new deadline at once, the rebuilt portal lists the new department, and the checkout's
content/ is untouched. Screenshots under test-artifacts/browser/hr-setup/.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from helpers import PASSWORD, copy_site
from test_browser import (  # noqa: F401 - `browser` is the fixture, over this module's `portal`
    TODAY,
    Day,
    Portal,
    _wait,
    browser,
    chromium_or_skip,
    serving,
)

from service.config import ROOT
from service.content.loader import load_content

pytestmark = pytest.mark.browser

REBUILT_WITHIN = 600.0  # seconds: a full site build on a busy shared machine
ROWS = [("人工智能课程教学，全年无教学事故", "40", "课表、教学日志", "每学期末"),
        ("指导学生参加人工智能技能竞赛", "20", "竞赛通知、获奖证书", "12月31日前")]


def tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """`portal serve` on a data directory nobody has used: no PORTAL_CONTENT, the set-up seeded."""
    chromium_or_skip()
    root = tmp_path_factory.mktemp("fresh")
    site_dir = copy_site(root / "site")
    env = {k: v for k, v in os.environ.items() if k != "PORTAL_CONTENT"}
    env.update({"PORTAL_DATA": str(root / "var"), "PORTAL_SITE": str(site_dir), "PORTAL_TODAY": TODAY,
                "PYTHONUNBUFFERED": "1"})
    with serving(env) as (url, password, output):
        content = load_content(root / "var" / "setup")
        served = Portal(url, env, password, list(content.roster), "", len(content.roster), output)
        served.cli("users", "add", "boss", "--role", "leader", "--oversees", "jxx", stdin=f"{PASSWORD}\n{PASSWORD}\n")
        yield served


def roster_csv(portal: Portal) -> bytes:
    """Everyone already on the roster, two new people in the new departments, one under the
    personnel system's own name of the new role, and a driver: a post the set-up has no role for."""
    lines = ["工号,姓名,部门,岗位,职务"] + [f"{m.staff_id},{m.name},{m.department},{m.role},{m.post}"
                                      for m in portal.members]
    lines += ["990001,林晓智,人工智能系,AI讲师,教师", "990002,韩实验,实验中心,理论课教师,实验员",
              "990003,孙师傅,人工智能系,实训车驾驶员,驾驶员"]
    return "\n".join(lines).encode("utf-8")


def test_hr_sets_up_the_college_in_the_browser(portal: Portal, browser: Any, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import expect

    checkout = tree_hash(ROOT / "content")
    hr = Day(browser, portal, "hr-setup")
    page = hr.page
    try:
        hr.login("hr", portal.hr_password)
        page.goto("/board/setup")
        expect(page.locator("h1")).to_have_text("设置学院")
        hr.shot("console")

        page.get_by_role("link", name="学院设置").first.click()
        page.get_by_label("学院名称").fill("示例技师学院")
        page.get_by_role("button", name="保存").click()
        expect(page.locator(".admonition.success")).to_contain_text("已保存")
        hr.shot("renamed")

        page.goto("/board/setup/departments")
        blank = page.locator("tbody tr:not([data-department])")
        for row, (dep_id, name, kind) in zip((blank.nth(0), blank.nth(1)),
                                            (("ai", "人工智能系", "系"), ("lab", "实验中心", "部门")), strict=True):
            row.locator('input[name="id"]').fill(dep_id)
            row.locator('input[name="name"]').fill(name)
            row.locator('select[name="kind"]').select_option(kind)
        page.get_by_role("button", name="保存").click()
        expect(page.locator('tr[data-department="ai"] input[name="name"]')).to_have_value("人工智能系")
        hr.shot("departments", page.locator('tr[data-department="ai"]'))

        page.goto("/board/setup/roles?role=new")
        page.get_by_label("岗位名称").fill("人工智能课教师")
        page.get_by_label("岗位代码（小写英文字母开头）").fill("ai-teacher")
        page.get_by_label("牵头拟定部门").select_option(label="人工智能系")
        page.get_by_label("岗位职责（每行一条）").fill("承担人工智能课程教学\n指导学生技能竞赛")
        for n, row in enumerate(ROWS):
            for column, value in enumerate(row):
                page.locator(f"#r{n}-{column}").fill(value)
        expect(page.locator("[data-points-sum]")).to_have_text("60")  # the running total as typed
        hr.shot("role", page.locator("[data-points-total]"))
        page.get_by_role("button", name="保存岗位").click()
        expect(page.locator('tr[data-role="ai-teacher"]')).to_contain_text("人工智能系")

        page.goto("/board/setup/leaders")
        page.locator('tr[data-department="ai"] input[name="oversees:boss"]').check()
        page.get_by_role("button", name="保存").click()
        expect(page.locator('tr[data-department="ai"] input[name="oversees:boss"]')).to_be_checked()
        hr.shot("leaders", page.locator("[data-leaders-matrix]"))

        roster = tmp_path / "名册.csv"
        roster.write_bytes(roster_csv(portal))
        page.goto("/board/roster")
        page.get_by_label("名册文件").set_input_files(str(roster))
        page.get_by_role("button", name=re.compile("上传并查看变化")).click()
        page.locator('select[data-map="岗位:AI讲师"]').select_option(label="人工智能课教师")
        page.locator('select[data-map="岗位:实训车驾驶员"]').select_option(value="添加为新岗位")
        page.get_by_label(re.compile("新岗位“实训车驾驶员”的牵头拟定部门")).select_option(label="人工智能系")
        hr.shot("roster-mapping", page.locator("[data-roster-mapping]"))
        page.get_by_role("button", name="按以上对应关系再检查").click()
        expect(page.locator("[data-roster-summary]")).to_contain_text("林晓智")
        expect(page.locator("[data-roster-summary]")).to_contain_text("按对应关系：岗位“AI讲师”")
        expect(page.locator("[data-roster-summary]")).to_contain_text("将添加新岗位：实训车驾驶员")
        page.get_by_label(re.compile("我已核对以上变化")).check()
        page.get_by_role("button", name="确认导入").click()
        page.wait_for_url(re.compile(r"notice=imported"))
        page.goto("/board/setup/roles")  # the new role waits there for its template
        expect(page.locator("[data-roles-table] tr", has_text="实训车驾驶员")).to_contain_text("待填写")
        hr.shot("new-role", page.locator("[data-roles-table]"))

        page.goto("/board/setup/settings")
        page.get_by_label("签订责任状的截止日期").fill("05-08")
        page.get_by_role("button", name="保存").click()
        expect(page.locator(".admonition.success")).to_contain_text("已保存")
        waiting = int(page.locator("[data-site-wait]").get_attribute("data-site-wait") or "0")
        hr.shot("deadline")

        # at once, everywhere: the board, the API, the public status page
        page.goto("/board")
        expect(page.locator("body")).to_contain_text("报送截止：5月8日")
        hr.shot("board")
        status = httpx2.get(f"{portal.url}/api/status", timeout=30).json()
        assert status["deadline"] == "2019-05-08"
        assert {"ai", "lab"} <= {d["id"] for d in status["departments"]}
        public = httpx2.get(f"{portal.url}/status/", timeout=30).text
        assert "5月8日" in public and "人工智能系" in public

        # the portal, rebuilt in the background, lists the new department as the role's lead
        token = {"Authorization": f"Bearer {portal.token('hr')}"}

        def rebuilt() -> bool:
            site = httpx2.get(f"{portal.url}/api/setup/site", headers=token, timeout=30).json()
            assert site["error"] is None, site["error"]
            return int(site["published"]) >= waiting

        _wait(rebuilt, REBUILT_WITHIN, "门户网站没有在后台重建")
        roles = httpx2.get(f"{portal.url}/roles/", timeout=30).text
        assert "人工智能课教师" in roles and "人工智能系" in roles
        page.goto("/")
        expect(page.locator("body")).to_contain_text("示例技师学院")
        hr.shot("portal")
    finally:
        hr.close()
    assert tree_hash(ROOT / "content") == checkout, "the checkout's content/ changed"
