"""Several annex 3 workbooks in one upload (files, or one zip of them): each matched by the 工号
hidden in it, each with its result line, a bad one never stopping the others."""

from __future__ import annotations

import io
import zipfile

import pytest
from helpers import DEPT, OTHER_DEPT, Service, page_csrf, parse_html
from test_targets import filled_annex3

from service.office import annex3

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
URL = f"/api/departments/{DEPT}/targets.xlsx"


@pytest.fixture
def clerk(service: Service) -> dict[str, str]:
    return service.bearer("clerk")


def zipped(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def state(service: Service, clerk: dict[str, str], staff_id: str) -> str:
    return str(service.client.get(f"/api/targets/{staff_id}", headers=clerk).json()["state_label"])


def test_several_workbooks_are_stored_each_and_a_bad_one_is_named_alone(service: Service,
                                                                        clerk: dict[str, str]) -> None:
    members = service.context.content.members(DEPT)
    first, second, third = (m.staff_id for m in members[:3])
    other = service.context.content.members(OTHER_DEPT)[0]
    files = [("file", ("甲.xlsx", filled_annex3(service, first), XLSX)),
             ("file", ("乙.xlsx", filled_annex3(service, second, {"C5": 1}), XLSX)),  # no longer adds up to 60
             ("file", ("丙.xlsx", filled_annex3(service, third), XLSX)),
             ("file", ("外系.xlsx", annex3.targets_xlsx(service.context.content, other), XLSX)),
             ("file", ("说明.txt", "不是工作簿".encode(), "text/plain"))]
    response = service.client.post(URL, headers=clerk, data={"submit": "true"}, files=files)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["stored"], body["refused"]) == (2, 3)
    lines = {line["file"]: line for line in body["files"]}
    assert [line["file"] for line in body["files"]] == ["甲.xlsx", "乙.xlsx", "丙.xlsx", "外系.xlsx", "说明.txt"]
    assert lines["甲.xlsx"]["status"] == "stored" and lines["甲.xlsx"]["staff_id"] == first
    assert lines["丙.xlsx"]["staff_id"] == third and lines["丙.xlsx"]["name"] == members[2].name
    assert lines["乙.xlsx"]["status"] == "refused" and "实际为" in lines["乙.xlsx"]["error"]
    assert lines["外系.xlsx"]["status"] == "refused" and lines["说明.txt"]["code"] == "xlsx_not_zip"
    assert (state(service, clerk, first), state(service, clerk, third)) == ("已提交", "已提交")
    assert state(service, clerk, second) == "未开始"
    refusals = service.client.get("/board/workbooks", headers=service.bearer("hr"))
    assert "乙.xlsx" in refusals.text and "说明.txt" in refusals.text  # HR sees who is stuck


def test_a_zip_of_workbooks_is_unpacked_and_each_matched(service: Service, clerk: dict[str, str]) -> None:
    first, second = (m.staff_id for m in service.context.content.members(DEPT)[3:5])
    archive = zipped({"附件3/甲.xlsx": filled_annex3(service, first), "附件3/乙.xlsx": filled_annex3(service, second),
                      "__MACOSX/._甲.xlsx": b"\x00\x05"})
    response = service.client.post(URL, headers=clerk, files={"file": ("全系.zip", archive, "application/zip")})
    assert response.status_code == 200, response.text
    assert [(line["file"], line["staff_id"]) for line in response.json()["files"]] == [
        ("甲.xlsx", first), ("乙.xlsx", second)]
    assert state(service, clerk, first) == "草稿"


@pytest.mark.parametrize(("entries", "status", "code"), [
    ({"../外面.xlsx": b"x"}, 422, "zip_unsafe_path"),
    ({"/etc/附件3.xlsx": b"x"}, 422, "zip_unsafe_path"),
    ({"里面.zip": b"x"}, 422, "zip_nested"),
    ({"套.bin": b"PK\x03\x04" + bytes(40)}, 200, None),  # not a readable zip inside: refused as a file
    ({f"{i}.xlsx": b"x" for i in range(201)}, 413, "zip_too_many"),
    ({"大.xlsx": bytes(61 * 1024 * 1024)}, 413, "zip_too_large"),
])
def test_a_zip_outside_the_limits_is_refused_whole(service: Service, clerk: dict[str, str],
                                                    entries: dict[str, bytes], status: int, code: str | None) -> None:
    first = service.context.content.members(DEPT)[5].staff_id
    archive = zipped({"好.xlsx": filled_annex3(service, first), **entries})
    response = service.client.post(URL, headers=clerk, files={"file": ("全系.zip", archive, "application/zip")})
    if code is None:
        assert response.status_code == 200 and response.json()["refused"] == 1
        return
    assert response.status_code == status, response.text
    assert response.json()["code"] == code and response.json()["error"]
    assert state(service, clerk, first) == "未开始"


def test_a_zip_inside_a_zip_is_refused(service: Service, clerk: dict[str, str]) -> None:
    first = service.context.content.members(DEPT)[6].staff_id
    inner = zipped({"甲.xlsx": filled_annex3(service, first)})
    response = service.client.post(URL, headers=clerk, files={
        "file": ("全系.zip", zipped({"内层.dat": inner}), "application/zip")})
    assert response.status_code == 422 and response.json()["code"] == "zip_nested"
    assert state(service, clerk, first) == "未开始"
    empty = service.client.post(URL, headers=clerk, files={"file": ("空.zip", zipped({}), "application/zip")})
    assert empty.status_code == 422 and empty.json()["code"] == "zip_empty"


def test_a_batch_with_nothing_stored_is_refused_with_its_lines(service: Service, clerk: dict[str, str]) -> None:
    response = service.client.post(URL, headers=clerk, files=[("file", ("a.xlsx", b"no", XLSX)),
                                                              ("file", ("b.xlsx", b"no", XLSX))])
    assert response.status_code == 422 and response.json()["code"] == "nothing_stored"
    assert [line["status"] for line in response.json()["files"]] == ["refused", "refused"]


def test_the_upload_page_takes_several_workbooks_and_shows_a_line_each(service: Service,
                                                                        clerk: dict[str, str]) -> None:
    first, second = (m.staff_id for m in service.context.content.members(DEPT)[7:9])
    browser = service.session("clerk")
    path = f"/board/{DEPT}/targets"
    form = parse_html(browser.get(path).text).find("input", id="file")
    assert form is not None and "multiple" in form.attrs
    done = browser.post(f"{path}/xlsx", data={"csrf": page_csrf(browser, path)},
                        files=[("file", ("甲.xlsx", filled_annex3(service, first), XLSX)),
                               ("file", ("坏.xlsx", b"broken", XLSX)),
                               ("file", ("乙.xlsx", filled_annex3(service, second), XLSX))])
    assert done.status_code == 200
    table = parse_html(done.text).find("table", id="upload-results")
    assert table is not None
    rows = [row for row in table.rows() if row]
    assert [row[1] for row in rows] == ["已存入", "未存入", "已存入"]
    assert rows[0][0] == "甲.xlsx" and first in rows[0][2] and rows[1][3]
    assert state(service, clerk, second) == "草稿"
