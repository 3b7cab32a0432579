"""Tables kept in shards: a commit writes the one shard it changed, a table's records are those
of its file and of all its shards, and every change gives the table a new generation."""

from __future__ import annotations

import datetime as dt
import errno
import io
import os
from pathlib import Path

import pytest
from helpers import PDF, scan_of

from service.config import Settings
from service.content.loader import load_content
from service.rules.access import User
from service.storage import files, integrity
from service.storage import store as store_module
from service.storage.audit import HEAD_FILE, AuditLog
from service.storage.store import Store
from service.workflows import contracts
from service.workflows.context import Context

YEAR = 2019
HR = User("hr", "hr")


def shard_dir(data_dir: Path, department: str) -> Path:
    return data_dir / "db" / str(YEAR) / department / "contracts"


def snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(root.rglob("*.json"))}


def test_an_upload_adds_one_small_file_and_rewrites_none(ctx: Context) -> None:
    first, second = ctx.content.members("jxx")[:2]
    for _ in range(3):
        contracts.upload(ctx, HR, first.staff_id, contracts.Upload(io.BytesIO(scan_of(first.staff_id)), "a.pdf"))
    before = snapshot(ctx.settings.data_dir / "db")
    record, created = contracts.upload(ctx, HR, second.staff_id,
                                       contracts.Upload(io.BytesIO(scan_of(second.staff_id)), "b.pdf"))
    after = snapshot(ctx.settings.data_dir / "db")
    changed = {p for p in after if before.get(p) != after[p]}
    db = ctx.settings.data_dir / "db"  # besides the new version: the audit log's head, in the same commit
    assert created and changed == {shard_dir(ctx.settings.data_dir, "jxx") / f"{second.staff_id}-1.json",
                                   db / HEAD_FILE}
    assert sorted(p.name for p in shard_dir(ctx.settings.data_dir, "jxx").iterdir()) == sorted(
        [f"{first.staff_id}-{v}.json" for v in (1, 2, 3)] + [f"{second.staff_id}-1.json"])
    assert [r["version"] for r in contracts.versions(ctx, "jxx")[first.staff_id]] == [1, 2, 3]
    answered = {k: v for k, v in record.items() if k not in ("match", "message")}  # what a code said, not stored
    assert contracts.versions(ctx, "jxx")[second.staff_id] == [answered]


def test_records_of_the_table_file_and_of_its_shards_read_together(tmp_path: Path) -> None:
    """A data directory written before shards (one contracts.json) goes on: old versions are read
    from the file, new ones go to shards, numbered on from the old ones; changes find either."""
    data = tmp_path / "var"
    store = Store(data, YEAR)
    audit = AuditLog(data / "audit.log", store)
    with store.locked():
        store.insert("a", "contracts", {"staff_id": "s1", "version": 1})
        store.insert("a", "contracts", {"staff_id": "s2", "version": 1})
        audit.append("test", "old layout")
    with store.locked():
        store.insert("a", "contracts", {"staff_id": "s1", "version": 2}, shard="s1")
        store.upsert("a", "contracts", {"staff_id": "s3", "version": 1}, shard="s3", staff_id="s3")
        store.upsert("a", "contracts", {"note": "改过"}, shard="s2", staff_id="s2")  # found in the file
        audit.append("test", "new layout")
    reread = Store(data, YEAR)
    found = sorted((r["staff_id"], r["version"], r.get("note")) for r in reread.records("a", "contracts"))
    assert found == [("s1", 1, None), ("s1", 2, None), ("s2", 1, "改过"), ("s3", 1, None)]
    assert sorted(p.name for p in shard_dir(data, "a").iterdir()) == ["s1.json", "s3.json"]
    assert [r["version"] for r in reread.find("a", "contracts", staff_id="s1")] == [1, 2]
    assert sorted(r["staff_id"] for _, part, r in reread.every("contracts") if part == "a") == ["s1", "s1", "s2", "s3"]
    assert [(p, r["staff_id"]) for p, r in reread.across("contracts") if r["version"] == 2] == [("a", "s1")]
    with reread.locked():
        reread.remove("a", "contracts", staff_id="s1")
        AuditLog(data / "audit.log", reread).append("test", "removed")
    assert sorted(r["staff_id"] for r in Store(data, YEAR).records("a", "contracts")) == ["s2", "s3"]


def test_uploads_number_on_from_the_versions_in_the_table_file(ctx: Context) -> None:
    member = ctx.content.members("jxx")[0]
    old = {"staff_id": member.staff_id, "version": 1, "sha256": "0" * 64, "size": 1, "ext": "pdf",
           "file": "files/2019/jxx/old.pdf", "original_name": "old.pdf", "uploaded_by": "hr",
           "uploaded_at": "2019-04-01T10:00:00+08:00", "idempotency_key": None}
    with ctx.store.locked():
        ctx.store.insert("jxx", "contracts", old)
        ctx.audit.append("test", "a version in the old layout")
    again = Context.open(ctx.settings, ctx.content, ctx.now)  # a restart
    assert again.cache.counts("jxx").completed == 1
    record, _ = contracts.upload(again, HR, member.staff_id, contracts.Upload(io.BytesIO(PDF), "new.pdf"))
    assert record["version"] == 2
    assert [v["version"] for v in contracts.staff_view(again, "jxx")[0]["versions"]] == [1, 2]


def test_a_key_that_is_not_a_plain_name_gets_a_file_name_of_its_own(tmp_path: Path) -> None:
    store = Store(tmp_path, YEAR)
    with store.locked():
        store.insert("a", "contracts", {"staff_id": "../x"}, shard="../x")
        AuditLog(tmp_path / "audit.log", store).append("test", "odd key")
    [name] = [p.name for p in shard_dir(tmp_path, "a").iterdir()]
    assert name.startswith("~") and name.endswith(".json") and "/" not in name
    assert [r["staff_id"] for r in Store(tmp_path, YEAR).records("a", "contracts")] == ["../x"]


def test_a_failed_commit_leaves_no_shard_and_a_new_generation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path, YEAR)
    audit = AuditLog(tmp_path / "audit.log", store)
    with store.locked():
        store.insert("a", "contracts", {"staff_id": "s1"}, shard="s1")
        audit.append("test", "setup")
    seen = store.generation("a", "contracts")
    assert store.records("a", "contracts") and store.generation("a", "contracts") == seen  # reads change nothing

    def no_space(path: Path, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files, "append_bytes", no_space)
    with pytest.raises(OSError), store.locked():
        store.insert("a", "contracts", {"staff_id": "s2"}, shard="s2")
        audit.append("test", "lost")
    monkeypatch.undo()
    assert [r["staff_id"] for r in store.records("a", "contracts")] == ["s1"]
    assert not (shard_dir(tmp_path, "a") / "s2.json").exists()
    assert store.generation("a", "contracts") != seen
    assert store.generation("b", "contracts") == 0


def test_written_shards_leave_memory_past_the_limit_and_are_read_from_disk(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "KEPT_SHARDS", 4)
    store = Store(tmp_path, YEAR)
    audit = AuditLog(tmp_path / "audit.log", store)
    for n in range(12):
        with store.locked():
            store.insert("a", "contracts", {"staff_id": f"s{n}", "version": 1}, shard=f"s{n}")
            audit.append("test", f"upload {n}")
    in_memory = [p for p in store._dbs if p.parent == shard_dir(tmp_path, "a")]
    assert len(in_memory) <= 4
    with store.locked():
        store.insert("a", "contracts", {"staff_id": "s0", "version": 2}, shard="s0")  # a shard read again
        audit.append("test", "again")
    assert sorted((r["staff_id"], r["version"]) for r in store.records("a", "contracts")) == sorted(
        [(f"s{n}", 1) for n in range(12)] + [("s0", 2)])
    assert sorted(r["version"] for r in Store(tmp_path, YEAR).find("a", "contracts", staff_id="s0")) == [1, 2]


def test_the_integrity_check_reads_the_shards(ctx: Context) -> None:
    member = ctx.content.members("jxx")[0]
    contracts.upload(ctx, HR, member.staff_id, contracts.Upload(io.BytesIO(PDF), "a.pdf"))
    report = integrity.verify(ctx.store)
    assert report.problems == [] and report.files == 1
    stored = next((ctx.settings.data_dir / "files").rglob("*.pdf"))
    stored.write_bytes(PDF + b"%changed")
    assert any("SHA-256" in p for p in integrity.verify(ctx.store).problems)


@pytest.fixture
def ctx(settings: Settings) -> Context:
    """The use cases over a temp data directory and the shipped content."""
    content = load_content(settings.content_dir)
    return Context.open(settings, content, lambda: dt.datetime(2019, 4, 20, 10, tzinfo=dt.UTC))
