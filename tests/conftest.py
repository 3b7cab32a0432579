"""Shared fixtures: a private copy of the shipped content, settings pointing at temp dirs, the
service running over them, a data directory a service has written."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import DEPT, JPEG, PDF, Service, running_service, upload

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


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    """The service over `settings`, in process; a test module with other needs defines its own."""
    with running_service(settings) as svc:
        yield svc


@pytest.fixture(scope="session")
def shipped_content() -> Content:
    return load_content(SHIPPED_CONTENT)


@pytest.fixture
def used_data(settings: Settings) -> Settings:
    """A data directory a service has written: accounts, logins, uploads, statuses."""
    with running_service(settings) as service:
        clerk = service.bearer("clerk")
        people = [m.staff_id for m in service.context.content.members(DEPT)]
        upload(service.client, people[0], PDF, headers=clerk)
        upload(service.client, people[0], JPEG, headers=clerk)
        service.client.put(f"/api/completion/{DEPT}", headers=clerk,
                           json={"entries": [{"staff_id": people[1], "status": "产假"}]})
        service.session("clerk")
    return settings
