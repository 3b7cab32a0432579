"""HR's progress board read from the figures kept per department: target sets, job duties and
monthly summaries."""

from __future__ import annotations

from service.rules import progress
from service.workflows import duties, monthly, targets
from service.workflows.context import Context


def board(ctx: Context) -> progress.Progress:
    content = ctx.content
    ids = [d.id for d in content.departments]
    states = {d: {staff_id: doc.state for staff_id, doc in targets.stored(ctx, d).items()} for d in ids}
    duty_times = {d: duties.delivered(ctx, d) for d in ids}
    sent = {d: monthly.reported(ctx, d) for d in ids}
    monthly_times = {(d, month): at for d, found in sent.items() for month, at in found.submitted.items()}
    partial = {(d, month) for d, found in sent.items() for month in found.partial}
    return progress.compute(content, states, duty_times, monthly_times, ctx.now(), partial)
