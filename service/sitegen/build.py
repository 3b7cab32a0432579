"""Building the static portal with MkDocs, in-process."""

from __future__ import annotations

import logging
from typing import Any

from mkdocs.commands.build import build
from mkdocs.config import load_config

from service.config import Settings
from service.content.loader import read_year
from service.storage import published

# config.extra key through which the hooks receive the job duties HR accepted
ACCEPTED_DUTIES = "accepted_duties"


class BuildFailed(Exception):
    pass


class _WarningCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def build_site(settings: Settings, *, quiet: bool = True) -> None:
    """`mkdocs build --strict` of the portal into settings.site_dir."""
    config = load_config(
        str(settings.mkdocs_file),
        docs_dir=str(settings.docs_dir),
        site_dir=str(settings.site_dir),
        strict=True,
    )
    config.extra[ACCEPTED_DUTIES] = accepted_duties(settings)
    mkdocs_log = logging.getLogger("mkdocs")
    counter = _WarningCounter()
    mkdocs_log.addHandler(counter)
    previous = mkdocs_log.level
    if quiet:
        mkdocs_log.setLevel(logging.WARNING)
    try:
        config.plugins.on_startup(command="build", dirty=False)
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()
    except SystemExit as exc:  # mkdocs aborts strict builds this way
        raise BuildFailed("；".join(counter.messages) or "站点构建失败") from exc
    except Exception as exc:
        if type(exc).__module__.startswith("mkdocs"):
            raise BuildFailed(str(exc)) from exc
        raise
    finally:
        mkdocs_log.removeHandler(counter)
        mkdocs_log.setLevel(previous)


def accepted_duties(settings: Settings) -> dict[str, list[dict[str, Any]]]:
    """role_id → the duties HR accepted per department, read from the data directory's store.

    Only settings.yml's year is read here (the hooks load and validate the whole content once).
    Empty when settings.yml has no valid year (the hooks then report the content's errors) or
    the data directory holds no store for that year.
    """
    year = read_year(settings.content_dir)
    if year is None:
        return {}
    return published.accepted_duties(settings.data_dir, year)
