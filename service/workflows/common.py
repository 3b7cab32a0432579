"""What the use cases share: the people and departments a request names, months, times, text."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from service.content.formats import plain_number
from service.content.models import StaffMember
from service.errors import ApiError, bad_request, not_found

if TYPE_CHECKING:
    from service.workflows.context import Context

MAX_COMMENT = 1000


def member_or_404(ctx: Context, staff_id: str) -> StaffMember:
    member = ctx.content.staff(staff_id)
    if member is None:
        raise not_found("unknown_staff", f"名册中没有工号为“{staff_id}”的教职工")
    return member


def department_or_404(ctx: Context, department_id: str) -> str:
    if not ctx.content.department(department_id):
        raise not_found("unknown_department", f"没有代码为“{department_id}”的部门或系")
    return department_id


def month_number(value: Any, status: int = 400) -> int:
    """A month of the cycle, 1–12, from a number or its digits.

    Anything else is refused: 400 `invalid_month` for a parameter or a body, or, with
    `status` 404, `unknown_month` for a path segment naming no month.
    """
    text = plain_number(str(value))
    number = int(text) if text.isascii() and text.isdigit() else 0
    if not 1 <= number <= 12:
        code = "unknown_month" if status == 404 else "invalid_month"
        raise ApiError(status, code, f"月份应为 1–12，当前为“{value}”")
    return number


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
