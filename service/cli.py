"""The `portal` command: check and build the portal, run and manage the service."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from service import config as config_module
from service.config import Settings
from service.content.models import ROLES

if TYPE_CHECKING:
    from service.workflows.context import Context


class Failed(click.ClickException):
    """A command that could not do its work: the message (Chinese) on stderr as it stands,
    then the exit code (1 unless said)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.format_message(), err=True, file=file)


def _settings() -> Settings:
    try:
        return config_module.from_env()
    except config_module.SettingInvalid as exc:
        raise Failed(f"设置有误：{exc}") from None


def _listed(head: str, errors: list[str]) -> str:
    return "\n".join([head, *(f"  {error}" for error in errors)])


@click.group(help="教职工岗位工作目标责任状门户与报送服务。")
def cli() -> None:
    pass


@cli.command(help="校验 content/ 下的内容文件（设置、部门、岗位、共性目标、名册）。")
@click.option("--content", "content_dir", type=click.Path(path_type=Path), help="内容目录（默认 content/）")
def check(content_dir: Path | None) -> None:
    from service.content.loader import validate

    directory = content_dir or _settings().content_dir
    errors = validate(directory)
    if errors:
        raise Failed(_listed(f"内容校验失败，共 {len(errors)} 处错误：", errors))
    click.echo(f"内容校验通过：{directory}")


@cli.command(help="校验内容后构建门户网站到 site/（报送服务在后台重建时构建到临时目录）。")
@click.option("--site-dir", type=click.Path(path_type=Path), default=None,
              help="输出目录（默认 site/ 或 PORTAL_SITE）")
def build(site_dir: Path | None) -> None:
    from service.content.loader import validate
    from service.sitegen.build import BuildFailed, build_site

    settings = _settings()
    if site_dir is not None:
        settings = settings.with_(site_dir=site_dir.resolve())
    started = time.monotonic()
    click.echo("第 1/2 步：校验内容……", nl=False)
    errors = validate(settings.content_dir)
    if errors:
        click.echo("未通过")
        raise Failed(_listed(f"内容校验失败，共 {len(errors)} 处错误，未构建：", errors))
    click.echo(f"通过（{time.monotonic() - started:.1f} 秒）")
    click.echo("第 2/2 步：构建门户网站（生成岗位页面、附件表格和中文搜索索引，通常需要几秒）……")
    step = time.monotonic()
    try:
        build_site(settings)
    except BuildFailed as exc:
        raise Failed(f"构建失败：{exc}") from None
    pages = sum(1 for _ in settings.site_dir.rglob("*.html"))
    click.echo(f"  已生成 {pages} 个页面（{time.monotonic() - step:.1f} 秒）")
    click.echo(f"构建完成，共用时 {time.monotonic() - started:.1f} 秒：{settings.site_dir}")


def _context() -> Context:
    """The service core without the web layer, for account and audit commands."""
    import datetime as dt

    from service.content.loader import ContentInvalid, load_content
    from service.storage.audit import SecretMissing
    from service.workflows.context import Context

    settings = _settings()
    try:
        content = load_content(settings.content_dir)
    except ContentInvalid as exc:
        raise Failed(f"内容校验失败：\n{exc}") from None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        return Context.open(settings, content, lambda: dt.datetime.now(dt.UTC))
    except SecretMissing as exc:
        raise Failed(f"错误：{exc}") from None


@cli.command(help="启动报送服务（单进程），同时提供门户网站。")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", default=8000, show_default=True, type=int, help="监听端口")
def serve(host: str, port: int) -> None:
    from service.storage import serve_lock

    settings = _settings()
    try:
        with serve_lock.serving(settings.data_dir):  # held until the service ends
            _serve(settings, host, port)
    except serve_lock.ServiceRunning as exc:
        raise Failed(f"{exc}，服务未启动。") from None


def _serve(settings: Settings, host: str, port: int) -> None:
    from service.content.loader import ContentInvalid
    from service.storage.audit import SecretMissing
    from service.web import server
    from service.web.app import create_app

    if not (settings.site_dir / "index.html").exists():
        click.echo("提示：尚未构建门户网站，请先运行 portal build（make serve 会自动构建）。", err=True)
    try:
        app = create_app(settings)
    except ContentInvalid as exc:
        raise Failed(f"内容校验失败，服务未启动：\n{exc}") from None
    except SecretMissing as exc:
        raise Failed(f"{exc}。服务未启动。") from None
    if app.state.initial_password:
        click.echo("=" * 60)
        click.echo("已创建人事处管理员账号（仅显示这一次，请立即记下并妥善保管）：")
        click.echo("  用户名：hr")
        click.echo(f"  密码：{app.state.initial_password}")
        click.echo("=" * 60)
    click.echo(f"数据目录：{settings.data_dir}")
    click.echo(f"门户与报送服务：http://{host}:{port}/  （按 Ctrl+C 停止）")
    server.run(app, settings, host, port)


@cli.group(help="管理账号：添加、重置密码、停用与启用、改密码、API 令牌。账号不能删除（审计记录保留其名称）。")
def users() -> None:
    pass


def _password(prompt: str = "密码") -> str:
    """A password typed twice at a terminal, or two equal lines on standard input."""
    if sys.stdin.isatty():
        return str(click.prompt(prompt, hide_input=True, confirmation_prompt=f"再次输入{prompt}"))
    lines = sys.stdin.read().splitlines()
    if len(lines) < 2 or lines[0] != lines[1]:
        raise Failed(f"错误：标准输入应为两行相同的{prompt}", exit_code=2)
    return lines[0]


def _account_command(action: Any, *args: Any) -> Any:
    from service.errors import ApiError

    try:
        return action(_context(), *args)
    except ApiError as exc:
        raise Failed(f"错误：{exc.message}") from None


@users.command("add", help="添加账号。密码在终端中输入两次；非终端时从标准输入读取两行（至少 10 个字符，不能是常见密码）。")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="角色")
@click.option("--department", default=None, help="部门代码（部门账号必填，见 departments.yml）")
@click.option("--display-name", default="", help="显示名称（各处记录中代替用户名显示）")
@click.option("--email", default="", help="电子邮箱")
@click.option("--phone", default="", help="联系电话")
@click.option("--oversees", default="", help="院领导主管的部门代码，逗号分隔（如 jxx,dqx）")
def users_add(name: str, role: str, department: str | None, display_name: str, email: str, phone: str,
              oversees: str) -> None:
    from service.workflows import accounts

    details = accounts.profile(display_name, email, phone, department, oversees.replace("，", ",").split(","))
    password = _password()
    _account_command(lambda ctx: accounts.add_user(ctx, name, role, None, password, "cli", details))
    scope = department or "、".join(details.oversees)
    click.echo(f"已添加账号 {name}（{role}{'，' + scope if scope else ''}）")


@users.command("token", help="为账号生成新的 API 令牌（输出的最后一个词；只显示这一次）。")
@click.argument("name")
@click.option("--name", "token_name", default="", help="令牌名称（用途）")
def users_token(name: str, token_name: str) -> None:
    from service.workflows import accounts

    token = _account_command(accounts.new_token, name, "cli", token_name)
    click.echo(f"{name} 的新 API 令牌（只显示这一次；请求头 Authorization: Bearer 令牌）：")
    click.echo(token)


@users.command("tokens", help="列出账号的 API 令牌：编号、名称、生成时间、最近使用、状态。")
@click.argument("name")
def users_tokens(name: str) -> None:
    from service.workflows import accounts

    for t in _account_command(accounts.tokens, name):
        state = f"已停用 {t['revoked_at']}" if t["revoked_at"] else "有效"
        click.echo("\t".join([t["id"], t["name"] or "-", t["created_at"] or "-", t["last_used_at"] or "从未使用", state]))


@users.command("revoke", help="停用账号的一个 API 令牌（编号见 portal users tokens），从下一次请求起拒绝。")
@click.argument("name")
@click.argument("token_id")
def users_revoke(name: str, token_id: str) -> None:
    from service.workflows import accounts

    _account_command(accounts.revoke_token, name, token_id, "cli")
    click.echo(f"已停用 {name} 的令牌 {token_id}")


@users.command("reset", help="重置账号的密码：生成一次性密码（只显示这一次，首次登录后须修改），其所有登录会话立即结束。")
@click.argument("name")
def users_reset(name: str) -> None:
    from service.workflows import accounts

    password = _account_command(accounts.reset_password, name, "cli")
    click.echo(f"{name} 的一次性密码（只显示这一次，首次登录后须修改）：")
    click.echo(password)


@users.command("disable", help="停用账号：其所有登录会话立即结束，API 令牌不再可用。")
@click.argument("name")
def users_disable(name: str) -> None:
    from service.workflows import accounts

    _account_command(accounts.set_active, name, False, "cli")
    click.echo(f"已停用账号 {name}")


@users.command("enable", help="重新启用已停用的账号。")
@click.argument("name")
def users_enable(name: str) -> None:
    from service.workflows import accounts

    _account_command(accounts.set_active, name, True, "cli")
    click.echo(f"已启用账号 {name}")


@users.command("passwd", help="修改账号的密码：先输入当前密码，再输入两次新密码（非终端时从标准输入读三行）。其所有登录会话结束。")
@click.argument("name")
def users_passwd(name: str) -> None:
    from service.workflows import accounts

    if sys.stdin.isatty():
        current = str(click.prompt("当前密码", hide_input=True))
        new = str(click.prompt("新密码", hide_input=True, confirmation_prompt="再次输入新密码"))
    else:
        lines = sys.stdin.read().splitlines()
        if len(lines) < 3 or lines[1] != lines[2]:
            raise Failed("错误：标准输入应为三行：当前密码、新密码、新密码", exit_code=2)
        current, new = lines[0], lines[1]
    _account_command(accounts.change_password, name, current, new)
    click.echo(f"已修改 {name} 的密码")


@users.command("list", help="列出所有账号：用户名、角色、部门（院领导：主管部门）、显示名称、状态。")
def users_list() -> None:
    from service.workflows import accounts

    for user in _account_command(accounts.users):
        scope = user["department"] or ",".join(user["oversees"])
        state = "已停用" if not user["active"] else "待改密" if user["must_change_password"] else "启用"
        click.echo("\t".join([user["username"], user["role"], scope, user["display_name"], state]))


@cli.group(help="审计日志。")
def audit() -> None:
    pass


@audit.command("verify", help="校验审计日志的哈希链，以及每个已存文件的 SHA-256。")
def audit_verify() -> None:
    from service.storage.integrity import verify

    report = verify(_context().store)
    for problem in report.problems:
        click.echo(f"  ✗ {problem}", err=True)
    click.echo(f"审计日志 {report.entries} 条，已存文件 {report.files} 个。")
    if report.problems:
        raise Failed(f"校验失败：发现 {len(report.problems)} 处问题。")
    click.echo("校验通过。")


@cli.command(help="把数据目录备份为 FILE（.tar.gz，附各文件 SHA-256 清单）。服务运行时也可备份：数据库与审计日志"
             "在数据锁内一次读出，得到一致的快照。")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup(file: Path) -> None:
    from service.storage import backup as backups

    store = _context().store
    try:
        taken = backups.snapshot(store)
        with click.progressbar(length=taken.count, label="正在备份", show_pos=True) as bar:
            manifest = backups.write(taken, file.resolve(), on_member=lambda: bar.update(1))
    except backups.BackupError as exc:
        raise Failed(f"备份失败：{exc}") from None
    uploads = sum(1 for name in manifest if name.startswith("files/"))
    click.echo(f"已备份到 {file}：{len(manifest)} 个文件（其中扫描件 {uploads} 个），快照时间 {taken.taken_at}。")


@cli.command(help="从 portal backup 生成的 FILE 恢复数据目录：先逐个核对清单中的 SHA-256，全部无误才放入目标目录。"
             "目标目录须为空（或不存在）；加 --force 时原目录改名保留。服务正在使用目标目录时拒绝恢复，请先停止服务。")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="恢复到的数据目录（默认 PORTAL_DATA 或 var/）")
@click.option("--force", is_flag=True, help="目标目录不为空时也恢复（原目录改名为 <目录>.before-restore-<时间>）")
def restore(file: Path, data_dir: Path | None, force: bool) -> None:
    from service.storage import backup as backups

    target = (data_dir or _settings().data_dir).resolve()
    try:
        with click.progressbar(length=backups.members(file), label="正在恢复", show_pos=True) as bar:
            count, moved = backups.restore(file, target, force=force, on_member=lambda: bar.update(1))
    except backups.BackupError as exc:
        raise Failed(f"恢复失败：{exc}") from None
    if moved is not None:
        click.echo(f"原数据目录已改名保留：{moved}")
    click.echo(f"已恢复 {count} 个文件到 {target}。请运行 portal audit verify 核对。")


@cli.command("import-roster", help="从人事系统导出的 .xlsx 或 .csv 导入教职工名册：先校验每一行并显示新增、变更、"
             "移除的人员，校验通过后才写入 content/roster.yml。")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只显示将发生的变化，不改动名册")
@click.option("--content", "content_dir", type=click.Path(path_type=Path), help="内容目录（默认 content/）")
def import_roster(file: Path, dry_run: bool, content_dir: Path | None) -> None:
    from service.content.loader import ContentInvalid, load_content
    from service.content.roster import RosterImportError, parse_roster, summary_lines
    from service.office.roster_sheet import read_table
    from service.workflows.roster import write

    directory = content_dir or _settings().content_dir
    try:
        content = load_content(directory)
    except ContentInvalid as exc:
        raise Failed(f"当前内容校验失败，请先修正：\n{exc}") from None
    try:
        table = read_table(file.read_bytes(), file.name)
        with click.progressbar(length=len(table.rows), label="正在校验名册", show_pos=True) as bar:
            result = parse_roster(content, table, on_row=lambda: bar.update(1))
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
