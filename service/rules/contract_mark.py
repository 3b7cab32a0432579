"""The mark printed on every page of a signed contract (附件1), so a scanned page can be
traced to one person and one approved version of their target set.

A mark names the year, the staff id, the target-set version and a tag: a truncated
HMAC-SHA256, keyed with the data directory's secret, of the year, the staff id and the
canonical content of the set's rows. The same person's same rows always give the same tag; any change to a row's content, points,
evidence, deadline or note gives another one, and without the secret no one can make a tag
that matches.

The QR payload is `MBZ1:<year>:<staff id>:<version>:<tag>`. The prefix keeps foreign codes
(a URL, a parcel label) from being taken for a mark. Upper-case letters, digits and `:` are
all in the QR alphanumeric set, so a mark with a numeric staff id makes a small code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from service.content.formats import num
from service.content.models import COL_CONTENT, COL_DEADLINE, COL_EVIDENCE, COL_POINTS
from service.content.target_rows import (
    COL_NOTE,
    RowInput,
    is_blank,
    normalise_row,
    parse_points,
)

PREFIX = "MBZ1"
SEPARATOR = ":"
TAG_LENGTH = 10  # base32 characters: 50 bits of the HMAC
TAG_DOMAIN = b"contract-mark/1\n"  # the tag's HMAC input starts with this, so no other use of the secret collides
MAX_STAFF_ID = 32

_TAG = re.compile(rf"[A-Z2-7]{{{TAG_LENGTH}}}")
_YEAR = re.compile(r"[0-9]{4}")
_VERSION = re.compile(r"[1-9][0-9]{0,5}")
TEXT_COLUMNS = (COL_CONTENT, COL_EVIDENCE, COL_DEADLINE, COL_NOTE)


@dataclass(frozen=True, slots=True)
class ContractMark:
    year: int
    staff_id: str
    version: int  # the target set's version, from 1
    tag: str


def canonical_rows(rows: Sequence[RowInput]) -> bytes:
    """The rows' content as compact JSON: one [content, points, evidence, deadline, note] list
    per filled row, in order; text trimmed and NFC-normalised, points as the forms print them
    (15, 15.0 and "15" are the same)."""
    lines: list[list[str]] = []
    for raw in rows:
        row = normalise_row(raw)
        if is_blank(row):
            continue
        points = parse_points(row.get(COL_POINTS))
        shown = num(points) if points is not None else _text(row.get(COL_POINTS))
        content, evidence, deadline, note = (_text(row.get(name)) for name in TEXT_COLUMNS)
        lines.append([content, shown, evidence, deadline, note])
    return json.dumps(lines, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def tag_for(secret: bytes, year: int, staff_id: str, rows: Sequence[RowInput]) -> str:
    """The tag of one person's target rows in one year, under the data directory's secret.

    The year and the staff id are part of what is signed, so a tag copied onto another
    person's or another year's code does not match theirs even when the rows are the same.
    """
    head = f"{year}\n{staff_id}\n".encode()
    digest = hmac.new(secret, TAG_DOMAIN + head + canonical_rows(rows), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii")[:TAG_LENGTH]


def encode(mark: ContractMark) -> str:
    """The QR payload of a mark; raises ValueError for a mark `decode` would not read back."""
    if not _valid(mark):
        raise ValueError(f"invalid contract mark: {mark!r}")
    return SEPARATOR.join((PREFIX, str(mark.year), mark.staff_id, str(mark.version), mark.tag))


def decode(text: str) -> ContractMark | None:
    """The mark in a QR payload; None for anything that is not one of ours.

    The staff id is whatever lies between the year and the version, so an id that itself
    holds the separator still reads back.
    """
    parts = text.strip().split(SEPARATOR)
    if len(parts) < 5 or parts[0] != PREFIX:
        return None
    year, version, tag = parts[1], parts[-2], parts[-1]
    if not (_YEAR.fullmatch(year) and _VERSION.fullmatch(version)):
        return None
    mark = ContractMark(int(year), SEPARATOR.join(parts[2:-2]), int(version), tag)
    return mark if _valid(mark) else None


def label(mark: ContractMark) -> str:
    """The text printed under the code: 2019 · 100264 · 第3版 · ABCDEF1234."""
    return f"{mark.year} · {mark.staff_id} · 第{mark.version}版 · {mark.tag}"


def _valid(mark: ContractMark) -> bool:
    staff = mark.staff_id
    return (_YEAR.fullmatch(str(mark.year)) is not None
            and _VERSION.fullmatch(str(mark.version)) is not None
            and _TAG.fullmatch(mark.tag) is not None
            and 0 < len(staff) <= MAX_STAFF_ID and staff.isprintable() and not any(c.isspace() for c in staff))


def _text(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return ""
    text = num(value) if isinstance(value, int | float) else str(value)
    return unicodedata.normalize("NFC", text).strip()
