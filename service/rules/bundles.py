"""Several workbooks in one upload: the files as sent, or one zip archive of them, unpacked in
memory within bounds (how many, how large in all, no path leaving the archive, no archive inside).

A workbook (.xlsx) is itself a zip; it is told from an archive of workbooks by its
`[Content_Types].xml` at the root, so the content decides, never the name.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from service.errors import ApiError, quoted
from service.rules.scans import display_name

ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # an archive with files, an empty one
WORKBOOK_MARK = "[Content_Types].xml"
SKIPPED_PREFIXES = ("__MACOSX/",)  # what an archiver adds beside the files


@dataclass(frozen=True)
class Limits:
    files: int  # files in one upload, sent or in the archive
    total: int  # bytes of all files together, unpacked
    each: int  # bytes of one file


@dataclass(frozen=True)
class Part:
    name: str  # shown on the result line
    data: bytes
    problem: ApiError | None = None  # refused on its own; the others go on


def is_archive(data: bytes) -> bool:
    """A zip archive that is not itself a workbook."""
    if not data.startswith(ZIP_MAGICS):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return WORKBOOK_MARK not in archive.namelist()
    except zipfile.BadZipFile:
        return False


def parts(sent: Sequence[tuple[str, bytes]], limits: Limits) -> list[Part]:
    """The workbooks of an upload: each file sent, or the files of the one archive sent.
    A breach of the limits refuses the whole upload (ApiError); a file too large is refused alone."""
    if not sent:
        raise ApiError(400, "missing_file", "请选择填好的附件3工作簿（.xlsx），可多选，或一个装有它们的 .zip 压缩包")
    if len(sent) > limits.files:
        raise ApiError(413, "too_many_files", f"一次最多上传 {limits.files} 个文件")
    archives = [name for name, data in sent if is_archive(data)]
    if archives and len(sent) > 1:
        raise ApiError(422, "zip_with_files", "压缩包请单独上传（一次一个 .zip），或直接选择多个 .xlsx 工作簿")
    if archives:
        return _unpacked(sent[0][0], sent[0][1], limits)
    if sum(len(data) for _, data in sent) > limits.total:
        raise ApiError(413, "too_large", f"上传的文件合计超过 {limits.total // (1024 * 1024)} MB")
    return [_part(name, data, limits) for name, data in sent]


def _unpacked(name: str, data: bytes, limits: Limits) -> list[Part]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise ApiError(422, "zip_unreadable", f"压缩包“{quoted(display_name(name))}”无法读取") from None
    with archive:
        entries = [info for info in archive.infolist()
                   if not info.is_dir() and not info.filename.startswith(SKIPPED_PREFIXES)]
        for info in entries:
            _check_entry(info)
        if not entries:
            raise ApiError(422, "zip_empty", "压缩包中没有文件")
        if len(entries) > limits.files:
            raise ApiError(413, "zip_too_many", f"压缩包中有 {len(entries)} 个文件，一次最多 {limits.files} 个")
        if sum(info.file_size for info in entries) > limits.total:
            raise ApiError(413, "zip_too_large",
                           f"压缩包解开后超过 {limits.total // (1024 * 1024)} MB，请分几次上传")
        found = []
        for info in entries:
            if info.file_size > limits.each:
                found.append(Part(display_name(info.filename), b"", _too_large(limits)))
                continue
            with archive.open(info) as member:
                body = member.read(limits.each + 1)  # the size in the header may lie
            if is_archive(body):
                raise ApiError(422, "zip_nested",
                               f"压缩包中不能再有压缩包：“{quoted(display_name(info.filename))}”，请解开后再上传")
            found.append(_part(info.filename, body, limits))
        return found


def _check_entry(info: zipfile.ZipInfo) -> None:
    path = info.filename.replace("\\", "/")
    shown = quoted(display_name(info.filename))
    normal = posixpath.normpath(path)
    if path.startswith("/") or normal == ".." or normal.startswith("../") or ":" in path.split("/", 1)[0]:
        raise ApiError(422, "zip_unsafe_path", f"压缩包中的文件路径指向包外：“{quoted(info.filename)}”")
    if info.flag_bits & 0x1:
        raise ApiError(422, "zip_encrypted", f"压缩包中的“{shown}”有密码，请上传未加密的压缩包")
    if info.filename.lower().endswith(".zip"):
        raise ApiError(422, "zip_nested", f"压缩包中不能再有压缩包：“{shown}”，请解开后再上传")


def _part(name: str, data: bytes, limits: Limits) -> Part:
    shown = display_name(name) or "（无文件名）"
    if len(data) > limits.each:
        return Part(shown, b"", _too_large(limits))
    return Part(shown, data)


def _too_large(limits: Limits) -> ApiError:
    return ApiError(413, "too_large", f"工作簿超过 {limits.each // (1024 * 1024)} MB 的大小限制")
