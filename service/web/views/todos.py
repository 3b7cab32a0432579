"""What a user has to do: the to-do list and unread notifications of a landing page, as JSON
too, and opening a notification (marked read, then its page)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from service.rules.access import User
from service.web.auth import signed_in
from service.web.views.common import context, linked, off_loop, ok_json
from service.workflows import notifications, todos
from service.workflows.context import Context


def landing(ctx: Context, user: User) -> dict[str, Any]:
    """The page context of the to-do panel (`_todos.html`); call off the event loop."""
    return {"todos": todos.for_user(ctx, user), "notes": notifications.unread(ctx, user)}


async def panel(request: Request, user: User) -> dict[str, Any]:
    return await off_loop(landing, context(request), user)


async def api_todos(request: Request) -> JSONResponse:
    user = signed_in(request)
    found = await panel(request, user)
    notes = [{k: n[k] for k in ("id", "kind", "department", "text", "link", "at")} for n in found["notes"]]
    return ok_json({"todos": linked(request, todos.as_json(found["todos"])), "notifications": linked(request, notes)})


async def open_notification(request: Request) -> Response:
    """A notification's link: marked read for this account, then on to the page it names."""
    user = signed_in(request)
    params = request.path_params
    link = await off_loop(notifications.opened, context(request), user, params["department_id"], params["note_id"])
    return RedirectResponse(link, status_code=303)
