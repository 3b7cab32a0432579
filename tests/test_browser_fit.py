"""Pages that fit, in Chromium against `portal serve`: at 390 px the staff member's own pages, HR's
overview, the grade tables and the public 公示 show their key columns as cards with nothing wider
than the screen; at 1280 px the grade, score and result tables and 公示 use the page's width with
names on one line. Also, in the same browser: a department uploads several annex 3 workbooks at
once, adds rows to a target form, and delivers job duties with attachments that HR downloads.

The server and its filled department are test_accessibility.py's (one server for this module); the
year is then graded and its 公示 begun, so /gongshi has its list. Screenshots are kept under
test-artifacts/browser/fit/ at both widths.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx2
import pytest
from helpers import PDF
from staff_helpers import NEW_PASSWORD
from test_accessibility import Filled, _api, _login, _ok, filled  # noqa: F401
from test_browser import (  # the module's server and browser, as test_browser.py makes them
    ACTION_MS,
    ARTIFACTS,
    DEPT,
    DESKTOP,
    PASSWORD,
    PHONE,
    TODAY,
    browser,  # noqa: F401
    portal,  # noqa: F401
)
from test_summaries import docx_bytes

from service.content.codes import GRADE_PASS
from service.content.loader import load_content
from service.office import annex3

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.browser

FOLDER = ARTIFACTS / "fit"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Elements of the page's article reaching past the viewport (the menu drawer sits off-screen on purpose).
TOO_WIDE = """() => {
  const width = document.documentElement.clientWidth;
  return Array.from(document.querySelectorAll('article.md-content__inner *'))
    .filter(el => el.checkVisibility() && !el.closest('.visually-hidden'))
    .filter(el => { const r = el.getBoundingClientRect(); return r.width > 0 && (r.right > width + 0.5 || r.left < -0.5); })
    .map(el => `${el.tagName.toLowerCase()}.${el.className} ${Math.round(el.getBoundingClientRect().right)}px`)
    .slice(0, 10);
}"""
# The key cells of a table's first shown row: each visible, inside the screen, with its column's name.
KEY_CELLS = """(selector) => {
  const width = document.documentElement.clientWidth;
  const row = Array.from(document.querySelectorAll(selector + ' tbody tr')).find(tr => tr.checkVisibility());
  return Array.from(row.querySelectorAll('td[data-key-column]')).map(td => {
    const r = td.getBoundingClientRect();
    return {label: td.dataset.label, shown: td.checkVisibility() && r.width > 0 && r.left >= 0 && r.right <= width,
            before: getComputedStyle(td, '::before').content};
  });
}"""
# The phone pages: who opens them, the table and the key columns it must show.
PHONE_PAGES = [
    ("staff", "/me", "table[data-my-targets]", ["佐证材料及分值", "完成时限"]),
    ("staff", "/me/results", "table[data-my-months]", ["业务工作目标", "当月得分"]),
    ("staff", "/me/results", "table[data-my-items]", ["得分"]),
    ("hr", "/board", "table[data-board-table]", ["进度", "状态"]),
    ("hr", "/board/grades", "table[data-units-table]", ["已拟定", "优秀 / 名额"]),
    ("hr", f"/board/{DEPT}/grades", "table[data-grades-table]", ["姓名", "得分", "考核结果"]),
    ("anonymous", "/gongshi", "table[data-gongshi-table]", ["姓名", "部门、系", "岗位及职务"]),
]


@pytest.fixture(scope="module")
def graded(filled: Filled) -> Filled:  # noqa: F811
    """Every department scored and graded (the department by its suggestions), the collective
    decision recorded and 公示 begun today."""
    served = filled.portal
    hr = _api(served, "hr")
    content = load_content(Path(served.env["PORTAL_CONTENT"]))
    for department in content.departments:
        ids = [m.staff_id for m in content.members(department.id)]
        if not ids:
            continue
        rows = [{"工号": sid, "业务工作目标": 59 - i * 0.5} for i, sid in enumerate(ids)]
        _ok(hr.put(f"/api/monthly/{department.id}/1", json={"rows": rows}))
        if department.id == DEPT:
            found = {p["staff_id"]: p["suggested"] or GRADE_PASS for p in _ok(hr.get(f"/api/grades/{DEPT}"))["people"]}
        else:
            found = dict.fromkeys(ids, GRADE_PASS)
        _ok(hr.put(f"/api/grades/{department.id}", json={"grades": found}))
    _ok(hr.post("/api/grades/actions/decision", json={"date": TODAY, "leaders": ["院长甲", "副院长乙"]}))
    _ok(hr.post("/api/grades/actions/publicity", json={"start": TODAY}))
    hr.close()
    return filled


@pytest.fixture
def contexts(browser: Browser, graded: Filled) -> Iterator[Any]:  # noqa: F811
    opened: list[BrowserContext] = []

    def open_as(role: str, viewport: dict[str, int]) -> Page:
        context = browser.new_context(viewport=viewport, base_url=graded.portal.url, locale="zh-CN",
                                      timezone_id="Asia/Shanghai", accept_downloads=True,
                                      is_mobile=viewport == PHONE, has_touch=viewport == PHONE)
        context.set_default_timeout(ACTION_MS)
        opened.append(context)
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        logins = {"hr": ("hr", graded.portal.hr_password), "clerk": ("clerk", PASSWORD),
                  "staff": (graded.staff_id, NEW_PASSWORD)}
        if role in logins:
            _login(page, *logins[role])
        page.problems = problems  # type: ignore[attr-defined]
        return page

    yield open_as
    for context in opened:
        context.close()


def shot(page: Page, name: str) -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=FOLDER / f"{name}.png", full_page=True, animations="disabled")


@pytest.mark.parametrize(("role", "path", "table", "keys"), PHONE_PAGES)
def test_a_phone_page_fits_and_shows_its_key_columns(contexts: Any, role: str, path: str, table: str,
                                                     keys: list[str]) -> None:
    from playwright.sync_api import expect

    page = contexts(role, PHONE)
    page.goto(path)
    expect(page.locator(table)).to_be_visible()
    name = re.sub(r"\W+", "-", f"{role}{path}-{table}").strip("-")
    shot(page, f"{name}-phone")
    assert page.evaluate(TOO_WIDE) == [], f"{path}: 比手机屏幕宽的元素"
    cells = page.evaluate(KEY_CELLS, table)
    assert [c["label"] for c in cells] == keys
    assert all(c["shown"] for c in cells), cells
    assert all(c["label"] in c["before"] for c in cells), cells  # each value under its column's name
    assert page.problems == []  # type: ignore[attr-defined]


# The wide tables on a desktop: who opens them, the table.
DESKTOP_PAGES = [
    ("hr", "/board/grades", "table[data-units-table]"),
    ("hr", f"/board/{DEPT}/grades", "table[data-grades-table]"),
    ("hr", "/board/scores", "table[data-scores-table]"),
    ("staff", "/me/results", "table[data-my-months]"),
    ("staff", "/me/results", "table[data-my-items]"),
    ("anonymous", "/gongshi", "table[data-gongshi-table]"),
]
# The table's width, and the height of each name cell's text in lines of its own line height.
NAME_LINES = """(selector) => {
  const table = document.querySelector(selector);
  const lines = Array.from(table.querySelectorAll('td.name-cell')).filter(td => td.checkVisibility()).map(td => {
    const style = getComputedStyle(td);
    const line = parseFloat(style.lineHeight) || 1.4 * parseFloat(style.fontSize);
    const range = document.createRange();
    range.selectNodeContents(td);
    return {text: td.textContent.trim(), lines: range.getBoundingClientRect().height / line};
  });
  return {width: table.getBoundingClientRect().width, page: document.documentElement.clientWidth, lines};
}"""


@pytest.mark.parametrize(("role", "path", "table"), DESKTOP_PAGES)
def test_a_wide_table_uses_the_page_width_on_a_desktop(contexts: Any, role: str, path: str, table: str) -> None:
    from playwright.sync_api import expect

    page = contexts(role, DESKTOP)
    page.goto(path)
    expect(page.locator(table)).to_be_visible()
    shot(page, re.sub(r"\W+", "-", f"{role}{path}-{table}").strip("-") + "-desktop")
    found = page.evaluate(NAME_LINES, table)
    assert found["width"] >= 0.9 * found["page"], f"{path}: 表格只有 {found['width']}px 宽（页面 {found['page']}px）"
    if table != "table[data-my-items]":  # the common targets' table has no names: its content wraps
        assert found["lines"], f"{path}: {table} 没有姓名等名称单元格"
    wrapped = [cell for cell in found["lines"] if cell["lines"] > 1.5]
    assert wrapped == [], f"{path}: 名称被挤成多行 {wrapped}"
    assert page.problems == []  # type: ignore[attr-defined]


def test_an_ordinary_page_keeps_the_reading_column(contexts: Any) -> None:
    page = contexts("hr", DESKTOP)
    page.goto("/me")
    assert page.evaluate("() => getComputedStyle(document.querySelector('.md-main__inner')).maxWidth") != "none"


def test_a_department_uploads_several_annex3_workbooks_at_once(contexts: Any, graded: Filled,
                                                               tmp_path: Path) -> None:
    from playwright.sync_api import expect

    content = load_content(Path(graded.portal.env["PORTAL_CONTENT"]))
    people = content.members(DEPT)[10:12]
    files = []
    for member in people:
        path = tmp_path / f"{member.name}.xlsx"
        path.write_bytes(annex3.targets_xlsx(content, member))
        files.append(str(path))
    broken = tmp_path / "坏的.xlsx"
    broken.write_bytes(b"not a workbook")
    page = contexts("clerk", DESKTOP)
    page.goto(f"/board/{DEPT}/targets")
    page.get_by_label("或上传填好的附件3工作簿").set_input_files([*files, str(broken)])
    page.get_by_role("button", name="上传附件3").click()
    results = page.locator("table#upload-results")
    expect(results).to_be_visible()
    expect(page.locator("#upload-results-title")).to_contain_text("存入 2 份，未存入 1 份")
    for member in people:
        expect(results.locator("tr", has_text=f"{member.name}.xlsx")).to_contain_text("已存入")
    expect(results.locator("tr", has_text="坏的.xlsx")).to_contain_text("未存入")
    shot(page, "clerk-several-workbooks-desktop")
    page.set_viewport_size(PHONE)
    assert page.evaluate(TOO_WIDE) == []
    shot(page, "clerk-several-workbooks-phone")
    for member in people:
        state = httpx2.get(f"{graded.portal.url}/api/targets/{member.staff_id}",
                           headers={"Authorization": f"Bearer {graded.portal.token('clerk')}"}).json()
        assert state["state_label"] == "草稿"
    assert page.problems == []  # type: ignore[attr-defined]


def test_the_target_form_adds_rows_up_to_the_annexs_fourteen(contexts: Any, graded: Filled) -> None:
    from playwright.sync_api import expect

    person = load_content(Path(graded.portal.env["PORTAL_CONTENT"])).members(DEPT)[13]
    page = contexts("clerk", DESKTOP)
    page.goto(f"/board/{DEPT}/targets/{person.staff_id}")
    rows = page.locator("tbody[data-target-rows] tr")
    add = page.get_by_role("button", name="添加一行")
    expect(add).to_be_visible()
    start = rows.count()
    assert start < annex3.BLANK_ROWS
    for _ in range(annex3.BLANK_ROWS - start):
        add.click()
    expect(rows).to_have_count(annex3.BLANK_ROWS)
    expect(add).to_be_hidden()
    expect(page.locator("[data-add-row-note]")).to_be_visible()
    last = annex3.BLANK_ROWS
    page.get_by_label(f"第{last}行目标内容").fill("指导青年教师一名")
    page.get_by_label(f"第{last}行分值").fill("0")
    page.get_by_label(f"第{last}行佐证材料及分值").fill("指导记录")
    page.get_by_label(f"第{last}行完成时限").fill("2019年12月31日")
    deadline = page.locator("th.deadline").evaluate("th => th.getBoundingClientRect().width")
    assert deadline >= 90, f"完成时限一栏只有 {deadline}px 宽"
    shot(page, "clerk-add-rows-desktop")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_url(re.compile(r"notice=save"))
    saved = httpx2.get(f"{graded.portal.url}/api/targets/{person.staff_id}",
                       headers={"Authorization": f"Bearer {graded.portal.token('clerk')}"}).json()
    assert saved["rows"][-1]["目标内容"] == "指导青年教师一名"
    assert saved["rows"][-1]["完成时限"] == "2019年12月31日"
    assert page.problems == []  # type: ignore[attr-defined]


def test_a_department_delivers_duties_with_attachments_that_hr_downloads(contexts: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    role = "department-head"
    chosen = {"系主任职责说明.docx": docx_bytes("系主任岗位职责说明书"), "职责分工表.pdf": PDF}
    for name, data in chosen.items():
        (tmp_path / name).write_bytes(data)
    page = contexts("clerk", DESKTOP)
    page.goto(f"/board/{DEPT}/duties")
    page.locator(f"#duties-{role}").fill("主持系部全面工作\n组织教学与学生管理")
    page.locator(f"#files-{role}").set_input_files([str(tmp_path / name) for name in chosen])
    page.get_by_role("button", name="报送人事处").click()
    page.wait_for_url(re.compile(r"notice=submit"))
    listed = page.locator(f'ul[data-duty-files="{role}"] li')
    expect(listed).to_have_count(2)
    shot(page, "clerk-duties-attachments-desktop")

    hr = contexts("hr", DESKTOP)
    hr.goto(f"/board/{DEPT}/duties")
    links = hr.locator(f'ul[data-duty-files="{role}"] a')
    expect(links).to_have_text(list(chosen))
    for index, (name, data) in enumerate(chosen.items()):
        with hr.expect_download() as waited:
            links.nth(index).click()
        assert waited.value.suggested_filename == name
        assert Path(waited.value.path()).read_bytes() == data
    shot(hr, "hr-duties-attachments-desktop")
    hr.set_viewport_size(PHONE)
    assert hr.evaluate(TOO_WIDE) == []
    shot(hr, "hr-duties-attachments-phone")
    assert page.problems == [] and hr.problems == []  # type: ignore[attr-defined]
