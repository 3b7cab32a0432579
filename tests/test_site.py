"""The built portal: what staff read in site/, checked by parsing the HTML and the search index."""

from __future__ import annotations

import gzip
import io
import json
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner

from service.cli import cli
from service.config import ROOT, Settings
from service.content.loader import load_content
from service.content.models import Content
from service.office import annex1, annex3, annex4, annex5
from service.sitegen.build import build_site

SHIPPED_CONTENT = ROOT / "content"

# From the notice: the dates, the points of the 7 annex-2 items, who drafts which role.
NOTICE_DATES = ("4月18日", "4月23日", "4月26日")
NOTICE_COMMON_POINTS = (5, 5, 8, 5, 5, 8, 4)
NOTICE_LEADS = {
    "教务处": {"理论课教师", "专业课教师", "教务干事", "教研室主任", "教管办主任"},
    "实训与就业处": {"实习指导教师", "就业干事", "实训管理人员", "设备科人员"},
    "学生处": {"专职班主任", "兼职班主任", "学管办主任", "学管人员（含值班值宿教师）", "舍务教师"},
    "学历教育指导中心": {"学历教育干事"},
    "教育教学督导处": {"各系教育教学管理人员"},
}
NOTICE_SELF_LED = {"各系综合办人员"}


# -- building ------------------------------------------------------------------------


def _build(tmp: Path, edits: dict[str, list[tuple[str, str]]] | None = None) -> tuple[Path, Content]:
    content_dir = tmp / "content"
    shutil.copytree(SHIPPED_CONTENT, content_dir)
    for name, pairs in (edits or {}).items():
        path = content_dir / name
        text = path.read_text(encoding="utf-8")
        for old, new in pairs:
            assert text.count(old) == 1, f"{name}: {old!r}"
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    settings = Settings(root=ROOT, content_dir=content_dir, site_dir=tmp / "site", data_dir=tmp / "var",
                        mkdocs_file=ROOT / "mkdocs.yml")
    build_site(settings)  # strict: any MkDocs warning fails the build
    return settings.site_dir, load_content(content_dir)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Content]:
    return _build(tmp_path_factory.mktemp("shipped"))


@pytest.fixture(scope="module")
def site(built: tuple[Path, Content]) -> Path:
    return built[0]


@pytest.fixture(scope="module")
def content(built: tuple[Path, Content]) -> Content:
    return built[1]


@pytest.fixture(scope="module")
def site_2020(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same content with the year and one deadline changed in settings.yml."""
    edits = {"settings.yml": [("year: 2019", "year: 2020"), ('contracts: "04-26"', 'contracts: "04-28"')]}
    return _build(tmp_path_factory.mktemp("year2020"), edits)[0]


# -- reading HTML --------------------------------------------------------------------


class Page(HTMLParser):
    """What a reader sees on one page: the article's text, headings, lists and tables."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.h1 = ""
        self.text = ""  # all visible text of the page
        self.article = ""  # visible text of the main content
        self.items: list[str] = []  # <li> inside the article
        self.tables: list[list[list[str]]] = []  # article tables: rows of cells
        self.comments: list[str] = []
        self._skip = 0
        self._in_article = False
        self._in_h1 = False
        self._cell: list[str] | None = None
        self._li: list[list[str]] = []
        self._text: list[str] = []
        self._article: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        elif tag in ("script", "style"):
            self._skip += 1
        elif tag == "article":
            self._in_article = True
        elif tag == "br":
            self._data("\n")
        elif not self._in_article:
            return
        elif tag == "h1":
            self._in_h1 = True
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "li":
            self._li.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1
        elif tag == "article":
            self._in_article = False
        elif tag == "h1":
            self._in_h1 = False
        elif tag in ("td", "th") and self._cell is not None and self.tables and self.tables[-1]:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "li" and self._li:
            self.items.append(_squash("".join(self._li.pop())))

    def handle_data(self, data: str) -> None:
        if self._in_h1:
            self.h1 += data.replace("¶", "").strip()
        self._data(data)

    def _data(self, data: str) -> None:
        if self._skip:
            return
        self._text.append(data)
        if self._in_article:
            self._article.append(data)
        if self._cell is not None:
            self._cell.append(data)
        for item in self._li:
            item.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data.strip())

    def close(self) -> None:
        super().close()
        self.text = "".join(self._text)
        self.article = "".join(self._article)

    def table_with(self, header: str) -> list[list[str]]:
        """The first article table whose header row has a cell starting with `header`."""
        for table in self.tables:
            if table and any(cell.startswith(header) for cell in table[0]):
                return table
        raise AssertionError(f"no table with a {header!r} column; tables: {[t[:1] for t in self.tables]}")


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def page(site: Path, path: str) -> Page:
    file = site / path / "index.html" if not path.endswith(".html") else site / path
    assert file.is_file(), f"{file} was not built"
    parsed = Page()
    parsed.feed(file.read_text(encoding="utf-8"))
    parsed.close()
    return parsed


def html_files(site: Path) -> Iterator[Path]:
    yield from sorted(site.rglob("*.html"))


def column(table: list[list[str]], header: str) -> int:
    return next(i for i, cell in enumerate(table[0]) if cell.startswith(header))


# -- the common targets (annex 2) ----------------------------------------------------


@pytest.mark.parametrize("path", ["common", "annexes/annex-2"])
def test_common_targets_page_has_every_item_with_points_and_rules(site: Path, content: Content, path: str) -> None:
    table = page(site, path).table_with("目标内容")
    text, points, rules = column(table, "目标内容"), column(table, "分值"), column(table, "评分标准")
    assert table[0][points].replace("\n", "") == "分值40分"
    body, total = table[1:-1], table[-1]
    assert len(content.common_targets) == len(body) == 7
    for target, row in zip(content.common_targets, body, strict=True):
        assert row[text] == target.content
        assert row[points] == f"{target.points:g}"
        for rule in target.rules:
            assert rule.text in row[rules]
        assert row[rules].endswith("。")  # punctuated as in the notice
    assert tuple(int(row[points]) for row in body) == NOTICE_COMMON_POINTS
    assert total[text] == "合计" and total[points] == "40"


def test_common_targets_page_names_the_rules_of_the_notice(site: Path) -> None:
    article = page(site, "common").article
    for words in ("认真遵守值班值宿工作管理规定。", "未完成招生指标，扣4分", "确保学院全年“七不发生”",
                  "因人为破坏，造成重大财产损失的，扣2分"):
        assert words in article


# -- one page per role ---------------------------------------------------------------


def test_every_role_has_a_page_with_duties_and_a_60_point_table(site: Path, content: Content) -> None:
    assert len(content.roles) >= 19
    for role in content.roles:
        shown = page(site, f"roles/{role.id}")
        assert shown.h1 == role.name
        for duty in role.duties:
            assert _squash(duty) in shown.items, f"{role.name}: duty missing: {duty}"
        table = shown.table_with("目标内容")
        points = column(table, "分值")
        body, total = table[1:-1], table[-1]
        assert sum(float(row[points]) for row in body) == 60, role.name
        assert total[column(table, "目标内容")] == "合计" and total[points] == "60"
        for target, row in zip(role.targets, body, strict=True):
            assert row[column(table, "目标内容")] == target.content
            assert row[column(table, "佐证材料及分值")] == target.evidence
            assert row[column(table, "完成时限")] == target.deadline


def test_every_role_the_notice_names_has_a_page(site: Path) -> None:
    titles = {page(site, str(f.parent.relative_to(site))).h1 for f in (site / "roles").glob("*/index.html")}
    named = set().union(*NOTICE_LEADS.values(), NOTICE_SELF_LED)
    assert named <= titles, named - titles


def test_structure_page_shows_who_drafts_which_role(site: Path) -> None:
    matrix = page(site, "structure").table_with("牵头拟定部门")
    rows = {row[0]: set(row[1].split("、")) for row in matrix[1:]}
    for lead, roles in NOTICE_LEADS.items():
        assert rows.get(lead) == roles, lead
    self_led = next(roles for lead, roles in rows.items() if "所在部门" in lead)
    assert self_led >= NOTICE_SELF_LED


def test_role_page_says_who_drafts_it(site: Path) -> None:
    assert "学生处牵头拟定" in page(site, "roles/student-affairs-staff").article
    assert "所在部门" in page(site, "roles/dept-general-office").article


# -- the five annexes ----------------------------------------------------------------

ANNEX_TITLES = {
    1: "教职工岗位工作目标责任状",
    2: "教职工个人岗位共性工作目标考核标准分解表",
    3: "教职工个人岗位个性工作目标考核标准分解表",
    4: "教职工岗位工作目标考核月汇总表",
    5: "教职工岗位工作目标责任状签订完成情况统计表",
}


@pytest.mark.parametrize("number", ANNEX_TITLES)
def test_annex_has_a_printable_page(site: Path, content: Content, number: int) -> None:
    annex = page(site, f"annexes/annex-{number}")
    assert annex.h1 == f"附件{number} {ANNEX_TITLES[number]}"
    assert f"2019年{ANNEX_TITLES[number]}" in annex.article
    assert content.settings.college in annex.article
    assert annex.tables
    listed = page(site, "annexes").table_with("附件")
    assert [row[1] for row in listed[1:]] == list(ANNEX_TITLES.values())


def test_monthly_and_completion_forms_have_the_notice_columns(site: Path) -> None:
    monthly = page(site, "annexes/annex-4").tables[0]
    assert monthly[1] == ["出勤（天）", "事假（天）", "病假（天）", "迟到（次）", "早退（次）", "旷工（天）", "离岗（次）",
                          "其他项目（扣分）"]
    assert "只作记录，不直接计分" in page(site, "annexes/annex-4").article
    assert "每月5日前" in page(site, "annexes/annex-4").article
    completion = page(site, "annexes/annex-5")
    assert completion.tables[0][0] == ["序号", "姓名", "岗位、职务", "完成情况"]
    assert "完成、产假、病假、长期事假" in completion.article


def _file_texts(data: bytes, kind: str) -> list[str]:
    """Every text of a blank Word or Excel form: paragraphs and table cells, or cell values."""
    if kind == "docx":
        document = docx.Document(io.BytesIO(data))
        cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
        return [p.text for p in document.paragraphs] + cells
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [str(cell.value) for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
            if cell.value is not None]


@pytest.mark.parametrize(("number", "kind", "words"), [
    (1, "docx", ("目标责任人", "部门、系负责人", "一式三份")),
    (3, "xlsx", ("部门：", "责任人：", "岗位及职务：", "佐证材料及分值")),
    (4, "xlsx", ("填表说明：", "部门负责人：", "联系电话：", "业务工作目标")),
    (5, "xlsx", ("注：", "部门负责人签字：", "联系方式：", "完成情况")),
])
def test_annex_pages_print_the_words_of_the_files(site: Path, content: Content, number: int, kind: str,
                                                  words: tuple[str, ...]) -> None:
    """A web form and its download say the same things (both take them from service.forms_text)."""
    maker = {1: annex1.contract_docx, 3: annex3.targets_xlsx, 4: annex4.monthly_xlsx,
             5: annex5.completion_xlsx}[number]
    texts = _file_texts(maker(content), kind)
    article = page(site, f"annexes/annex-{number}").article
    for word in words:
        found = [text for text in texts if word in text]
        assert found, f"{word!r} not in the annex {number} file"
        sentence = max(found, key=len).replace("\n", "")  # notes are one sentence on the page
        assert sentence in article.replace("\n", ""), f"annex {number}: {sentence!r} not on the page"


# -- settings on the pages -----------------------------------------------------------


def test_timeline_and_home_show_the_dates_from_settings(site: Path) -> None:
    timeline = page(site, "timeline").table_with("截止日期")
    assert [row[0] for row in timeline[1:4]] == [
        "2019年4月18日（星期四）前", "2019年4月23日（星期二）前", "2019年4月26日（星期五）前"]
    assert "每月5日前" in timeline[4][0]
    home = page(site, "").article
    for day in NOTICE_DATES:
        assert day in home


def test_notice_shows_college_year_and_contact(site: Path, content: Content) -> None:
    notice = page(site, "notice")
    s = content.settings
    assert notice.h1 == "关于签定2019年度教职工个人岗位工作目标责任状的通知"
    for text in (s.college, "2019年度", s.contact.name, s.contact.office, s.contact.phone, s.contact.email,
                 *(f"{day}前" for day in NOTICE_DATES)):
        assert text in notice.article, text


def test_changing_the_year_changes_every_page_that_shows_it(site: Path, site_2020: Path) -> None:
    showing = {f.relative_to(site) for f in html_files(site) if "2019年" in f.read_text(encoding="utf-8")}
    assert {Path("index.html"), Path("notice/index.html"), Path("common/index.html"),
            Path("roles/theory-teacher/index.html"), Path("annexes/annex-5/index.html")} <= showing
    for f in html_files(site_2020):
        html = f.read_text(encoding="utf-8")
        assert "2019年" not in html, f
        parsed = page(site_2020, str(f.relative_to(site_2020)))
        assert "2019" not in parsed.text, f
        if f.relative_to(site_2020) in showing:
            assert "2020年" in html, f
    index = json.loads((site_2020 / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert not [d["location"] for d in index["docs"] if "2019" in d["title"] + d["text"]]


def test_changing_a_deadline_changes_the_pages(site_2020: Path) -> None:
    for path in ("", "timeline", "notice"):
        article = page(site_2020, path).article
        assert "4月28日" in article, path
        assert "4月26日" not in article, path


# -- search --------------------------------------------------------------------------


def search(site: Path, word: str) -> set[str]:
    """Pages whose indexed title or text has `word` as a token, split the way Material's
    search splits the index (its `separator`, jieba having marked word bounds with U+200B)."""
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    separator = re.compile(index["config"]["separator"])
    return {
        doc["location"].split("#")[0]
        for doc in index["docs"]
        if word in separator.split(doc["title"]) or word in separator.split(doc["text"])
    }


def test_search_index_is_chinese(site: Path) -> None:
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert index["config"]["lang"] == ["zh"]
    assert re.fullmatch(index["config"]["separator"], "\u200b")  # jieba's word bounds split terms
    assert "\u200b" in index["docs"][0]["text"]  # jieba was installed and segmented the text


@pytest.mark.parametrize(("word", "pages", "not_pages"), [
    ("值班值宿", {"common/", "roles/student-affairs-staff/"}, {"roles/theory-teacher/"}),
    ("招生", {"common/", "roles/theory-teacher/"}, {"timeline/"}),
    ("共性目标", {"common/", "structure/"}, set()),
    ("责任状", {"", "notice/", "annexes/annex-1/"}, set()),
], ids=["duty-nights", "enrolment", "common-targets", "agreement"])
def test_search_finds_chinese_words(site: Path, word: str, pages: set[str], not_pages: set[str]) -> None:
    found = search(site, word)
    assert pages <= found, pages - found
    assert not found & not_pages


def test_status_page_is_out_of_the_index_and_has_the_board_markers(site: Path) -> None:
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert not [d for d in index["docs"] if d["location"].startswith("status/")]
    comments = page(site, "status").comments
    assert "status-board:start" in comments and "status-board:end" in comments
    assert comments.index("status-board:start") < comments.index("status-board:end")


# -- what must not be published ------------------------------------------------------


def test_no_data_files_are_published(site: Path) -> None:
    published = [f for f in site.rglob("*") if f.suffix.lower() in (".yml", ".yaml", ".csv")]
    assert not published


def test_no_roster_name_is_published(site: Path, content: Content) -> None:
    texts = []
    for f in site.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            texts.append((gzip.decompress(data) if f.suffix == ".gz" else data).decode("utf-8", "ignore"))
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    texts.extend((d["title"] + d["text"]).replace("\u200b", "") for d in index["docs"])  # JSON escapes Han
    everything = "\n".join(texts)
    names = [m.name for m in content.roster]
    assert len(names) > 100
    assert [name for name in names if name in everything] == []


def test_every_page_is_chinese(site: Path) -> None:
    pages = list(html_files(site))
    assert len(pages) > 30
    for f in pages:
        assert page(site, str(f.relative_to(site))).lang == "zh", f


# -- portal build --------------------------------------------------------------------


def test_build_refuses_invalid_content(content_dir: Path, tmp_path: Path) -> None:
    roles = content_dir / "roles.yml"
    roles.write_text(roles.read_text(encoding="utf-8").replace("- lead: jwc ", "- lead: jwx ", 1), encoding="utf-8")
    site = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build"], env={"PORTAL_CONTENT": str(content_dir), "PORTAL_SITE": str(site)})
    assert result.exit_code == 1
    assert "内容校验失败" in result.stderr and "未构建" in result.stderr
    lines = roles.read_text(encoding="utf-8").splitlines()
    line = next(number for number, text in enumerate(lines, 1) if text.startswith("- lead: jwx "))
    assert f"roles.yml: [0].lead: 第 {line} 行: 牵头部门“jwx”不在 departments.yml 中" in result.stderr
    assert not site.exists()


def test_the_portals_script_and_style_come_from_the_code_not_an_older_set_up(tmp_path: Path) -> None:
    """A set-up seeded by an earlier release keeps its copy of the assets; the site takes the code's."""
    content_dir = tmp_path / "content"
    shutil.copytree(SHIPPED_CONTENT, content_dir)
    (content_dir / "pages" / "assets" / "portal.js").write_text("/* an earlier release */\n", encoding="utf-8")
    settings = Settings(root=ROOT, content_dir=content_dir, site_dir=tmp_path / "site", data_dir=tmp_path / "var",
                        mkdocs_file=ROOT / "mkdocs.yml")
    build_site(settings)
    for name in ("portal.js", "portal.css"):
        built = (settings.site_dir / "assets" / name).read_bytes()
        assert built == (SHIPPED_CONTENT / "pages" / "assets" / name).read_bytes(), name
