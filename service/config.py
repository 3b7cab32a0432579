"""Where things live: every path computed from one root, overridable through PORTAL_* variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    root: Path
    content_dir: Path
    site_dir: Path
    data_dir: Path
    mkdocs_file: Path
    today: str | None = None  # "YYYY-MM-DD": pins the clock for demos and tests

    @property
    def docs_dir(self) -> Path:
        return self.content_dir / "pages"

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def from_env(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    root = Path(env.get("PORTAL_ROOT", ROOT)).resolve()
    return Settings(
        root=root,
        content_dir=Path(env.get("PORTAL_CONTENT", root / "content")).resolve(),
        site_dir=Path(env.get("PORTAL_SITE", root / "site")).resolve(),
        data_dir=Path(env.get("PORTAL_DATA", root / "var")).resolve(),
        mkdocs_file=Path(env.get("PORTAL_MKDOCS", root / "mkdocs.yml")).resolve(),
        today=env.get("PORTAL_TODAY") or None,
    )
