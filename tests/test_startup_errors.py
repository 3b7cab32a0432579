"""A broken file of the college's set-up stops `portal serve` before anything is served: one
Chinese line naming the file, the line in it and the problem, a non-zero exit, no traceback.
`portal check` reports the same, and compiles every page template."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from serverproc import PORTAL, portal_env

from service.cli import cli
from service.config import Settings


def broken_line(content_dir: Path, file: str, pick: Callable[[str], bool], change: Callable[[str], str]) -> int:
    """Change the first line of `file` that `pick` chooses; return its 1-based number."""
    path = content_dir / file
    lines = path.read_text(encoding="utf-8").split("\n")
    number = next(i for i, line in enumerate(lines) if pick(line))
    lines[number] = change(lines[number])
    path.write_text("\n".join(lines), encoding="utf-8")
    return number + 1


BREAKS: dict[str, tuple[str, Callable[[str], bool], Callable[[str], str]]] = {
    "settings: a quote left open": ("settings.yml", lambda line: "contracts:" in line,
                                    lambda line: line.replace('"04-26"', '"04-26')),
    "departments: a row indented wrongly": ("departments.yml", lambda line: "id: jwc" in line,
                                            lambda line: "  " + line),
    "roles: points written as text": ("roles.yml", lambda line: line.strip() == "分值: 12",
                                      lambda line: line.replace("12", "十二")),
    "roster: a date the calendar lacks": ("roster.yml", lambda line: "staff_id: '100003'" in line,
                                          lambda line: line.replace("}", ", joined: 2019-02-30}")),
    "a page: a filter without a name": ("pages/notice.md", lambda line: line.startswith("#"),
                                      lambda line: line + " {{ year | }}"),
    "registration form: a quote left open": ("registration_form.yml", lambda line: line.startswith("title:"),
                                             lambda line: line.rstrip().removesuffix('"')),
    "registration form: a field it cannot fill": ("registration_form.yml", lambda line: "field: gender" in line,
                                                  lambda line: line.replace("gender", "sex")),
    "registration form: a section too tall": ("registration_form.yml", lambda line: "lines: 12" in line,
                                              lambda line: line.replace("lines: 12", "lines: 99")),
}


@pytest.mark.parametrize("case", list(BREAKS))
def test_a_broken_file_stops_serve_with_one_line(settings: Settings, case: str) -> None:
    file, pick, change = BREAKS[case]
    line = broken_line(settings.content_dir, file, pick, change)
    started = subprocess.run([PORTAL, "serve", "--host", "127.0.0.1", "--port", "0"], env=portal_env(settings),
                             capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL)
    assert started.returncode != 0
    output = [text for text in (started.stdout + started.stderr).splitlines() if text.strip()]
    assert len(output) == 1, output
    assert Path(file).name in output[0] and f"第 {line} 行" in output[0], output[0]
    assert "服务未启动" in output[0] and "Traceback" not in output[0]
    assert not settings.data_dir.exists() or not (settings.data_dir / "db").exists()  # nothing was opened

    checked = CliRunner().invoke(cli, ["check", "--content", str(settings.content_dir)])
    assert checked.exit_code == 1
    assert any(Path(file).name in text and f"第 {line} 行" in text for text in checked.stderr.splitlines())


def test_check_compiles_the_page_templates(settings: Settings) -> None:
    passed = CliRunner().invoke(cli, ["check", "--content", str(settings.content_dir)])
    assert passed.exit_code == 0, passed.output
    assert "含页面模板" in passed.stdout
    line = broken_line(settings.content_dir, "pages/index.md", lambda text: "{{" in text,
                       lambda text: text.replace("{{", "{% for %}{{", 1))
    failed = CliRunner().invoke(cli, ["check", "--content", str(settings.content_dir)])
    assert failed.exit_code == 1
    assert f"pages/index.md: 第 {line} 行: 模板语法错误" in failed.stderr
