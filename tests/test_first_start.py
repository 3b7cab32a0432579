"""A fresh install starts today: `portal serve` on an empty data directory seeds the set-up from
the shipped sample in the clock's year (the sample's dates moved as a new year moves them),
prints where the set-up lives and the set-up page's address, shows HR that the college is the
sample until a roster is imported, and has nothing overdue on its first day."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import httpx2
import pytest
from helpers import copy_site, csrf_from, parse_html, portal
from serverproc import serving

from service.config import ROOT, SETUP_DIR, Settings
from service.content.loader import load_content

SAMPLE = ROOT / "content"


@pytest.fixture
def fresh(tmp_path: Path) -> Settings:
    """A data directory nobody has used; its set-up (the default `<data>/setup`) not there yet."""
    data = tmp_path / "var"
    return Settings(root=ROOT, content_dir=data / SETUP_DIR, site_dir=copy_site(tmp_path / "site", full=False),
                    data_dir=data, mkdocs_file=ROOT / "mkdocs.yml", sample_dir=SAMPLE)


def hr_browser(url: str, output: str) -> httpx2.Client:
    password = next(line.split("密码：", 1)[1].strip() for line in output.splitlines() if "密码：" in line)
    browser = httpx2.Client(base_url=url, timeout=30.0, follow_redirects=False)
    page = browser.get("/login")
    signed = browser.post("/login", data={"username": "hr", "password": password, "csrf": csrf_from(page.text)})
    assert signed.status_code == 303, signed.text
    return browser


def sample_banner(browser: httpx2.Client) -> str | None:
    board = browser.get("/board")
    assert board.status_code == 200, board.text
    banner = parse_html(board.text).find("div", data_sample_college=True)
    return banner.text if banner is not None else None


def roster_csv(settings: Settings, path: Path) -> Path:
    """The college's own roster: the set-up's people and one newcomer."""
    content = load_content(settings.content_dir)
    lines = ["工号,姓名,部门,岗位,职务"] + [f"{m.staff_id},{m.name},{m.department},{m.role},{m.post}"
                                      for m in content.roster]
    first = content.roster[0]
    lines.append(f"209901,欧阳新来,{first.department},{first.role},教师")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_a_fresh_install_starts_in_the_clocks_year_with_nothing_overdue(fresh: Settings, tmp_path: Path) -> None:
    today = dt.date(2026, 12, 6)
    with serving(fresh, PORTAL_TODAY=today.isoformat()) as server:
        setup = load_content(fresh.content_dir)
        assert setup.settings.year == 2026
        deadlines = setup.settings.deadlines
        assert today < deadlines.duties_lead <= deadlines.duties_all <= deadlines.contracts <= dt.date(2026, 12, 31)
        assert setup.settings.monthly_first_month == deadlines.contracts.month
        sample = load_content(SAMPLE)
        assert len(setup.roster) == len(sample.roster) and sample.settings.year == 2019  # the sample is untouched

        log = server.log()
        assert f"学院设置：{fresh.content_dir}（首次运行" in log and "年度与各项日期已移到 2026 年" in log
        assert f"{server.url}/board/setup" in log

        with server.client() as client:
            status = client.get("/api/status").json()
            assert status["year"] == 2026 and status["deadline"] == deadlines.contracts.isoformat()
            assert not status["deadline_passed"] and not any(d["overdue"] for d in status["departments"])
            assert "逾期" not in client.get("/status/").text
        browser = hr_browser(server.url, log)
        try:
            banner = sample_banner(browser) or ""
            assert banner.startswith("这是示例学院的数据，导入本校名册后此提示消失")
            assert f"{len(sample.roster)} 名教职工都来自随程序提供的示例" in banner
            chase = browser.get("/api/chase").json()["outstanding"]
            assert chase and not any(item["overdue"] for item in chase)
            assert browser.get("/api/todos").json()["todos"] == []
            board = browser.get("/board").text
            assert "已截止" not in board and "逾期" not in board
            monthly = browser.get("/api/progress").json()
            assert monthly["months"] == [] and all(d["monthly"] == {} for d in monthly["departments"])

            imported = portal(fresh, "import-roster", str(roster_csv(fresh, tmp_path / "名册.csv")),
                              env={"PORTAL_TODAY": today.isoformat()})
            assert imported.returncode == 0, imported.stdout + imported.stderr
            assert sample_banner(browser) is None  # the college's own roster: no longer the sample
        finally:
            browser.close()


def test_a_fresh_install_early_in_a_year_keeps_the_samples_days(fresh: Settings) -> None:
    checked = portal(fresh, "check", env={"PORTAL_TODAY": "2027-03-01"})
    assert checked.returncode == 0, checked.stderr
    assert "年度与各项日期已移到 2027 年" in checked.stderr
    setup, sample = load_content(fresh.content_dir), load_content(SAMPLE)
    assert setup.settings.year == 2027
    assert setup.settings.deadlines.contracts == sample.settings.deadlines.contracts.replace(year=2027)
    assert setup.settings.monthly_first_month == sample.settings.monthly_first_month
    for name in ("departments.yml", "roster.yml", "pages/index.md"):
        assert (fresh.content_dir / name).read_bytes() == (SAMPLE / name).read_bytes()
    text = (fresh.content_dir / "settings.yml").read_text(encoding="utf-8")
    assert "year: 2027" in text and "2019" not in text and "# 个人岗位工作目标总分" in text  # comments kept


def test_a_fresh_install_late_in_december_keeps_every_deadline_in_the_year(fresh: Settings) -> None:
    checked = portal(fresh, "check", env={"PORTAL_TODAY": "2026-12-28"})
    assert checked.returncode == 0, checked.stderr
    deadlines = load_content(fresh.content_dir).settings.deadlines
    assert dt.date(2026, 12, 28) < deadlines.duties_lead <= deadlines.contracts == dt.date(2026, 12, 31)


def test_a_fresh_install_in_the_samples_own_year_copies_it_as_it_is(fresh: Settings) -> None:
    checked = portal(fresh, "check", env={"PORTAL_TODAY": "2019-05-20"})
    assert checked.returncode == 0, checked.stderr
    assert "移到" not in checked.stderr
    for path in sorted(p for p in SAMPLE.rglob("*") if p.is_file()):
        copied = fresh.content_dir / path.relative_to(SAMPLE)
        assert hashlib.sha256(copied.read_bytes()).digest() == hashlib.sha256(path.read_bytes()).digest(), path


def test_a_used_data_directory_is_carried_over_without_moving_its_year(fresh: Settings) -> None:
    (fresh.data_dir / "db").mkdir(parents=True)
    (fresh.data_dir / "audit.log").write_text("", encoding="utf-8")  # a data directory a service has written
    checked = portal(fresh, "check", env={"PORTAL_TODAY": "2026-12-06"})
    assert checked.returncode == 0, checked.stderr
    assert load_content(fresh.content_dir).settings.year == load_content(SAMPLE).settings.year


def test_the_start_up_names_the_set_up_page_each_time(fresh: Settings) -> None:
    with serving(fresh, PORTAL_TODAY="2027-03-01") as first:
        pass
    with serving(fresh, PORTAL_TODAY="2027-03-01") as again:
        pass
    assert "首次运行" in first.log() and "首次运行" not in again.log()
    assert f"学院设置：{fresh.content_dir}\n" in again.log()
    assert f"{again.url}/board/setup" in again.log()
    assert load_content(fresh.content_dir).settings.year == 2027
