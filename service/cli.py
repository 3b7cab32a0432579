"""The `portal` command: check and build the portal, run and manage the service."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from service import config as config_module
from service.config import Settings


def _settings() -> Settings:
    return config_module.from_env()


@click.group(help="教职工岗位工作目标责任状门户与报送服务。")
def cli() -> None:
    pass


@cli.command(help="校验 content/ 下的内容文件（设置、部门、岗位、共性目标、名册）。")
@click.option("--content", "content_dir", type=click.Path(path_type=Path), help="内容目录（默认 content/）")
def check(content_dir: Path | None) -> None:
    from service.content import validate

    directory = content_dir or _settings().content_dir
    errors = validate(directory)
    if errors:
        click.echo(f"内容校验失败，共 {len(errors)} 处错误：", err=True)
        for error in errors:
            click.echo(f"  {error}", err=True)
        sys.exit(1)
    click.echo(f"内容校验通过：{directory}")


@cli.command(help="校验内容后构建门户网站到 site/。")
def build() -> None:
    from service.build import BuildFailed, build_site
    from service.content import validate

    settings = _settings()
    errors = validate(settings.content_dir)
    if errors:
        click.echo(f"内容校验失败，共 {len(errors)} 处错误，未构建：", err=True)
        for error in errors:
            click.echo(f"  {error}", err=True)
        sys.exit(1)
    click.echo("正在构建门户网站……")
    try:
        build_site(settings)
    except BuildFailed as exc:
        click.echo(f"构建失败：{exc}", err=True)
        sys.exit(1)
    click.echo(f"构建完成：{settings.site_dir}")
