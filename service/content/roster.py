"""Importing the staff roster from the personnel system's .xlsx or .csv export.

Pure: the export's rows as text in (`office.roster_sheet.read_table` reads the file), validated
roster rows and a diff against the current roster out. The usual Chinese headers (工号, 姓名,
部门, 岗位, 职务 …) are recognised wherever the header row is in the first rows; 部门 and 岗位
may hold a name or a code. Every error names its row. Writing the result is the caller's job
(`content.roster_file.dump_roster` + `storage.files.atomic_write`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from service.content import text_forms
from service.content.models import Content, StaffMember
from service.errors import quoted

OPTIONAL = ("gender", "birth", "politics", "education", "post_since")  # imported when the export has them
FIELDS = ("staff_id", "name", "department", "role", "post", *OPTIONAL)
REQUIRED = ("staff_id", "name", "department", "role")
FIELD_NAMES = {"staff_id": "工号", "name": "姓名", "department": "部门", "role": "岗位", "post": "职务",
               "gender": "性别", "birth": "出生年月", "politics": "政治面貌", "education": "文化程度",
               "post_since": "任现职时间"}
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "staff_id": ("工号", "职工号", "教工号", "员工号", "员工编号", "职工编号", "人员编号", "人员代码", "编号",
                 "staffid", "id"),
    "name": ("姓名", "职工姓名", "教职工姓名", "员工姓名", "人员姓名", "name"),
    "department": ("部门", "所在部门", "部门名称", "部门、系", "部门/系", "部门（系）", "系部", "所在系部",
                   "单位", "所在单位", "部门代码", "department"),
    "role": ("岗位", "岗位类别", "岗位名称", "岗位代码", "岗位类型", "岗位分类", "role"),
    "post": ("职务", "岗位及职务", "岗位、职务", "岗位职务", "职位", "现任职务", "post"),
    "gender": ("性别", "gender"),
    "birth": ("出生年月", "出生日期", "出生时间", "出生年月日", "birth"),
    "politics": ("政治面貌", "politics"),
    "education": ("文化程度", "学历", "最高学历", "education"),
    "post_since": ("任现职时间", "任现职务时间", "现职时间", "任现岗位时间", "任职时间", "post_since"),
}
HEADER_SCAN = 10  # rows searched for the header
SHOWN_ERRORS = 50
_PARENS = str.maketrans({"(": "（", ")": "）", " ": "", "\u3000": ""})


MAPPED = {"department": "部门", "role": "岗位"}  # the fields whose unknown values may be mapped
Mapping_ = dict[tuple[str, str], str]  # (部门 or 岗位, the export's value) → department or role id


class RosterImportError(Exception):
    """The file cannot be imported; `errors` lists every problem, each naming its row, and
    `unknown` the 部门 and 岗位 values not in the set-up (each once, with its rows) to map."""

    def __init__(self, errors: list[str], unknown: dict[str, dict[str, list[int]]] | None = None) -> None:
        shown = errors[:SHOWN_ERRORS]
        more = [f"……另有 {len(errors) - SHOWN_ERRORS} 处错误"] if len(errors) > SHOWN_ERRORS else []
        super().__init__("\n".join(shown + more))
        self.errors = errors
        self.unknown = unknown or {}


@dataclass(frozen=True)
class Table:
    """A sheet or CSV as text: (row number, cells) pairs, the number as the user sees it."""
    rows: list[tuple[int, list[str]]]
    source: str  # "Excel 工作表“名册”" or "CSV 文件（GBK 编码）"


@dataclass(frozen=True)
class Change:
    old: StaffMember
    new: StaffMember

    def fields(self) -> list[tuple[str, str, str]]:
        return [(f, getattr(self.old, f), getattr(self.new, f)) for f in FIELDS if getattr(self.old, f) !=
                getattr(self.new, f)]


@dataclass(frozen=True)
class RosterDiff:
    added: tuple[StaffMember, ...] = ()
    changed: tuple[Change, ...] = ()
    removed: tuple[StaffMember, ...] = ()
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


@dataclass(frozen=True)
class RosterImport:
    members: tuple[StaffMember, ...]
    diff: RosterDiff
    header_row: int
    columns: dict[str, str] = field(default_factory=dict)  # field → the header it was read from
    source: str = ""
    mapped: Mapping_ = field(default_factory=dict)  # the mappings this import used

    def entries(self) -> list[dict[str, str]]:
        """Rows for `roster_file.dump_roster` (the optional fields only when known)."""
        return [{f: getattr(m, f) for f in FIELDS if f not in OPTIONAL or getattr(m, f)} for m in self.members]


# -- the header ------------------------------------------------------------------------


def normalise_header(text: str) -> str:
    text = "".join(text_forms.clean(text).split()).lower().replace("*", "").replace("＊", "")
    for mark in ("（必填）", "(必填)"):
        text = text.replace(mark, "")
    return text


_ALIASES = {normalise_header(alias): name for name, aliases in HEADER_ALIASES.items() for alias in aliases}


def find_header(table: Table) -> tuple[int, dict[str, int], dict[str, str]]:
    """The header row number, field → column index and field → header text."""
    for number, cells in table.rows[:HEADER_SCAN]:
        found: dict[str, int] = {}
        texts: dict[str, str] = {}
        errors: list[str] = []
        for column, cell in enumerate(cells):
            name = _ALIASES.get(normalise_header(cell))
            if name is None:
                continue
            if name in found:
                errors.append(f"第 {number} 行（表头）：“{quoted(texts[name])}”和“{quoted(cell)}”都表示{FIELD_NAMES[name]}，请只保留一列。")
                continue
            found[name] = column
            texts[name] = cell
        if "staff_id" in found and "name" in found and len(found) >= 3:
            if errors:
                raise RosterImportError(errors)
            missing = [FIELD_NAMES[f] for f in REQUIRED if f not in found]
            if missing:
                raise RosterImportError([f"第 {number} 行（表头）：缺少“{'”“'.join(missing)}”列。"
                                         f"可用的列名：{_alias_help()}"])
            return number, found, texts
    raise RosterImportError([f"在前 {HEADER_SCAN} 行中找不到表头：需要含有“工号”“姓名”“部门”“岗位”等列名的一行。"
                             f"可用的列名：{_alias_help()}"])


def _alias_help() -> str:
    return "；".join(f"{FIELD_NAMES[f]}：{'、'.join(a for a in HEADER_ALIASES[f] if not a.isascii())}"
                    for f in FIELDS)


# -- validating ------------------------------------------------------------------------


def parse_roster(content: Content, table: Table, *, on_row: Callable[[], None] | None = None,
                 mapping: Mapping_ | None = None) -> RosterImport:
    """Validate every data row against departments and roles (a value of the export not in the
    set-up may be mapped to one by `mapping`); raise with all row errors, each unknown 部门 or 岗位
    value said once."""
    header_row, columns, header_texts = find_header(table)
    departments = {d.id.lower(): d.id for d in content.departments}
    departments.update({d.name.translate(_PARENS): d.id for d in content.departments})
    roles = {r.id.lower(): r for r in content.roles}
    roles.update({r.name.translate(_PARENS): r for r in content.roles})
    mapped = {(kind, value.translate(_PARENS)): (kind, value, target) for (kind, value), target in (mapping or {}).items()}
    used: dict[tuple[str, str], str] = {}

    def by_mapping(kind: str, value: str) -> str | None:
        hit = mapped.get((kind, value.translate(_PARENS)))
        if hit is None:
            return None
        used[(hit[0], hit[1])] = hit[2]
        return hit[2]

    unknown: dict[str, dict[str, list[int]]] = {MAPPED["department"]: {}, MAPPED["role"]: {}}
    errors: list[str] = []
    members: list[StaffMember] = []
    seen: dict[str, int] = {}
    for number, cells in table.rows:
        if on_row is not None:
            on_row()
        if number <= header_row or not any(cells):
            continue
        value = _row_values(cells, columns)
        row_errors: list[str] = []
        staff_id = value["staff_id"]
        problem = text_forms.staff_id_problem(staff_id)
        if not staff_id:
            row_errors.append("工号为空")
        elif problem:
            row_errors.append(f"工号“{quoted(staff_id)}”无效（{problem}）")
        elif staff_id in seen:
            row_errors.append(f"工号 {staff_id} 与第 {seen[staff_id]} 行重复")
        if not value["name"]:
            row_errors.append("姓名为空")
        department = departments.get(value["department"].lower()) or departments.get(
            value["department"].translate(_PARENS))
        if department is None and value["department"]:
            target = by_mapping(MAPPED["department"], value["department"])
            department = target if target and content.department(target) else None
        if not value["department"]:
            row_errors.append("部门为空")
        elif department is None:
            unknown[MAPPED["department"]].setdefault(value["department"], []).append(number)
        role = roles.get(value["role"].lower()) or roles.get(value["role"].translate(_PARENS))
        if role is None and value["role"]:
            target = by_mapping(MAPPED["role"], value["role"])
            role = content.role(target) if target else None
        if not value["role"]:
            row_errors.append("岗位为空")
        elif role is None:
            unknown[MAPPED["role"]].setdefault(value["role"], []).append(number)
        if row_errors:
            errors.append(f"第 {number} 行：" + "；".join(row_errors) + "。")
            continue
        if department is None or role is None:
            continue
        seen[staff_id] = number
        members.append(StaffMember(staff_id=staff_id, name=_kept_name(content, staff_id, value["name"]),
                                   department=department, role=role.id, post=value.get("post") or role.name,
                                   **_optional(content, staff_id, value)))
    unknown = {kind: values for kind, values in unknown.items() if values}
    errors += [_unknown_line(content, kind, value, rows) for kind, values in unknown.items()
               for value, rows in values.items()]
    if errors:
        raise RosterImportError(errors, unknown)
    if not members:
        raise RosterImportError([f"第 {header_row} 行表头之后没有任何教职工数据，名册不能为空。"])
    return RosterImport(members=tuple(members), diff=diff_roster(content.roster, members),
                        header_row=header_row, columns=header_texts, source=table.source, mapped=used)


class MappingInvalid(ValueError):
    """A mapping names a field other than 部门/岗位, or a department or role the set-up lacks (or,
    for a role added from the export, what `roster_choices` refuses); `code` is the machine code."""

    def __init__(self, message: str, code: str = "invalid_mapping") -> None:
        super().__init__(message)
        self.code = code


def resolve_mapping(content: Content, pairs: Sequence[tuple[str, str]]) -> Mapping_:
    """("岗位:班主任", "一体化教师" or its code) pairs as a mapping to ids; MappingInvalid names the
    first bad one."""
    found: Mapping_ = {}
    for key, target in pairs:
        kind, _, value = key.partition(":")
        value, target = text_forms.without_invisible(value).strip(), target.strip()
        if kind not in MAPPED.values() or not value:
            raise MappingInvalid(f"对应关系“{quoted(key)}”应为“岗位:人事系统中的名称”或“部门:人事系统中的名称”")
        if not target:
            continue  # not chosen yet
        if kind == MAPPED["department"]:
            department = content.department(target) or next(
                (d for d in content.departments if d.name == target), None)
            if department is None:
                raise MappingInvalid(f"部门“{quoted(value)}”对应的“{quoted(target)}”不在部门列表中")
            found[(kind, value)] = department.id
        else:
            role = content.role(target) or next((r for r in content.roles if r.name == target), None)
            if role is None:
                raise MappingInvalid(f"岗位“{quoted(value)}”对应的“{quoted(target)}”不在岗位列表中")
            found[(kind, value)] = role.id
    return found


def _unknown_line(content: Content, kind: str, value: str, rows: list[int]) -> str:
    where = "、".join(str(n) for n in rows[:10]) + (f" 等 {len(rows)} 行" if len(rows) > 10 else " 行")
    known = "、".join(d.name for d in content.departments) if kind == MAPPED["department"] else "、".join(
        r.name for r in content.roles)
    return (f"{kind}“{quoted(value)}”（第 {where}）不在{kind}列表中：请选择它对应的{kind}，"
            f"可选：{known}。")


def _row_values(cells: list[str], columns: dict[str, int]) -> dict[str, str]:
    """A row's fields in their one form: 工号 and name cleaned (`text_forms.clean`), the other
    fields with invisible characters removed and their full-width punctuation kept."""
    value = {f: (cells[c] if c < len(cells) else "") for f, c in columns.items()}
    return {f: text_forms.clean(text) if f in ("staff_id", "name") else text_forms.without_invisible(text)
            for f, text in value.items()}


def _optional(content: Content, staff_id: str, value: dict[str, str]) -> dict[str, str]:
    """The optional fields of a row: the export's columns, or what the roster knew of the person
    when the export has no such column."""
    current = content.staff(staff_id)
    return {f: value[f] if f in value else getattr(current, f) if current is not None else "" for f in OPTIONAL}


def _kept_name(content: Content, staff_id: str, name: str) -> str:
    """The roster's own spelling of a person's name when the imported one is the same name in
    its one form (张　三 in roster.yml, 张 三 read from the export): the person is unchanged."""
    current = content.staff(staff_id)
    return current.name if current is not None and text_forms.clean(current.name) == name else name


def diff_roster(current: Sequence[StaffMember], new: Sequence[StaffMember]) -> RosterDiff:
    old = {m.staff_id: m for m in current}
    fresh = {m.staff_id: m for m in new}
    added = tuple(m for m in new if m.staff_id not in old)
    removed = tuple(m for m in current if m.staff_id not in fresh)
    changed = tuple(Change(old[m.staff_id], m) for m in new if m.staff_id in old and old[m.staff_id] != m)
    unchanged = sum(1 for m in new if old.get(m.staff_id) == m)
    return RosterDiff(added=added, changed=changed, removed=removed, unchanged=unchanged)


# -- the summary -----------------------------------------------------------------------


def summary_lines(content: Content, result: RosterImport, *, limit: int = 10) -> list[str]:
    """What an import would do, in Chinese: counts, then the first rows of each kind."""
    diff = result.diff
    read = "，".join(f"{FIELD_NAMES[f]}←“{quoted(h)}”" for f, h in result.columns.items())
    lines = [
        f"读取{result.source}：表头在第 {result.header_row} 行（{read}），共 {len(result.members)} 人。",
        f"与当前名册（{len(content.roster)} 人）相比：新增 {len(diff.added)} 人，变更 {len(diff.changed)} 人，"
        f"移除 {len(diff.removed)} 人，未变 {diff.unchanged} 人。",
    ]
    sections: list[tuple[str, list[str]]] = [
        ("新增", [_describe(content, m) for m in diff.added]),
        ("变更", [_describe_change(content, c) for c in diff.changed]),
        ("移除", [_describe(content, m) for m in diff.removed]),
    ]
    for title, items in sections:
        if not items:
            continue
        more = f"（只显示前 {limit} 人）" if len(items) > limit else ""
        lines.append(f"{title} {len(items)} 人{more}：")
        lines.extend(f"  {item}" for item in items[:limit])
    return lines


def _label(content: Content, name: str, value: str) -> str:
    if name == "department":
        found = content.department(value)
        return found.name if found else value
    if name == "role":
        role = content.role(value)
        return role.name if role else value
    return value


def _describe(content: Content, m: StaffMember) -> str:
    return (f"{m.staff_id} {m.name}（{_label(content, 'department', m.department)}，"
            f"{_label(content, 'role', m.role)}，{m.post}）")


def _describe_change(content: Content, change: Change) -> str:
    parts = [f"{FIELD_NAMES[f]} {_label(content, f, old)} → {_label(content, f, new)}"
             for f, old, new in change.fields()]
    return f"{change.new.staff_id} {change.old.name}：" + "；".join(parts)
