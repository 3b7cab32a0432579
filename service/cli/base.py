"""The `portal` command group and what its commands share: settings, errors, the service core."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

import click

from service import config as config_module
from service.config import Settings

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


def load_settings() -> Settings:
    try:
        return config_module.from_env()
    except config_module.SettingInvalid as exc:
        raise Failed(f"设置有误：{exc}") from None


def listed(head: str, errors: list[str]) -> str:
    return "\n".join([head, *(f"  {error}" for error in errors)])


def one_line(head: str, errors: list[str]) -> str:
    """The first error on one line after `head`, with how many more there are."""
    first = " ".join(errors[0].split()) if errors else ""
    more = f"（另有 {len(errors) - 1} 处错误，运行 portal check 查看全部）" if len(errors) > 1 else ""
    return f"{head}：{first}{more}"


@click.group(help="教职工岗位工作目标责任状门户与报送服务。")
def cli() -> None:
    pass


def setup_settings() -> Settings:
    """The settings, with the college's set-up in place in the data directory: on first use it is
    copied from the sample (an older installation's content/ is carried over and audited)."""
    from service.storage.data_format import FormatRefused, refuse_newer
    from service.storage.setup_dir import SetupMissing, place
    from service.workflows.startup import record_setup_move

    settings = load_settings()
    try:
        refuse_newer(settings.data_dir)
        placed = place(settings)
    except (SetupMissing, FormatRefused) as exc:
        raise Failed(f"错误：{exc}") from None
    if placed is not None:
        click.echo(placed.message, err=True)
        if placed.moved:
            record_setup_move(_context(settings, service_clock=False), placed)
    return settings


def open_context(*, service_clock: bool = False) -> Context:
    """The service core without the web layer, for account and audit commands; with
    `service_clock`, on the clock the service uses (the college's zone, PORTAL_TODAY pins it).
    An older data directory is upgraded first, as a service's start does."""
    from service.storage.data_format import found
    from service.storage.setup_dir import inside_data
    from service.workflows.startup import upgrade

    settings = setup_settings()
    before = found(settings.data_dir)  # setup_settings refused a newer one
    ctx = _context(settings, service_clock=service_clock)
    upgraded = upgrade(ctx, settings.content_dir if inside_data(settings) is not None else None, before)
    if upgraded is not None:
        click.echo(upgraded.message, err=True)
    return ctx


def _context(settings: Settings, *, service_clock: bool) -> Context:
    import datetime as dt
    import functools

    from service.content.loader import ContentInvalid, load_content
    from service.rules.clock import clock_from
    from service.storage.audit import SecretMissing
    from service.workflows.context import Context

    try:
        content = load_content(settings.content_dir)
    except ContentInvalid as exc:
        raise Failed(f"内容校验失败：\n{exc}") from None
    try:
        now = (clock_from(content.settings.timezone, settings.today).now if service_clock
               else functools.partial(dt.datetime.now, dt.UTC))
    except ValueError as exc:
        raise Failed(str(exc)) from None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        return Context.open(settings, content, now)
    except SecretMissing as exc:
        raise Failed(f"错误：{exc}") from None
