"""Filled workbooks uploaded (annex 3, 4, 5): a refusal is kept for HR (workflows/workbook_errors.py),
an accepted upload resolves the department's earlier refusals of that annex."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.requests import Request

from service.errors import ApiError
from service.rules.access import User
from service.web.views.common import context, off_loop
from service.workflows import workbook_errors


@dataclass
class Attempt:
    file_name: str = ""  # set by the view once it has read the form


@contextlib.asynccontextmanager
async def recorded(request: Request, user: User, department: str, annex: int) -> AsyncIterator[Attempt]:
    """Run an upload; its refusal (an ApiError of the workbook) is recorded, then raised on."""
    attempt = Attempt()
    ctx = context(request)
    try:
        yield attempt
    except ApiError as exc:
        await off_loop(workbook_errors.record, ctx, user, department, annex, attempt.file_name, exc)
        raise
    await off_loop(workbook_errors.accepted, ctx, department, annex)
