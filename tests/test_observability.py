"""Watching the service in production: one access line per request (JSON or combined, no
secret in it), a request id on every answer and on the error page, /readyz saying whether the
service can serve, /metrics in the Prometheus text format for allowed addresses."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import shutil
from typing import Any

import pytest
from helpers import (
    DEPT,
    OTHER_DEPT,
    PASSWORD,
    copy_site,
    csrf_from,
    parse_html,
    running_service,
    scan_of,
)
from prometheus_client.parser import text_string_to_metric_families
from reminders_kit import webhook_receiver
from serverproc import accounts, serving
from starlette.testclient import TestClient

from service.config import LOG_COMBINED, LOG_OFF, Outbound, Settings
from service.content.loader import load_content
from service.storage.files import PROBE

AFTER = dt.datetime(2019, 4, 27, 9, 0)  # the day after the contract deadline: every department is overdue
QUERY_SECRET = "q-secret-4711"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics answer, parsed by prometheus_client: (name, labels) → value."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


# -- /readyz ------------------------------------------------------------------------------------


def test_readyz_answers_ready_and_healthz_is_unchanged(settings: Settings) -> None:
    with running_service(settings, full_site=True) as service:
        assert service.client.get("/healthz").json() == {"ok": True}
        answer = service.client.get("/readyz")
        assert answer.status_code == 200 and answer.json() == {"ready": True}, answer.text
        assert not (settings.data_dir / PROBE).exists()  # the probe file is removed again


def test_readyz_is_503_while_a_store_file_is_not_valid_json(settings: Settings) -> None:
    with running_service(settings, full_site=True) as service:
        service.bearer("clerk")  # accounts and tokens on disk
        accounts_file = settings.data_dir / "db" / "accounts.json"
        good = accounts_file.read_bytes()
        accounts_file.write_bytes(b'{"users": {"1": {"username": "hr", "pass')  # torn by hand
        answer = service.client.get("/readyz")
        assert answer.status_code == 503, answer.text
        body = answer.json()
        assert body["ready"] is False and body["code"] == "not_ready"
        assert [p["code"] for p in body["problems"]] == ["store_unreadable"]
        assert "db/accounts.json" in body["problems"][0]["message"] and "数据文件无法读取" in body["error"]
        accounts_file.write_bytes(good)  # repaired: ready again
        assert service.client.get("/readyz").json() == {"ready": True}


def test_readyz_is_503_while_the_data_directory_takes_no_write(settings: Settings) -> None:
    """The tests run as root, for whom a read-only mode stops no write: a directory standing
    where the probe file must be created makes the write fail for anyone."""
    with running_service(settings, full_site=True) as service:
        (settings.data_dir / PROBE).mkdir()
        answer = service.client.get("/readyz")
        assert answer.status_code == 503, answer.text
        assert [p["code"] for p in answer.json()["problems"]] == ["data_not_writable"]
        assert "数据目录无法写入" in answer.json()["error"]
        (settings.data_dir / PROBE).rmdir()
        assert service.client.get("/readyz").status_code == 200


def test_readyz_is_503_while_the_portal_is_not_built(settings: Settings) -> None:
    with running_service(settings, full_site=True) as service:
        shutil.rmtree(settings.site_dir)
        answer = service.client.get("/readyz")
        assert answer.status_code == 503
        assert [p["code"] for p in answer.json()["problems"]] == ["site_missing"]


# -- /metrics: who may read it ----------------------------------------------------------------


def test_metrics_are_refused_to_an_address_not_allowed_unless_with_an_hr_token(settings: Settings) -> None:
    with running_service(settings) as service:
        outside = TestClient(service.app, client=("10.9.8.7", 50000))
        refused = outside.get("/metrics")
        assert refused.status_code == 403
        assert refused.json()["code"] == "metrics_forbidden" and not refused.json()["error"].isascii()
        assert outside.get("/metrics", headers=service.bearer("clerk")).status_code == 403
        by_hr = outside.get("/metrics", headers=service.bearer("hr"))
        assert by_hr.status_code == 200 and "portal_http_requests_total" in by_hr.text
        local = TestClient(service.app, client=("127.0.0.1", 50000))
        assert local.get("/metrics").status_code == 200


def test_metrics_see_the_address_a_trusted_proxy_forwarded(settings: Settings) -> None:
    proxied = settings.with_(trusted_proxies=("127.0.0.1",), metrics_allow=("192.0.2.0/24",))
    with running_service(proxied) as service:
        proxy = TestClient(service.app, client=("127.0.0.1", 50000))
        assert proxy.get("/metrics").status_code == 403  # the proxy itself is not allowed here
        assert proxy.get("/metrics", headers={"X-Forwarded-For": "198.51.100.9"}).status_code == 403
        assert proxy.get("/metrics", headers={"X-Forwarded-For": "192.0.2.15"}).status_code == 200
        untrusted = TestClient(service.app, client=("203.0.113.5", 50000))
        assert untrusted.get("/metrics", headers={"X-Forwarded-For": "192.0.2.15"}).status_code == 403


def test_reminders_sent_and_failed_are_counted(settings: Settings) -> None:
    with webhook_receiver() as good, webhook_receiver({"errcode": 93000, "errmsg": "invalid webhook url"}) as bad:
        outbound = Outbound(webhook_url=good.url, department_webhooks=((OTHER_DEPT, bad.url),), timeout=5.0)
        with running_service(settings.with_(outbound=outbound), now=AFTER) as service:
            hr = service.bearer("hr")
            for department in (DEPT, OTHER_DEPT):  # by hand, besides what the timer sent at start
                sent = service.client.post("/api/reminders", headers=hr, json={"step": "contracts",
                                                                              "department": department})
                assert sent.status_code == 200, sent.text
            found = samples(service.client.get("/metrics", headers=hr).text)
    # each reminder went to one robot (no mail server): the good one took it, the other refused it
    assert len(good.posts) >= 1 and len(bad.posts) >= 1
    assert value(found, "portal_reminders_total", outcome="sent") == len(good.posts)
    assert value(found, "portal_reminders_total", outcome="failed") == len(bad.posts)


# -- the access log in process ----------------------------------------------------------------


def test_the_combined_format_writes_one_line_per_request(settings: Settings,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    with running_service(settings.with_(log_format=LOG_COMBINED)) as service:
        hr = service.bearer("hr")
        with caplog.at_level(logging.INFO, logger="portal.access"):
            answer = service.client.get(f"/api/status?token={QUERY_SECRET}&year=2019", headers=hr)
    lines = [r.getMessage() for r in caplog.records if r.name == "portal.access"]
    assert len(lines) == 1, lines
    line = re.fullmatch(r'(\S+) - (\S+) \[([^]]+)\] "GET (\S+) HTTP/1.1" (\d{3}) (\d+) "-" "([^"]*)" '
                        r'([\d.]+)ms ([0-9a-f]{16})', lines[0])
    assert line is not None, lines[0]
    client, user, when, path, status, size, _agent, _ms, request_id = line.groups()
    assert (client, user, status) == ("testclient", "hr", "200")
    assert path == "/api/status?token=***&year=2019" and QUERY_SECRET not in lines[0]
    assert int(size) == len(answer.content) and request_id == answer.headers["x-request-id"]
    dt.datetime.strptime(when, "%d/%b/%Y:%H:%M:%S %z")


def test_off_writes_no_access_line_and_counts_no_request(settings: Settings,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    with running_service(settings.with_(log_format=LOG_OFF)) as service:
        hr = service.bearer("hr")
        with caplog.at_level(logging.INFO, logger="portal.access"):
            answer = service.client.get("/api/status", headers=hr)
            found = samples(service.client.get("/metrics", headers=hr).text)
    assert answer.headers["x-request-id"]  # the request id stays: error pages need it
    assert [r for r in caplog.records if r.name == "portal.access"] == []
    assert value(found, "portal_http_requests_total", route="/api/status", method="GET", status="200") == 0


# -- a real `portal serve` ------------------------------------------------------------------------


def test_a_real_service_logs_each_request_without_secrets_and_counts_it(settings: Settings) -> None:
    copy_site(settings.site_dir)
    tokens = accounts(settings)
    staff_id = load_content(settings.content_dir).members(DEPT)[0].staff_id
    scan = scan_of(staff_id)
    with serving(settings) as server:
        browser = server.client()
        form = browser.get("/login")
        signed = browser.post("/login", data={"username": "hr", "password": PASSWORD, "csrf": csrf_from(form.text)})
        assert signed.status_code == 303, signed.text
        cookie = browser.cookies["portal_session"]
        api = server.client()
        assert api.get("/api/status", headers=tokens["hr"]).status_code == 200
        stored = api.post("/api/contracts", headers=tokens["clerk"], data={"staff_id": staff_id},
                          files={"file": ("scan.pdf", scan, "application/pdf")})
        assert stored.status_code == 201, stored.text
        assert api.get(f"/login?token={QUERY_SECRET}&next=/board").status_code == 200
        assert api.get(f"/board/{DEPT}").status_code in (303, 401)
        known = {r.headers["x-request-id"] for r in (form, signed, stored)}
        found = samples(api.get("/metrics").text)

        (settings.data_dir / "db" / "sessions.json").write_bytes(b"not json{")  # the browser's next request fails
        failed = browser.get("/board", headers={"Accept": "text/html"})
        assert failed.status_code == 500
        request_id = failed.headers["x-request-id"]
        shown = parse_html(failed.text).find("div", role="alert")
        assert shown is not None and f"错误编号： {request_id}" in shown.text
        failed_json = browser.get("/api/me")
        assert failed_json.status_code == 500
        assert failed_json.json()["request_id"] == failed_json.headers["x-request-id"] != request_id
        assert api.get("/readyz").json()["problems"][0]["code"] == "store_unreadable"
    output = server.log()

    assert value(found, "portal_http_requests_total", route="/login", method="POST", status="303") == 1
    assert value(found, "portal_http_requests_total", route="/login", method="GET", status="200") == 2
    assert value(found, "portal_http_requests_total", route="/api/status", method="GET", status="200") == 1
    assert value(found, "portal_http_requests_total", route="/board/{department_id}", method="GET",
                 status="303") + value(found, "portal_http_requests_total", route="/board/{department_id}",
                                       method="GET", status="401") == 1
    assert value(found, "portal_http_request_duration_seconds_count", route="/api/contracts") == 1
    assert value(found, "portal_uploads_total") == 1 and value(found, "portal_upload_bytes_total") == len(scan)
    assert value(found, "portal_store_commit_seconds_count") >= 2  # the login and the upload at least
    assert value(found, "portal_open_connections") >= 1  # the one asking
    assert value(found, "portal_http_requests_in_progress") == 1  # the one asking, being answered

    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    access = [r for r in records if "status" in r]
    assert {r["request_id"] for r in access} >= known | {request_id}
    for record in access:
        assert set(record) == {"time", "request_id", "client", "method", "path", "route", "status", "bytes",
                               "duration_ms", "user"}
        assert record["client"] == "127.0.0.1" and dt.datetime.fromisoformat(record["time"]).tzinfo is not None
    by_id: dict[str, dict[str, Any]] = {r["request_id"]: r for r in access}
    assert by_id[signed.headers["x-request-id"]]["method"] == "POST"
    assert by_id[stored.headers["x-request-id"]]["user"] == "clerk"
    assert by_id[stored.headers["x-request-id"]]["route"] == "/api/contracts"
    assert any(r["path"] == "/login?token=***&next=/board" for r in access)
    assert by_id[request_id]["status"] == 500
    errors = [r for r in records if r.get("level") == "ERROR"]
    assert [r["request_id"] for r in errors] == [request_id, failed_json.headers["x-request-id"]]
    assert "StoreCorrupt" in errors[0]["exception"] and dt.datetime.fromisoformat(errors[0]["time"])
    assert "Exception in ASGI application" not in output  # logged once, by the service, with its id
    for secret in (PASSWORD, cookie, QUERY_SECRET, *(h["Authorization"].split()[1] for h in tokens.values())):
        assert secret not in output


def test_the_access_line_has_the_path_the_client_asked_under_a_root_path(settings: Settings,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    with running_service(settings.with_(log_format=LOG_COMBINED, root_path="/mubiao")) as service:
        hr = service.bearer("hr")
        with caplog.at_level(logging.INFO, logger="portal.access"):
            asked = service.client.get(f"/mubiao/api/status?token={QUERY_SECRET}&year=2019", headers=hr)
            moved = service.new_client().get("/mubiao/board")
    assert asked.status_code == 200 and moved.status_code in (302, 303, 307)
    lines = [r.getMessage() for r in caplog.records if r.name == "portal.access"]
    paths = [re.fullmatch(r'\S+ - \S+ \[[^]]+\] "GET (\S+) HTTP/1.1" (\d{3}) .*', line) for line in lines]
    assert all(paths), lines
    assert [(m.group(1), m.group(2)) for m in paths if m] == [
        ("/mubiao/api/status?token=***&year=2019", "200"), ("/mubiao/board", str(moved.status_code))]
    assert QUERY_SECRET not in "".join(lines)
