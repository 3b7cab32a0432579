"""HR imports the roster in the browser: the dry-run diff in the CLI's words, then, confirmed,
the running service lists the new person without a restart; an import from the CLI while the
service runs reaches it too."""

from __future__ import annotations

import io

import openpyxl
from helpers import DEPT, OTHER_DEPT, Service, page_csrf, parse_html, portal, running_service, staff_of

from service.config import Settings
from service.content.roster import parse_roster, summary_lines
from service.office.roster_sheet import read_table

NEW_ID = "209901"
NEW_NAME = "欧阳新来"


def export(service: Service, *, add: bool = True, drop: int = 0, bad_row: bool = False) -> bytes:
    """The roster as the personnel system exports it (.xlsx), with a newcomer in DEPT."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["人员编号", "姓名", "所在部门", "岗位类别", "职务"])
    content = service.context.content
    members = list(content.roster)[drop:]
    for m in members:
        sheet.append([m.staff_id, m.name, content.department(m.department).name, m.role, m.post])  # type: ignore[union-attr]
    if add:
        sheet.append([NEW_ID, NEW_NAME, content.department(DEPT).name, members[0].role, "教师"])  # type: ignore[union-attr]
    if bad_row:
        sheet.append(["209902", "查无此部门", "宇宙学院", members[0].role, "教师"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(browser: object, data: bytes, name: str = "名册.xlsx") -> object:
    csrf = page_csrf(browser, "/board/roster")  # type: ignore[arg-type]
    return browser.post("/board/roster", data={"csrf": csrf},  # type: ignore[attr-defined]
                        files={"file": (name, data, "application/octet-stream")})


def test_the_web_import_shows_the_diff_and_the_running_service_uses_it_at_once(settings: Settings) -> None:
    with running_service(settings) as service:
        clerk = service.bearer("clerk")
        before = staff_of(service.client, DEPT, clerk)
        assert NEW_ID not in before
        hr = service.hr_session()
        leaving = service.context.content.roster[0]
        data = export(service, drop=1)
        preview = upload(hr, data)
        assert preview.status_code == 200, preview.text  # type: ignore[attr-defined]
        page = parse_html(preview.text)  # type: ignore[attr-defined]
        summary = page.find("pre", data_roster_summary=True)
        assert summary is not None
        expected = summary_lines(service.context.content, parse_roster(service.context.content,
                                                                       read_table(data, "名册.xlsx")), limit=200)
        assert summary.text == " ".join(" ".join(expected).split())  # the CLI's own words
        assert "新增 1 人" in summary.text and NEW_NAME in summary.text
        assert "移除 1 人" in summary.text and leaving.name in summary.text
        assert NEW_ID not in staff_of(service.client, DEPT, clerk)  # nothing happens before confirming
        form = page.find("form", data_roster_confirm=True)
        assert form is not None
        preview_id = form.find("input", name="preview").attrs["value"]  # type: ignore[union-attr]
        unticked = hr.post("/board/roster/confirm", data={"csrf": page_csrf(hr, "/board/roster"), "preview": preview_id})
        assert unticked.status_code == 400
        done = hr.post("/board/roster/confirm", data={"csrf": page_csrf(hr, "/board/roster"), "preview": preview_id,
                                                      "confirm": "on"})
        assert done.status_code == 303 and done.headers["location"] == "/board/roster?notice=imported"
        after = staff_of(service.client, DEPT, clerk)
        assert after[NEW_ID]["name"] == NEW_NAME  # no restart
        assert service.client.get(f"/board/{DEPT}/forms/{NEW_ID}/annex1.docx", headers=clerk).status_code == 200
        status = service.client.get("/api/status").json()
        assert next(d for d in status["departments"] if d["id"] == DEPT)["staff"] == len(after)
        assert leaving.staff_id not in {p["staff_id"] for d in (DEPT, OTHER_DEPT)
                                        for p in service.client.get(f"/api/departments/{d}/staff",
                                                                    headers=service.bearer("hr")).json()["staff"]}
        replay = hr.post("/board/roster/confirm", data={"csrf": page_csrf(hr, "/board/roster"), "preview": preview_id,
                                                        "confirm": "on"})
        assert replay.status_code == 409  # a preview is applied once
        log = (settings.data_dir / "audit.log").read_text(encoding="utf-8")
        assert '"action":"roster.import"' in log and '"added":1' in log
        assert service.app.state.rebuilder is not None


def test_a_file_with_bad_rows_lists_every_error_and_changes_nothing(settings: Settings) -> None:
    with running_service(settings) as service:
        roster = (settings.content_dir / "roster.yml").read_bytes()
        hr = service.hr_session()
        answer = upload(hr, export(service, bad_row=True))
        assert answer.status_code == 422  # type: ignore[attr-defined]
        errors = parse_html(answer.text).find("ol", data_roster_errors=True)  # type: ignore[attr-defined]
        assert errors is not None and "宇宙学院" in errors.text and "第 " in errors.text
        assert parse_html(answer.text).find("form", data_roster_confirm=True) is None  # type: ignore[attr-defined]
        assert (settings.content_dir / "roster.yml").read_bytes() == roster
        assert upload(hr, b"\xd0\xcf\x11\xe0 an old xls", "名册.xls").status_code == 422  # type: ignore[attr-defined]


def test_a_preview_made_against_an_older_roster_is_not_applied(settings: Settings) -> None:
    with running_service(settings) as service:
        hr = service.hr_session()
        page = parse_html(upload(hr, export(service)).text)  # type: ignore[attr-defined]
        preview_id = page.find("input", name="preview").attrs["value"]  # type: ignore[union-attr]
        roster = settings.content_dir / "roster.yml"
        roster.write_bytes(roster.read_bytes() + b"\n")  # someone else changed it meanwhile
        answer = hr.post("/board/roster/confirm", data={"csrf": page_csrf(hr, "/board/roster"), "preview": preview_id,
                                                        "confirm": "on"})
        assert answer.status_code == 409 and 'data-error="roster_changed"' in answer.text


def test_only_hr_imports_the_roster(settings: Settings) -> None:
    with running_service(settings) as service:
        for who in ("clerk", "boss"):
            assert service.session(who).get("/board/roster").status_code == 403


def test_a_cli_import_reaches_the_running_service(settings: Settings, tmp_path: object) -> None:
    with running_service(settings) as service:
        clerk = service.bearer("clerk")
        assert NEW_ID not in staff_of(service.client, DEPT, clerk)
        path = settings.data_dir.parent / "export.xlsx"
        path.write_bytes(export(service))
        result = portal(settings, "import-roster", str(path), "--content", str(settings.content_dir))
        assert result.returncode == 0, result.stderr
        assert staff_of(service.client, DEPT, clerk)[NEW_ID]["name"] == NEW_NAME
        # a hand edit that no longer validates is not taken: the service keeps its roster
        roster = settings.content_dir / "roster.yml"
        roster.write_text(roster.read_text(encoding="utf-8") + "- {staff_id: 'x'}\n", encoding="utf-8")
        assert staff_of(service.client, DEPT, clerk)[NEW_ID]["name"] == NEW_NAME
