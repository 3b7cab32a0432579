"""Reading `content/*.yml`: the one YAML parser, and the errors every check of a file reports.

A `ContentError` names the file, the path inside it and what was expected; `Checker` holds
the field checks (text, number, mapping, list, uniqueness) that collect errors instead of
stopping at the first, so all of them are reported at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

try:  # the C loader is ~10x faster on a large roster
    YAML_LOADER: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    YAML_LOADER = yaml.SafeLoader


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


def read_yaml(path: Path, errors: list[ContentError], *,
              fast: Callable[[str], Any | None] | None = None) -> Any:
    """The file's data, or None with the reason added to `errors`.

    `fast`, when given, reads the text first; its None leaves the text to YAML.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        errors.append(ContentError(path.name, "", "文件不存在"))
        return None
    except UnicodeDecodeError:
        errors.append(ContentError(path.name, "", "文件不是 UTF-8 编码"))
        return None
    if fast is not None:
        data = fast(text)
        if data is not None:
            return data
    return parse_yaml(path, text, errors)


def parse_yaml(path: Path, text: str, errors: list[ContentError]) -> Any:
    try:
        return yaml.load(text, Loader=YAML_LOADER)
    except yaml.reader.ReaderError as exc:  # a character YAML refuses: named by its line and column
        line = text.count("\n", 0, exc.position)
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1)
        errors.append(ContentError(path.name, f"第 {line + 1} 行第 {column + 1} 列",
                                   f"YAML 格式错误：含有不允许的字符 U+{exc.character:04X}（如控制字符）"))
        return None
    except ValueError as exc:  # a date YAML recognises but the calendar lacks (2027-13-01)
        errors.append(ContentError(path.name, "", f"YAML 格式错误：无效的日期（{exc}），日期请写成 YYYY-MM-DD"))
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        errors.append(ContentError(path.name, where, f"YAML 格式错误：{problem}"))
        return None


class Checker:
    """Field checks that collect errors instead of stopping at the first."""

    def __init__(self, errors: list[ContentError]) -> None:
        self.errors = errors

    def fail(self, file: str, path: str, message: str) -> None:
        self.errors.append(ContentError(file, path, message))

    def text(self, file: str, path: str, value: Any, what: str = "非空文字") -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.fail(file, path, f"应为{what}，实际为 {show(value)}")
            return ""
        return value.strip()

    def number(self, file: str, path: str, value: Any, *, positive: bool = True) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            self.fail(file, path, f"应为数字，实际为 {show(value)}")
            return 0.0
        if positive and value <= 0:
            self.fail(file, path, f"应为大于 0 的数字，实际为 {show(value)}")
        return float(value)

    def mapping(self, file: str, path: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(file, path or "(文件顶层)", f"应为键值映射，实际为 {show(value)}")
            return {}
        return value

    def sequence(self, file: str, path: str, value: Any) -> list[Any]:
        if not isinstance(value, list) or not value:
            self.fail(file, path or "(文件顶层)", f"应为非空列表，实际为 {show(value)}")
            return []
        return value

    def unique(self, file: str, path: str, seen: set[str], value: str, what: str) -> None:
        if value and value in seen:
            self.fail(file, path, f"{what}“{value}”重复，必须唯一")
        seen.add(value)


def show(value: Any) -> str:
    """A value as an error message quotes it: “文字”, 12, 空."""
    if value is None:
        return "空"
    text = repr(value) if not isinstance(value, str) else f"“{value}”"
    return text if len(text) <= 60 else text[:57] + "…"
