"""Helpers the workflow modules share: committing a document with its audit entry, times, text."""

from __future__ import annotations

import datetime as dt
from typing import Any

from service.errors import bad_request
from service.workflows.portal import Portal

MAX_COMMENT = 1000


def commit(portal: Portal, partition: str, table: str, doc: dict[str, Any], key: dict[str, Any],
           actor: str, action: str, **detail: Any) -> None:
    """Replace the document at `key` and log it, in one commit of the store.

    The caller holds `portal.store.locked()`.
    """
    portal.store.upsert(partition, table, doc, **key)
    portal.audit.append(actor, action, **detail)


def parse_time(text: str | None) -> dt.datetime | None:
    """A stored ISO timestamp back as an aware datetime (None stays None)."""
    return dt.datetime.fromisoformat(text) if text else None


def comment_text(value: Any) -> str:
    """An optional free-text comment: a string, trimmed, bounded."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise bad_request("invalid_comment", "意见（comment）应为文字")
    text = value.strip()
    if len(text) > MAX_COMMENT:
        raise bad_request("comment_too_long", f"意见不能超过 {MAX_COMMENT} 字")
    return text
