"""The audit log cannot be quietly reused_data: `portal audit verify` (a real process) exits 1
and names the problem when its tail is cut, when a scan and its hash in the table are swapped
together, when the chain is recomputed without the data directory's key, and when a line in
the middle is deleted; a log begun before keys keeps verifying and is sealed when next used_data."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from helpers import DEPT, PDF, portal, running_service

from service.config import Settings
from service.storage.audit import HEAD_FILE, MARKER, entry_hash


def lines_of(settings: Settings) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (settings.data_dir / "audit.log").read_text(encoding="utf-8").splitlines()]


def write_lines(settings: Settings, entries: list[dict[str, Any]]) -> None:
    text = "".join(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n" for e in entries)
    (settings.data_dir / "audit.log").write_text(text, encoding="utf-8")


def failed(settings: Settings) -> str:
    result = portal(settings, "audit", "verify")
    assert result.returncode == 1, result.stdout
    assert "校验失败" in result.stderr
    return result.stderr


def test_a_cut_tail_is_named(used_data: Settings) -> None:
    entries = lines_of(used_data)
    write_lines(used_data, entries[:-3])
    assert "末尾的 3 条被截去" in failed(used_data)


def test_a_scan_swapped_together_with_its_hash_in_the_table_is_named(used_data: Settings) -> None:
    table = sorted((used_data.data_dir / "db" / "2019" / DEPT).glob("contracts/*.json"))[0]  # one version's file
    docs = json.loads(table.read_bytes())
    record = next(iter(docs["contracts"].values()))
    forged = PDF + b"\n% forged\n"
    (used_data.data_dir / record["file"]).write_bytes(forged)
    record["sha256"] = hashlib.sha256(forged).hexdigest()
    table.write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
    problems = failed(used_data)
    assert record["file"] in problems and "扫描件连同其记录被替换" in problems


def test_a_chain_recomputed_without_the_key_is_named(used_data: Settings) -> None:
    entries = lines_of(used_data)
    number = next(i for i, e in enumerate(entries) if e["action"] == "completion.update")
    entries[number]["detail"]["changes"] = {k: "病假" for k in entries[number]["detail"]["changes"]}
    previous = entries[number - 1]["hash"]
    for entry in entries[number:]:  # what a forger without the key can do: plain SHA-256 onwards
        entry["prev"] = previous
        entry["hash"] = previous = entry_hash(entry)
    write_lines(used_data, entries)
    problems = failed(used_data)
    assert f"审计日志第 {number + 1} 行: 记录没有数据目录密钥的签名" in problems
    assert "头记录" in problems  # and the head, signed with the key, names another last entry


def test_a_deleted_middle_line_is_named(used_data: Settings) -> None:
    entries = lines_of(used_data)
    middle = len(entries) // 2
    write_lines(used_data, entries[:middle] + entries[middle + 1:])
    problems = failed(used_data)
    assert f"审计日志第 {middle + 1} 行: 与上一条记录的哈希不衔接" in problems
    assert "前面的记录被删除或插入" in problems


def test_a_deleted_head_is_named(used_data: Settings) -> None:
    (used_data.data_dir / "db" / HEAD_FILE).unlink()
    assert "审计日志头记录: 缺失" in failed(used_data)


def test_an_unkeyed_log_keeps_verifying_and_is_sealed_by_the_next_entry(used_data: Settings) -> None:
    entries = lines_of(used_data)
    previous = "0" * 64
    for entry in entries:  # the same history as an older version wrote it: plain SHA-256, no head
        entry["prev"] = previous
        entry["hash"] = previous = entry_hash(entry)
    write_lines(used_data, entries)
    (used_data.data_dir / "db" / HEAD_FILE).unlink()
    kept = portal(used_data, "audit", "verify")
    assert kept.returncode == 0, kept.stderr
    with running_service(used_data, users=False) as service:  # the next entry seals the unkeyed prefix
        assert service.client.get("/api/status").status_code == 200
        service.session("clerk")
    after = lines_of(used_data)
    marker = after[len(entries)]
    assert marker["action"] == MARKER
    assert marker["detail"] == {"unkeyed_entries": len(entries), "last_unkeyed": entries[-1]["hash"]}
    assert portal(used_data, "audit", "verify").returncode == 0
    edited = after[:]
    edited[1]["actor"] = "someone-else"  # an edit inside the sealed prefix, its hash recomputed
    edited[1]["hash"] = entry_hash(edited[1])
    write_lines(used_data, edited)
    assert "审计日志第 3 行: 与上一条记录的哈希不衔接" in failed(used_data)


def test_a_backup_carries_the_key(used_data: Settings, tmp_path: Path) -> None:
    archive = tmp_path / "b.tar.gz"
    assert portal(used_data, "backup", str(archive)).returncode == 0
    target = tmp_path / "restored"
    assert portal(used_data, "restore", str(archive), "--data", str(target)).returncode == 0
    restored = used_data.with_(data_dir=target)
    assert portal(restored, "audit", "verify").returncode == 0


def test_a_lost_secret_is_not_replaced_silently(used_data: Settings) -> None:
    (used_data.data_dir / "secret").unlink()
    result = portal(used_data, "audit", "verify")
    assert result.returncode == 1 and "缺少密钥文件 secret" in result.stderr
    assert not (used_data.data_dir / "secret").exists()


def test_a_start_cuts_a_half_written_last_line_and_leaves_a_whole_log_as_it_is(used_data: Settings) -> None:
    log = used_data.data_dir / "audit.log"
    whole = log.read_bytes()
    with running_service(used_data, users=False):
        pass
    assert log.read_bytes() == whole  # nothing to cut: the log is not rewritten
    log.write_bytes(whole + b'{"seq": 99, "actor": "cl')  # a crash in the middle of an append
    with running_service(used_data, users=False):
        pass
    assert log.read_bytes() == whole
    verified = portal(used_data, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
