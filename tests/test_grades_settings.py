"""settings.yml's assessment section: every number has its default, a wrong value is reported
with the file, its path and what was expected, all at once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli import cli
from service.content.loader import load_content, validate
from service.content.models import AssessmentSettings

SECTION_START = "\nassessment:\n"


def with_section(content_dir: Path, section: str) -> None:
    path = content_dir / "settings.yml"
    text = path.read_text(encoding="utf-8")
    head = text[: text.index(SECTION_START)]
    path.write_text(head + section, encoding="utf-8")


def test_the_shipped_section_holds_the_defaults(content_dir: Path) -> None:
    shipped = load_content(content_dir).settings.assessment
    assert shipped == AssessmentSettings()
    with_section(content_dir, "\n")  # no section at all: the same defaults
    assert load_content(content_dir).settings.assessment == AssessmentSettings()


def test_values_given_replace_the_defaults(content_dir: Path) -> None:
    with_section(content_dir, """
assessment:
  bands: {优秀: 85}
  quota: {percent: 15, lowered_percent: 10, rounding: nearest, scope: college, base: graded}
  leave: {counted: [病假], limit_days: 180, not_excellent_days: 60}
  sanctions: {警告: {years: 2}}
  publicity_days: 7
  review: {apply_days: 15}
  calendar: {extra_holidays: [2027-10-01], extra_workdays: ["2027-09-26"]}
""")
    s = load_content(content_dir).settings.assessment
    assert s.bands[0] == ("优秀", 85.0) and s.bands[1] == ("合格", 70.0)
    assert (s.quota_percent, s.quota_lowered, s.quota_rounding, s.quota_scope, s.quota_base) == (
        15.0, 10.0, "nearest", "college", "graded")
    assert (s.leave_counted, s.leave_limit_days, s.leave_not_excellent_days) == (("病假",), 180, 60)
    assert s.sanction("警告").years == 2 and s.sanction("警告").months == 6
    assert (s.publicity_days, s.review.apply, s.review.decide) == (7, 15, 30)
    assert s.extra_holidays == (dt.date(2027, 10, 1),) and s.extra_workdays == (dt.date(2027, 9, 26),)


@pytest.mark.parametrize(("section", "path", "words"), [
    ("  quota: {percent: 120}", "assessment.quota.percent", "0–100"),
    ("  quota: {percent: 30}", "assessment.quota", "≤ raised_percent"),
    ("  quota: {rounding: floor}", "assessment.quota.rounding", "down（向下取整）"),
    ("  quota: {scope: school}", "assessment.quota.scope", "college（全院统一计算）"),
    ("  bands: {合格: 95}", "assessment.bands", "从高到低"),
    ("  bands: {不合格: 10}", "assessment.bands.不合格", "只能设"),
    ("  leave: {counted: [年假]}", "assessment.leave.counted", "假别列表"),
    ("  publicity_days: 0", "assessment.publicity_days", "1–30 之间的整数"),
    ("  sanctions: {开除: {effect: no_grade}}", "assessment.sanctions.开除", "处分种类"),
    ("  sanctions: {记过: {effect: bad}}", "assessment.sanctions.记过.effect", "not_excellent"),
    ("  calendar: {extra_holidays: ['2027-13-01']}", "assessment.calendar.extra_holidays[0]", "年-月-日"),
    ("  calendar: {extra_holidays: [2027-13-01]}", "2027-13-01", "无效的日期"),  # YAML's own error: at its place
    ("  calendar: {extra_holidays: [2027-10-01], extra_workdays: [2027-10-01]}", "assessment.calendar", "既是节假日"),
    ("  review: {apply_days: -1}", "assessment.review.apply_days", "1–365"),
])
def test_a_wrong_value_names_the_file_and_path(content_dir: Path, section: str, path: str, words: str) -> None:
    with_section(content_dir, f"{SECTION_START}{section}\n")
    errors = validate(content_dir)
    if not path.startswith("assessment"):  # a value YAML itself cannot read is named by its line and column
        lines = (content_dir / "settings.yml").read_text(encoding="utf-8").splitlines()
        number, line = next((n, line) for n, line in enumerate(lines, 1) if path in line)
        path = f"第 {number} 行第 {line.index(path) + 1} 列"
    assert [(e.file, e.path) for e in errors] == [("settings.yml", path)], errors
    assert words in errors[0].message


def test_every_wrong_value_is_reported_at_once_by_portal_check(content_dir: Path) -> None:
    with_section(content_dir, f"{SECTION_START}  quota: {{percent: 120}}\n  publicity_days: 0\n")
    result = CliRunner().invoke(cli, ["check", "--content", str(content_dir)])
    assert result.exit_code == 1
    assert "共 2 处错误" in result.output and "settings.yml: assessment.publicity_days:" in result.output
