"""What the use cases share: the people and departments a request names, months, times, text."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from service.content import text_forms
from service.content.models import StaffMember
from service.errors import ApiError, bad_request, forbidden, not_found, quoted
from service.rules import access
from service.rules.access import User

if TYPE_CHECKING:
    from service.workflows.context import Context

MAX_COMMENT = 1000


def staff_id_field(value: Any, missing: str = "缺少工号（staff_id）") -> str:
    """A 工号 sent in a form field or a body, in its one form (`text_forms.clean`): 400
    `missing_staff_id` when there is none; 404 `unknown_staff` when it is not letters and digits
    (no one in any roster has it), saying why."""
    staff_id = text_forms.staff_id(str(value or ""))
    if not staff_id:
        raise bad_request("missing_staff_id", missing)
    problem = text_forms.staff_id_problem(staff_id)
    if problem:
        raise not_found("unknown_staff", f"工号“{quoted(staff_id)}”无效：{problem}，名册中没有这样的教职工")
    return staff_id


def member_or_404(ctx: Context, staff_id: str) -> StaffMember:
    member = ctx.content.staff(staff_id)
    if member is None:
        raise not_found("unknown_staff", f"名册中没有工号为“{quoted(staff_id)}”的教职工")
    return member


def own_member(ctx: Context, user: User, action: str) -> StaffMember:
    """The signed-in staff member's roster entry, allowed `action` on their own person (403 for
    any other account)."""
    member = ctx.content.staff(user.staff_id) if user.staff_id else None
    if member is None:
        raise forbidden("这是教职工本人的页面：请用本人的工号登录")
    access.ensure(user, action, member.department, person=member.staff_id)
    return member


def department_or_404(ctx: Context, department_id: str) -> str:
    if not ctx.content.department(department_id):
        raise not_found("unknown_department", f"没有代码为“{quoted(department_id)}”的部门或系")
    return department_id


def whole_number(value: Any, low: int, high: int, *, code: str, message: str, status: int = 400) -> int:
    """The one parser of numbers in query strings, paths and form fields: ASCII digits only
    (no "²", "①" or "٣", which `str.isdigit` or `int` would take), in [low, high]; else
    ApiError(status, code, message)."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 12 or not low <= int(text) <= high:
        raise ApiError(status, code, message)
    return int(text)


def month_number(value: Any, status: int = 400) -> int:
    """A month of the cycle, 1–12, from a number or its digits.

    Anything else is refused: 400 `invalid_month` for a parameter or a body, or, with
    `status` 404, `unknown_month` for a path segment naming no month.
    """
    code = "unknown_month" if status == 404 else "invalid_month"
    return whole_number(value, 1, 12, code=code, message=f"月份应为 1–12，当前为“{quoted(value)}”", status=status)


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
