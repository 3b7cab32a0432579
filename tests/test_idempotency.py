"""Idempotency-Key: a double click stores one version; a key never reaches another account's upload.

The sequential retry is in test_submissions.py; here the two submissions race, and the key
is reused by someone else or for something else.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from helpers import DEPT, PDF, PNG, Service, sha256, staff_of, stored_files, upload


def person(service: Service, index: int = 0) -> str:
    return service.context.content.members(DEPT)[index].staff_id


@pytest.mark.parametrize("round_", range(5))
def test_the_same_upload_twice_at_once_stores_one_version(service: Service, round_: int) -> None:
    staff_id = person(service, round_)
    headers = {**service.bearer("clerk"), "Idempotency-Key": f"double-click-{round_}"}
    start = threading.Barrier(2)
    answers: list[Any] = []

    def send() -> None:
        start.wait(timeout=5)
        answers.append(upload(service.client, staff_id, PDF, headers=headers))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(a.status_code for a in answers) == [200, 201]
    assert answers[0].json() == answers[1].json()
    [version] = staff_of(service.client, DEPT, service.bearer("clerk"))[staff_id]["versions"]
    assert version["id"] == answers[0].json()["id"] and version["sha256"] == sha256(PDF)
    assert len(stored_files(service.settings)) == 1  # the loser's copy was removed


def test_a_key_is_the_accounts_own(service: Service) -> None:
    staff_id = person(service)
    first = upload(service.client, staff_id, PDF, headers={**service.bearer("clerk"), "Idempotency-Key": "k-1"})
    assert first.status_code == 201
    # HR happens to send the same key for the same person: a new upload, not the clerk's record
    hr = upload(service.client, staff_id, PNG, headers={**service.bearer("hr"), "Idempotency-Key": "k-1"})
    assert hr.status_code == 201, hr.text
    assert hr.json()["id"] != first.json()["id"] and hr.json()["sha256"] == sha256(PNG)
    versions = staff_of(service.client, DEPT, service.bearer("clerk"))[staff_id]["versions"]
    assert [(v["version"], v["uploaded_by"]) for v in versions] == [(1, "clerk"), (2, "hr")]
    assert len(stored_files(service.settings)) == 2


@pytest.mark.parametrize("change", ["another person", "another file"])
def test_a_key_reused_for_a_different_upload_is_refused(service: Service, change: str) -> None:
    headers = {**service.bearer("clerk"), "Idempotency-Key": "k-2"}
    first = upload(service.client, person(service), PDF, headers=headers)
    assert first.status_code == 201
    before = staff_of(service.client, DEPT, service.bearer("clerk")), stored_files(service.settings)
    staff_id, data = (person(service, 1), PDF) if change == "another person" else (person(service), PNG)
    again = upload(service.client, staff_id, data, headers=headers)
    assert again.status_code == 422, again.text
    assert again.json()["code"] == "idempotency_key_reused"
    assert first.json()["id"] not in again.text  # nothing of the first upload is shown
    assert (staff_of(service.client, DEPT, service.bearer("clerk")), stored_files(service.settings)) == before
