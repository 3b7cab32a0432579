"""One person, however their 工号 or name is typed: full-width digits, a zero-width space or a
bidi mark pasted with it resolve to the same person in a roster import (web and CLI), a form
field, a search and the login page; a 工号 that is not letters and digits is refused naming its
row, and nothing is stored. A CSV roster is read as RFC 4180, whatever its encoding and delimiter."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from helpers import (
    DEPT,
    PASSWORD,
    PDF,
    Element,
    Service,
    login,
    page_csrf,
    parse_html,
    running_service,
    upload,
)
from staff_helpers import issue_slips

from service.cli import cli
from service.config import Settings
from service.content.loader import load_content
from service.content.models import Content
from service.content.roster_file import ROSTER_FILE
from service.rules.people_search import initials

PERSON = "100192"  # 吴娟欣 of DEPT in the shipped roster
LOOKALIKES = {
    "zero-width space": PERSON + "\u200b",
    "full-width digits": "１００１９２",
    "right-to-left override": "\u202e" + PERSON,
    "right-to-left mark": PERSON + "\u200f",
    "padded with full-width spaces and a BOM": "\u3000\ufeff" + PERSON + "\u3000",
}
REFUSED = {"10019２-x": "100192-x", "100192吴": "100192吴", "1001 92": "1001 92"}  # typed → shown cleaned


def roster_csv(content: Content, replace: dict[str, str] | None = None, *, delimiter: str = ",",
               posts: dict[str, str] | None = None) -> str:
    """The current roster as a CSV export (csv.writer quotes what needs quoting); `replace` types
    some 工号 differently, `posts` gives some people another post."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["工号", "姓名", "部门", "岗位", "职务"])
    for m in content.roster:
        writer.writerow([(replace or {}).get(m.staff_id, m.staff_id), m.name, m.department, m.role,
                         (posts or {}).get(m.staff_id, m.post)])
    return out.getvalue()


def row_of(content: Content, staff_id: str) -> int:
    """The CSV line (after the header) of a person of the current roster."""
    return [m.staff_id for m in content.roster].index(staff_id) + 2


def previewed(hr: object, content: Content, typed: str, encoding: str = "utf-8-sig") -> tuple[int, Element]:
    """HR uploads the roster with PERSON's 工号 typed as `typed`: the answer's status and page."""
    csrf = page_csrf(hr, "/board/roster")  # type: ignore[arg-type]
    data = roster_csv(content, {PERSON: typed}).encode(encoding)
    answer = hr.post("/board/roster", data={"csrf": csrf},  # type: ignore[attr-defined]
                     files={"file": ("名册.csv", data, "text/csv")})
    return answer.status_code, parse_html(answer.text)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


# -- roster import: the web --------------------------------------------------------------------


def test_the_web_import_takes_a_lookalike_id_as_the_person_and_refuses_a_bad_one(settings: Settings) -> None:
    with running_service(settings) as service:
        roster = settings.content_dir / ROSTER_FILE
        before = roster.read_bytes()
        content = service.context.content
        hr = service.hr_session()
        for typed in LOOKALIKES.values():
            status, page = previewed(hr, content, typed)
            assert status == 200, page.text
            summary = page.find("pre", data_roster_summary=True)
            assert summary is not None
            assert (f"新增 0 人，变更 0 人，移除 0 人，未变 {len(content.roster)} 人" in summary.text), summary.text
            assert "吴娟欣" not in summary.text  # listed nowhere: not new, not changed
            assert roster.read_bytes() == before
        for typed, shown in REFUSED.items():  # not letters and digits once cleaned: the row is named
            status, page = previewed(hr, content, typed, "utf-8")
            assert status == 422, page.text
            errors = page.find("ol", data_roster_errors=True)
            assert errors is not None
            assert (f"第 {row_of(content, PERSON)} 行：工号“{shown}”无效（只能由英文字母和数字组成）" in errors.text), errors.text
            assert page.find("form", data_roster_confirm=True) is None
            assert roster.read_bytes() == before
        assert load_content(settings.content_dir).roster == content.roster


# -- roster import: the CLI --------------------------------------------------------------------


def test_the_cli_takes_a_lookalike_id_as_the_same_person(content_dir: Path) -> None:
    content = load_content(content_dir)
    before = (content_dir / ROSTER_FILE).read_bytes()
    for name, typed in LOOKALIKES.items():
        source = content_dir.parent / "名册.csv"
        source.write_text(roster_csv(content, {PERSON: typed}), encoding="utf-8")
        code, output = run("import-roster", str(source), "--content", str(content_dir))
        assert code == 0, (name, output)
        assert "名册没有变化，未改动。" in output, (name, output)
        assert (content_dir / ROSTER_FILE).read_bytes() == before


def test_the_cli_refuses_a_bad_id_naming_the_file_and_the_row(content_dir: Path) -> None:
    content = load_content(content_dir)
    before = (content_dir / ROSTER_FILE).read_bytes()
    source = content_dir.parent / "bad-ids.csv"
    source.write_text(roster_csv(content, {PERSON: "10019２-x", content.roster[0].staff_id: "\u200b"}),
                      encoding="utf-8")
    code, output = run("import-roster", str(source), "--content", str(content_dir))
    assert code == 1
    assert "bad-ids.csv 有 2 处错误，名册未改动：" in output
    assert "第 2 行：工号为空。" in output
    assert f"第 {row_of(content, PERSON)} 行：工号“100192-x”无效（只能由英文字母和数字组成）。" in output
    assert (content_dir / ROSTER_FILE).read_bytes() == before


# -- the CSV reader ----------------------------------------------------------------------------

ODD_POSTS = {PERSON: "系主任, 党支部书记", "100195": '教管办主任（"双师型"）', "100196": "学管办主任;\t值班"}
VARIANTS = {
    "UTF-8 with BOM, commas": (",", "utf-8-sig", "UTF-8"),
    "UTF-8, semicolons": (";", "utf-8", "UTF-8"),
    "GB18030, commas": (",", "gb18030", "GBK"),
    "GB18030, tabs": ("\t", "gb18030", "GBK"),
    "UTF-16 with BOM, tabs": ("\t", "utf-16", "UTF-16"),
}


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
def test_quoted_fields_keep_their_columns(content_dir: Path, variant: tuple[str, str, str]) -> None:
    delimiter, encoding, label = variant
    content = load_content(content_dir)
    posts = {**ODD_POSTS, "100001": "主任（䶮）"}  # 䶮 is in GB18030, not in GBK
    source = content_dir.parent / "名册.csv"
    source.write_bytes(roster_csv(content, delimiter=delimiter, posts=posts).encode(encoding))
    code, output = run("import-roster", str(source), "--content", str(content_dir))
    assert code == 0, output
    assert f"读取CSV 文件（{label} 编码）" in output
    assert f"变更 {len(posts)} 人" in output
    updated = load_content(content_dir)
    assert len(updated.roster) == len(content.roster)
    for staff_id, post in posts.items():
        member = updated.staff(staff_id)
        assert member is not None and member.post == post
        assert member.name == content.staff(staff_id).name  # type: ignore[union-attr]


def test_the_delimiter_is_the_header_lines_not_a_guess(shipped_content: Content) -> None:
    from service.office.roster_sheet import read_table

    text = '工号;姓名;部门;岗位;职务\r\n100192;"吴娟欣";jxx;department-head;"系主任, 教授, 党支部书记"\r\n'
    table = read_table(text.encode("utf-8"), "r.csv")
    assert table.rows == [(1, ["工号", "姓名", "部门", "岗位", "职务"]),
                          (2, ["100192", "吴娟欣", "jxx", "department-head", "系主任, 教授, 党支部书记"])]
    multi = '"工号","姓名","部门","岗位","职务"\n100192,吴娟欣,jxx,department-head,"系主任\n(兼)"\n'
    assert read_table(multi.encode("utf-8"), "r.csv").rows[1][1][4] == "系主任\n(兼)"


# -- forms, search, login ----------------------------------------------------------------------


def test_a_form_field_takes_a_lookalike_id_and_refuses_a_bad_one(service: Service) -> None:
    clerk = service.bearer("clerk")
    answer = upload(service.client, "１００１９２\u200b", PDF, headers=clerk)
    assert answer.status_code == 201, answer.text
    assert answer.json()["staff_id"] == PERSON
    [record] = service.context.store.records(DEPT, "contracts")
    assert record["staff_id"] == PERSON
    before = service.context.store.records(DEPT, "contracts")
    for typed in REFUSED:
        refused = upload(service.client, typed, PDF, headers=clerk)
        assert refused.status_code == 404 and refused.json()["code"] == "unknown_staff", refused.text
        assert "只能由英文字母和数字组成" in refused.json()["error"]
    assert service.context.store.records(DEPT, "contracts") == before
    bidi = service.client.put(f"/api/completion/{DEPT}", headers=clerk,
                              json={"entries": [{"staff_id": "\u202e100195\r\n", "status": "病假"}]})
    assert bidi.status_code == 200 and bidi.json()["changed"] == {"100195": "病假"}, bidi.text


def test_an_annex_5_row_with_a_lookalike_id_and_name_is_the_persons(service: Service) -> None:
    clerk = service.bearer("clerk")
    form = service.client.get(f"/board/{DEPT}/forms/annex5.xlsx", headers=clerk).content
    book = openpyxl.load_workbook(io.BytesIO(form))
    sheet = book["附件5"]
    row = next(r for r in range(5, 80) if sheet[f"E{r}"].value == PERSON)
    sheet[f"E{row}"].value = "１００１９２\u200b"
    sheet[f"B{row}"].value = "\u200f吴　娟欣\u3000"
    sheet[f"D{row}"].value = "病假"
    out = io.BytesIO()
    book.save(out)
    answer = service.client.post(f"/api/completion/{DEPT}/xlsx", headers=clerk,
                                 files={"file": ("附件5.xlsx", out.getvalue(), "application/octet-stream")})
    assert answer.status_code == 200, answer.text
    assert answer.json()["changed"] == {PERSON: "病假"}
    sheet[f"B{row}"].value = "吴娟"  # another name: refused, nothing stored
    sheet[f"D{row}"].value = "产假"
    out = io.BytesIO()
    book.save(out)
    before = service.client.get(f"/api/departments/{DEPT}/staff", headers=clerk).json()
    refused = service.client.post(f"/api/completion/{DEPT}/xlsx", headers=clerk,
                                  files={"file": ("附件5.xlsx", out.getvalue(), "application/octet-stream")})
    assert refused.status_code == 422, refused.text
    assert service.client.get(f"/api/departments/{DEPT}/staff", headers=clerk).json() == before


def padded_name(content_dir: Path) -> tuple[str, str, str]:
    """Give a two-character name of DEPT the full-width padding of a printed list; (id, name, padded)."""
    content = load_content(content_dir)
    member = next(m for m in content.members(DEPT) if len(m.name) == 2)
    padded = f"{member.name[0]}\u3000{member.name[1]}"  # the file's outer padding is trimmed on reading
    roster = content_dir / ROSTER_FILE
    text = roster.read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if f"'{member.staff_id}'" in line)
    roster.write_text(text.replace(line, line.replace(f"name: {member.name},", f"name: '\u3000{padded}\u3000',")),
                      encoding="utf-8")
    assert load_content(content_dir).staff(member.staff_id).name == padded  # type: ignore[union-attr]
    return member.staff_id, member.name, padded


def test_a_name_padded_with_full_width_spaces_is_found(settings: Settings) -> None:
    staff_id, name, _padded = padded_name(settings.content_dir)
    with running_service(settings) as service:
        clerk = service.session("clerk")
        for query in (name, f"\u3000{name}\u200b", initials(name), f"{name[0]} {name[1]}"):
            page = parse_html(clerk.get(f"/board/{DEPT}", params={"q": query}).text)
            shown = {row.attrs["data-staff"] for row in page.find_all("tr", data_staff=True) if "hidden" not in row.attrs}
            assert staff_id in shown, query
            assert len(shown) < len(service.context.content.members(DEPT)), query
        row = parse_html(clerk.get(f"/board/{DEPT}").text).find("tr", data_staff=staff_id)
        assert row is not None and name in row.attrs["data-search"]


def test_login_with_a_full_width_or_padded_username(service: Service) -> None:
    hr = service.new_client()
    login(hr, "ｈｒ", service.hr_password)
    assert hr.get("/board/roster").status_code == 200  # HR's page: signed in as hr
    service.ensure_user("clerk")
    clerk = service.new_client()
    login(clerk, "\u200bclerk\u3000", PASSWORD)
    assert clerk.get("/board/roster").status_code == 403  # the clerk, not someone else
    assert clerk.get(f"/board/{DEPT}").status_code == 200
    passwords = issue_slips(service)
    person = service.new_client()
    assert login(person, "１００１９２\u200f", passwords[PERSON]).headers["location"] == "/account"
    assert person.get("/api/me").json()["code"] == "password_change_required"
    assert "吴娟欣" in person.get("/account").text
