"""The one content loader: reads `content/*.yml` into typed models and validates them.

Every error names the file, the path inside it and what was expected; all errors are
reported at once. The files are parsed by `yaml_files` and roster.yml is checked by
`roster_file`; the rules of the other files are here.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from service.content import roster_file, target_rows
from service.content.assessment import check_assessment
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
    TargetRow,
)
from service.content.registration_form import FORM_FILE, check_layout
from service.content.reminder_settings import check_reminders
from service.content.roster_file import ROSTER_FILE
from service.content.summary_settings import check_summary
from service.content.yaml_files import (
    Checker,
    ContentError,
    ContentInvalid,
    located,
    parse_yaml,
    read_yaml,
    show,
)

SETTINGS_FILE = "settings.yml"
DEPARTMENTS_FILE = "departments.yml"
ROLES_FILE = "roles.yml"
COMMON_FILE = "common_targets.yml"
SETUP_FILES = (SETTINGS_FILE, DEPARTMENTS_FILE, ROLES_FILE, COMMON_FILE, ROSTER_FILE)  # what a Content is read from
OPTIONAL_FILES = (FORM_FILE,)  # judged with them when the set-up has them (else the shipped one is used)

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
TARGET_FIELDS = {COL_CONTENT: "目标内容", COL_POINTS: "数字", COL_EVIDENCE: "佐证材料及分值说明",
                 COL_DEADLINE: "完成时限"}  # what a template row's field should hold
BUSINESS_SCORE_RULES = ("average", "latest", "minimum")


def load_content(content_dir: Path, replaced: Mapping[str, str] | None = None) -> Content:
    """Read and validate `content_dir`; raise ContentInvalid listing every problem.

    `replaced` gives the text of some files (by name) to judge in place of those on disk, exactly
    as if they had been written there: the set-up console validates a change before saving it.
    """
    errors: list[ContentError] = []
    replaced = replaced or {}
    raw = {name: parse_yaml(content_dir / name, replaced[name], errors) if name in replaced
           else _read(content_dir / name, errors) for name in SETUP_FILES}
    optional = {name: parse_yaml(content_dir / name, replaced[name], errors) if name in replaced
                else read_yaml(content_dir / name, errors) for name in OPTIONAL_FILES
                if name in replaced or (content_dir / name).exists()}
    if errors:
        raise ContentInvalid(errors)
    check = _Checker(errors)
    settings = check.settings(raw[SETTINGS_FILE])
    departments = check.departments(raw[DEPARTMENTS_FILE])
    department_ids = {d.id for d in departments if d.closed is None}
    # The budgets come straight from settings.yml, so that a mistake elsewhere in that file
    # (a deadline, say) does not hide the point sums of roles.yml and common_targets.yml.
    common = _budget(raw[SETTINGS_FILE], "common")
    individual = _budget(raw[SETTINGS_FILE], "individual")
    roles = check.roles(raw[ROLES_FILE], department_ids, individual)
    commons = check.common_targets(raw[COMMON_FILE], common)
    roster = roster_file.check_roster(check, raw[ROSTER_FILE], department_ids, {r.id for r in roles})
    if FORM_FILE in optional:
        try:
            check_layout(optional[FORM_FILE])
        except ContentInvalid as exc:
            errors.extend(exc.errors)
    if errors or settings is None:
        raise ContentInvalid(located(content_dir, errors))
    return Content(
        settings=settings,
        departments=tuple(d for d in departments if d.closed is None),
        closed_departments=tuple(d for d in departments if d.closed is not None),
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
    data = read_yaml(content_dir / SETTINGS_FILE, [])
    year = data.get("year") if isinstance(data, dict) else None
    return int(year) if _valid_year(year) else None


def _read(path: Path, errors: list[ContentError]) -> Any:
    return roster_file.read_roster(path, errors) if path.name == ROSTER_FILE else read_yaml(path, errors)


def _budget(settings: Any, key: str) -> int | None:
    """settings.yml's points.<key> if it is a usable number (its errors are reported elsewhere)."""
    points = settings.get("points") if isinstance(settings, dict) else None
    value = points.get(key) if isinstance(points, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        return None
    return int(value)


class _Checker(Checker):
    """The rules of settings.yml, departments.yml, roles.yml and common_targets.yml."""

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
            self.fail(f, "year", f"应为 2000–2100 之间的年份，实际为 {show(year)}")
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
            self.fail(f, "monthly_due_day", f"应为 1–28 之间的日期，实际为 {show(due)}")
            due = 5
        first = d.get("monthly_first_month", deadlines.contracts.month if deadlines else 1)
        if isinstance(first, bool) or not isinstance(first, int) or not 1 <= first <= 12:
            self.fail(f, "monthly_first_month", f"应为 1–12 之间的月份，实际为 {show(first)}")
            first = 1
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
            self.fail(f, "uploads.max_mb", f"应为 1–200 之间的整数（MB），实际为 {show(max_mb)}")
            max_mb = 20
        bulk_mb = uploads.get("bulk_limit_mb", 200) if isinstance(uploads, dict) else None
        if isinstance(bulk_mb, bool) or not isinstance(bulk_mb, int) or not 1 <= bulk_mb <= 1000:
            self.fail(f, "uploads.bulk_limit_mb", f"应为 1–1000 之间的整数（MB），实际为 {show(bulk_mb)}")
            bulk_mb = 200
        duty_mb = self.upload_count(f, uploads, "duty_files_max_mb", 10, 200, "MB")
        duty_count = self.upload_count(f, uploads, "duty_files_max_count", 5, 20, "个")
        refuse = uploads.get("refuse_unapproved", False) if isinstance(uploads, dict) else None
        if not isinstance(refuse, bool):
            self.fail(f, "uploads.refuse_unapproved", f"应为 true 或 false，实际为 {show(refuse)}")
            refuse = False
        rule = d.get("business_score_rule", "average")
        if rule not in BUSINESS_SCORE_RULES:
            self.fail(f, "business_score_rule", f"应为 {' / '.join(BUSINESS_SCORE_RULES)} 之一，实际为 {show(rule)}")
            rule = "average"
        assessment = check_assessment(self, d.get("assessment"))
        reminders = check_reminders(self, d.get("reminders"))
        summary = check_summary(self, d.get("summary"), year, self.month_day)
        if (len(self.errors) > start or deadlines is None or assessment is None or reminders is None
                or summary is None):
            return None
        return CycleSettings(
            college=college, year=year, timezone=tz, common_points=common,
            individual_points=individual, deadlines=deadlines, monthly_due_day=due,
            contact=contact, upload_max_mb=max_mb, business_score_rule=rule, assessment=assessment,
            refuse_unapproved_scans=refuse, bulk_max_mb=bulk_mb, reminders=reminders, monthly_first_month=first,
            summary=summary, duty_files_max_mb=duty_mb, duty_files_max_count=duty_count,
        )

    def upload_count(self, f: str, uploads: Any, key: str, default: int, most: int, unit: str) -> int:
        """An integer of `uploads:` between 1 and `most` (`default` when absent or wrong)."""
        value = uploads.get(key, default) if isinstance(uploads, dict) else None
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
            self.fail(f, f"uploads.{key}", f"应为 1–{most} 之间的整数（{unit}），实际为 {show(value)}")
            return default
        return value

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
            self.fail(SETTINGS_FILE, path, f"应为“月-日”格式的日期（如 04-26），实际为 {show(value)}")
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
                self.fail(f, f"{label} → kind", f"应为“部门”或“系”，实际为 {show(kind)}")
            closed = d.get("closed")
            if closed is not None and not isinstance(closed, dt.date):
                self.fail(f, f"{label} → closed", f"撤销日期应为 YYYY-MM-DD 格式的日期，实际为 {show(closed)}")
                closed = None
            result.append(Department(id=dep_id, name=name, kind=str(kind), closed=closed))
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
        # A role added before its duties and template are written (from a roster import) has
        # empty lists: HR fills them in on the set-up's roles page.
        duties = tuple(
            self.text(f, f"{label} → duties[{i}]", duty, "岗位职责文字")
            for i, duty in enumerate(self.sequence(f, f"{label} → duties", d.get("duties"))
                                     if d.get("duties") != [] else ())
        )
        rows = self.targets(d.get("targets"), f"{label} → targets", budget) if d.get("targets") != [] else ()
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
            self.fail(f, where, f"应为大于 0 的数字，实际为 {show(value)}")
        else:
            self.fail(f, where, f"应为{TARGET_FIELDS[field]}，实际为 {show(value)}")

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


def _valid_year(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 2000 <= value <= 2100
