"""`portal audit verify`, `portal backup` and `portal restore`."""

from __future__ import annotations

from pathlib import Path

import click

from service.cli.base import Failed, cli, load_settings, open_context


@cli.group(help="审计日志。")
def audit() -> None:
    pass


@audit.command("verify", help="校验审计日志的哈希链、每条记录与审计日志记下的摘要是否一致，以及每个已存文件的 SHA-256。")
def audit_verify() -> None:
    from service.storage.integrity import verify

    report = verify(open_context().store)
    for problem in report.problems:
        click.echo(f"  ✗ {problem}", err=True)
    click.echo(f"审计日志 {report.entries} 条，核对记录 {report.records} 条，已存文件 {report.files} 个。")
    if report.problems:
        raise Failed(f"校验失败：发现 {len(report.problems)} 处问题。")
    click.echo("校验通过。")


@cli.command(help="把数据目录备份为 FILE（.tar.gz，附各文件 SHA-256 清单），包括学院设置（数据目录下的 setup/）。"
             "服务运行时也可备份：数据库、审计日志与学院设置在数据锁内一次读出，得到一致的快照。")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup(file: Path) -> None:
    from service.storage import backup as backups
    from service.storage.setup_dir import inside_data

    ctx = open_context()
    relative = inside_data(ctx.settings)
    setup = ctx.settings.content_dir if relative is not None else None
    if setup is None:
        click.echo(f"提示：学院设置 {ctx.settings.content_dir} 不在数据目录中（PORTAL_CONTENT），未包含在备份中。",
                   err=True)
    try:
        taken = backups.snapshot(ctx.store, setup)
        with click.progressbar(length=taken.count, label="正在备份", show_pos=True) as bar:
            manifest = backups.write(taken, file.resolve(), on_member=lambda: bar.update(1))
    except backups.BackupError as exc:
        raise Failed(f"备份失败：{exc}") from None
    uploads = sum(1 for name in manifest if name.startswith("files/"))
    setup_files = sum(1 for name in manifest if relative is not None and name.startswith(f"{relative.as_posix()}/"))
    click.echo(f"已备份到 {file}：{len(manifest)} 个文件（其中上传的扫描件与附件 {uploads} 个，学院设置 {setup_files} 个），"
               f"快照时间 {taken.taken_at}。")


@cli.command(help="从 portal backup 生成的 FILE 恢复数据目录：先逐个核对清单中的 SHA-256，全部无误才放入目标目录。"
             "目标目录须为空（或不存在）；加 --force 时原目录改名保留。服务正在使用目标目录时拒绝恢复，请先停止服务。")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--check", "only_check", is_flag=True,
              help="只核对备份（清单与每个文件的 SHA-256），不恢复任何文件")
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="恢复到的数据目录（默认 PORTAL_DATA 或 var/）")
@click.option("--force", is_flag=True, help="目标目录不为空时也恢复（原目录改名为 <目录>.before-restore-<时间>）")
def restore(file: Path, only_check: bool, data_dir: Path | None, force: bool) -> None:
    from service.storage import backup as backups

    if only_check:
        _check(file)
        return
    target = (data_dir or load_settings().data_dir).resolve()
    try:
        with click.progressbar(length=backups.members(file), label="正在恢复", show_pos=True) as bar:
            count, moved = backups.restore(file, target, force=force, on_member=lambda: bar.update(1))
    except backups.BackupError as exc:
        raise Failed(f"恢复失败：{exc}") from None
    if moved is not None:
        click.echo(f"原数据目录已改名保留：{moved}")
    click.echo(f"已恢复 {count} 个文件到 {target}。请运行 portal audit verify 核对。")


def _check(file: Path) -> None:
    import tempfile

    from service.storage import backup as backups

    try:
        with tempfile.TemporaryDirectory() as scratch, \
                click.progressbar(length=backups.members(file), label="正在核对", show_pos=True) as bar:
            checked = backups.check(file, Path(scratch), on_member=lambda: bar.update(1))
    except backups.BackupError as exc:
        raise Failed(f"核对失败：{exc}。未恢复任何文件。") from None
    version = f"第 {checked.data_format} 版" if checked.data_format is not None else "未记录"
    click.echo(f"备份完好：{file} 共 {checked.files} 个文件（{checked.size} 字节），清单与每个文件的 SHA-256 一致；"
               f"快照时间 {checked.taken_at}，数据格式{version}。未恢复任何文件。")
