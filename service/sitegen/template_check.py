"""Templates compiled ahead of use, so that a syntax error stops a start-up or a check with the
template's file and line instead of surfacing on the first page that draws it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import jinja2


def _compile_error(label: str, compile_one: Callable[[], object]) -> str | None:
    try:
        compile_one()
    except jinja2.TemplateSyntaxError as exc:
        return f"{label}: 第 {exc.lineno} 行: 模板语法错误：{exc.message}"
    return None


def loader_errors(env: jinja2.Environment, where: str) -> list[str]:
    """Every template `env`'s loader lists, compiled with `env`'s settings; `where` names the folder."""
    found = (_compile_error(f"{where}/{name}", lambda name=name: env.get_template(name))
             for name in env.list_templates())
    return [error for error in found if error is not None]


def file_errors(env: jinja2.Environment, root: Path, pattern: str) -> list[str]:
    """Every file under `root` matching `pattern`, compiled as a template with `env`'s settings."""
    errors = []
    for path in sorted(root.rglob(pattern)):
        label = f"{root.name}/{path.relative_to(root).as_posix()}"
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(f"{label}: 无法读取：{exc}")
            continue
        error = _compile_error(label, lambda source=source, path=path: env.compile(source, path.name, str(path)))
        if error is not None:
            errors.append(error)
    return errors
