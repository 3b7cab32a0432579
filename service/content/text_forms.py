"""The one written form of a 工号, a name and search text, however it was typed or pasted.

Text entering the service from a roster export, a form field, an uploaded workbook, a search
box or the login page is read through `clean`: Unicode NFKC (full-width letters and digits as
ASCII, compatibility ideographs as the usual ones), characters that print as nothing
(zero-width spaces and joiners, the BOM) and bidirectional controls removed, ASCII and
full-width spaces trimmed at both ends. `１００１９２`, `100192` followed by a zero-width
space and `100192` behind a right-to-left mark are then the same 工号. A 工号 must be ASCII
letters and digits once cleaned (`staff_id_problem` says why not).
"""

from __future__ import annotations

import unicodedata

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
BIDI_CONTROLS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
INVISIBLE = ZERO_WIDTH + BIDI_CONTROLS
SPACES = " \t\r\n\x0b\x0c\u3000"  # trimmed at both ends (NFKC already makes U+3000 a space)
MAX_STAFF_ID = 32

_DROP = str.maketrans(dict.fromkeys(INVISIBLE))


def clean(text: str) -> str:
    """`text` in its one form: NFKC, invisible and bidi control characters removed, trimmed."""
    return unicodedata.normalize("NFKC", text.translate(_DROP)).strip(SPACES)


def without_invisible(text: str) -> str:
    """`text` with only the invisible characters removed and its ends trimmed: for free text
    (a department, a post) whose full-width punctuation is kept as written."""
    return text.translate(_DROP).strip(SPACES)


def compact_name(name: str) -> str:
    """A name without any space: 张　三 (padded with a full-width space to align) is 张三."""
    return "".join(clean(name).split())


def staff_id(text: str) -> str:
    """A typed or pasted 工号 in its one form (valid or not: see `staff_id_problem`)."""
    return clean(text)


def staff_id_problem(cleaned: str) -> str | None:
    """Why a cleaned 工号 cannot be one, in Chinese; None when it is 1–32 ASCII letters and digits."""
    if not cleaned:
        return "不能为空"
    if len(cleaned) > MAX_STAFF_ID:
        return f"最长 {MAX_STAFF_ID} 位"
    if not (cleaned.isascii() and cleaned.isalnum()):
        return "只能由英文字母和数字组成"
    return None
