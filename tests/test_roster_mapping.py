"""A roster import that fits what HR has: each 岗位 or 部门 of the personnel export that the set-up
does not know is listed once with every choice, mapped in the form (`map:岗位:<value>` fields),
remembered in the set-up for the next import, and a mapping to nothing that exists is refused."""

from __future__ import annotations

import io
from collections.abc import Iterator

import openpyxl
import pytest
from helpers import DEPT, Service, page_csrf, parse_html, portal, running_service

from service.config import Settings
from service.workflows.roster import MAPPING_FILE

# the personnel system's own names for posts, and one for a department
EXPORT_POSTS = ("系主任", "班主任", "一体化教师", "干事", "驾驶员")
EXPORT_DEPARTMENT = "机械系（含实训）"


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    with running_service(settings) as svc:
        yield svc


def export(service: Service, people: int = 45) -> bytes:
    """The first `people` of the roster as the personnel system names their posts, and
    DEPT under the export's own name of it."""
    content = service.context.content
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["人员编号", "姓名", "所在部门", "岗位", "职务"])
    for n, m in enumerate(content.roster):
        post = EXPORT_POSTS[n % len(EXPORT_POSTS)] if n < people else content.role(m.role).name  # type: ignore[union-attr]
        department = EXPORT_DEPARTMENT if m.department == DEPT else content.department(m.department).name  # type: ignore[union-attr]
        sheet.append([m.staff_id, m.name, department, post, m.post])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def send(browser: object, data: bytes | None = None, **fields: str) -> object:
    csrf = page_csrf(browser, "/board/roster")  # type: ignore[arg-type]
    files = {"file": ("人事系统导出.xlsx", data, "application/octet-stream")} if data is not None else None
    return browser.post("/board/roster", data={"csrf": csrf, **fields}, files=files)  # type: ignore[attr-defined]


def test_unknown_values_are_listed_once_mapped_and_remembered(service: Service, settings: Settings) -> None:
    content = service.context.content
    roster = (settings.content_dir / "roster.yml").read_bytes()
    hr = service.hr_session()
    refused = send(hr, export(service))
    assert refused.status_code == 422  # type: ignore[attr-defined]
    page = parse_html(refused.text)  # type: ignore[attr-defined]
    form = page.find("form", data_roster_mapping=True)
    assert form is not None
    selects = {s.attrs["data-map"]: s for s in form.find_all("select")}
    assert set(selects) == {f"岗位:{p}" for p in EXPORT_POSTS} | {f"部门:{EXPORT_DEPARTMENT}"}  # each once
    role_choices = [o.text for o in selects["岗位:班主任"].find_all("option") if o.attrs.get("value")]
    assert role_choices == [r.name for r in content.roles]  # the full list, not one example
    errors = page.find("ol", data_roster_errors=True)
    assert errors is not None and len(errors.find_all("li")) == len(selects)
    assert (settings.content_dir / "roster.yml").read_bytes() == roster

    pending = form.find("input", name="pending").attrs["value"]  # type: ignore[union-attr]
    teacher, officer = content.roles[0], content.roles[-1]
    chosen = {f"map:岗位:{p}": (teacher.id if i % 2 else officer.name) for i, p in enumerate(EXPORT_POSTS)}
    chosen[f"map:部门:{EXPORT_DEPARTMENT}"] = DEPT
    preview = send(hr, pending=pending, **chosen)  # the file is not sent again
    assert preview.status_code == 200, preview.text  # type: ignore[attr-defined]
    summary = parse_html(preview.text).find("pre", data_roster_summary=True)  # type: ignore[attr-defined]
    assert summary is not None and "按对应关系：岗位“班主任”" in summary.text
    confirm = parse_html(preview.text).find("form", data_roster_confirm=True)  # type: ignore[attr-defined]
    preview_id = confirm.find("input", name="preview").attrs["value"]  # type: ignore[union-attr]
    done = hr.post("/board/roster/confirm", data={"csrf": page_csrf(hr, "/board/roster"), "preview": preview_id,
                                                  "confirm": "on"})
    assert done.status_code == 303
    first = service.context.content.roster[1]  # EXPORT_POSTS[1] = 班主任 → teacher
    assert first.role == teacher.id
    assert service.context.content.roster[0].role == officer.id
    assert (settings.content_dir / MAPPING_FILE).exists()

    # the next export, the same names: mapped without asking, shown as mapped
    again = send(hr, export(service))
    assert again.status_code == 200, again.text  # type: ignore[attr-defined]
    text = parse_html(again.text).find("pre", data_roster_summary=True).text  # type: ignore[union-attr]
    assert f"部门“{EXPORT_DEPARTMENT}”" in text and "未变" in text


@pytest.mark.parametrize(("field", "target", "words"), [
    ("map:岗位:班主任", "宇航员", "不在岗位列表中"),
    ("map:部门:机械系（含实训）", "nosuch", "不在部门列表中"),
    ("map:职称:讲师", "teacher", "岗位:人事系统中的名称"),
])
def test_a_mapping_to_nothing_that_exists_is_refused(service: Service, settings: Settings, field: str,
                                                     target: str, words: str) -> None:
    roster = (settings.content_dir / "roster.yml").read_bytes()
    answer = send(service.hr_session(), export(service), **{field: target})
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert 'data-error="invalid_mapping"' in answer.text and words in answer.text  # type: ignore[attr-defined]
    assert (settings.content_dir / "roster.yml").read_bytes() == roster
    assert not (settings.content_dir / MAPPING_FILE).exists()


def test_the_cli_takes_mappings_and_remembers_them(settings: Settings, tmp_path: object) -> None:
    with running_service(settings) as service:
        data = export(service)
        role = service.context.content.roles[0]
    path = tmp_path / "人事系统导出.xlsx"  # type: ignore[operator]
    path.write_bytes(data)
    refused = portal(settings, "import-roster", str(path))
    assert refused.returncode != 0 and "岗位“班主任”" in refused.stderr and role.name in refused.stderr
    maps = [a for p in EXPORT_POSTS for a in ("--map", f"岗位:{p}={role.name}")]
    done = portal(settings, "import-roster", str(path), *maps, "--map", f"部门:{EXPORT_DEPARTMENT}={DEPT}")
    assert done.returncode == 0, done.stderr
    assert "名册已更新" in done.stdout
    again = portal(settings, "import-roster", str(path), "--dry-run")  # remembered: no --map needed
    assert again.returncode == 0, again.stderr
    assert "名册没有变化" in again.stdout
