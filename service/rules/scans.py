"""Signed scans: the file types accepted, recognised by their first bytes (never by name or
Content-Type), and the original filename as it may be shown."""

from __future__ import annotations

MAGIC = ((b"%PDF-", "pdf"), (b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"))
HEAD = 16  # bytes enough to recognise every type
MEDIA_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}
SCAN_TYPES = "PDF、JPEG 或 PNG"
MAX_NAME = 120
# Documents (a written summary): PDF, or a Word .docx package (a zip, told apart by its parts)
DOCUMENT_MAGIC = ((b"%PDF-", "pdf"), (b"PK\x03\x04", "docx"))
DOCUMENT_TYPES = "Word（.docx）或 PDF"
DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOCX_PARTS = ("[content_types].xml", "word/document.xml")
MACRO_PARTS = ("vbaproject.bin",)
MAX_PARTS = 2000
_BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e"


def sniff(head: bytes) -> str | None:
    """The file extension for a scan starting with `head`; None for any other file."""
    return next((ext for magic, ext in MAGIC if head.startswith(magic)), None)


def sniff_document(head: bytes) -> str | None:
    """The file extension for a document starting with `head` ("docx" still to be confirmed by
    `docx_problem`); None for any other file."""
    return next((ext for magic, ext in DOCUMENT_MAGIC if head.startswith(magic)), None)


def docx_problem(parts: list[str]) -> str | None:
    """Why a zip with these part names is not a plain Word document (None: it is one)."""
    names = {p.lower() for p in parts}
    if len(names) > MAX_PARTS:
        return "文件包含的部件过多"
    if not all(part in names for part in DOCX_PARTS):
        return "不是 Word 文档（.docx）"
    if any(name.endswith(MACRO_PARTS) for name in names):
        return "含有宏（VBA），为安全起见不予接收，请另存为不含宏的 .docx"
    return None


def display_name(name: str) -> str:
    """The original filename kept for display only: no path, no control characters, bounded."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in _BIDI_CONTROLS)
    return cleaned[:MAX_NAME]
