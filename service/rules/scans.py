"""Signed scans: the file types accepted, recognised by their first bytes (never by name or
Content-Type), and the original filename as it may be shown."""

from __future__ import annotations

MAGIC = ((b"%PDF-", "pdf"), (b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"))
HEAD = 16  # bytes enough to recognise every type
MEDIA_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}
SCAN_TYPES = "PDF、JPEG 或 PNG"
MAX_NAME = 120
_BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e"


def sniff(head: bytes) -> str | None:
    """The file extension for a scan starting with `head`; None for any other file."""
    return next((ext for magic, ext in MAGIC if head.startswith(magic)), None)


def display_name(name: str) -> str:
    """The original filename kept for display only: no path, no control characters, bounded."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in _BIDI_CONTROLS)
    return cleaned[:MAX_NAME]
