"""Cell text: written safely (never a formula, never a character openpyxl rejects) and read back."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.utils.datetime import from_excel

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def clean_text(value: Any) -> str:
    """The text as it should appear, minus control characters a workbook cannot hold."""
    text = "" if value is None else str(value)
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates cannot be saved


def put_text(cell: Cell, value: Any) -> Cell:
    """Write `value` as a literal string cell; a leading = + - @ TAB CR is kept as text."""
    text = clean_text(value)
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True
    return cell


def cell_text(value: Any) -> str:
    """A read cell as the text a person sees: "" for an empty cell, 100001.0 as "100001"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# -- a cell as Excel and WPS (zh-CN) display it ------------------------------------------

LOCALE_DATES = {  # built-in formats whose look follows the reader's locale: as a zh-CN Excel or WPS shows them
    "mm-dd-yy": "yyyy/m/d", "m/d/yy h:mm": "yyyy/m/d h:mm", "d-mmm-yy": "d-mmm-yy",
}
EAST_ASIAN_DATES = {  # built-in ids a zh-CN Excel or WPS may write without their code (ECMA-376 18.8.30)
    27: 'yyyy"年"m"月"', 28: 'm"月"d"日"', 29: 'm"月"d"日"', 30: "m-d-yy", 31: 'yyyy"年"m"月"d"日"',
    32: 'h"时"mm"分"', 33: 'h"时"mm"分"ss"秒"', 36: 'yyyy"年"m"月"', 50: 'yyyy"年"m"月"', 51: 'm"月"d"日"',
    52: 'yyyy"年"m"月"', 53: 'm"月"d"日"', 54: 'm"月"d"日"', 57: 'yyyy"年"m"月"', 58: 'm"月"d"日"',
}
_DATE_TOKEN = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|yyyy|yy|mmmmm|mmmm|mmm|mm|m|dddd|ddd|dd|d|aaaa|aaa|hh|h|ss|s'
                         r'|am/pm|a/p|\.0+|.', re.IGNORECASE)
_SECTION = re.compile(r'"[^"]*"|\\.|;')
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CN_DAYS = "一二三四五六日"


def display_value(cell: Any) -> Any:
    """The value of an openpyxl cell as the sheet shows it: a date or time as its format prints
    it (2019年12月31日 for yyyy"年"m"月"d"日"), a number rounded to the decimals of its format
    (1.25 in a 0.0 cell is 1.3), a percentage or zero-padded number as its text. Text,
    booleans, General numbers and what the format cannot say stay as they are."""
    value = getattr(cell, "value", None)
    fmt = _first_section(str(getattr(cell, "number_format", None) or "General"))
    east_asian = EAST_ASIAN_DATES.get(getattr(getattr(cell, "style_array", None), "numFmtId", None))  # type: ignore[arg-type]
    if east_asian and isinstance(value, int | float) and not isinstance(value, bool):
        return format_date(from_excel(value), east_asian)  # openpyxl knows no code for these ids: a bare serial
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return format_date(value, fmt)
    if isinstance(value, bool) or not isinstance(value, int | float) or fmt.lower() in ("general", "@", ""):
        return value
    return _format_number(value, fmt)


def format_date(value: dt.datetime | dt.date | dt.time, fmt: str) -> str:
    """A date, time or both in an Excel number format (its first section)."""
    fmt = LOCALE_DATES.get(fmt.lower(), fmt)
    if isinstance(value, dt.time):
        value = dt.datetime.combine(dt.date(1899, 12, 31), value)
    elif not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    tokens = _DATE_TOKEN.findall(fmt)
    if not any(t[0].lower() in "ydhs" or t.lower().startswith("aa") for t in tokens):
        day = f"{value.year}/{value.month}/{value.day}"
        return day if value.time() == dt.time() else f"{day} {value.hour}:{value.minute:02d}:{value.second:02d}"
    twelve = any(t.lower() in ("am/pm", "a/p") for t in tokens)
    kinds = [t.lower() for t in tokens]
    out: list[str] = []
    for index, (token, kind) in enumerate(zip(tokens, kinds, strict=True)):
        out.append(_date_part(value, token, kind, kinds, index, twelve))
    return "".join(out)


def _date_part(value: dt.datetime, token: str, kind: str, kinds: list[str], index: int, twelve: bool) -> str:
    hour = value.hour % 12 or 12 if twelve else value.hour
    if kind in ("m", "mm") and _is_minute(kinds, index):
        return f"{value.minute:02d}" if kind == "mm" else str(value.minute)
    simple = {"yyyy": f"{value.year:04d}", "yy": f"{value.year % 100:02d}", "m": str(value.month),
              "mm": f"{value.month:02d}", "mmm": _MONTHS[value.month - 1][:3], "mmmm": _MONTHS[value.month - 1],
              "mmmmm": _MONTHS[value.month - 1][0], "d": str(value.day), "dd": f"{value.day:02d}",
              "ddd": _DAYS[value.weekday()][:3], "dddd": _DAYS[value.weekday()],
              "aaa": _CN_DAYS[value.weekday()], "aaaa": "星期" + _CN_DAYS[value.weekday()],
              "h": str(hour), "hh": f"{hour:02d}", "s": str(value.second), "ss": f"{value.second:02d}",
              "am/pm": "AM" if value.hour < 12 else "PM", "a/p": "A" if value.hour < 12 else "P"}
    if kind in simple:
        return simple[kind]
    if token.startswith('"'):
        return token[1:-1]
    if token.startswith("\\"):
        return token[1:]
    if token.startswith("["):
        return str(int((value - dt.datetime(1899, 12, 30)).total_seconds() // 3600)) if kind == "[h]" else ""
    if token.startswith(".0"):
        return "." + f"{value.microsecond / 1e6:.{len(token) - 1}f}"[2:]
    return "" if token in ("_", "*") else token


def _is_minute(kinds: list[str], index: int) -> bool:
    """m or mm right after an hour, or right before seconds, is minutes (literals in between skipped)."""
    def near(step: int, wanted: tuple[str, ...]) -> bool:
        i = index + step
        while 0 <= i < len(kinds):
            if kinds[i] in wanted:
                return True
            if kinds[i][0].isalpha() and kinds[i] not in ("am/pm", "a/p"):
                return False
            i += step
        return False
    return near(-1, ("h", "hh", "[h]")) or near(1, ("s", "ss"))


def _first_section(fmt: str) -> str:
    """The format's first section (positive numbers and dates), quoted text and escapes kept whole."""
    for match in _SECTION.finditer(fmt):
        if match.group() == ";":
            return fmt[:match.start()]
    return fmt


def _format_number(value: int | float, fmt: str) -> Any:
    """A number as its format shows it: rounded to its decimals; text when it pads or shows a percent."""
    plain = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.', "", fmt)
    if any(c in plain for c in "Ee/") or not any(c in plain for c in "0#?"):
        return value
    percent = "%" in plain
    whole, _, fraction = plain.replace(",", "").partition(".")
    places = sum(1 for c in fraction if c in "0#?")
    amount = Decimal(repr(value)) * (100 if percent else 1)
    rounded = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    padded = whole.count("0")
    if percent or padded > 1:
        digits = f"{abs(rounded):0{padded + (places + 1 if places else 0)}.{places}f}"
        return ("-" if rounded < 0 else "") + digits + ("%" if percent else "")
    return int(rounded) if places == 0 else float(rounded)
