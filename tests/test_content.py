"""`portal check`: the shipped content passes, and every kind of mistake HR can make in
content/*.yml is reported with the file, the path inside it and what is expected."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from service.cli import cli
from service.config import ROOT

SHIPPED_CONTENT = ROOT / "content"


def check(content_dir: Path) -> Result:
    return CliRunner().invoke(cli, ["check", "--content", str(content_dir)], env={"PORTAL_CONTENT": None, "PORTAL_ROOT": None})


def edit(content_dir: Path, file: str, old: str, new: str) -> None:
    """Replace one exact piece of YAML text (it must occur exactly once)."""
    path = content_dir / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{file}: expected exactly one {old!r}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def error_lines(result: Result) -> list[str]:
    """The reported errors, one per line, as `portal check` prints them."""
    assert result.exit_code == 1, result.output
    lines = [line.strip() for line in result.stderr.splitlines()]
    assert lines[0].startswith("内容校验失败"), result.stderr
    errors = [line for line in lines[1:] if line]
    assert f"共 {len(errors)} 处错误" in lines[0]
    return errors


def find_error(result: Result, where: str, *expected: str) -> str:
    """The one error line starting with `where` (file: path); it must say all of `expected`."""
    matches = [line for line in error_lines(result) if line.startswith(f"{where}: ")]
    assert matches, f"no error at {where!r} in:\n{result.stderr}"
    line = matches[0]
    for part in expected:
        assert part in line, f"{part!r} missing from {line!r}"
    return line


# -- the shipped content -----------------------------------------------------------


def test_shipped_content_passes() -> None:
    result = check(SHIPPED_CONTENT)
    assert result.exit_code == 0, result.output
    assert "内容校验通过" in result.output
    assert str(SHIPPED_CONTENT) in result.output


def test_a_copy_of_the_shipped_content_passes(content_dir: Path) -> None:
    result = check(content_dir)
    assert result.exit_code == 0, result.output
    assert str(content_dir) in result.output


# -- one test per kind of mistake --------------------------------------------------


@dataclass(frozen=True)
class Mistake:
    file: str
    old: str
    new: str
    where: str  # "file: path" the message must start with
    expected: tuple[str, ...]  # what the message must say


THEORY_TEACHER_ROW_3 = (
    "          佐证材料及分值: 试卷、评分标准、成绩单、试卷分析表（材料缺项每项扣2分；合格率每低于目标5个百分点扣2分）\n"
    "          完成时限: 考试结束后7日内\n"
)

MISTAKES = {
    "common points do not sum to 40": Mistake(
        "common_targets.yml", "目标内容: 完成招生任务。\n  分值: 4", "目标内容: 完成招生任务。\n  分值: 5",
        "common_targets.yml", ("共性目标分值合计应为 40 分", "实际为 41 分"),
    ),
    "role template sums to 59": Mistake(
        "roles.yml", "分值: 15\n          佐证材料及分值: 课表、授课计划、教学日志（缺一项扣5分）",
        "分值: 14\n          佐证材料及分值: 课表、授课计划、教学日志（缺一项扣5分）",
        "roles.yml: 理论课教师 → targets", ("合计应为 60 分", "实际为 59 分"),
    ),
    "target row without evidence": Mistake(
        "roles.yml", THEORY_TEACHER_ROW_3, "          完成时限: 考试结束后7日内\n",
        "roles.yml: 理论课教师 → targets[2].佐证材料及分值", ("应为佐证材料及分值说明", "实际为 空"),
    ),
    "target row without deadline": Mistake(
        "roles.yml", THEORY_TEACHER_ROW_3,
        "          佐证材料及分值: 试卷、评分标准、成绩单、试卷分析表（材料缺项每项扣2分；合格率每低于目标5个百分点扣2分）\n",
        "roles.yml: 理论课教师 → targets[2].完成时限", ("应为完成时限", "实际为 空"),
    ),
    "points written as text": Mistake(
        "roles.yml", "分值: 15\n          佐证材料及分值: 课表", "分值: 十五分\n          佐证材料及分值: 课表",
        "roles.yml: 理论课教师 → targets[0].分值", ("应为数字", "“十五分”"),
    ),
    "duplicate department id": Mistake(
        "departments.yml", "{id: zwc, name: 总务处", "{id: cwc, name: 总务处",
        "departments.yml: 总务处 → id", ("“cwc”重复", "必须唯一"),
    ),
    "duplicate role id": Mistake(
        "roles.yml", "- id: major-teacher\n", "- id: theory-teacher\n",
        "roles.yml: 专业课教师 → id", ("“theory-teacher”重复", "必须唯一"),
    ),
    "duplicate staff id": Mistake(
        "roster.yml", "{staff_id: '100003',", "{staff_id: '100001',",
        "roster.yml: [1]（工号 100001）.staff_id", ("“100001”重复", "必须唯一"),
    ),
    "role lead is an unknown department": Mistake(
        "roles.yml", "- lead: jwc ", "- lead: jwx ",
        "roles.yml: [0].lead", ("“jwx”", "不在 departments.yml 中"),
    ),
    "roster entry with an unknown department": Mistake(
        "roster.yml", "name: 阎斌利, department: dzb,", "name: 阎斌利, department: xyz,",
        "roster.yml: [1]（工号 100003）.department", ("“xyz”", "departments.yml 中的部门"),
    ),
    "roster entry with an unknown role": Mistake(
        "roster.yml", "name: 阎斌利, department: dzb, role: department-head,",
        "name: 阎斌利, department: dzb, role: chief,",
        "roster.yml: [1]（工号 100003）.role", ("“chief”", "roles.yml 中的岗位"),
    ),
    "deadlines out of order": Mistake(
        "settings.yml", 'duties_all: "04-23"', 'duties_all: "04-10"',
        "settings.yml: deadlines.duties_all", ("04-10", "不能早于", "04-18"),
    ),
    "deadline that is not a real date": Mistake(
        "settings.yml", 'contracts: "04-26"', 'contracts: "02-30"',
        "settings.yml: deadlines.contracts", ("2019 年没有 02-30 这一天",),
    ),
    "full date outside the year": Mistake(
        "settings.yml", 'contracts: "04-26"', "contracts: 2018-04-26",
        "settings.yml: deadlines.contracts", ("2018-04-26", "不在 2019 年内"),
    ),
    "deadline in another format": Mistake(
        "settings.yml", 'contracts: "04-26"', "contracts: 4月26日",
        "settings.yml: deadlines.contracts", ("应为“月-日”格式", "“4月26日”"),
    ),
    "first reported month out of range": Mistake(
        "settings.yml", "monthly_first_month: 4", "monthly_first_month: 13",
        "settings.yml: monthly_first_month", ("应为 1–12 之间的月份", "13"),
    ),
    "first reported month as text": Mistake(
        "settings.yml", "monthly_first_month: 4", "monthly_first_month: 四月",
        "settings.yml: monthly_first_month", ("应为 1–12 之间的月份", "四月"),
    ),
}


@pytest.mark.parametrize("mistake", MISTAKES.values(), ids=MISTAKES.keys())
def test_mistake_is_reported_with_file_and_path(content_dir: Path, mistake: Mistake) -> None:
    edit(content_dir, mistake.file, mistake.old, mistake.new)
    find_error(check(content_dir), mistake.where, *mistake.expected)


def test_yaml_syntax_error_names_the_line(content_dir: Path) -> None:
    edit(content_dir, "settings.yml", "timezone: Asia/Shanghai", "timezone: Asia: Shanghai")
    text = (content_dir / "settings.yml").read_text(encoding="utf-8")
    line = text.splitlines().index("timezone: Asia: Shanghai") + 1
    column = "timezone: Asia: Shanghai".rindex(":") + 1
    find_error(check(content_dir), f"settings.yml: 第 {line} 行第 {column} 列", "YAML 格式错误")


@pytest.mark.parametrize("name", ["settings.yml", "departments.yml", "roles.yml", "common_targets.yml",
                                  "roster.yml"])
def test_missing_file_is_reported(content_dir: Path, name: str) -> None:
    (content_dir / name).unlink()
    assert error_lines(check(content_dir)) == [f"{name}: 文件不存在"]


def test_empty_file_is_reported(content_dir: Path) -> None:
    (content_dir / "departments.yml").write_text("# 空\n", encoding="utf-8")
    find_error(check(content_dir), "departments.yml: (文件顶层)", "应为非空列表")


def test_all_errors_in_different_files_are_reported_at_once(content_dir: Path) -> None:
    for mistake in ("common points do not sum to 40", "role template sums to 59", "duplicate department id",
                    "duplicate staff id", "deadlines out of order"):
        m = MISTAKES[mistake]
        edit(content_dir, m.file, m.old, m.new)
    result = check(content_dir)
    for mistake in ("common points do not sum to 40", "role template sums to 59", "duplicate department id",
                    "duplicate staff id", "deadlines out of order"):
        find_error(result, MISTAKES[mistake].where, *MISTAKES[mistake].expected)
    files = {line.split(":")[0] for line in error_lines(result)}
    assert files == {"settings.yml", "departments.yml", "roles.yml", "common_targets.yml", "roster.yml"}


def test_syntax_errors_in_several_files_are_reported_at_once(content_dir: Path) -> None:
    edit(content_dir, "settings.yml", "timezone: Asia/Shanghai", "timezone: Asia: Shanghai")
    edit(content_dir, "departments.yml", "- {id: dzb, name: 党政办公室, kind: 部门}", "- {id: dzb, name: [党政办公室, kind: 部门}")
    (content_dir / "roster.yml").unlink()
    errors = error_lines(check(content_dir))
    assert [e.split(":")[0] for e in errors] == ["settings.yml", "departments.yml", "roster.yml"]
    assert all(re.search(r"第 \d+ 行第 \d+ 列", e) for e in errors[:2]), errors


def test_a_role_whose_duties_and_template_are_not_written_yet_is_valid(content_dir: Path) -> None:
    path = content_dir / "roles.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "- lead: self\n  roles:\n    - id: role-1\n      name: 驾驶员\n      duties: []\n"
                    "      targets: []\n", encoding="utf-8")
    assert check(content_dir).exit_code == 0, check(content_dir).stderr
    path.write_text(text + "- lead: self\n  roles:\n    - id: role-1\n      name: 驾驶员\n", encoding="utf-8")
    find_error(check(content_dir), "roles.yml: 驾驶员 → targets", "应为非空列表")  # left out is not empty
