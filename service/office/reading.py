"""Reading a form's identity back from an uploaded workbook."""

from __future__ import annotations

from openpyxl.workbook.workbook import Workbook

from service.office.identity import META_SHEET, PROPERTY_PREFIX, FormIdentity
from service.office.safe_reader import has_sheet, read_rows


def read_identity(book: Workbook) -> FormIdentity | None:
    """The identity in the `_meta` sheet, else in the custom properties; None if neither."""
    pairs: dict[str, object] = {}
    if has_sheet(book, META_SHEET):
        for _, (key, value, *_rest) in read_rows(book, META_SHEET, first_row=1, last_row=20, max_col=2):
            if isinstance(key, str):
                pairs[key.strip()] = value
    else:
        for prop in getattr(book, "custom_doc_props", None) or ():
            if prop.name.startswith(PROPERTY_PREFIX):
                pairs[prop.name[len(PROPERTY_PREFIX):]] = prop.value
    return FormIdentity.from_pairs(pairs)
