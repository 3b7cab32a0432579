"""The layout of the annual registration form (年度考核登记表), as data: its title, the items of its
header and its sections, each a label and the field it shows, in the order the province's form has
them. The shipped content/registration_form.yml is the default; a college's set-up may hold its own.
Every problem is named with its file and path, all at once, as the content loader does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.content.yaml_files import Checker, ContentError, ContentInvalid, read_yaml, show

FORM_FILE = "registration_form.yml"
HEADER_FIELDS = {"name": "姓名", "gender": "性别", "birth": "出生年月", "politics": "政治面貌", "education": "文化程度",
                 "unit_post": "现工作单位及岗位（职务）", "post_since": "任现职时间", "work": "从事或分管工作",
                 "department": "部门", "post": "岗位及职务", "score": "年度考核得分"}
SECTION_FIELDS = {"summary": "个人总结", "leader_view": "主管领导评语和考核等次建议",
                  "head_view": "单位负责人意见及考核等次", "ungraded": "未确定等次或不参加考核情况说明",
                  "own_view": "本人意见"}
MAX_LABEL = 40
MAX_LINES = 40


@dataclass(frozen=True)
class Item:
    label: str
    field: str
    wide: bool = False  # a header item taking a whole row
    sign: str = ""  # a section's signature words ("": no signature line)
    lines: int = 2  # a section's least height, in lines


@dataclass(frozen=True)
class FormLayout:
    title: str  # with {college} and {year}
    header: tuple[Item, ...]
    sections: tuple[Item, ...]


def read_layout(path: Path) -> FormLayout:
    """The layout in `path`; ContentInvalid listing every problem."""
    errors: list[ContentError] = []
    data = read_yaml(path, errors)
    if errors:
        raise ContentInvalid(errors)
    return check_layout(data)


def check_layout(data: Any) -> FormLayout:
    errors: list[ContentError] = []
    check = Checker(errors)
    d = check.mapping(FORM_FILE, "", data)
    title = check.text(FORM_FILE, "title", d.get("title"), "表格标题")
    try:
        title.format(college="", year=0)
    except (KeyError, IndexError, ValueError):
        check.fail(FORM_FILE, "title", "标题中只能用 {college}（学院名称）和 {year}（年度）两个占位符")
    header = _items(check, "header", d.get("header"), HEADER_FIELDS)
    sections = _items(check, "sections", d.get("sections"), SECTION_FIELDS)
    unknown = sorted(str(k) for k in set(d) - {"title", "header", "sections"})
    if unknown:
        check.fail(FORM_FILE, "", f"未知的键：{'、'.join(unknown)}")
    if errors:
        raise ContentInvalid(errors)
    return FormLayout(title, tuple(header), tuple(sections))


def _items(check: Checker, root: str, data: Any, fields: dict[str, str]) -> list[Item]:
    found: list[Item] = []
    seen: set[str] = set()
    for i, raw in enumerate(check.sequence(FORM_FILE, root, data)):
        path = f"{root}[{i}]"
        d = check.mapping(FORM_FILE, path, raw)
        label = check.text(FORM_FILE, f"{path}.label", d.get("label"), "栏目名称")
        if len(label) > MAX_LABEL:
            check.fail(FORM_FILE, f"{path}.label", f"名称不能超过 {MAX_LABEL} 字")
        field = d.get("field")
        if field not in fields:
            check.fail(FORM_FILE, f"{path}.field", f"应为 {'、'.join(f'{k}（{v}）' for k, v in fields.items())} 之一，"
                       f"实际为 {show(field)}")
            continue
        check.unique(FORM_FILE, f"{path}.field", seen, field, "内容")
        wide, sign, lines = d.get("wide", False), d.get("sign", ""), d.get("lines", 2)
        if not isinstance(wide, bool):
            check.fail(FORM_FILE, f"{path}.wide", f"应为 true 或 false，实际为 {show(wide)}")
        if not isinstance(sign, str) or len(sign) > MAX_LABEL:
            check.fail(FORM_FILE, f"{path}.sign", f"应为不超过 {MAX_LABEL} 字的签名字样，实际为 {show(sign)}")
        if isinstance(lines, bool) or not isinstance(lines, int) or not 1 <= lines <= MAX_LINES:
            check.fail(FORM_FILE, f"{path}.lines", f"应为 1–{MAX_LINES} 之间的行数，实际为 {show(lines)}")
        unknown = sorted(str(k) for k in set(d) - {"label", "field", "wide", "sign", "lines"})
        if unknown:
            check.fail(FORM_FILE, path, f"未知的键：{'、'.join(unknown)}")
        found.append(Item(label, field, wide is True, sign if isinstance(sign, str) else "",
                          lines if isinstance(lines, int) else 2))
    if not found and data is not None:
        check.fail(FORM_FILE, root, "至少要有一项")
    return found
