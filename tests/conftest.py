"""Shared fixtures: a private copy of the shipped content, settings pointing at temp dirs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from service.config import ROOT, Settings
from service.content.loader import load_content
from service.content.models import Content

SHIPPED_CONTENT = ROOT / "content"


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A writable copy of content/ that a test may edit."""
    target = tmp_path / "content"
    shutil.copytree(SHIPPED_CONTENT, target)
    return target


@pytest.fixture
def settings(tmp_path: Path, content_dir: Path) -> Settings:
    return Settings(
        root=ROOT,
        content_dir=content_dir,
        site_dir=tmp_path / "site",
        data_dir=tmp_path / "var",
        mkdocs_file=ROOT / "mkdocs.yml",
    )


@pytest.fixture(scope="session")
def shipped_content() -> Content:
    return load_content(SHIPPED_CONTENT)
