"""The forms of a page shown for a past year (`?year=2019`). The year is read from the query of
each request, so a form that did not carry it would post into the current year. Every form of
such a page is made to carry it, in one place:

- a form that posts names what it writes by its audit action (`data-year-action`); when the
  year still takes that write (rules/years.py: 复核, 申诉, the notice's delivery, 本人意见,
  objections), its action gets `?year=`; otherwise it is shown disabled with the note
  本年度已结束, and its action carries the year all the same, so that the service refuses it
  (409 `year_closed`) rather than write it into the current year;
- a form of the account, not of a year (`data-every-year`: signing out, the password, tokens,
  accounts, starting and closing years) is left as it is;
- a form that asks for a page (GET) gets the year as a hidden field, unless it chooses the year.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
_ATTRIBUTE = re.compile(r"""([\w-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_ACTION = re.compile(r"""(\saction\s*=\s*)(["'])(.*?)\2""", re.S | re.I)
_CONTROL = re.compile(r"<(button|input|select|textarea)\b", re.I)
_CHOOSES_YEAR = re.compile(r"""\sname\s*=\s*["']?year["'\s>]""", re.I)
ENDED = "本年度已结束"


def attributes(opening: str) -> dict[str, str]:
    """The attributes of a tag's opening (`method="post" hidden`), names lower case, values unescaped."""
    return {m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
            for m in _ATTRIBUTE.finditer(opening)}


def with_year(action: str, year: int) -> str:
    """A form's address (as written in the page, `&` escaped) with `year=` in its query."""
    path, _, fragment = action.partition("#")
    if re.search(r"(?:[?&]|&amp;)year=", path):
        return action
    joined = f"{path}{'&amp;' if '?' in path else '?'}year={year}"
    return f"{joined}#{fragment}" if fragment else joined


def in_year(page: str, year: int, may_write: Callable[[str], bool]) -> str:
    """`page` (a past year's) with each of its forms carrying `year`; a form whose write
    (`data-year-action`) `may_write` refuses shown disabled, with the note."""

    def one(form: re.Match[str]) -> str:
        opening, body = form.group(1), form.group(2)
        found = attributes(opening)
        if "every-year" in {name.removeprefix("data-") for name in found}:
            return form.group(0)
        if found.get("method", "get").lower() != "post":
            if _CHOOSES_YEAR.search(body):
                return form.group(0)
            return f'<form{opening}><input type="hidden" name="year" value="{year}">{body}</form>'
        if "action" in found:
            opening = _ACTION.sub(lambda m: f"{m.group(1)}{m.group(2)}{with_year(m.group(3), year)}{m.group(2)}",
                                  opening, count=1)
        if may_write(found.get("data-year-action", "")):
            return f"<form{opening}>{body}</form>"
        body = _CONTROL.sub(lambda m: f"<{m.group(1)} disabled", body)
        note = "" if "hidden" in found else f'<small class="year-ended" data-year-ended>（{ENDED}）</small>'
        return f"<form{opening} data-year-ended>{body}{note}</form>"

    return _FORM.sub(one, page)
