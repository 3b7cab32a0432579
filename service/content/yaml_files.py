"""Reading `content/*.yml`: the one YAML parser, and the errors every check of a file reports.

A `ContentError` names the file, the path inside it and what was expected; `Checker` holds
the field checks (text, number, mapping, list, uniqueness) that collect errors instead of
stopping at the first, so all of them are reported at once.
"""

from __future__ import annotations

import re
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
    line: int | None = None  # 1-based, when the path could be found in the file

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        at = f"第 {self.line} 行: " if self.line else ""
        return f"{where}: {at}{self.message}"


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
        errors.append(ContentError(path.name, _bad_date_line(text),
                                   f"YAML 格式错误：无效的日期（{exc}），日期请写成 YYYY-MM-DD"))
        return None
    except yaml.YAMLError as exc:
        mark = _where(exc, text)
        problem = getattr(exc, "problem", None) or str(exc)
        if mark is not None and mark is getattr(exc, "context_mark", None):
            problem = f"从此处开始的引号或括号到文件末尾都没有闭合（{getattr(exc, 'context', '')}）"
        quote = _open_quote(text)
        if quote is not None and (mark is None or quote.index < mark.index):
            mark, problem = quote, "此处开始的引号在本行没有闭合（引号中的内容延续到了后面的行）"
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else ""
        errors.append(ContentError(path.name, where, f"YAML 格式错误：{problem}"))
        return None


_LAST_KEY = re.compile(r"([^\s.→\[\]]+)(?:\[\d+\])*\s*$")
_QUOTED = re.compile(r"实际为 “(.*?)”")


def located(content_dir: Path, errors: list[ContentError]) -> list[ContentError]:
    """The errors, each with the line of the file it names when it can be found there: the first
    `key: value` whose key is the error path's last key and whose value the message quotes
    (else the first with that key alone, when only one has it; else the value the whole path
    leads to from the top of the file, `sections[0].lines`)."""
    nodes: dict[str, tuple[yaml.Node | None, list[tuple[yaml.Node, yaml.Node]]]] = {}
    result = []
    for error in errors:
        key = _LAST_KEY.search(error.path)
        if not error.path or error.path.startswith("第 ") or key is None:
            result.append(error)
            continue
        if error.file not in nodes:
            nodes[error.file] = _pairs(content_dir / error.file)
        root, pairs = nodes[error.file]
        quoted = _QUOTED.search(error.message)
        named = [pair for pair in pairs if pair[0].value == key.group(1)]
        found = [pair for pair in named if quoted and isinstance(pair[1], yaml.ScalarNode)
                 and pair[1].value == quoted.group(1)] or (named if len(named) == 1 else [])
        node = found[0][1] if found else _node_at(root, error.path)
        line = node.start_mark.line + 1 if node is not None else None
        result.append(ContentError(error.file, error.path, error.message, line))
    return result


_STEP = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


def _node_at(root: yaml.Node | None, path: str) -> yaml.Node | None:
    """The value at `path` (`header[2].field`) from the top of the file, None where it leads nowhere."""
    node = root
    for key, index in _STEP.findall(path):
        if key and isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)
        elif index and isinstance(node, yaml.SequenceNode) and int(index) < len(node.value):
            node = node.value[int(index)]
        else:
            return None
    return node if node is not root else None


def _pairs(path: Path) -> tuple[yaml.Node | None, list[tuple[yaml.Node, yaml.Node]]]:
    """The file's top node, and every key and value of every mapping in it, in document order."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None, []
    stack = [root]
    pairs = []
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:  # an alias: already walked
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            pairs.extend(p for p in node.value if isinstance(p[0], yaml.ScalarNode))
            stack.extend(n for pair in reversed(node.value) for n in reversed(pair))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
    pairs.sort(key=lambda pair: pair[0].start_mark.index)
    return root, pairs


def _where(exc: yaml.YAMLError, text: str) -> yaml.Mark | None:
    """Where the problem is: YAML's problem mark, except when the file ran out before a quote or
    a bracket closed (the mark is then the end of the file): where that scalar or flow began."""
    problem = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context_mark", None)
    if problem is not None and context is not None and problem.index >= len(text.rstrip()):
        return context  # type: ignore[no-any-return]
    return problem  # type: ignore[no-any-return]


def _open_quote(text: str) -> yaml.Mark | None:
    """Where a quoted value that runs past its line begins (a quote left open on a line whose file
    has another quote further down parses on, and fails far from the line to mend)."""
    try:
        for token in yaml.scan(text, Loader=YAML_LOADER):
            if (isinstance(token, yaml.ScalarToken) and token.style in ('"', "'")
                    and token.end_mark.line > token.start_mark.line):
                return token.start_mark  # type: ignore[no-any-return]
    except yaml.YAMLError:
        return None
    return None


def _bad_date_line(text: str) -> str:
    """The line of the first timestamp scalar the calendar refuses, found on the composed nodes."""
    constructor = yaml.SafeLoader("")
    nodes = [yaml.compose(text, Loader=YAML_LOADER)]
    while nodes:
        node = nodes.pop(0)
        if isinstance(node, yaml.MappingNode):
            nodes.extend(n for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            nodes.extend(node.value)
        elif isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:timestamp":
            try:
                constructor.construct_yaml_timestamp(node)
            except ValueError:
                return f"第 {node.start_mark.line + 1} 行第 {node.start_mark.column + 1} 列"
    return ""


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
