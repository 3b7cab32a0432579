"""The bad-input corpus (tests/bad_inputs.yaml): each case's answer, and nothing stored.

Every case runs against one service (upload limit 1 MB) with a scan on file for $DEPT0; the
store's documents, the uploaded files and the audit log's writes are compared before and after.
A hostile name on a good file (`stores: 1`) must give exactly one new version whose stored
name is generated and whose remembered original name is harmless.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import openpyxl
import pytest
import yaml
from helpers import DEPT, JPEG, OTHER_DEPT, PDF, PNG, Service, running_service, set_upload_limit
from openpyxl.utils import get_column_letter
from paper import png_declaring
from sheets import merged
from test_target_workbooks import zipped

from service.config import ROOT, Settings
from service.office.annex3 import targets_xlsx
from service.office.annex4 import monthly_xlsx
from service.office.annex5 import completion_xlsx

CORPUS = Path(__file__).with_name("bad_inputs.yaml")
CASES: list[dict[str, Any]] = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
REPEAT = re.compile(r"(.)×(\d+)", re.S)
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(pdf|png|jpg)$")
READS = {"contract.download", "export.completion", "export.contracts", "export.scores", "login", "login.failed"}


class Corpus:
    def __init__(self, service: Service) -> None:
        self.service = service
        content = service.context.content
        self.ids = {"$DEPT0": content.members(DEPT)[0].staff_id, "$DEPT1": content.members(DEPT)[1].staff_id,
                    "$OTHER0": content.members(OTHER_DEPT)[0].staff_id, "$DEPT": DEPT, "$OTHER": OTHER_DEPT}
        self.content = content

    def text(self, value: str) -> str:
        for key in ("$DEPT0", "$DEPT1", "$OTHER0", "$DEPT", "$OTHER"):
            value = value.replace(key, self.ids[key])
        return REPEAT.sub(lambda m: m.group(1) * int(m.group(2)), value)

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {self.text(str(k)): self.value(v) for k, v in value.items()}
        return value

    # -- bytes ---------------------------------------------------------------------------------

    def bytes(self, spec: str) -> bytes:
        base, _, zeros = spec.partition("+zeros:")
        data = self._bytes(base)
        return data + bytes(int(zeros)) if zeros else data

    def _bytes(self, spec: str) -> bytes:
        fixed = {"pdf": PDF, "png": PNG, "jpeg": JPEG, "empty": b""}
        if spec in fixed:
            return fixed[spec]
        kind, _, rest = spec.partition(":")
        if kind == "text":
            return self.text(rest).encode("utf-8")
        if kind == "hex":
            return bytes.fromhex(rest)
        if kind == "xlsx":
            return self.workbook(rest)
        if kind == "zip":
            return self.archive(rest)
        if kind == "png":
            width, _, height = rest.partition("x")
            return png_declaring(int(width), int(height))
        raise ValueError(f"unknown bytes spec {spec!r}")

    def workbook(self, variant: str) -> bytes:
        content = self.content
        person = content.members(DEPT)[0]
        annex5 = completion_xlsx(content, DEPT)
        annex3 = targets_xlsx(content, person)
        annex4 = edit(monthly_xlsx(content, DEPT, content.settings.year, 3), "附件4",
                      lambda ws: [ws.cell(row, column, 22 if column == 3 else 0)
                                  for row in range(6, 6 + len(content.members(DEPT))) for column in range(3, 12)])
        sheet = "xl/worksheets/sheet1.xml"
        xxe = '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'

        def with_doctype(name: str, body: bytes) -> bytes:
            if name != sheet:
                return body
            head, _, rest = body.decode().partition("?>")
            return (head + "?>" + xxe + rest).replace("<sheetData>", "<sheetData>&xxe;", 1).encode()

        def macro_type(name: str, body: bytes) -> bytes:
            if name == "[Content_Types].xml":
                return body.replace(b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")
            return body

        def padded(name: str, body: bytes) -> bytes:  # 70,000 empty styled cells in the form's own rows
            if name != sheet:
                return body
            cells = "".join(f'<c r="{get_column_letter(c)}1" s="1"/>' for c in range(50, 50 + 70_000 // 10))
            return body.replace(b"</row>", cells.encode() + b"</row>", 10)

        def many_rows(name: str, body: bytes) -> bytes:  # 60,000 empty rows after the form
            if name != sheet:
                return body
            rows = "".join(f'<row r="{r}"/>' for r in range(10_000, 70_000))
            return body.replace(b"</sheetData>", rows.encode() + b"</sheetData>", 1)

        strings = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
                   b'spreadsheetml/2006/main">' + b"<si><t>x</t></si>" * 60_000 + b"</sst>")  # nobody uses them

        variants = {
            "padded": lambda: rezip(annex5, edit=padded),
            "rows": lambda: rezip(annex3, edit=many_rows),
            "strings": lambda: rezip(annex5, add={"xl/sharedStrings.xml": strings}),
            "plain": lambda: annex5,
            "bomb": lambda: rezip(annex5, add={"xl/media/pad.bin": bytes(60 * 1024 * 1024)}),
            "ratio": lambda: rezip(annex5, add={"xl/media/pad.bin": bytes(8 * 1024 * 1024)}),
            "entries": lambda: rezip(annex5, add={f"xl/media/{i}.txt": b"x" for i in range(250)}),
            "xxe": lambda: rezip(annex5, edit=with_doctype),
            "targets_xxe": lambda: rezip(annex3, edit=with_doctype),
            "macro": lambda: rezip(annex5, add={"xl/vbaProject.bin": bytes(100)}),
            "macro_type": lambda: rezip(annex3, edit=macro_type),
            "ole": lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096),
            "formula": lambda: edit(annex5, "附件5", lambda ws: status_cell(ws, '=HYPERLINK("http://x","完成")')),
            "other_department": lambda: completion_xlsx(content, OTHER_DEPT),
            "targets_other": lambda: targets_xlsx(content, content.members(OTHER_DEPT)[0]),
            "merged_status": lambda: edit(annex5, "附件5", merged("D5:D6", "病假")),
            "merged_attendance": lambda: edit(annex4, "附件4", merged("C6:C7", 22)),
            "merged_targets": lambda: edit(annex3, "附件3", merged("E5:E6", "12月")),
            "annex4_march": lambda: annex4,
            "annex5_without_statuses": lambda: edit(annex5, "_meta", without_key("statuses")),
        }
        return variants[variant]()

    def archive(self, variant: str) -> bytes:
        """A zip of annex 3 workbooks with one thing wrong with it as a whole."""
        good = targets_xlsx(self.content, self.content.members(DEPT)[0])
        entries = {
            "outside": {"good.xlsx": good, "../../etc/附件3.xlsx": good},
            "absolute": {"good.xlsx": good, "/tmp/附件3.xlsx": good},
            "nested": {"good.xlsx": good, "inner.zip": zipped({"a.xlsx": good})},
            "nested_unnamed": {"good.xlsx": good, "inner.bin": zipped({"a.xlsx": good})},
            "many": {"good.xlsx": good, **{f"{i}.xlsx": b"x" for i in range(200)}},
            "huge": {"good.xlsx": good, "pad.xlsx": bytes(61 * 1024 * 1024)},
            "empty": {},
        }
        return zipped(entries[variant])

    # -- requests ------------------------------------------------------------------------------

    def request(self, case: dict[str, Any]) -> dict[str, Any]:
        body = case.get("body") or {"kind": "none"}
        headers = {k: self.text(v) for k, v in (case.get("headers") or {}).items()}
        who = case.get("as", "clerk")
        if who != "none":
            headers.update(self.service.bearer(who))
        kind = body["kind"]
        if kind == "json":
            data = json.dumps(self.value(body["value"]), ensure_ascii=False).encode()
            headers["content-type"] = "application/json"
        elif kind == "raw":
            data = b"".join(self.segment(s) for s in body["data"])
            headers["content-type"] = self.text(body["content_type"])
        elif kind == "multipart":
            boundary = "----corpus7f3a"
            data = self.multipart(body, boundary)
            headers["content-type"] = f"multipart/form-data; boundary={boundary}"
        else:
            data = b""
        content: Any = data
        if body.get("chunked"):
            content = (data[i:i + 65536] for i in range(0, len(data), 65536))
        return {"method": case["method"], "url": self.text(case["path"]), "headers": headers, "content": content}

    def segment(self, segment: Any) -> bytes:
        if isinstance(segment, str):
            return self.text(segment).encode("utf-8", "surrogatepass")
        if "hex" in segment:
            return bytes.fromhex(segment["hex"])
        return self.text(segment["repeat"]).encode("utf-8") * int(segment["times"])

    def multipart(self, body: dict[str, Any], boundary: str) -> bytes:
        out = bytearray()
        for name, value in (body.get("fields") or {}).items():
            out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            out += self.text(str(value)).encode("utf-8") + b"\r\n"
        for part in body.get("files") or []:
            disposition = f'form-data; name="{part.get("field", "file")}"'
            if "filename" in part:
                disposition += f'; filename="{self.text(part["filename"])}"'
            if "filename_star" in part:
                disposition += f"; filename*=UTF-8''{quote(self.text(part['filename_star']), safe='')}"
            out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
            out += f"Content-Type: {part.get('content_type', 'application/octet-stream')}\r\n\r\n".encode()
            out += self.bytes(part["bytes"]) + b"\r\n"
        out += f"--{boundary}--\r\n".encode()
        return bytes(out)


def rezip(data: bytes, *, edit: Any = None, add: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info)
            target.writestr(info.filename, edit(info.filename, body) if edit else body)
        for name, body in (add or {}).items():
            target.writestr(name, body)
    return out.getvalue()


def edit(data: bytes, sheet: str, change: Any) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(data))
    change(book[sheet])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def status_cell(ws: Any, value: str) -> None:
    """Put `value` in the first person's 完成情况 cell of an annex 5 sheet."""
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row):
        for cell in row:
            if cell.value == "完成情况":
                ws.cell(cell.row + 1, cell.column).value = value
                return
    raise AssertionError("no 完成情况 column")


def without_key(key: str) -> Any:
    """Drop one identity field from a form's `_meta` sheet: a form downloaded before it existed."""
    def change(ws: Any) -> None:
        row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == key)
        ws.delete_rows(row)
    return change


def state(data_dir: Path) -> dict[str, Any]:
    """What a refused input must not change: store documents (less accounts), files, audit writes."""
    found: dict[str, Any] = {}
    for path in sorted((data_dir / "db").rglob("*.json")):
        # a refused workbook is kept for HR (its record, its audit entry and so the log's head)
        if path.name not in ("accounts.json", "workbook_errors.json", "audit_head.json"):
            tables = {k: v for k, v in json.loads(path.read_bytes() or b"{}").items() if v}
            if tables:
                found[str(path.relative_to(data_dir))] = tables
    files = data_dir / "files"
    for path in sorted(files.rglob("*")) if files.exists() else []:
        found[str(path.relative_to(data_dir))] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
    found["audit"] = [entry["hash"] for entry in map(json.loads, (data_dir / "audit.log").read_text(
        encoding="utf-8").splitlines()) if entry["action"] not in (*READS, "workbook.refused")]
    return found


def set_up(settings: Settings) -> dict[str, str]:
    """The college's set-up files: a refused change to the set-up leaves each one as it was."""
    return {f"setup/{path.name}": hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(settings.content_dir.glob("*.yml"))}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    tmp = tmp_path_factory.mktemp("corpus")
    shutil.copytree(ROOT / "content", tmp / "content")
    set_upload_limit(tmp / "content", 1)
    settings = Settings(root=ROOT, content_dir=tmp / "content", site_dir=tmp / "site", data_dir=tmp / "var",
                        mkdocs_file=ROOT / "mkdocs.yml")
    with running_service(settings) as service:
        for name in ("clerk", "other", "hr", "boss"):
            service.bearer(name)
        helper = Corpus(service)
        first = service.client.post("/api/contracts", headers=service.bearer("clerk"),
                                    data={"staff_id": helper.ids["$DEPT0"]}, files={"file": ("a.pdf", PDF)})
        assert first.status_code == 201
        yield helper


def test_the_corpus_is_big_and_well_formed() -> None:
    assert len(CASES) >= 50
    names = [case["name"] for case in CASES]
    assert len(names) == len(set(names))
    for case in CASES:
        assert {"name", "method", "path", "status"} <= set(case), case
        assert set(case) <= {"name", "method", "path", "as", "headers", "body", "status", "code", "stores"}, case
        assert ("stores" in case) == (200 <= case["status"] < 300), case["name"]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_bad_input(corpus: Corpus, case: dict[str, Any]) -> None:
    service = corpus.service
    data_dir = service.settings.data_dir
    before = {**state(data_dir), **set_up(service.settings)}
    response = service.client.request(**corpus.request(case))
    assert response.status_code == case["status"], response.text[:500]
    if response.status_code >= 400:
        body = response.json()
        if "code" in case:
            assert body["code"] == case["code"], body
        assert not body["error"].isascii(), body  # a Chinese explanation
    after = {**state(data_dir), **set_up(service.settings)}
    assert [p for p in data_dir.rglob(".tmp-*")] == []
    if not case.get("stores"):
        assert after == before, "a refused input changed the store, the files or the audit log"
        return
    added = sorted(set(after) - set(before) - {"audit"})
    assert len([p for p in added if p.startswith("files/")]) == 1, added
    [stored] = [p for p in added if p.startswith("files/")]
    assert stored.startswith(f"files/2019/{DEPT}/") and STORED_NAME.match(stored.rsplit("/", 1)[1]), stored
    record = response.json()
    [saved] = [r for r in service.context.store.records(DEPT, "contracts") if r["id"] == record["id"]]
    assert saved["file"] == stored
    original = saved["original_name"]
    assert len(original) <= 120
    assert not set(original) & set("/\\\0\r\n\u202e\u202d\u202a\u202b\u202c"), original
    assert all(ch.isprintable() for ch in original), original
