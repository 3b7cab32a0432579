"""The identity a generated form carries, so a reader can refuse a wrong, foreign or old form.

Every workbook gets a very hidden, protected sheet `_meta` (key in column A, value in B) and
the same pairs as workbook custom properties (`portal.annex`, …). Word files carry the
identity string in their core properties (`identifier`).

The template version is `"<FORM_VERSION>-<hash>"`: FORM_VERSION is bumped by hand when a
layout changes in a way the hash cannot see; the hash (8 hex digits of SHA-256) covers the
annex number, its sheet name, header row and column titles, so renaming or moving a column
outdates old forms by itself. The year and department are separate fields, not in the hash.
`stamp_workbook` writes the identity, `read_identity` reads it back from an upload.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

from openpyxl.packaging.custom import StringProperty
from openpyxl.workbook.workbook import Workbook

from service.content.models import Content, Department
from service.office.cells import cell_text
from service.office.safe_reader import has_sheet, read_rows

FORM_VERSION = 1
GENERATOR = "mubiao-portal"
META_SHEET = "_meta"
PROPERTY_PREFIX = "portal."


def layout_version(annex: int, sheet: str, header_row: int, columns: Sequence[str]) -> str:
    """The template version of one annex layout."""
    spec = json.dumps([annex, sheet, header_row, list(columns)], ensure_ascii=False)
    return f"{FORM_VERSION}-{hashlib.sha256(spec.encode('utf-8')).hexdigest()[:8]}"


@dataclass(frozen=True)
class FormIdentity:
    annex: int
    year: int
    version: str
    department: str = ""  # "" on a blank form
    staff_id: str = ""  # set on a per-person form (annex 1, 3)
    month: int = 0  # the month a monthly summary (annex 4) reports, 0 when not set
    first_row: int = 0  # the first and last data rows of the form's table
    last_row: int = 0
    statuses: str = ""  # annex 5: each person's status printed at download (`encode_statuses`); "" on older forms
    generator: str = GENERATOR

    def pairs(self) -> list[tuple[str, str]]:
        return [(f.name, str(getattr(self, f.name))) for f in fields(self)]

    def __str__(self) -> str:
        return ";".join(f"{key}={value}" for key, value in self.pairs())

    @classmethod
    def from_pairs(cls, pairs: Mapping[str, object]) -> FormIdentity | None:
        """Parse the pairs read back from a form; None when they are not a portal identity."""
        if str(pairs.get("generator", "")).strip() != GENERATOR:
            return None
        try:
            return cls(
                annex=_int(pairs.get("annex")),
                year=_int(pairs.get("year")),
                version=cell_text(pairs.get("version")),
                department=cell_text(pairs.get("department")),
                staff_id=cell_text(pairs.get("staff_id")),
                month=_int(pairs.get("month", 0)),
                first_row=_int(pairs.get("first_row", 0)),
                last_row=_int(pairs.get("last_row", 0)),
                statuses=cell_text(pairs.get("statuses")),
            )
        except (TypeError, ValueError):
            return None


def encode_statuses(statuses: Mapping[str, str]) -> str:
    """Statuses (staff_id → status) as the identity keeps them: the staff ids grouped by status,
    so a department of thousands fits one cell."""
    grouped: dict[str, list[str]] = {}
    for staff_id, status in sorted(statuses.items()):
        grouped.setdefault(status, []).append(staff_id)
    return json.dumps(grouped, ensure_ascii=False, separators=(",", ":"))


def decode_statuses(text: str) -> dict[str, str] | None:
    """The statuses `encode_statuses` wrote; None when the form carries none (older) or they are unreadable."""
    try:
        grouped = json.loads(text) if text else None
    except ValueError:
        return None
    if not isinstance(grouped, dict) or not all(isinstance(ids, list) for ids in grouped.values()):
        return None
    return {str(staff_id): str(status) for status, ids in grouped.items() for staff_id in ids}


def stamp_workbook(book: Workbook, identity: FormIdentity) -> None:
    """Write the identity into a very hidden, protected `_meta` sheet and custom properties."""
    sheet = book.create_sheet(META_SHEET)
    for row, (key, value) in enumerate(identity.pairs(), 1):
        sheet.cell(row=row, column=1, value=key)
        sheet.cell(row=row, column=2, value=value).data_type = "s"
    sheet.sheet_state = "veryHidden"
    sheet.protection.sheet = True
    for key, value in identity.pairs():
        book.custom_doc_props.append(StringProperty(name=PROPERTY_PREFIX + key, value=value))


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


class UnknownDepartment(KeyError):
    """A form was asked for with a department code that departments.yml does not list."""


def department_of(content: Content, department_id: str | None) -> Department | None:
    """The department a form is pre-filled for or uploaded by; None for a blank form."""
    if department_id is None:
        return None
    found = content.department(department_id)
    if found is None:
        raise UnknownDepartment(f"未知部门：{department_id}")
    return found


def _int(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return int(str(value).strip())
