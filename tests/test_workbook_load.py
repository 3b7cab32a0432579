"""One clerk cannot starve everyone: a workbook padded past the limits is refused from its XML
before openpyxl parses a byte, and the service parses one uploaded workbook at a time while
other requests go on (the speed is bench row 8's)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from helpers import DEPT, running_service
from sheets import completion_with
from test_bad_inputs import rezip

from service.config import Settings
from service.office import annex5, catalog, safe_reader
from service.office.safe_reader import LIMITS, WorkbookRejected, check_package


def padded(data: bytes, cells: int) -> bytes:
    def edit(name: str, body: bytes) -> bytes:
        if name != "xl/worksheets/sheet1.xml":
            return body
        return body.replace(b"</sheetData>", b'<row r="9000">' + b'<c r="B9000" s="1"/>' * cells + b"</row></sheetData>")
    return rezip(data, edit=edit)


def test_a_padded_workbook_is_refused_before_openpyxl_reads_it(shipped_content: Any,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    data = padded(annex5.completion_xlsx(shipped_content, DEPT), LIMITS.max_cells + 1)
    monkeypatch.setattr(safe_reader, "load_workbook", lambda *a, **k: pytest.fail("openpyxl was called"))
    with pytest.raises(WorkbookRejected) as refused:
        check_package(data)
    assert refused.value.code == "xlsx_too_many_cells" and "单元格过多" in refused.value.message
    check_package(padded(annex5.completion_xlsx(shipped_content, DEPT), 100))  # a few spare cells pass


def test_prefixed_cells_are_counted_too(shipped_content: Any) -> None:
    def prefixed(name: str, body: bytes) -> bytes:
        if name != "xl/worksheets/sheet1.xml":
            return body
        cells = b'<x:c r="B9000" s="1"/>' * (LIMITS.max_cells + 1)
        return body.replace(b"</sheetData>", b'<x:row r="9000">' + cells + b"</x:row></sheetData>")
    with pytest.raises(WorkbookRejected, match="单元格过多"):
        check_package(rezip(annex5.completion_xlsx(shipped_content, DEPT), edit=prefixed))


def test_uploaded_workbooks_are_parsed_one_at_a_time(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    inside, most = [0], [0]
    lock = threading.Lock()
    real = annex5.read_completion

    def watched(*args: Any) -> Any:
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        try:
            time.sleep(0.05)  # a slow parse: others arriving meanwhile must wait their turn
            return real(*args)
        finally:
            with lock:
                inside[0] -= 1

    monkeypatch.setattr(annex5, "read_completion", watched)
    with running_service(settings) as service:
        headers = service.bearer("clerk")
        member = service.context.content.members(DEPT)[0]
        data = completion_with(annex5.completion_xlsx(service.context.content, DEPT), {member.staff_id: "产假"})
        answers: list[int] = []
        status: list[int] = []

        def send() -> None:
            answer = service.client.post(f"/api/completion/{DEPT}/xlsx", headers=headers,
                                         files={"file": ("annex5.xlsx", data, catalog.XLSX_MIME)})
            answers.append(answer.status_code)

        threads = [threading.Thread(target=send) for _ in range(6)]
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            status.append(service.client.get("/api/status").status_code)  # answered all the while
        for thread in threads:
            thread.join()
    assert answers == [200] * 6
    assert most[0] == 1
    assert status and set(status) == {200}
