"""Lists of people: each row's search text, and the filter a page applies before the browser
takes over (portal.js filters as the user types; a row never moves when its status changes)."""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from typing import Any

from starlette.requests import Request

from service.rules.people_search import matches, search_text

MAX_QUERY = 60


def query(request: Request) -> tuple[str, str]:
    """The list's search words and status filter from the address (?q=…&status=…)."""
    return (request.query_params.get("q") or "")[:MAX_QUERY].strip(), (request.query_params.get("status") or "")[:40]


def marked(rows: Iterable[MutableMapping[str, Any]], q: str, status: str, status_key: str = "status",
           extra: tuple[str, ...] = ("post",)) -> list[MutableMapping[str, Any]]:
    """The rows with `search` (what the row is found by) and `shown` (whether it passes the filter)."""
    result = []
    for row in rows:
        row["search"] = search_text(str(row["staff_id"]), str(row["name"]), *(str(row.get(k) or "") for k in extra))
        row["shown"] = matches(q, row["search"]) and (not status or row.get(status_key) == status)
        result.append(row)
    return result
