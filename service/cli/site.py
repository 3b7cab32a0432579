"""`portal check`, `portal build` and `portal serve`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from service.config import Settings

if TYPE_CHECKING:
    pass

from service.cli.base import Failed, cli, listed, load_settings, one_line, setup_settings


def template_errors(content_dir: Path) -> list[str]:
    """Syntax errors of every page template: the set-up's pages, the site's and the service's."""
    from service.sitegen import hooks, pages
    from service.web import templating

    return [*hooks.page_errors(content_dir / "pages"), *pages.template_errors(), *templating.template_errors()]


@cli.command(help="校验学院设置（数据目录下的 setup/：设置、部门、岗位、共性目标、名册），并编译每个页面模板。")
@click.option("--content", "content_dir", type=click.Path(path_type=Path),
              help="内容目录（默认学院设置目录，即数据目录下的 setup/）")
def check(content_dir: Path | None) -> None:
    from service.content.loader import validate

    directory = content_dir or setup_settings().content_dir
    errors = validate(directory) + template_errors(directory)
    if errors:
        raise Failed(listed(f"内容校验失败，共 {len(errors)} 处错误：", errors))
    click.echo(f"内容校验通过（含页面模板）：{directory}")


@cli.command(help="校验学院设置后构建门户网站到 site/（页面取自学院设置；报送服务在后台重建时构建到临时目录）。")
@click.option("--site-dir", type=click.Path(path_type=Path), default=None,
              help="输出目录（默认 site/ 或 PORTAL_SITE）")
def build(site_dir: Path | None) -> None:
    from service.content.loader import validate
    from service.sitegen.build import BuildFailed, build_site

    settings = setup_settings()
    if site_dir is not None:
        settings = settings.with_(site_dir=site_dir.resolve())
    started = time.monotonic()
    click.echo("第 1/2 步：校验内容……", nl=False)
    errors = validate(settings.content_dir)
    if errors:
        click.echo("未通过")
        raise Failed(listed(f"内容校验失败，共 {len(errors)} 处错误，未构建：", errors))
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



@cli.command(help="启动报送服务（单进程），同时提供门户网站。")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", default=8000, show_default=True, type=int, help="监听端口")
def serve(host: str, port: int) -> None:
    from service.storage import data_format, serve_lock

    settings = load_settings()
    try:
        data_format.refuse_newer(settings.data_dir)  # before the lock file is made
        with serve_lock.serving(settings.data_dir):  # held until the service ends
            _serve(settings, host, port)
    except serve_lock.ServiceRunning as exc:
        raise Failed(f"{exc}，服务未启动。") from None
    except data_format.FormatRefused as exc:
        raise Failed(f"{exc}。服务未启动，数据目录未作任何改动。") from None


def _serve(settings: Settings, host: str, port: int) -> None:
    from service.content.loader import ContentInvalid
    from service.storage.audit import SecretMissing
    from service.storage.setup_dir import SetupMissing
    from service.web import server
    from service.web.app import create_app

    setup = settings.content_dir if settings.content_dir.exists() else settings.sample_dir
    errors = template_errors(setup)
    if errors:
        raise Failed(one_line(f"页面模板有误（{setup}），服务未启动", errors))
    try:
        app = create_app(settings)
    except ContentInvalid as exc:
        raise Failed(one_line(f"学院设置有误（{settings.content_dir}），服务未启动", [str(e) for e in exc.errors])) from None
    except (SecretMissing, SetupMissing) as exc:
        raise Failed(f"{exc}。服务未启动。") from None
    if not (settings.site_dir / "index.html").exists():
        click.echo("提示：尚未构建门户网站，请先运行 portal build（make serve 会自动构建）。", err=True)
    if app.state.initial_password:
        click.echo("=" * 60)
        click.echo("已创建人事处管理员账号（仅显示这一次，请立即记下并妥善保管）：")
        click.echo("  用户名：hr")
        click.echo(f"  密码：{app.state.initial_password}")
        click.echo("=" * 60)
    click.echo(f"数据目录：{settings.data_dir}")
    if app.state.upgraded is not None:
        click.echo(app.state.upgraded.message)
    placed = app.state.setup_placed
    click.echo(placed.message if placed is not None else f"学院设置：{settings.content_dir}")
    click.echo(f"设置学院（人事处登录后）：http://{host}:{port}/board/setup")
    click.echo(f"门户与报送服务：http://{host}:{port}/  （按 Ctrl+C 停止）")
    server.run(app, settings, host, port)
