"""Word to PDF through LibreOffice (`soffice --headless --convert-to pdf`), each conversion in
a scratch directory with its own LibreOffice profile, so conversions never share state."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from service.storage import files

TIMEOUT = 180  # seconds; a first start of LibreOffice takes a few


class ConversionFailed(Exception):
    pass


def available() -> bool:
    return shutil.which("soffice") is not None


def docx_to_pdf(data: bytes, name: str = "document") -> bytes:
    """The PDF of a .docx; ConversionFailed (Chinese message) when LibreOffice is missing or fails."""
    binary = shutil.which("soffice")
    if binary is None:
        raise ConversionFailed("服务器未安装 LibreOffice（soffice），无法生成 PDF，请下载 Word 版")
    with tempfile.TemporaryDirectory(prefix="portal-pdf-") as scratch:
        root = Path(scratch)
        source = root / f"{name}.docx"
        files.atomic_write(source, data, durable=False)
        try:
            subprocess.run([binary, f"-env:UserInstallation=file://{root / 'profile'}", "--headless",
                            "--convert-to", "pdf", "--outdir", str(root), str(source)],
                           check=True, capture_output=True, timeout=TIMEOUT)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise ConversionFailed(f"LibreOffice 转换 PDF 失败：{exc}") from None
        target = root / f"{name}.pdf"
        if not target.exists():
            raise ConversionFailed("LibreOffice 未生成 PDF 文件")
        return target.read_bytes()


def documents_to_pdf(documents: Sequence[tuple[str, bytes]]) -> bytes:
    """Word or Excel files (name with its extension, bytes) printed through one LibreOffice run and
    joined, in order, into one PDF; ConversionFailed when LibreOffice is missing or fails."""
    from pypdf import PdfReader, PdfWriter  # 7 MB, for the print jobs only

    binary = shutil.which("soffice")
    if binary is None:
        raise ConversionFailed("服务器未安装 LibreOffice（soffice），无法生成 PDF，请下载 Word 版")
    with tempfile.TemporaryDirectory(prefix="portal-print-") as scratch:
        root = Path(scratch)
        sources = []
        for number, (name, data) in enumerate(documents):
            source = root / f"{number:04d}{Path(name).suffix}"
            files.atomic_write(source, data, durable=False)
            sources.append(source)
        try:
            subprocess.run([binary, f"-env:UserInstallation=file://{root / 'profile'}", "--headless",
                            "--convert-to", "pdf", "--outdir", str(root / "out"), *map(str, sources)],
                           check=True, capture_output=True, timeout=TIMEOUT + 20 * len(sources))
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise ConversionFailed(f"LibreOffice 转换 PDF 失败：{exc}") from None
        writer = PdfWriter()
        for source in sources:
            target = root / "out" / f"{source.stem}.pdf"
            if not target.exists():
                raise ConversionFailed(f"LibreOffice 未生成“{documents[int(source.stem)][0]}”的 PDF 文件")
            writer.append(PdfReader(target))
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
