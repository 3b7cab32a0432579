"""The annual appraisal of a 9-person department in December, in Chromium against
`portal serve`: the nine sign in with their slips and write their summaries (one uploads a Word
file), HR opens a 民主测评 round, seven vote from their own browsers (one on a 390 px phone), a
second ballot is refused, the tally after closing is the hand count, the leader's comment is
recorded, and one person's 年度考核登记表 comes out of LibreOffice with their name, summary,
score, the comment and the grade."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml
from docx import Document
from helpers import copy_site
from staff_helpers import NEW_PASSWORD, slip_passwords
from test_browser import (  # the browser and the server start as test_browser.py makes them
    ACTION_MS,
    CHROMIUM,
    CHROMIUM_ARGS,
    DEPT,
    PASSWORD,
    Day,
    Portal,
    chromium_or_skip,
    serving,
)
from test_browser_staff import PhoneDay

from service.config import ROOT
from service.content.loader import load_content
from service.office import pdf

pytestmark = pytest.mark.browser
DECEMBER = "2019-12-10"
CHOICES = ("优秀", "合格", "基本合格", "不合格")
COMMENT = "教学扎实，带教青年教师成效明显。"


def nine_people(roster: Path) -> None:
    """The college's copy keeps nine people in the department, its others leave the roster."""
    people = yaml.safe_load(roster.read_text(encoding="utf-8"))
    ours = [p for p in people if p["department"] == DEPT]
    assert len(ours) > 9
    kept = [p for p in people if p["department"] != DEPT or p in ours[:9]]
    roster.write_text(yaml.safe_dump(kept, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def december(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    chromium_or_skip()
    root = tmp_path_factory.mktemp("appraisal")
    shutil.copytree(ROOT / "content", root / "content")
    nine_people(root / "content" / "roster.yml")
    env = {**os.environ, "PORTAL_DATA": str(root / "var"), "PORTAL_SITE": str(copy_site(root / "site")),
           "PORTAL_CONTENT": str(root / "content"), "PORTAL_TODAY": DECEMBER, "PYTHONUNBUFFERED": "1"}
    with serving(env) as (url, password, output):
        content = load_content(root / "content")
        served = Portal(url, env, password, list(content.members(DEPT)), content.department(DEPT).name,  # type: ignore[union-attr]
                        len(content.roster), output)
        served.cli("users", "add", "boss", "--role", "leader", "--oversees", DEPT, stdin=f"{PASSWORD}\n{PASSWORD}\n")
        yield served


@pytest.fixture(scope="module")
def browser(december: Portal) -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=ACTION_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=30_000)
        try:
            yield chromium
        finally:
            chromium.close()


def api(portal: Portal, username: str) -> httpx2.Client:
    return httpx2.Client(base_url=portal.url, timeout=120,
                         headers={"Authorization": f"Bearer {portal.token(username)}"})


def slips(portal: Portal) -> dict[str, str]:
    """HR prints the department's slips through the page's form."""
    with httpx2.Client(base_url=portal.url, timeout=120) as hr:
        page = hr.get("/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]  # type: ignore[index]
        hr.post("/login", data={"username": "hr", "password": portal.hr_password, "csrf": csrf})
        page = hr.get(f"/board/{DEPT}/staff-accounts").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]  # type: ignore[index]
        got = hr.post(f"/board/{DEPT}/staff-accounts/slips", data={"csrf": csrf, "format": "docx", "confirm": "on"})
        assert got.status_code == 200, got.text
        return slip_passwords(got.content)


def signed_in(day: Day, staff_id: str, password: str) -> None:
    page = day.page
    page.goto("/login")
    page.get_by_label("用户名").fill(staff_id)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.get_by_label("当前密码").fill(password)
    page.get_by_label("新密码（").fill(NEW_PASSWORD)
    page.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="修改密码").click()
    page.wait_for_url(re.compile(r"/me$"))


def docx_with(text: str) -> bytes:
    doc = Document()
    doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


@pytest.mark.skipif(not pdf.available(), reason="需要 LibreOffice（soffice）")
def test_a_department_runs_its_appraisal_in_the_browser(december: Portal, browser: Any, tmp_path: Any) -> None:
    nine = [m.staff_id for m in december.members]
    assert len(nine) == 9
    hr, boss = api(december, "hr"), api(december, "boss")
    opened = hr.post("/api/appraisal/rounds", json={"unit": DEPT, "opens": "2019-12-01T08:00",
                                                    "closes": "2019-12-31T18:00"})
    assert opened.status_code == 201, opened.text
    assert sorted(c["staff_id"] for c in opened.json()["candidates"]) == sorted(nine)
    assert opened.json()["eligible"] == 9
    round_id = opened.json()["id"]
    passwords = slips(december)
    ballots: dict[str, dict[str, str]] = {}
    days: list[Day] = []
    try:
        for number, sid in enumerate(nine):
            day = (PhoneDay if number == 0 else Day)(browser, december, f"appraisal-{number}")
            days.append(day)
            signed_in(day, sid, passwords[sid])
            page = day.page
            page.goto("/me/summary")
            if number == 8:
                upload = tmp_path / "总结.docx"
                upload.write_bytes(docx_with(f"{sid} 的年度个人总结（上传）"))
                page.get_by_label("文件，上传即提交").set_input_files(str(upload))
                page.get_by_role("button", name="上传", exact=True).click()
            else:
                page.get_by_label("个人总结（不超过").fill(f"{sid} 本年度完成了实训教学与课程建设任务。")
                page.get_by_role("button", name="提交", exact=True).click()
            page.wait_for_url(re.compile(r"/me/summary\?notice="))
            if number >= 7:
                continue
            marks = {c: CHOICES[(number + i) % 3] for i, c in enumerate(nine)}
            page.goto(f"/me/ballots/{round_id}")
            for candidate, choice in marks.items():
                page.locator(f'fieldset[data-candidate="{candidate}"]').get_by_label(choice, exact=True).check()
            if number == 0:
                day.shot("ballot", page.get_by_role("button", name="投票"))
            page.get_by_role("button", name="投票").click()
            page.wait_for_url(re.compile(r"/me/ballots\?notice=voted"))
            ballots[sid] = marks
        first = days[0].page
        first.goto(f"/me/ballots/{round_id}")
        for candidate in nine:
            first.locator(f'fieldset[data-candidate="{candidate}"]').get_by_label("优秀", exact=True).check()
        first.get_by_role("button", name="投票").click()
        first.locator('[data-error="already_voted"]').wait_for()
    finally:
        for day in days:
            day.close()

    summaries = hr.get(f"/api/appraisal/departments/{DEPT}/summaries").json()
    states = {p["staff_id"]: p for p in summaries["people"]}
    assert all(states[sid]["state"] == "submitted" for sid in nine) and states[nine[8]]["has_file"]
    assert hr.get(f"/api/appraisal/rounds/{round_id}/participation").json()["voted"] == 7
    assert hr.post(f"/api/appraisal/rounds/{round_id}/close").status_code == 200
    tally = {line["staff_id"]: line["counts"] for line in hr.get(f"/api/appraisal/rounds/{round_id}/tally").json()["lines"]}
    assert tally == {c: {choice: sum(1 for m in ballots.values() if m[c] == choice) for choice in CHOICES} for c in nine}

    person = nine[1]
    assert boss.put(f"/api/appraisal/views/{person}/leader", json={"comment": COMMENT, "grade": "合格"}).status_code == 200
    scored = hr.put(f"/api/monthly/{DEPT}/1", json={"rows": [{"工号": person, "业务工作目标": 50}], "partial": True})
    assert scored.status_code == 200, scored.text
    assert hr.put(f"/api/grades/{DEPT}", json={"grades": {person: "合格"}}).status_code == 200
    score = next(p for p in hr.get(f"/api/grades/{DEPT}").json()["people"] if p["staff_id"] == person)["score"]
    form = hr.get(f"/board/{DEPT}/appraisal/{person}/form.pdf")
    assert form.status_code == 200 and form.content.startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=form.content, capture_output=True, check=True,
                          timeout=120).stdout.decode("utf-8")
    flat = "".join(text.split())
    name = next(m.name for m in december.members if m.staff_id == person)
    for expected in (name, f"{person}本年度完成了实训教学与课程建设任务。", COMMENT, "考核等次：合格"):
        assert expected in flat, expected
    assert f"{score:g}" in flat or f"{score:.2f}" in flat or f"{score:.1f}" in flat
