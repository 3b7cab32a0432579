"""`portal import-roster` and `portal new-year`: the college's set-up HR edits (in the data directory)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from service.cli.base import Failed, cli, open_context, setup_settings
from service.content.roster import MAPPED
from service.content.roster_choices import LEAD_PREFIX, MAP_PREFIX, NEW_ROLE, SELF_LEAD_NAME

if TYPE_CHECKING:
    from service.content.models import Content
    from service.content.roster import Mapping_, RosterImport
    from service.workflows.context import Context
    from service.workflows.roster import Prepared


@cli.command("import-roster", help="从人事系统导出的 .xlsx 或 .csv 导入教职工名册：先校验每一行并显示新增、变更、"
             "移除的人员，校验通过后才写入学院设置中的名册 roster.yml（数据目录下的 setup/）。")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只显示将发生的变化（含将添加的新岗位），不改动名册和学院设置")
@click.option("--content", "content_dir", type=click.Path(path_type=Path), help="内容目录（默认学院设置目录，即数据目录下的 setup/）")
@click.option("--map", "maps", multiple=True, metavar="岗位:名称=岗位",
              help="人事系统中的岗位或部门名称对应到本系统的（如 --map 岗位:班主任=本系统的岗位名称 或 --map 部门:机械系=jxx）；"
              f"--map 岗位:名称={NEW_ROLE} 把它作为新岗位加入学院设置（须同时给出 --lead）；"
              "导入后记住，与网页导入时记住的一起自动使用。可重复")
@click.option("--lead", "leads", multiple=True, metavar="岗位:名称=部门",
              help=f"新岗位牵头拟定个性目标的部门（部门名称或代码，或“{SELF_LEAD_NAME}”），"
              f"如 --lead 岗位:驾驶员=党政办公室；只用于 --map 岗位:名称={NEW_ROLE}。可重复")
def import_roster(file: Path, dry_run: bool, content_dir: Path | None, maps: tuple[str, ...],
                  leads: tuple[str, ...]) -> None:
    from service.content.loader import ContentInvalid
    from service.content.roster import MappingInvalid, RosterImportError, parse_roster
    from service.content.roster_choices import preview_lines
    from service.content.roster_file import ROSTER_FILE
    from service.errors import ApiError
    from service.office.roster_sheet import read_table
    from service.workflows import roster

    fields = _choice_fields(maps, leads)
    target = _target(content_dir, any(value.strip() == NEW_ROLE for key, value in fields if key.startswith(MAP_PREFIX)))
    try:
        table = read_table(file.read_bytes(), file.name)
        with click.progressbar(length=len(table.rows), label="正在校验名册", show_pos=True) as bar:
            def read(content: Content, mapping: Mapping_) -> RosterImport:
                return parse_roster(content, table, on_row=lambda: bar.update(1), mapping=mapping)
            prepared = (_prepare_elsewhere(target, fields, read) if isinstance(target, Path)
                        else roster.prepare(target, fields, read))
    except ContentInvalid as exc:
        raise Failed(f"当前内容校验失败，请先修正：\n{exc}") from None
    except MappingInvalid as exc:
        option = "--lead" if exc.code in ("new_role_lead_missing", "new_role_lead_unknown") else "--map"
        raise Failed(f"{option}：{exc}；名册和学院设置均未改动") from None
    except ApiError as exc:
        raise Failed(f"错误：{exc.message}；名册和学院设置均未改动") from None
    except RosterImportError as exc:
        raise Failed(f"{file.name} 有 {len(exc.errors)} 处错误，名册未改动：\n{exc}") from None
    choices, result = prepared.choices, prepared.result
    for line in preview_lines(prepared.content, choices.new_roles, result, limit=10):
        click.echo(line)
    if result.diff.empty and not choices.new_roles:
        click.echo("名册没有变化，未改动。")
    elif dry_run:
        click.echo("试运行（--dry-run）：名册未改动。" + ("新岗位未加入学院设置。" if choices.new_roles else ""))
    elif isinstance(target, Path):
        click.echo(f"名册已更新：{roster.write(target, result)}（运行中的报送服务在下一次请求时即按新名册工作）")
        roster.remember(target, choices.mapping, "cli", dt.datetime.now().astimezone().isoformat(timespec="seconds"))
    else:
        try:
            roster.apply(target, result, prepared.base, "cli", choices.mapping, choices.new_roles)
        except ApiError as exc:
            raise Failed(f"错误：{exc.message}") from None
        for role in choices.new_roles:
            click.echo(f"已添加新岗位：{role.name}（代码 {role.id}）；岗位职责和个性目标模板为空，"
                       "请在“设置学院—岗位与个性目标模板”页面填写。")
        click.echo(f"名册已更新：{target.settings.content_dir / ROSTER_FILE}（运行中的报送服务在下一次请求时即按新名册工作）")


def _choice_fields(maps: Sequence[str], leads: Sequence[str]) -> list[tuple[str, str]]:
    """`--map` and `--lead` as the fields the web form and the API send (`map:…`, `lead:岗位:…`); a
    `--lead` for a value not added as a new role is refused."""
    fields = [(MAP_PREFIX + m.partition("=")[0], m.partition("=")[2]) for m in maps]
    added = {key[len(MAP_PREFIX):] for key, value in fields if value.strip() == NEW_ROLE}
    for lead in leads:
        key = lead.partition("=")[0]
        if not key.startswith(f"{MAPPED['role']}:") or key not in added:
            raise Failed(f"--lead {key}：只为 --map 岗位:名称={NEW_ROLE} 添加的新岗位指定牵头部门；"
                         "名册和学院设置均未改动")
    return fields + [(LEAD_PREFIX + lead.partition("=")[0].partition(":")[2], lead.partition("=")[2])
                     for lead in leads]


def _target(content_dir: Path | None, adds: bool) -> Context | Path:
    """Where the import goes: the service core when it is the college's set-up (audited, new roles
    added through the set-up's roles part), or another content directory (no role added there)."""
    if content_dir is not None and not adds:
        return content_dir
    settings = setup_settings()
    if content_dir is not None and content_dir.resolve() != settings.content_dir.resolve():
        raise Failed(f"--map …={NEW_ROLE} 只能用于学院设置（{settings.content_dir}），不能用于 --content 指定的其他目录；"
                     "名册未改动")
    return open_context(service_clock=True)


def _prepare_elsewhere(directory: Path, fields: list[tuple[str, str]],
                       read: Callable[[Content, Mapping_], RosterImport]) -> Prepared:
    """An import into a content directory other than the set-up: the mappings only, no new role."""
    from service.content.loader import load_content
    from service.content.roster_choices import from_fields
    from service.workflows import roster

    content = load_content(directory)
    choices = from_fields(content, fields)
    return roster.Prepared(choices, content, read(content, {**roster.mapping(directory), **choices.mapping}), "")


@cli.command("new-year", help="开始新年度：把设置、部门、岗位、共性目标、名册和页面带到 YEAR 年，日期移到新年度。"
             "默认在学院设置目录（数据目录下的 setup/）原地更新，并把当前年度的内容存档到 setup/years/<当前年度>/；"
             "加 --into 则写到另一个目录，学院设置不变。数据目录按年度分开，往年数据照常可查。")
@click.argument("year", type=int)
@click.option("--content", "content_dir", type=click.Path(path_type=Path), help="内容目录（默认学院设置目录，即数据目录下的 setup/）")
@click.option("--into", "target", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="把新年度的内容写到此目录（须为空或不存在）")
def new_year(year: int, content_dir: Path | None, target: Path | None) -> None:
    from service.errors import ApiError
    from service.workflows import years

    own = content_dir is None  # the service's set-up: its audit log records the start
    directory = (content_dir or setup_settings().content_dir).resolve()
    try:
        started = years.start(directory, year, target.resolve() if target is not None else None)
    except ApiError as exc:
        raise Failed(f"错误：{exc.message}") from None
    if started.archive is None:
        click.echo(f"已生成 {year} 年度的内容：{started.target}（{directory} 未改动）")
        return
    if own:
        years.record_start(open_context(), "cli", started)
    click.echo(f"{started.current} 年度的内容已存档到 {started.archive}")
    click.echo(f"{directory} 已更新为 {year} 年度（{'、'.join(started.changed)} 中的年份和日期已移到 {year} 年）。")
    click.echo("账号、令牌和往年数据保留不变；请运行 portal check 与 portal build，并重启服务"
               "（也可在人事处的“年度管理”页面开始新年度，无需重启）。")
