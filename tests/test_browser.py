"""Each user's day in a real browser: Chromium (Playwright) against `portal serve` on 127.0.0.1.

One server for the module, started like an office would start it: the site built into a temp
dir, the date pinned (PORTAL_TODAY=2019-04-20, six days before the 04-26 contract deadline),
accounts made with `portal users add`, the one-time HR password read from its output.

Every step saves two screenshots under test-artifacts/browser/<user>/: NN-step-desktop.png
(1280×900, whole page) and NN-step-phone.png (390 px wide, the part the step is about). At
each step the page must fit a phone (no sideways scrolling outside table scrollers) and every
form control must have a label. No page may raise a script error or break the CSP.

Without /usr/bin/chromium these tests skip, except under CI (the CI variable set), where they fail.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx2
import openpyxl
import pytest
from helpers import PASSWORD, PDF, copy_site, scan_of
from serverproc import terminate

from service.config import ROOT
from service.content import forms_text
from service.content.loader import load_content
from service.content.models import StaffMember
from service.office import annex5

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Locator, Page

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--lang=zh-CN"]
PORTAL = str(Path(sys.executable).with_name("portal"))
ARTIFACTS = ROOT / "test-artifacts" / "browser"
TODAY = "2019-04-20"
DEPT = "jxx"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ACTION_MS = 60_000  # every browser action, download and expectation: generous, for a busy machine
LIVE_MS = 60_000  # the boards poll /api/status every 4 s; a busy machine may answer late
START_TIMEOUT = 90.0
HR_DAY_SCAN = scan_of("hr-day")  # a file of its own: the same file for two people is flagged

# Visible inputs, selects and textareas without a label (or aria-label): must be none.
UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => el.type !== 'hidden' && el.checkVisibility())
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML.slice(0, 120))"""


def chromium_or_skip() -> None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = "Python 包 playwright"
    else:
        if CHROMIUM.exists():
            return
        missing = str(CHROMIUM)
    message = f"浏览器测试需要 {missing}（apt-get install chromium fonts-noto-cjk；make test 会自动安装）"
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        pytest.fail(f"CI 中不得跳过浏览器测试：{message}")
    pytest.skip(message)


# -- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Portal:
    url: str
    env: dict[str, str]
    hr_password: str
    members: list[StaffMember]
    department_name: str
    staff_count: int
    output: list[str] = field(default_factory=list)

    def cli(self, *args: str, stdin: str = "") -> str:
        done = subprocess.run([PORTAL, *args], input=stdin, env=self.env, capture_output=True, text=True,
                              timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def token(self, username: str) -> str:
        return self.cli("users", "token", username).split()[-1]


def _wait(condition: Any, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.05)


def _healthy(url: str) -> bool:
    try:
        return httpx2.get(f"{url}/healthz", timeout=1.0).status_code == 200
    except httpx2.HTTPError:
        return False


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    chromium_or_skip()
    root = tmp_path_factory.mktemp("browser")
    content_dir = root / "content"
    shutil.copytree(ROOT / "content", content_dir)
    settings_file = content_dir / "settings.yml"  # the walk-through reports March: a cycle from January
    settings_file.write_text(settings_file.read_text(encoding="utf-8").replace(
        "monthly_first_month: 4", "monthly_first_month: 1"), encoding="utf-8")
    site_dir = copy_site(root / "site")  # built once per session by service.build.build_site
    env = {**os.environ, "PORTAL_DATA": str(root / "var"), "PORTAL_SITE": str(site_dir),
           "PORTAL_CONTENT": str(content_dir), "PORTAL_TODAY": TODAY, "PYTHONUNBUFFERED": "1"}
    with serving(env) as (url, password, output):
        content = load_content(content_dir)
        department = content.department(DEPT)
        assert department is not None
        served = Portal(url, env, password, list(content.members(DEPT)), department.name, len(content.roster),
                        output)
        served.cli("users", "add", "clerk", "--role", "department", "--department", DEPT,
                   stdin=f"{PASSWORD}\n{PASSWORD}\n")
        served.cli("users", "add", "boss", "--role", "leader", "--oversees", DEPT, stdin=f"{PASSWORD}\n{PASSWORD}\n")
        yield served


@contextlib.contextmanager
def serving(env: dict[str, str]) -> Iterator[tuple[str, str, list[str]]]:
    """`portal serve` with `env`: its address, HR's first password and its output; after it stops,
    the output must hold no traceback or error."""
    port = free_port()
    output: list[str] = []
    process = subprocess.Popen([PORTAL, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    reader = threading.Thread(target=lambda: output.extend(iter(process.stdout.readline, "")),  # type: ignore[union-attr]
                              daemon=True)
    reader.start()
    try:
        url = f"http://127.0.0.1:{port}"
        _wait(lambda: _healthy(url) or process.poll() is not None, START_TIMEOUT, "portal serve 没有启动")
        assert process.poll() is None, "".join(output)
        _wait(lambda: any("密码：" in line for line in output), START_TIMEOUT, "没有打印人事处初始密码")
        password = next(line for line in output if "密码：" in line).split("密码：", 1)[1].strip()
        yield url, password, output
    finally:
        terminate(process)
        reader.join(timeout=5)
    assert not [line for line in output if re.search(r"Traceback|ERROR", line)], "".join(output)


@pytest.fixture(scope="module")
def browser(portal: Portal) -> Iterator[Browser]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=ACTION_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=30_000)
        try:
            yield chromium
        finally:
            chromium.close()


# -- one user's day -----------------------------------------------------------------------------


class Day:
    """A user's browser (own cookies) that screenshots each step at desktop and phone width."""

    def __init__(self, browser: Browser, portal: Portal, user: str) -> None:
        self.portal = portal
        self.folder = ARTIFACTS / user
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.steps = 0
        self.problems: list[str] = []
        self.context = self.new_context(browser)
        self.page = self.new_page()

    def new_context(self, browser: Browser) -> BrowserContext:
        context = browser.new_context(viewport=DESKTOP, base_url=self.portal.url, locale="zh-CN",
                                      timezone_id="Asia/Shanghai", accept_downloads=True)
        context.set_default_timeout(ACTION_MS)
        return context

    def new_page(self, context: BrowserContext | None = None) -> Page:
        page = (context or self.context).new_page()
        page.on("pageerror", lambda error: self.problems.append(f"脚本错误：{error}"))
        page.on("console", lambda message: self._console(message.type, message.text))
        return page

    def _console(self, kind: str, text: str) -> None:
        # a refused upload answers 4xx on purpose; anything else logged as an error is a defect
        if kind == "error" and not re.search(r"status of 4\d\d", text):
            self.problems.append(f"控制台错误：{text}")

    def shot(self, step: str, focus: Locator | None = None, page: Page | None = None) -> None:
        page = page or self.page
        self.steps += 1
        name = f"{self.steps:02d}-{step}"
        assert page.evaluate("() => document.documentElement.lang") == "zh"
        assert page.evaluate(UNLABELLED) == [], f"{name}: 表单控件没有标签"
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=self.folder / f"{name}-desktop.png", full_page=True, animations="disabled")
        page.set_viewport_size(PHONE)
        try:
            widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            assert widths[0] <= widths[1], f"{name}: 手机上页面横向溢出 {widths}"
            if focus is not None:
                focus.scroll_into_view_if_needed()
            page.screenshot(path=self.folder / f"{name}-phone.png", animations="disabled")
        finally:
            page.set_viewport_size(DESKTOP)

    def login(self, username: str, password: str = PASSWORD, page: Page | None = None) -> None:
        page = page or self.page
        page.goto("/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"/board"))

    def close(self) -> None:
        self.context.close()
        assert self.problems == []


@pytest.fixture
def day(browser: Browser, portal: Portal, request: pytest.FixtureRequest) -> Iterator[Any]:
    days: list[Day] = []

    def start(user: str) -> Day:
        days.append(Day(browser, portal, user))
        return days[-1]

    yield start
    for started in days:
        started.close()


def drop_file(page: Page, target: str, name: str, data: bytes, mime: str) -> None:
    """Drag a file from the desktop onto `target` (the events a real drop fires)."""
    page.evaluate("""([selector, name, b64, mime]) => {
        const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name, {type: mime}));
        const zone = document.querySelector(selector);
        for (const type of ['dragenter', 'dragover', 'drop']) {
            zone.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: transfer}));
        }
    }""", [target, name, base64.b64encode(data).decode(), mime])


def record_upload_messages(page: Page) -> None:
    page.evaluate("""() => {
        window.uploadMessages = [];
        const status = document.querySelector('[data-upload-status]');
        new MutationObserver(() => window.uploadMessages.push(status.textContent))
            .observe(status, {childList: true, characterData: true, subtree: true});
    }""")


def staff_row(page: Page, staff_id: str) -> Locator:
    return page.locator(f'tr[data-staff="{staff_id}"]')


# -- the days -------------------------------------------------------------------------------------


def test_staff_reads_searches_and_downloads_a_blank_form(day: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    staff = day("staff")
    page = staff.page
    page.goto("/")
    expect(page.locator("h1")).to_contain_text("2019年度教职工岗位工作目标责任状")
    # the deadlines count down from the service's date (04-20), not the browser's clock
    cards = {card.locator(".deadline-date").inner_text(): card for card in page.locator("[data-deadline]").all()}
    expect(cards["4月26日"].locator(".deadline-countdown")).to_have_text("还有 6 天")
    expect(cards["4月23日"].locator(".deadline-countdown")).to_have_text("还有 3 天")
    expect(cards["4月18日"].locator(".deadline-countdown")).to_have_text("已截止")
    expect(page.locator("[data-next-deadline]")).to_contain_text("下一个截止日期：4月23日（还有 3 天）")
    staff.shot("home", page.locator(".deadline-cards"))

    page.get_by_role("link", name="阅读通知原文").click()
    expect(page.locator("h1")).to_contain_text("责任状的通知")
    staff.shot("notice")

    page.goto("/?q=值班值宿")  # Material runs the search from the q parameter
    result = page.locator('.md-search-result__link[href*="/common/"]').first
    expect(result).to_be_visible()
    staff.shot("search", result)
    result.click()
    page.wait_for_url(re.compile(r"/common/"))
    expect(page.locator("h1")).to_have_text(re.compile("共性目标考核标准"))
    expect(page.locator("table.common")).to_contain_text("值班值宿")
    staff.shot("common-targets", page.locator("table.common"))

    page.get_by_role("link", name="学管人员（含值班值宿教师）").first.click()
    expect(page.locator("h1")).to_have_text(re.compile("学管人员（含值班值宿教师）"))
    expect(page.locator("table.targets")).to_contain_text("合计")
    staff.shot("role", page.locator("#targets"))

    with page.expect_download() as own:  # the role's own annex 3, its template filled in
        page.get_by_role("link", name=re.compile("下载本岗位的个性工作目标考核标准分解表")).click()
    mine = tmp_path / own.value.suggested_filename
    own.value.save_as(mine)
    assert mine.name.startswith("附件3") and mine.name.endswith("学管人员（含值班值宿教师）.xlsx")
    assert "值班" in " ".join(str(c.value) for r in openpyxl.load_workbook(mine)["附件3"].iter_rows() for c in r
                             if c.value)
    page.get_by_role("link", name="其他附件").click()
    expect(page.locator("h1")).to_have_text(re.compile("附件下载"))
    link = page.locator("tr", has_text="附件3").locator('a[href$=".xlsx"]')
    with page.expect_download() as download:
        link.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith("附件3") and saved.suffix == ".xlsx"
    assert openpyxl.load_workbook(saved).sheetnames
    staff.shot("annexes", link)


def test_clerk_round_trips_annex5_uploads_scans_and_reports_the_month(day: Any, portal: Portal,
                                                                      tmp_path: Path) -> None:
    from playwright.sync_api import expect

    clerk = day("clerk")
    page = clerk.page
    first, big, wrong, mom, ill = (portal.members[i] for i in (0, 1, 2, -1, -2))
    clerk.login("clerk")
    expect(page).to_have_url(re.compile(f"/board/{DEPT}$"))
    expect(page.locator("h1")).to_have_text(f"{portal.department_name}：责任状签订情况")
    clerk.shot("department")

    # 附件5: download the pre-filled form, fill it in Excel's place, upload it through the page
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("下载本部门完成情况统计表")).click()
    form = tmp_path / "annex5.xlsx"
    download.value.save_as(form)
    book = openpyxl.load_workbook(form)
    sheet = book[annex5.SHEET]
    status_col = annex5.COLUMNS.index(forms_text.STATUS_HEADER) + 1
    id_col = annex5.COLUMNS.index(forms_text.STAFF_ID) + 1
    filled = {mom.staff_id: "产假", ill.staff_id: "病假"}
    for row in range(annex5.FIRST_ROW, sheet.max_row + 1):
        staff_id = sheet.cell(row, id_col).value
        if staff_id in filled:
            sheet.cell(row, status_col).value = filled[str(staff_id)]
    book.save(form)
    page.get_by_label(re.compile("回传填好的附件5")).set_input_files(form)
    page.get_by_role("button", name="上传填好的附件5").click()
    expect(page.locator("[data-notice]")).to_contain_text("完成情况已保存")
    expect(page.locator("[data-totals] [data-field=exempt]")).to_have_text("2")
    expect(page.locator(f"[id='status-{mom.staff_id}']")).to_have_value("产假")
    clerk.shot("annex5-uploaded", page.locator("[data-notice]"))

    # a signed scan dragged onto the form: progress, then the confirmation in place
    done_before = int(page.locator("[data-totals] [data-field=completed]").inner_text())
    page.get_by_label("教职工", exact=True).select_option(first.staff_id)
    drop_file(page, "[data-drop-zone]", "责任状-签字.pdf", PDF, "application/pdf")
    expect(page.locator("[data-upload-status]")).to_contain_text("已选择：责任状-签字.pdf")
    clerk.shot("scan-dropped", page.locator("[data-drop-zone]"))
    record_upload_messages(page)
    page.get_by_role("button", name="上传扫描件").click()
    expect(page.locator("h1")).to_have_text("上传成功")
    confirmation = page.locator("[data-upload-confirmation]")
    expect(confirmation).to_contain_text(f"已收到 {first.name} 的责任状扫描件")
    expect(confirmation).to_contain_text("第 1 版")
    expect(page.locator("[data-department-progress]")).to_contain_text(f"现已完成 {done_before + 1} 人")
    assert any(m.startswith("正在上传") for m in page.evaluate("window.uploadMessages"))
    clerk.shot("scan-confirmed", confirmation)

    page.get_by_role("link", name="返回本部门人员明细").click()
    expect(staff_row(page, first.staff_id).locator("[data-versions]")).to_contain_text("第1版")
    expect(page.locator("[data-totals] [data-field=completed]")).to_have_text(str(done_before + 1))
    clerk.shot("department-updated", staff_row(page, first.staff_id))

    # a large scan with the file picker: the bar moves, then the same confirmation
    scan = tmp_path / "大扫描件.pdf"
    scan.write_bytes(PDF + b"%" + b"0" * (4 * 1024 * 1024))
    page.get_by_label("教职工", exact=True).select_option(big.staff_id)
    page.get_by_label(re.compile("扫描件（PDF")).set_input_files(scan)
    record_upload_messages(page)
    page.get_by_role("button", name="上传扫描件").click()
    expect(page.locator("[data-upload-confirmation]")).to_contain_text(f"已收到 {big.name} 的责任状扫描件")
    expect(page.locator("[data-upload-confirmation]")).to_contain_text("4.0 MB")
    messages = page.evaluate("window.uploadMessages")
    assert any(re.match(r"正在上传：\d+%", m) for m in messages), messages
    clerk.shot("large-scan-confirmed")

    # a "PDF" that is really text: a readable Chinese error on the page, the person still chosen
    page.get_by_role("link", name="继续上传下一位").click()
    fake = tmp_path / "扫描件.pdf"
    fake.write_text("这不是扫描件，只是一段文字。", encoding="utf-8")
    page.get_by_label("教职工", exact=True).select_option(wrong.staff_id)
    page.get_by_label(re.compile("扫描件（PDF")).set_input_files(fake)
    page.get_by_role("button", name="上传扫描件").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("“扫描件.pdf”不是扫描件：只接受")
    expect(alert).to_contain_text("按文件内容判断")
    expect(page.get_by_label("教职工", exact=True)).to_have_value(wrong.staff_id)
    expect(staff_row(page, wrong.staff_id).locator("[data-versions]")).to_have_text("—")
    clerk.shot("wrong-file", alert)

    # the same text file offered as 附件5: the department page again, saying what is wrong
    page.get_by_label(re.compile("回传填好的附件5")).set_input_files(fake)
    page.get_by_role("button", name="上传填好的附件5").click()
    expect(page.get_by_role("alert")).to_contain_text("xlsx")
    expect(page.locator("h1")).to_have_text(f"{portal.department_name}：责任状签订情况")
    clerk.shot("wrong-annex5", page.get_by_role("alert"))

    # the monthly summary (附件4) for March: a typo is refused and what was typed stays
    page.get_by_role("link", name="报送月汇总（附件4）").click()
    page.get_by_role("link", name="3月", exact=True).click()
    expect(page.locator("h1")).to_contain_text("3月考核月汇总表")
    page.get_by_label(f"{first.name}出勤", exact=True).fill("2l")
    page.get_by_label(f"{big.name}出勤", exact=True).fill("21")
    page.get_by_label(f"{big.name}业务工作目标", exact=True).fill("55")
    page.get_by_role("button", name="报送", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("出勤")
    expect(page.get_by_label(f"{first.name}出勤", exact=True)).to_have_value("2l")
    expect(page.get_by_label(f"{big.name}业务工作目标", exact=True)).to_have_value("55")
    clerk.shot("monthly-error", page.get_by_role("alert"))
    page.get_by_label(f"{first.name}出勤", exact=True).fill("22")
    page.get_by_role("button", name="报送", exact=True).click()  # two people of the department only
    expect(page.get_by_role("alert")).to_contain_text("部分报送")
    page.locator("[data-monthly-form] input[name=partial]").check()
    page.get_by_role("button", name="报送", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("月汇总表已报送")
    expect(page.get_by_label(f"{big.name}业务工作目标", exact=True)).to_have_value("55")
    expect(page.locator("[data-state]")).to_contain_text("部分报送")  # never 按时 with people missing
    clerk.shot("monthly-sent", page.get_by_role("status"))


def test_hr_watches_the_board_update_then_downloads(day: Any, browser: Browser, portal: Portal,
                                                    tmp_path: Path) -> None:
    from playwright.sync_api import expect

    hr = day("hr")
    page = hr.page
    person = portal.members[3]
    hr.login("hr", portal.hr_password)
    expect(page.locator("h1")).to_contain_text("责任状签订完成情况总览")
    expect(page.locator("[data-signature-chart] [data-deadline-line]")).to_have_count(1)
    expect(page.locator("[data-signature-chart] figcaption")).to_contain_text("截止 4月26日")
    expect(page.locator("body")).to_contain_text("还有 6 天")
    row = page.locator(f'[data-board-table] tr[data-department="{DEPT}"]')
    before = int(row.locator("[data-field=completed]").inner_text())
    total_before = int(page.locator("[data-totals] [data-field=completed]").inner_text())
    hr.shot("board", page.locator("[data-signature-chart]"))

    public = hr.new_page()
    public.goto("/status/")
    public_row = public.locator(f'[data-status-board] tr[data-department="{DEPT}"]')
    expect(public_row.locator("[data-field=completed]")).to_have_text(str(before))

    # the clerk uploads in another browser; neither open page is reloaded
    page.evaluate("window.notReloaded = true")
    public.evaluate("window.notReloaded = true")
    clerk_context = hr.new_context(browser)
    try:
        clerk = hr.new_page(clerk_context)
        hr.login("clerk", page=clerk)
        clerk.get_by_label("教职工", exact=True).select_option(person.staff_id)
        clerk.get_by_label(re.compile("扫描件（PDF")).set_input_files(
            {"name": "签字.pdf", "mimeType": "application/pdf", "buffer": HR_DAY_SCAN})
        clerk.get_by_role("button", name="上传扫描件").click()
        expect(clerk.locator("[data-upload-confirmation]")).to_contain_text(person.name)
    finally:
        clerk_context.close()
    expect(row.locator("[data-field=completed]")).to_have_text(str(before + 1), timeout=LIVE_MS)
    expect(page.locator("[data-totals] [data-field=completed]")).to_have_text(str(total_before + 1))
    expect(page.locator("[data-signature-chart] .last-label")).to_have_text(f"{total_before + 1} 人",
                                                                              timeout=LIVE_MS)
    expect(public_row.locator("[data-field=completed]")).to_have_text(str(before + 1), timeout=LIVE_MS)
    assert page.evaluate("window.notReloaded") and public.evaluate("window.notReloaded")
    hr.shot("board-updated", row)
    hr.shot("status-page-updated", public_row, page=public)

    # a department's people, one of its scans, then the exports
    row.get_by_role("link", name=portal.department_name).click()
    expect(page.locator("h1")).to_have_text(f"{portal.department_name}：责任状签订情况")
    versions = staff_row(page, person.staff_id).locator("[data-versions]")
    hr.shot("department", versions)
    with page.expect_download() as download:
        versions.get_by_role("link", name="第1版").click()
    assert Path(download.value.path()).read_bytes() == HR_DAY_SCAN
    assert download.value.suggested_filename.endswith(".pdf")

    page.get_by_role("link", name="← 返回总览").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="导出完成情况（Excel）").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert any(portal.department_name in str(cell.value) for sheet in book for r in sheet.iter_rows()
               for cell in r if cell.value)
    with page.expect_download() as download:
        page.get_by_role("link", name="下载全部扫描件（ZIP）").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        assert any(person.staff_id in name for name in archive.namelist())
    hr.shot("exports", page.get_by_role("link", name="导出完成情况（Excel）"))

    # the scores, a hundred people a page
    page.locator("[data-workflow-links]").get_by_role("link", name=re.compile("得分")).click()
    page.get_by_label("每页").select_option("100")
    page.get_by_role("button", name="查看").click()
    pages = page.locator("[data-pages]").last  # the one below the table (a long page has one above, too)
    expect(pages).to_contain_text(f"第 1–100 人，共 {portal.staff_count} 人")
    pages.get_by_role("link", name="下一页").click()
    expect(pages).to_contain_text("第 101–200 人")
    expect(page.locator("[data-scores-table] tbody tr")).to_have_count(100)
    expect(page.get_by_label("每页")).to_have_value("100")
    hr.shot("scores-page-2", pages)


def test_leader_approves_one_target_set_and_returns_another(day: Any, portal: Portal) -> None:
    from playwright.sync_api import expect

    approved, returned = portal.members[4], portal.members[5]
    token = portal.token("clerk")
    with httpx2.Client(base_url=portal.url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as api:
        for person in (approved, returned):
            rows = api.get(f"/api/targets/{person.staff_id}").json()["rows"]
            sent = api.put(f"/api/targets/{person.staff_id}", json={"rows": rows, "submit": True})
            assert sent.status_code == 200, sent.text

    leader = day("leader")
    page = leader.page
    leader.login("boss")
    expect(page.locator("h1")).to_contain_text("责任状签订完成情况总览")
    page.get_by_role("link", name="审定个性目标").click()
    queue = page.locator("[data-review-table]")
    expect(queue.locator(f'tr[data-staff="{approved.staff_id}"]')).to_be_visible()
    expect(queue.locator(f'tr[data-staff="{returned.staff_id}"]')).to_be_visible()
    leader.shot("review-queue", queue)

    queue.get_by_role("link", name=approved.name).click()
    expect(page.locator("h1")).to_have_text(f"{approved.name}的个性工作目标")
    expect(page.locator("[data-targets-rows]")).to_contain_text("合计")
    leader.shot("targets", page.locator("[data-decide-form]"))
    page.get_by_role("button", name="审定通过").click()
    expect(page.get_by_role("status")).to_contain_text("个性目标已审定通过")
    expect(page.locator(f'tr[data-staff="{approved.staff_id}"]')).to_have_count(0)
    leader.shot("approved", page.get_by_role("status"))

    page.locator("[data-review-table]").get_by_role("link", name=returned.name).click()
    page.get_by_role("button", name="退回修改").click()  # without the required comment
    expect(page.get_by_role("alert")).to_contain_text("意见")
    comment = "第2条佐证材料不够具体，请写明检查次数和记录形式。"
    page.get_by_label("审定意见（退回时必填）").fill(comment)
    leader.shot("return-comment", page.locator("[data-decide-form]"))
    page.get_by_role("button", name="退回修改").click()
    expect(page.get_by_role("status")).to_contain_text("个性目标已退回部门修改")
    expect(page.locator("[data-review-table] tr[data-staff]")).to_have_count(0)
    leader.shot("returned", page.get_by_role("status"))

    with httpx2.Client(base_url=portal.url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as api:
        assert api.get(f"/api/targets/{approved.staff_id}").json()["state"] == "已审定"
        back = api.get(f"/api/targets/{returned.staff_id}").json()
        assert back["state"] == "退回" and back["comment"] == comment


def test_keyboard_reaches_the_login_button_and_shows_focus(day: Any) -> None:
    from playwright.sync_api import expect

    visitor = day("keyboard")
    page = visitor.page
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh")
    button = page.get_by_role("button", name="登录")
    for _ in range(40):
        page.keyboard.press("Tab")
        if button.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError("按 Tab 键到达不了“登录”按钮")
    outline = button.evaluate("el => [getComputedStyle(el).outlineStyle, parseFloat(getComputedStyle(el).outlineWidth)]")
    assert outline[0] != "none" and outline[1] >= 2, f"键盘焦点看不见：{outline}"
    visitor.shot("login-focus", button)


def test_clerk_drops_a_stack_of_contracts_previews_and_stores_them(day: Any, portal: Portal) -> None:
    from approvals import signed_page
    from paper import A4_150, pdf_of, scanned
    from PIL import Image
    from playwright.sync_api import expect

    from service.rules.contract_mark import ContractMark

    signer, by_hand = portal.members[6], portal.members[7]
    clerk_token, boss_token = portal.token("clerk"), portal.token("boss")
    with httpx2.Client(base_url=portal.url, timeout=60) as api:
        clerk_api = {"Authorization": f"Bearer {clerk_token}"}
        rows = api.get(f"/api/targets/{signer.staff_id}", headers=clerk_api).json()["rows"]
        assert api.put(f"/api/targets/{signer.staff_id}", json={"rows": rows, "submit": True},
                       headers=clerk_api).status_code == 200
        approved = api.post(f"/api/targets/{signer.staff_id}/approve", json={},
                            headers={"Authorization": f"Bearer {boss_token}"}).json()
    mark = ContractMark(2019, signer.staff_id, approved["approved"]["version"], approved["approved"]["tag"])
    stack = pdf_of([signed_page(mark, 1), signed_page(mark, 2)])
    unread = pdf_of([scanned(Image.new("L", A4_150, 255), 3)])

    clerk = day("clerk-bulk")
    page = clerk.page
    clerk.login("clerk")
    page.get_by_role("link", name=re.compile("批量上传")).click()
    expect(page.locator("h1")).to_contain_text("批量上传责任状扫描件")
    drop_file(page, "[data-drop-zone]", "一摞责任状.pdf", stack, "application/pdf")
    drop_file(page, "[data-drop-zone]", "没有二维码.pdf", unread, "application/pdf")
    expect(page.locator("[data-file-list] li")).to_have_count(2)
    expect(page.locator("[data-upload-status]")).to_contain_text("已选择 2 个文件")
    clerk.shot("bulk-dropped", page.locator("[data-drop-zone]"))
    page.get_by_role("button", name="识别并预览").click()
    preview = page.locator("[data-batch-preview]")
    expect(preview).to_contain_text("预览（尚未保存）")
    person = page.locator(f'[data-batch-people] tr[data-person="{signer.staff_id}"]')
    expect(person).to_contain_text(signer.name)
    expect(person).to_contain_text("可存入")
    expect(person.locator("img")).to_have_count(2)
    expect(page.locator("[data-resend]")).to_be_hidden()  # the page keeps the files
    page.get_by_label(re.compile("第 2 个文件第 1 页属于")).select_option(by_hand.staff_id)
    clerk.shot("bulk-preview", page.locator("[data-batch-unreadable]"))
    page.get_by_role("button", name="确认存入").click()
    stored = page.locator("[data-batch-stored]")
    expect(stored).to_contain_text("已存入 2 人的扫描件")
    expect(stored.locator(f'[data-stored="{signer.staff_id}"]')).to_contain_text("2 页")
    clerk.shot("bulk-stored", stored)
    page.get_by_role("link", name=re.compile("返回")).first.click()
    expect(staff_row(page, signer.staff_id).locator("[data-status]")).to_contain_text("完成")
    versions = staff_row(page, by_hand.staff_id).locator("[data-versions]")
    expect(versions).to_contain_text("第1版")

    # the page assigned to the wrong person by hand: withdrawn, with the reason, the file kept
    versions.get_by_text("撤回", exact=True).click()
    versions.get_by_label(re.compile("撤回第1版的原因")).fill("手工指定错了人")
    clerk.shot("withdraw-reason", versions)
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    versions.get_by_role("button", name="确认撤回").click()
    expect(page.locator("[data-notice=withdrawn]")).to_contain_text("已撤回")
    assert asked and "不能恢复" in asked[0]  # asked before what cannot be undone
    versions = staff_row(page, by_hand.staff_id).locator("[data-versions]")
    expect(versions).to_contain_text("已撤回")
    expect(versions).to_contain_text("手工指定错了人")
    expect(staff_row(page, by_hand.staff_id).locator("[data-status]")).to_contain_text("未完成")
    clerk.shot("withdrawn", versions)
