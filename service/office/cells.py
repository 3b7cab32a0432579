"""Safe text for spreadsheets we write: never a formula, never a character openpyxl rejects."""

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
