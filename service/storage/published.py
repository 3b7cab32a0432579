"""What the portal site shows from the store: the job duties HR accepted, by role."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from service.storage.store import Store

DUTIES = "duties"  # each delivering department's table, one document per role_id


def accepted_duties(data_dir: Path, year: int) -> dict[str, list[dict[str, Any]]]:
    """role_id → [{department, duties, accepted_at}]: the last version HR accepted from each
    department, departments in partition order.

    Empty when the year has no store (a fresh clone's data directory, or none at all); nothing
    is created on disk then.
    """
    if not (data_dir / "db" / str(year)).is_dir():
        return {}
    result: dict[str, list[dict[str, Any]]] = {}
    for department, doc in Store(data_dir, year).across(DUTIES, ("role_id", "accepted")):
        accepted = doc.get("accepted")
        if accepted and accepted.get("duties"):
            result.setdefault(doc["role_id"], []).append(
                {"department": department, "duties": list(accepted["duties"]), "accepted_at": accepted.get("at")})
    return result
