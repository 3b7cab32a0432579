"""HR's progress board read from the store: target sets, job duties and monthly summaries."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from service.rules import progress
from service.workflows import duties, monthly, targets
from service.workflows.context import Context


def board(ctx: Context) -> progress.Progress:
    content = ctx.content
    states: dict[str, dict[str, str]] = defaultdict(dict)
    for partition, doc in ctx.store.across(targets.TABLE, fields=("staff_id", "state")):
        states[partition][doc["staff_id"]] = doc["state"]
    docs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for partition, doc in ctx.store.across(duties.TABLE):
        docs[partition].append(doc)
    duty_times = {department: duties.delivered_times(found) for department, found in docs.items()}
    sent = monthly.submissions(ctx)
    return progress.compute(content, states, duty_times, {key: at for key, (at, _) in sent.items()}, ctx.now(),
                            {key for key, (_, partial) in sent.items() if partial})
