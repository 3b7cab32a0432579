"""Cell text: written safely (never a formula, never a character openpyxl rejects) and read back."""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

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
