"""`portal import-roster` and `portal new-year`: the college's set-up HR edits (in the data directory)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    pass

from service.cli.base import Failed, cli, open_context, setup_settings


@cli.command("import-roster", help="从人事系统导出的 .xlsx 或 .csv 导入教职工名册：先校验每一行并显示新增、变更、"
             "移除的人员，校验通过后才写入学院设置中的名册 roster.yml（数据目录下的 setup/）。")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只显示将发生的变化，不改动名册")
@click.option("--content", "content_dir", type=click.Path(path_type=Path), help="内容目录（默认学院设置目录，即数据目录下的 setup/）")
@click.option("--map", "maps", multiple=True, metavar="岗位:名称=岗位",
              help="人事系统中的岗位或部门名称对应到本系统的（如 --map 岗位:班主任=本系统的岗位名称 或 --map 部门:机械系=jxx）；"
              "导入后记住，与网页导入时记住的一起自动使用。可重复")
def import_roster(file: Path, dry_run: bool, content_dir: Path | None, maps: tuple[str, ...]) -> None:
    from service.content.loader import ContentInvalid, load_content
    from service.content.roster import (
        MappingInvalid,
        RosterImportError,
        parse_roster,
        resolve_mapping,
        summary_lines,
    )
    from service.office.roster_sheet import read_table
    from service.workflows.roster import mapping, remember, write

    directory = content_dir or setup_settings().content_dir
    try:
        content = load_content(directory)
    except ContentInvalid as exc:
        raise Failed(f"当前内容校验失败，请先修正：\n{exc}") from None
    try:
        chosen = resolve_mapping(content, [(m.partition("=")[0], m.partition("=")[2]) for m in maps])
    except MappingInvalid as exc:
        raise Failed(f"--map：{exc}") from None
    try:
        table = read_table(file.read_bytes(), file.name)
        with click.progressbar(length=len(table.rows), label="正在校验名册", show_pos=True) as bar:
            result = parse_roster(content, table, on_row=lambda: bar.update(1),
                                  mapping={**mapping(directory), **chosen})
    except RosterImportError as exc:
        raise Failed(f"{file.name} 有 {len(exc.errors)} 处错误，名册未改动：\n{exc}") from None
    for line in summary_lines(content, result):
        click.echo(line)
    if result.diff.empty:
        click.echo("名册没有变化，未改动。")
    elif dry_run:
        click.echo("试运行（--dry-run）：名册未改动。")
    else:
        click.echo(f"名册已更新：{write(directory, result)}（运行中的报送服务在下一次请求时即按新名册工作）")
        remember(directory, chosen)


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
