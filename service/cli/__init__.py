"""The `portal` command: check and build the portal, run and manage the service."""

from service.cli import content_files, data, remind, site, users
from service.cli.base import cli

__all__ = ["cli", "content_files", "data", "remind", "site", "users"]
