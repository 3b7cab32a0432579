"""Roster import: the usual headers, validation of every row, the diff, and the CLI command."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from service.cli import cli
from service.config import ROOT
from service.content import roster_file
from service.content.loader import load_content
from service.content.models import Content, StaffMember
from service.content.roster import RosterImport, RosterImportError, diff_roster, parse_roster, summary_lines
from service.content.roster_file import ROSTER_FILE, dump_roster, parse_dumped_roster
from service.content.yaml_files import ContentError, ContentInvalid
from service.office.roster_sheet import read_table


def import_roster(content: Content, data: bytes, filename: str) -> RosterImport:
    """The file read as the CLI reads it, then validated against `content`."""
    return parse_roster(content, read_table(data, filename))


def export_rows(content: Content) -> list[list[object]]:
    """The shipped roster as the personnel system would export it: names, not codes."""
    rows: list[list[object]] = []
    for m in content.roster:
        department = content.department(m.department)
        role = content.role(m.role)
        assert department is not None and role is not None
        rows.append([int(m.staff_id), m.name, "汉族", department.name, role.name, m.post])
    return rows


HEADERS = ["职工号", "姓名", "民族", "所在部门", "岗位类别", "职务"]  # 民族: a column the roster does not keep


def xlsx(rows: list[list[object]], headers: list[str] = HEADERS, *, title: str | None = "2019年教职工名单") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "名册"
    if title:
        sheet.append([title])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def changed_export(content: Content) -> tuple[list[list[object]], dict[str, str]]:
    """One added, one moved to another department, one promoted, one removed."""
    rows = export_rows(content)
    removed = rows.pop()  # the last person leaves
    rows[0][3] = "人事处"  # the first person moves
    rows[1][5] = "主任"  # the second person is promoted
    rows.append([900001, "新同事", "汉族", "机械工程系", "专业课教师", "专业课教师"])
    return rows, {"removed": str(removed[0]), "moved": str(rows[0][0]), "promoted": str(rows[1][0])}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_usual_headers_are_recognised(shipped_content: Content) -> None:
    rows, who = changed_export(shipped_content)
    result = import_roster(shipped_content, xlsx(rows), "名册.xlsx")
    assert result.header_row == 2
    assert result.columns == {"staff_id": "职工号", "name": "姓名", "department": "所在部门",
                              "role": "岗位类别", "post": "职务"}
    assert len(result.members) == len(shipped_content.roster)
    diff = result.diff
    assert [m.name for m in diff.added] == ["新同事"]
    assert diff.added[0] == StaffMember("900001", "新同事", "jxx", "major-teacher", "专业课教师")
    assert [m.staff_id for m in diff.removed] == [who["removed"]]
    assert {c.new.staff_id: c.fields() for c in diff.changed} == {
        who["moved"]: [("department", "dzb", "rsc")],
        who["promoted"]: [("post", shipped_content.roster[1].post, "主任")],
    }
    assert diff.unchanged == len(shipped_content.roster) - 3


def test_dry_run_shows_the_diff_and_changes_nothing(content_dir: Path) -> None:
    content = load_content(content_dir)
    before = (content_dir / ROSTER_FILE).read_bytes()
    rows, who = changed_export(content)
    source = content_dir.parent / "名册.xlsx"
    source.write_bytes(xlsx(rows))
    code, output = run("import-roster", str(source), "--dry-run", "--content", str(content_dir))
    assert code == 0, output
    assert f"与当前名册（{len(content.roster)} 人）相比：新增 1 人，变更 2 人，移除 1 人" in output
    assert "900001 新同事（机械工程系，专业课教师，专业课教师）" in output
    assert f"{who['moved']} {content.roster[0].name}：部门 党政办公室 → 人事处" in output
    assert "试运行（--dry-run）：名册未改动。" in output
    assert (content_dir / ROSTER_FILE).read_bytes() == before


def test_real_run_updates_the_roster(content_dir: Path) -> None:
    content = load_content(content_dir)
    rows, who = changed_export(content)
    source = content_dir.parent / "名册.xlsx"
    source.write_bytes(xlsx(rows))
    code, output = run("import-roster", str(source), "--content", str(content_dir))
    assert code == 0, output
    assert "名册已更新" in output
    updated = load_content(content_dir)
    assert len(updated.roster) == len(content.roster)
    assert updated.staff(who["removed"]) is None
    assert updated.staff("900001") == StaffMember("900001", "新同事", "jxx", "major-teacher", "专业课教师")
    moved = updated.staff(who["moved"])
    assert moved is not None and moved.department == "rsc"
    code, output = run("check", "--content", str(content_dir))
    assert code == 0, output
    code, output = run("import-roster", str(source), "--content", str(content_dir))
    assert "名册没有变化，未改动。" in output


def test_a_bad_row_changes_nothing_and_is_named(content_dir: Path) -> None:
    content = load_content(content_dir)
    before = (content_dir / ROSTER_FILE).read_bytes()
    rows = export_rows(content)
    rows[9][3] = "宇宙研究院"  # row 12 of the sheet: title, header, then 10th person
    source = content_dir.parent / "bad.xlsx"
    source.write_bytes(xlsx(rows))
    code, output = run("import-roster", str(source), "--content", str(content_dir))
    assert code == 1
    assert "bad.xlsx 有 1 处错误，名册未改动：" in output
    assert "第 12 行：部门“宇宙研究院”不在部门列表中（可填部门名称或代码）。" in output
    assert (content_dir / ROSTER_FILE).read_bytes() == before


def test_every_row_error_is_listed(shipped_content: Content) -> None:
    rows = export_rows(shipped_content)
    rows[0][4] = "宇航员"
    rows[1][0] = rows[2][0]
    rows[3][1] = None
    with pytest.raises(RosterImportError) as caught:
        import_roster(shipped_content, xlsx(rows, title=None), "x.xlsx")
    assert caught.value.errors == [
        "第 2 行：岗位“宇航员”不在岗位列表中（可填岗位名称或代码，如“理论课教师”）。",
        "第 4 行：工号 " + str(rows[2][0]) + " 与第 3 行重复。",
        "第 5 行：姓名为空。",
    ]


def test_csv_in_gbk_and_utf8_with_codes(shipped_content: Content) -> None:
    lines = ["工号,姓名,部门,岗位,岗位及职务"]
    lines += [f"{m.staff_id},{m.name},{m.department},{m.role},{m.post}" for m in shipped_content.roster]
    text = "\n".join(lines) + "\n"
    for encoding, label in (("gbk", "GBK"), ("utf-8-sig", "UTF-8")):
        result = import_roster(shipped_content, text.encode(encoding), "roster.csv")
        assert result.diff.empty
        assert result.members == shipped_content.roster
        assert result.source == f"CSV 文件（{label} 编码）"


def test_role_names_with_ascii_parentheses(shipped_content: Content) -> None:
    text = "工号,姓名,部门,岗位\n1,甲,学生处,学管人员(含值班值宿教师)\n"
    [member] = import_roster(shipped_content, text.encode(), "r.csv").members
    assert member.role == "student-affairs-staff"
    assert member.post == "学管人员（含值班值宿教师）"  # no 职务 column: the role's name


def test_header_problems(shipped_content: Content) -> None:
    with pytest.raises(RosterImportError, match="找不到表头"):
        import_roster(shipped_content, b"a,b\n1,2\n", "r.csv")
    with pytest.raises(RosterImportError, match="缺少“岗位”列"):
        import_roster(shipped_content, "工号,姓名,部门\n1,甲,人事处\n".encode(), "r.csv")
    with pytest.raises(RosterImportError, match="都表示部门"):
        import_roster(shipped_content, "工号,姓名,部门,所在部门,岗位\n".encode(), "r.csv")
    with pytest.raises(RosterImportError, match="没有任何教职工数据"):
        import_roster(shipped_content, "工号,姓名,部门,岗位\n,,,\n".encode(), "r.csv")


def test_unsafe_files_are_refused(shipped_content: Content) -> None:
    with pytest.raises(RosterImportError, match=r"\.xls"):
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "名册.xls")
    book = openpyxl.Workbook()
    book.active.append(["工号", "姓名", "部门", "岗位"])
    book.active.append(["1", "=A1", "人事处", "部门负责人"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(RosterImportError, match="第 2 行 B 列"):
        read_table(out.getvalue(), "名册.xlsx")


def test_progress_is_reported_per_row(shipped_content: Content) -> None:
    table = read_table(xlsx(export_rows(shipped_content)), "x.xlsx")
    seen: list[int] = []
    parse_roster(shipped_content, table, on_row=lambda: seen.append(1))
    assert len(seen) == len(table.rows) == len(shipped_content.roster) + 2


def test_diff_and_summary(shipped_content: Content) -> None:
    current = shipped_content.roster[:3]
    new = [current[0], StaffMember(current[1].staff_id, current[1].name, "rsc", current[1].role, "处长"),
           StaffMember("9", "新人", "jxx", "major-teacher", "教师")]
    diff = diff_roster(current, new)
    assert (len(diff.added), len(diff.changed), len(diff.removed), diff.unchanged) == (1, 1, 1, 1)
    result = import_roster(shipped_content, xlsx(changed_export(shipped_content)[0]), "x.xlsx")
    lines = summary_lines(shipped_content, result, limit=1)
    assert lines[0].startswith("读取Excel 工作表“名册”：表头在第 2 行（工号←“职工号”")
    assert "变更 2 人（只显示前 1 人）：" in lines


# -- reading roster.yml back: the fast path for dump_roster's format --------------------

ODD_TEXTS = ["O'Neil", 'say "hi"', " lead", "trail ", "a  b", "a\u3000b", "100001", "007", "yes", "No", "null",
             "~", "", "1e3", ".5", "2024-01-01", "-x", "a-b", "a: b", "a:", "x:y", "a, b", "a #b", "#x", "a#b",
             "{x}", "[x]", "a?b", "!x", "&a", "*a", "%a", "@a", "`a", "|a", ">a", "<<", "=", "a\\b", "a\tb",
             "a\x85b", "a\u2028b", "\ufeffa", "张三（兼）", "<script>alert(1)</script>", "{{ s.year }}"]


def yaml_rows(text: str) -> object:
    return yaml.load(text, Loader=yaml.SafeLoader)


def test_the_shipped_roster_is_read_by_the_fast_path_as_yaml_reads_it() -> None:
    text = (ROOT / "content" / ROSTER_FILE).read_text(encoding="utf-8")
    rows = parse_dumped_roster(text)
    assert rows is not None and len(rows) > 300
    assert rows == yaml_rows(text)


@pytest.mark.parametrize("value", ODD_TEXTS)
def test_any_dumped_text_reads_back_as_yaml_reads_it(value: str) -> None:
    for key in ("staff_id", "name", "department", "role", "post"):
        entry = {"staff_id": "1", "name": "张三", "department": "dzb", "role": "admin-staff", "post": "干事"}
        entry[key] = value
        text = dump_roster([entry])
        rows = parse_dumped_roster(text)
        assert rows is None or rows == yaml_rows(text), (key, value, text)


def test_common_odd_texts_stay_on_the_fast_path() -> None:
    for value in ("O'Neil", 'say "hi"', " lead", "100001", "yes", "", "a  b", "a: b", "#x", "{x}", "a-b", "1e3"):
        entry = {"staff_id": value, "name": value, "department": "dzb", "role": "admin-staff", "post": value}
        assert parse_dumped_roster(dump_roster([entry])) == [{**entry}], value


@pytest.mark.parametrize("text", [
    "- {staff_id: 100001, name: 张三, department: dzb, role: admin-staff, post: 干事}\n",  # YAML reads an int
    "- {staff_id: '1', name: null, department: dzb, role: admin-staff, post: 干事}\n",
    "- {staff_id: '1', name: 张三, department: dzb, role: admin-staff, post: 干事}  # comment\n",
    "- {name: 张三, staff_id: '1', department: dzb, role: admin-staff, post: 干事}\n",
    "-  {staff_id: '1', name: 张三, department: dzb, role: admin-staff, post: 干事}\n",
    "- staff_id: '1'\n  name: 张三\n",
    "# only a comment\n",
    "\ufeff- {staff_id: '1', name: 张三, department: dzb, role: admin-staff, post: 干事}\n",
])
def test_other_yaml_is_left_to_yaml(text: str) -> None:
    assert parse_dumped_roster(text) is None


BAD_LINES = {
    "unclosed mapping": "- {staff_id: '100001', name: 谭光英, department: dzb, role: department-head, post: 主任",
    "stray quote": "- {staff_id: '100001, name: 谭光英, department: dzb, role: department-head, post: 主任}",
    "tab indent": "\t- {staff_id: '100001', name: 谭光英, department: dzb, role: department-head, post: 主任}",
    "control character": "- {staff_id: '100001', name: 谭\x07光英, department: dzb, role: department-head, post: 主任}",
    "number repeating an id": "- {staff_id: 100003, name: 谭光英, department: dzb, role: department-head, post: 主任}",
    "null name": "- {staff_id: '100001', name: null, department: dzb, role: department-head, post: 主任}",
    "empty name": "- {staff_id: '100001', name: '', department: dzb, role: department-head, post: 主任}",
    "blank post": "- {staff_id: '100001', name: 谭光英, department: dzb, role: department-head, post: '  '}",
    "unknown department": "- {staff_id: '100001', name: 谭光英, department: xyz, role: department-head, post: 主任}",
    "unknown role": "- {staff_id: '100001', name: 谭光英, department: dzb, role: chief, post: 主任}",
    "duplicate id": "- {staff_id: '100003', name: 谭光英, department: dzb, role: department-head, post: 主任}",
    "not a mapping": "- 谭光英",
}


def load_errors(content_dir: Path) -> list[ContentError]:
    with pytest.raises(ContentInvalid) as caught:
        load_content(content_dir)
    return caught.value.errors


@pytest.mark.parametrize("line", BAD_LINES.values(), ids=BAD_LINES.keys())
def test_a_malformed_line_gives_the_same_named_error_as_yaml(content_dir: Path, line: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = content_dir / ROSTER_FILE
    text = path.read_text(encoding="utf-8")
    first = "- {staff_id: '100001', name: 谭光英, department: dzb, role: department-head, post: 主任}"
    assert text.count(first) == 1
    path.write_text(text.replace(first, line), encoding="utf-8")
    errors = load_errors(content_dir)
    assert errors and all(e.file == ROSTER_FILE and e.path for e in errors), errors
    monkeypatch.setattr(roster_file, "parse_dumped_roster", lambda text: None)
    assert load_errors(content_dir) == errors


def test_the_fast_path_loads_the_same_content_as_yaml(content_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = load_content(content_dir)
    path = content_dir / ROSTER_FILE  # two spaces are valid YAML but off the fast path
    path.write_text(path.read_text(encoding="utf-8").replace("'100001', name:", "'100001',  name:"), encoding="utf-8")
    assert parse_dumped_roster(path.read_text(encoding="utf-8")) is None
    assert load_content(content_dir) == fast
    path.write_text(dump_roster(yaml_rows(path.read_text(encoding="utf-8"))), encoding="utf-8")  # type: ignore[arg-type]
    assert load_content(content_dir) == fast
    monkeypatch.setattr(roster_file, "parse_dumped_roster", lambda text: None)
    assert load_content(content_dir) == fast
