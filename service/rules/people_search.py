"""Finding a person in a list: by 工号, by name, or by the pinyin initials of the name (张晓明 → zxm).

Each row of a list carries its search text (`search_text`); the pages filter in the browser
(portal.js) and, without JavaScript or for a long list, on the server (`matches`), the same way.
"""

from __future__ import annotations

import functools
import os

# Names are read character by character: without its phrase dictionary pypinyin needs 40 MB less.
os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")

from pypinyin import Style, lazy_pinyin  # reads the setting above

from service.content.text_forms import clean, compact_name


@functools.lru_cache(maxsize=20_000)
def initials(name: str) -> str:
    """The pinyin initials of a Chinese name (张晓明 → zxm); other characters kept as they are."""
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")).lower()


def search_text(staff_id: str, name: str, *extra: str) -> str:
    """What a person's row is searched in: 工号, name, initials, and any `extra` (the post).

    The name without its spaces: 张　三, padded to align with three-character names, is found
    by 张三 and by zs."""
    name = compact_name(name)
    return normalised(" ".join((staff_id, name, initials(name), *extra)))


def normalised(text: str) -> str:
    """In its one written form (`text_forms.clean`), lower case, spaces collapsed."""
    return " ".join(clean(text).casefold().split())


def matches(query: str, text: str) -> bool:
    """Every word of `query` appears in `text` (both normalised); an empty query matches all."""
    haystack = normalised(text)
    return all(word in haystack for word in normalised(query).split())
