"""The store's grouped commits: many writers share a commit, and a failed commit leaves the
disk, the audit log and memory as they were, whichever file of the batch failed."""

from __future__ import annotations

import errno
import json
import os
import threading
from pathlib import Path

import pytest

from service.storage import files
from service.storage.audit import AuditLog, verify_chain
from service.storage.store import Store

YEAR = 2019


def fresh(data_dir: Path) -> Store:
    """A second Store over the same directory: what another process (or a restart) reads."""
    return Store(data_dir, YEAR)


def test_concurrent_writers_share_commits_and_every_write_is_on_disk(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path, YEAR)
    audit = AuditLog(tmp_path / "audit.log", store)
    appends = []
    real_append = files.append_bytes

    def counting_append(path: Path, data: bytes) -> int:
        appends.append(data.count(b"\n"))
        return real_append(path, data)

    monkeypatch.setattr(files, "append_bytes", counting_append)
    start = threading.Barrier(16)

    def writer(n: int) -> None:
        start.wait()
        for i in range(10):
            with store.locked():
                store.insert(f"d{n % 4}", "contracts", {"staff_id": f"{n}-{i}"})
                audit.append("test", "contract.upload", n=n, i=i)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(appends) == 160  # every entry written once
    assert len(appends) < 160  # and some commits carried several
    reread = fresh(tmp_path)
    stored = sorted(r["staff_id"] for d in range(4) for r in reread.records(f"d{d}", "contracts"))
    assert stored == sorted(f"{n}-{i}" for n in range(16) for i in range(10))
    count, problems = verify_chain(tmp_path / "audit.log")
    assert (count, problems) == (160, [])


@pytest.mark.parametrize("failing", ["first", "second"])
def test_a_failed_file_of_a_batch_takes_the_whole_batch_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               failing: str) -> None:
    store = Store(tmp_path, YEAR)
    audit = AuditLog(tmp_path / "audit.log", store)
    with store.locked():
        store.insert("a", "contracts", {"staff_id": "a1"})
        store.insert("b", "contracts", {"staff_id": "b1"})
        audit.append("test", "setup")
    before = {p: p.read_bytes() for p in sorted((tmp_path / "db").rglob("*"))
              if p.is_file()} | {tmp_path / "audit.log": (tmp_path / "audit.log").read_bytes()}
    target = "a" if failing == "first" else "b"
    real_write = files.atomic_write

    def failing_write(path: Path, data: bytes, *, durable: bool = True) -> None:
        if path.parent.name == target:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_write(path, data, durable=durable)

    monkeypatch.setattr(files, "atomic_write", failing_write)
    with pytest.raises(OSError), store.locked():  # one block, two files: one batch
        store.insert("a", "contracts", {"staff_id": "a2"})
        store.insert("b", "contracts", {"staff_id": "b2"})
        store.insert("c", "contracts", {"staff_id": "c1"})  # a file that did not exist
        audit.append("test", "both")
    monkeypatch.setattr(files, "atomic_write", real_write)

    after = {p: p.read_bytes() for p in sorted((tmp_path / "db").rglob("*"))
             if p.is_file()} | {tmp_path / "audit.log": (tmp_path / "audit.log").read_bytes()}
    assert after == before  # no new file, no kept copy, no audit line
    for partition, staff in (("a", ["a1"]), ("b", ["b1"]), ("c", [])):
        assert [r["staff_id"] for r in store.records(partition, "contracts")] == staff  # memory
        assert [r["staff_id"] for r in fresh(tmp_path).records(partition, "contracts")] == staff  # disk

    with store.locked():  # and the next change works, its audit entry chained to the last good one
        store.insert("a", "contracts", {"staff_id": "a3"})
        audit.append("test", "after")
    assert [r["staff_id"] for r in fresh(tmp_path).records("a", "contracts")] == ["a1", "a3"]
    assert verify_chain(tmp_path / "audit.log") == (2, [])


def test_a_failed_audit_append_puts_the_files_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path, YEAR)
    audit = AuditLog(tmp_path / "audit.log", store)
    with store.locked():
        store.insert("a", "contracts", {"staff_id": "a1"})
        audit.append("test", "setup")
    before = (tmp_path / "db" / str(YEAR) / "a" / "contracts.json").read_bytes()

    def no_space(path: Path, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files, "append_bytes", no_space)
    with pytest.raises(OSError), store.locked():
        store.insert("a", "contracts", {"staff_id": "a2"})
        audit.append("test", "lost")
    monkeypatch.undo()
    assert (tmp_path / "db" / str(YEAR) / "a" / "contracts.json").read_bytes() == before
    assert [r["staff_id"] for r in store.records("a", "contracts")] == ["a1"]
    assert verify_chain(tmp_path / "audit.log") == (1, [])


def test_each_commit_writes_the_whole_current_table_whatever_changed(tmp_path: Path) -> None:
    """After inserts, in place updates (upsert, a user's changes), removals and several changes to
    one record in one commit, another reader finds exactly the current table, in compact JSON."""
    store = Store(tmp_path, YEAR)
    expected: dict[str, dict[str, object]] = {}
    for i in range(6):
        store.insert("a", "statuses", {"staff_id": f"s{i}", "status": "未完成", "note": "第一次"})
        expected[f"s{i}"] = {"status": "未完成", "note": "第一次"}
    store.upsert("a", "statuses", {"status": "已完成"}, staff_id="s2")  # an in place update
    expected["s2"]["status"] = "已完成"
    store.upsert("a", "statuses", {"staff_id": "s9", "status": "已完成", "note": "新增"}, staff_id="s9")
    expected["s9"] = {"status": "已完成", "note": "新增"}
    store.remove("a", "statuses", staff_id="s4")
    del expected["s4"]
    with store.locked():  # several changes to the same record in one commit
        store.upsert("a", "statuses", {"note": "改过"}, staff_id="s0")
        store.upsert("a", "statuses", {"note": "又改过"}, staff_id="s0")
    expected["s0"]["note"] = "又改过"
    store.accounts.add_user({"username": "clerk", "role": "clerk", "active": True})
    store.accounts.update_user("clerk", {"active": False})

    on_disk = {r["staff_id"]: {k: r[k] for k in ("status", "note")} for r in fresh(tmp_path).records("a", "statuses")}
    assert on_disk == expected
    assert fresh(tmp_path).accounts.user("clerk")["active"] is False  # type: ignore[index]
    for path in (tmp_path / "db").rglob("*.json"):  # the files' one format: compact JSON, UTF-8 text
        raw = path.read_bytes()
        assert raw == json.dumps(json.loads(raw), ensure_ascii=False, separators=(",", ":")).encode(), path
