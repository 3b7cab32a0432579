"""The one content loader: reads `content/*.yml` into typed models and validates them.

Every error names the file, the path inside it and what was expected; all errors are
reported at once. Nothing else in the project parses YAML.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import zoneinfo
from collections.abc import Container
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from service.content import target_rows
from service.content.formats import num
from service.content.models import (
    COL_CONTENT,
    COL_DEADLINE,
    COL_EVIDENCE,
    COL_POINTS,
    DEPARTMENT_KINDS,
    SELF_LEAD,
    CommonTarget,
    Contact,
    Content,
    CycleSettings,
    Deadlines,
    Department,
    Role,
    Rule,
    StaffMember,
    TargetRow,
)

SETTINGS_FILE = "settings.yml"
DEPARTMENTS_FILE = "departments.yml"
ROLES_FILE = "roles.yml"
COMMON_FILE = "common_targets.yml"
ROSTER_FILE = "roster.yml"

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
TARGET_FIELDS = {COL_CONTENT: "目标内容", COL_POINTS: "数字", COL_EVIDENCE: "佐证材料及分值说明",
                 COL_DEADLINE: "完成时限"}  # what a template row's field should hold
BUSINESS_SCORE_RULES = ("average", "latest", "minimum")

try:  # the C loader is ~10x faster on a large roster
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader


@dataclass(frozen=True)
class ContentError:
    file: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: {self.message}"


class ContentInvalid(Exception):
    def __init__(self, errors: list[ContentError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


def load_content(content_dir: Path) -> Content:
    """Read and validate `content_dir`; raise ContentInvalid listing every problem."""
    errors: list[ContentError] = []
    raw = {name: _read(content_dir / name, errors) for name in _FILES}
    if errors:
        raise ContentInvalid(errors)
    check = _Checker(errors)
    settings = check.settings(raw[SETTINGS_FILE])
    departments = check.departments(raw[DEPARTMENTS_FILE])
    department_ids = {d.id for d in departments}
    # The budgets come straight from settings.yml, so that a mistake elsewhere in that file
    # (a deadline, say) does not hide the point sums of roles.yml and common_targets.yml.
    common = _budget(raw[SETTINGS_FILE], "common")
    individual = _budget(raw[SETTINGS_FILE], "individual")
    roles = check.roles(raw[ROLES_FILE], department_ids, individual)
    commons = check.common_targets(raw[COMMON_FILE], common)
    roster = check.roster(raw[ROSTER_FILE], department_ids, {r.id for r in roles})
    if errors or settings is None:
        raise ContentInvalid(errors)
    return Content(
        settings=settings,
        departments=tuple(departments),
        roles=tuple(roles),
        common_targets=tuple(commons),
        roster=tuple(roster),
    )


def validate(content_dir: Path) -> list[ContentError]:
    try:
        load_content(content_dir)
    except ContentInvalid as exc:
        return exc.errors
    return []


def read_year(content_dir: Path) -> int | None:
    """settings.yml's year alone, without reading the roster; None if it is not a valid year."""
    data = _read(content_dir / SETTINGS_FILE, [])
    year = data.get("year") if isinstance(data, dict) else None
    return int(year) if _valid_year(year) else None


def read_roster_entries(content_dir: Path) -> list[dict[str, Any]]:
    """The raw roster rows, for the roster import to diff against."""
    errors: list[ContentError] = []
    data = _read(content_dir / ROSTER_FILE, errors)
    if errors:
        raise ContentInvalid(errors)
    return list(data or [])


def dump_roster(entries: list[dict[str, str]]) -> str:
    """Serialise roster rows the way roster.yml is written (one flow mapping per person)."""
    lines = ["# 教职工名册（示例数据，姓名均为虚构）。字段：staff_id 工号, name 姓名, department 部门,",
             "# role 岗位类别（roles.yml 中的 id）, post 岗位及职务。"]
    for entry in entries:
        body = yaml.safe_dump(
            {k: entry[k] for k in ("staff_id", "name", "department", "role", "post")},
            allow_unicode=True, default_flow_style=True, width=10_000, sort_keys=False,
        ).strip()
        lines.append(f"- {body}")
    return "\n".join(lines) + "\n"


_FILES = (SETTINGS_FILE, DEPARTMENTS_FILE, ROLES_FILE, COMMON_FILE, ROSTER_FILE)

# -- the roster's fast path ------------------------------------------------------------
# A roster.yml exactly as dump_roster writes it (comment lines, then one flow mapping per
# person with the keys in ROSTER_KEYS order, values plain or single-quoted) is read with one
# regex per line, ~30x faster than PyYAML at 10,000 people. Anything else, from a trailing
# comment to a tab, goes through PyYAML, so the rows and every error are YAML's own.

ROSTER_KEYS = ("staff_id", "name", "department", "role", "post")
_UNSAFE = r"\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff"  # controls, YAML's other line breaks, BOM
_PLAIN_CHAR = rf"[^ {_UNSAFE},:?#\[\]{{}}]"  # never ends or splits a plain flow scalar
_PLAIN = rf"[^ {_UNSAFE},:?#\[\]{{}}'\"!&*|>%@`-]{_PLAIN_CHAR}*(?: +{_PLAIN_CHAR}+)*"
_QUOTED = rf"(?:[^'{_UNSAFE}]|'')*"


def _roster_field(key: str) -> str:
    return rf"{key}: (?:'(?P<{key}_q>{_QUOTED})'|(?P<{key}>{_PLAIN}))"


_ROSTER_LINE = re.compile(r"- \{" + ", ".join(_roster_field(key) for key in ROSTER_KEYS) + r"\}")
# The YAML loader's implicit resolvers by first character: a plain scalar any of them matches
# is not a string (a number, date, boolean or null).
_RESOLVERS: dict[str | None, list[tuple[str, re.Pattern[str]]]] = _Loader.yaml_implicit_resolvers
_NOT_STRING: dict[str | None, tuple[re.Pattern[str], ...]] = {first: tuple(regexp for _, regexp in found) for first, found in _RESOLVERS.items()}


def parse_dumped_roster(text: str) -> list[dict[str, str]] | None:
    """The rows of a roster.yml in dump_roster's format, as yaml.safe_load gives them; else None."""
    if None in _NOT_STRING or yaml.reader.Reader.NON_PRINTABLE.search(text):
        return None  # a resolver for any first character, or characters YAML refuses
    rows: list[dict[str, str]] = []
    for line in text.split("\n"):
        match = _ROSTER_LINE.fullmatch(line)
        if match is None:
            if line and not line.startswith("#"):
                return None
            continue
        groups = match.groups()
        row: dict[str, str] = {}
        for key, quoted, plain in zip(ROSTER_KEYS, groups[0::2], groups[1::2], strict=True):
            if plain is None:
                row[key] = quoted.replace("''", "'")
            elif plain[0] in _NOT_STRING and any(regexp.match(plain) for regexp in _NOT_STRING[plain[0]]):
                return None  # YAML reads it as something else than text: let YAML do it
            else:
                row[key] = plain
        rows.append(row)
    return rows or None


def _budget(settings: Any, key: str) -> int | None:
    """settings.yml's points.<key> if it is a usable number (its errors are reported elsewhere)."""
    points = settings.get("points") if isinstance(settings, dict) else None
    value = points.get(key) if isinstance(points, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        return None
    return int(value)


def _read(path: Path, errors: list[ContentError]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        errors.append(ContentError(path.name, "", "文件不存在"))
        return None
    except UnicodeDecodeError:
        errors.append(ContentError(path.name, "", "文件不是 UTF-8 编码"))
        return None
    if path.name == ROSTER_FILE:
        rows = parse_dumped_roster(text)
        if rows is not None:
            return rows
    return _parse_yaml(path, text, errors)


def _parse_yaml(path: Path, text: str, errors: list[ContentError]) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.reader.ReaderError as exc:  # a character YAML refuses: named by its line and column
        line = text.count("\n", 0, exc.position)
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1)
        errors.append(ContentError(path.name, f"第 {line + 1} 行第 {column + 1} 列",
                                   f"YAML 格式错误：含有不允许的字符 U+{exc.character:04X}（如控制字符）"))
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        errors.append(ContentError(path.name, where, f"YAML 格式错误：{problem}"))
        return None


class _Checker:
    """Validation helpers that collect errors instead of stopping at the first."""

    def __init__(self, errors: list[ContentError]) -> None:
        self.errors = errors

    def fail(self, file: str, path: str, message: str) -> None:
        self.errors.append(ContentError(file, path, message))

    # -- field helpers ---------------------------------------------------------------

    def text(self, file: str, path: str, value: Any, what: str = "非空文字") -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.fail(file, path, f"应为{what}，实际为 {_show(value)}")
            return ""
        return value.strip()

    def number(self, file: str, path: str, value: Any, *, positive: bool = True) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            self.fail(file, path, f"应为数字，实际为 {_show(value)}")
            return 0.0
        if positive and value <= 0:
            self.fail(file, path, f"应为大于 0 的数字，实际为 {_show(value)}")
        return float(value)

    def mapping(self, file: str, path: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(file, path or "(文件顶层)", f"应为键值映射，实际为 {_show(value)}")
            return {}
        return value

    def sequence(self, file: str, path: str, value: Any) -> list[Any]:
        if not isinstance(value, list) or not value:
            self.fail(file, path or "(文件顶层)", f"应为非空列表，实际为 {_show(value)}")
            return []
        return value

    def unique(self, file: str, path: str, seen: set[str], value: str, what: str) -> None:
        if value and value in seen:
            self.fail(file, path, f"{what}“{value}”重复，必须唯一")
        seen.add(value)

    # -- settings.yml ----------------------------------------------------------------

    def settings(self, data: Any) -> CycleSettings | None:
        f = SETTINGS_FILE
        d = self.mapping(f, "", data)
        if not d:
            return None
        start = len(self.errors)
        college = self.text(f, "college", d.get("college"), "学院名称")
        year = d.get("year")
        if not _valid_year(year):
            self.fail(f, "year", f"应为 2000–2100 之间的年份，实际为 {_show(year)}")
            year = 2000
        tz = self.text(f, "timezone", d.get("timezone", "Asia/Shanghai"), "时区名称")
        try:
            zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.fail(f, "timezone", f"未知时区“{tz}”，例如 Asia/Shanghai")
        points = self.mapping(f, "points", d.get("points"))
        common = int(self.number(f, "points.common", points.get("common")))
        individual = int(self.number(f, "points.individual", points.get("individual")))
        if common and individual and common + individual != 100:
            self.fail(f, "points", f"共性目标与个性目标分值之和应为 100，实际为 {common + individual}")
        deadlines = self.deadlines(self.mapping(f, "deadlines", d.get("deadlines")), year)
        due = d.get("monthly_due_day")
        if isinstance(due, bool) or not isinstance(due, int) or not 1 <= due <= 28:
            self.fail(f, "monthly_due_day", f"应为 1–28 之间的日期，实际为 {_show(due)}")
            due = 5
        c = self.mapping(f, "contact", d.get("contact"))
        contact = Contact(
            name=self.text(f, "contact.name", c.get("name"), "联系人"),
            office=self.text(f, "contact.office", c.get("office"), "办公地址"),
            phone=self.text(f, "contact.phone", c.get("phone"), "电话"),
            email=self.text(f, "contact.email", c.get("email"), "邮箱"),
        )
        uploads = d.get("uploads") or {}
        max_mb = uploads.get("max_mb", 20) if isinstance(uploads, dict) else None
        if isinstance(max_mb, bool) or not isinstance(max_mb, int) or not 1 <= max_mb <= 200:
            self.fail(f, "uploads.max_mb", f"应为 1–200 之间的整数（MB），实际为 {_show(max_mb)}")
            max_mb = 20
        rule = d.get("business_score_rule", "average")
        if rule not in BUSINESS_SCORE_RULES:
            self.fail(f, "business_score_rule", f"应为 {' / '.join(BUSINESS_SCORE_RULES)} 之一，实际为 {_show(rule)}")
            rule = "average"
        if len(self.errors) > start or deadlines is None:
            return None
        return CycleSettings(
            college=college, year=year, timezone=tz, common_points=common,
            individual_points=individual, deadlines=deadlines, monthly_due_day=due,
            contact=contact, upload_max_mb=max_mb, business_score_rule=rule,
        )

    def deadlines(self, d: dict[str, Any], year: int) -> Deadlines | None:
        names = {"duties_lead": "牵头部门报送岗位职责", "duties_all": "各部门报送岗位职责",
                 "contracts": "签订责任状并报人事处"}
        dates: dict[str, dt.date] = {}
        for key in names:
            parsed = self.month_day(f"deadlines.{key}", d.get(key), year)
            if parsed:
                dates[key] = parsed
        if len(dates) != len(names):
            return None
        keys = list(names)
        for before, after in itertools.pairwise(keys):
            if dates[before] > dates[after]:
                self.fail(SETTINGS_FILE, f"deadlines.{after}",
                          f"{names[after]}的截止日期（{dates[after]:%m-%d}）不能早于"
                          f"{names[before]}（{dates[before]:%m-%d}）")
        return Deadlines(**dates)

    def month_day(self, path: str, value: Any, year: int) -> dt.date | None:
        if isinstance(value, dt.date):
            if value.year != year:
                self.fail(SETTINGS_FILE, path, f"日期 {value} 不在 {year} 年内（可只写月-日，如 04-26）")
                return None
            return value
        match = re.fullmatch(r"(\d{1,2})-(\d{1,2})", str(value).strip()) if value is not None else None
        if not match:
            self.fail(SETTINGS_FILE, path, f"应为“月-日”格式的日期（如 04-26），实际为 {_show(value)}")
            return None
        try:
            return dt.date(year, int(match[1]), int(match[2]))
        except ValueError:
            self.fail(SETTINGS_FILE, path, f"{year} 年没有 {value} 这一天")
            return None

    # -- departments.yml -------------------------------------------------------------

    def departments(self, data: Any) -> list[Department]:
        f = DEPARTMENTS_FILE
        result: list[Department] = []
        ids: set[str] = set()
        names: set[str] = set()
        for i, item in enumerate(self.sequence(f, "", data)):
            d = self.mapping(f, f"[{i}]", item)
            label = f"[{i}]" if not d.get("name") else f"{d.get('name')}"
            dep_id = self.text(f, f"{label} → id", d.get("id"), "部门代码")
            if dep_id and not ID_PATTERN.match(dep_id):
                self.fail(f, f"{label} → id", f"部门代码“{dep_id}”应为小写英文字母开头的短代码（a-z、0-9、-、_）")
            self.unique(f, f"{label} → id", ids, dep_id, "部门代码")
            name = self.text(f, f"{label} → name", d.get("name"), "部门名称")
            self.unique(f, f"{label} → name", names, name, "部门名称")
            kind = d.get("kind")
            if kind not in DEPARTMENT_KINDS:
                self.fail(f, f"{label} → kind", f"应为“部门”或“系”，实际为 {_show(kind)}")
            result.append(Department(id=dep_id, name=name, kind=str(kind)))
        return result

    # -- roles.yml -------------------------------------------------------------------

    def roles(self, data: Any, department_ids: set[str], budget: int | None) -> list[Role]:
        f = ROLES_FILE
        result: list[Role] = []
        ids: set[str] = set()
        names: set[str] = set()
        for g, group in enumerate(self.sequence(f, "", data)):
            gd = self.mapping(f, f"[{g}]", group)
            lead = gd.get("lead")
            if lead != SELF_LEAD and lead not in department_ids:
                self.fail(f, f"[{g}].lead",
                          f"牵头部门“{lead}”不在 departments.yml 中（或写 {SELF_LEAD} 表示由所在部门拟定）")
            for r, item in enumerate(self.sequence(f, f"[{g}].roles", gd.get("roles"))):
                role = self.role(self.mapping(f, f"[{g}].roles[{r}]", item), f"[{g}].roles[{r}]",
                                 str(lead), budget)
                self.unique(f, f"{role.name or f'[{g}].roles[{r}]'} → id", ids, role.id, "岗位代码")
                self.unique(f, f"{role.name} → name", names, role.name, "岗位名称")
                result.append(role)
        return result

    def role(self, d: dict[str, Any], fallback: str, lead: str, budget: int | None) -> Role:
        f = ROLES_FILE
        name = self.text(f, f"{fallback} → name", d.get("name"), "岗位名称")
        label = name or fallback
        role_id = self.text(f, f"{label} → id", d.get("id"), "岗位代码")
        if role_id and not ID_PATTERN.match(role_id):
            self.fail(f, f"{label} → id", f"岗位代码“{role_id}”应为小写英文字母开头的短代码")
        duties = tuple(
            self.text(f, f"{label} → duties[{i}]", duty, "岗位职责文字")
            for i, duty in enumerate(self.sequence(f, f"{label} → duties", d.get("duties")))
        )
        rows = self.targets(d.get("targets"), f"{label} → targets", budget)
        return Role(id=role_id, name=name, lead=lead, duties=duties, targets=rows)

    def targets(self, data: Any, path: str, budget: int | None) -> tuple[TargetRow, ...]:
        """A role's template rows, judged by `target_rows` as a person's set is; errors by YAML path."""
        f = ROLES_FILE
        rows = [self.mapping(f, f"{path}[{i}]", row) for i, row in enumerate(self.sequence(f, path, data))]
        if not rows:
            return ()
        try:
            lines = target_rows.parse_target_rows(rows, budget, skip_blank=False)
        except target_rows.TargetRowsInvalid as exc:
            for problem in exc.problems:
                self.target_problem(problem, rows, path, budget)
            return ()
        return tuple(line.target_row() for line in lines)

    def target_problem(self, problem: target_rows.TargetProblem, rows: list[dict[str, Any]], path: str,
                       budget: int | None) -> None:
        f = ROLES_FILE
        actual = num(problem.actual or 0)
        if problem.row is None:
            if problem.kind == target_rows.WRONG_TOTAL:
                self.fail(f, path, f"个性目标分值合计应为 {budget} 分，实际为 {actual} 分")
            else:
                self.fail(f, path, f"个性目标最多 {target_rows.MAX_ROWS} 条，实际为 {actual} 条")
            return
        field = problem.field or ""
        value = target_rows.normalise_row(rows[problem.row - 1]).get(field)
        where = f"{path}[{problem.row - 1}].{field}"
        if problem.kind == target_rows.TOO_LONG:
            self.fail(f, where, f"不能超过 {target_rows.MAX_TEXT} 字，实际为 {actual} 字")
        elif problem.kind == target_rows.NOT_POSITIVE:
            self.fail(f, where, f"应为大于 0 的数字，实际为 {_show(value)}")
        else:
            self.fail(f, where, f"应为{TARGET_FIELDS[field]}，实际为 {_show(value)}")

    # -- common_targets.yml ----------------------------------------------------------

    def common_targets(self, data: Any, budget: int | None) -> list[CommonTarget]:
        f = COMMON_FILE
        result: list[CommonTarget] = []
        ids: set[str] = set()
        for i, item in enumerate(self.sequence(f, "", data)):
            d = self.mapping(f, f"[{i}]", item)
            item_id = self.text(f, f"[{i}].id", d.get("id"), "条目代码")
            self.unique(f, f"[{i}].id", ids, item_id, "条目代码")
            points = self.number(f, f"[{i}].{COL_POINTS}", d.get(COL_POINTS))
            rules: list[Rule] = []
            for j, rule in enumerate(self.sequence(f, f"[{i}].评分标准", d.get("评分标准"))):
                rd = self.mapping(f, f"[{i}].评分标准[{j}]", rule)
                text = self.text(f, f"[{i}].评分标准[{j}].标准", rd.get("标准"), "评分标准文字")
                cut = self.number(f, f"[{i}].评分标准[{j}].扣分", rd.get("扣分"))
                if cut > points > 0:
                    self.fail(f, f"[{i}].评分标准[{j}].扣分", f"扣分（{num(cut)}）不能超过该项分值 {num(points)}")
                rules.append(Rule(text=text, points=cut))
            result.append(CommonTarget(
                id=item_id,
                content=self.text(f, f"[{i}].{COL_CONTENT}", d.get(COL_CONTENT), "目标内容"),
                points=points, rules=tuple(rules),
            ))
        total = sum(t.points for t in result)
        if budget is not None and result and abs(total - budget) > 1e-9:
            self.fail(f, "", f"共性目标分值合计应为 {budget} 分，实际为 {num(total)} 分")
        return result

    # -- roster.yml ------------------------------------------------------------------

    def roster(self, data: Any, department_ids: set[str], role_ids: set[str]) -> list[StaffMember]:
        result: list[StaffMember] = []
        ids: set[str] = set()
        # One shared string per department, role and post, not one copy per person.
        departments = {d: d for d in department_ids}
        roles = {r: r for r in role_ids}
        posts: dict[str, str] = {}
        for i, item in enumerate(self.sequence(ROSTER_FILE, "", data)):
            member = _clean_member(item, ids, departments, roles, posts)
            result.append(member or self.member(i, item, ids, departments, roles))
        return result

    def member(self, i: int, item: Any, ids: set[str], departments: dict[str, str],
               roles: dict[str, str]) -> StaffMember:
        """Row `i` checked field by field, each problem reported with its path."""
        f = ROSTER_FILE
        d = self.mapping(f, f"[{i}]", item)
        staff_id = self.text(f, f"[{i}].staff_id", d.get("staff_id"), "工号")
        label = f"[{i}]（工号 {staff_id}）" if staff_id else f"[{i}]"
        self.unique(f, f"{label}.staff_id", ids, staff_id, "工号")
        department = self.text(f, f"{label}.department", d.get("department"), "部门代码")
        role = self.text(f, f"{label}.role", d.get("role"), "岗位代码")
        self._ref(f"{label}.department", department, departments, "departments.yml 中的部门")
        self._ref(f"{label}.role", role, roles, "roles.yml 中的岗位")
        return StaffMember(
            staff_id=staff_id,
            name=self.text(f, f"{label}.name", d.get("name"), "姓名"),
            department=departments.get(department, department), role=roles.get(role, role),
            post=self.text(f, f"{label}.post", d.get("post"), "岗位及职务"),
        )

    def _ref(self, path: str, value: str, known: Container[str], what: str) -> None:
        if value and value not in known:
            self.fail(ROSTER_FILE, path, f"“{value}”不是{what}")


def _clean_member(item: Any, ids: set[str], departments: dict[str, str], roles: dict[str, str],
                  posts: dict[str, str]) -> StaffMember | None:
    """A roster row with nothing to report, as its member; None sends it to `_Checker.member`.

    The common case, checked without building the error paths of every field.
    """
    if not isinstance(item, dict):
        return None
    values = [item.get(key) for key in ROSTER_KEYS]
    if not all(isinstance(value, str) for value in values):
        return None  # numbers are accepted as text, but on the careful path
    staff_id, name, department_id, role_id, post = (value.strip() for value in values)
    department = departments.get(department_id)
    role = roles.get(role_id)
    if not (staff_id and name and post) or staff_id in ids or department is None or role is None:
        return None
    ids.add(staff_id)
    return StaffMember(staff_id=staff_id, name=name, department=department, role=role,
                       post=posts.setdefault(post, post))


def _valid_year(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 2000 <= value <= 2100


def _show(value: Any) -> str:
    if value is None:
        return "空"
    text = repr(value) if not isinstance(value, str) else f"“{value}”"
    return text if len(text) <= 60 else text[:57] + "…"

