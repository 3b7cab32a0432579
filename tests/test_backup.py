"""`portal backup FILE` and `portal restore FILE`: a consistent archive, even while uploads run,
that restores into an empty directory with every record, file and audit entry identical."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
from pathlib import Path
from typing import Any

import pytest
from helpers import DEPT, JPEG, OTHER_DEPT, PDF, PNG, copy_site, running_service, scan_of, upload
from serverproc import accounts, cli, serving, store_documents

from service.config import Settings
from service.storage import clean_stop


def digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()} if root.exists() else {}


def restored_settings(settings: Settings, target: Path) -> Settings:
    return settings.with_(data_dir=target)


def fill(settings: Settings) -> None:
    """A data directory with uploads, statuses, a monthly summary and a score event."""
    with running_service(settings) as service:
        clerk, other, hr = service.bearer("clerk"), service.bearer("other"), service.bearer("hr")
        people = [m.staff_id for m in service.context.content.members(DEPT)]
        for data in (PDF, PNG, JPEG):
            assert upload(service.client, people[0], data, headers=clerk).status_code == 201
        someone = service.context.content.members(OTHER_DEPT)[0].staff_id
        assert upload(service.client, someone, scan_of(someone), headers=other).status_code == 201
        assert service.client.put(f"/api/completion/{DEPT}", headers=clerk, json={"entries": [
            {"staff_id": people[1], "status": "产假"}]}).status_code == 200
        rows = [{"工号": s, "出勤": 22, "事假": 0, "病假": 0, "迟到": 0, "早退": 0, "旷工": 0, "离岗": 0,
                 "其他项目": 0, "业务工作目标": 50} for s in people]
        assert service.client.put(f"/api/monthly/{DEPT}/3", headers=clerk, json={"rows": rows}).status_code == 200
        assert service.client.post("/api/score-events", headers=hr, json={
            "department": DEPT, "item_id": service.context.content.common_targets[-1].id,
            "rule_index": 0}).status_code == 201


def test_backup_and_restore_into_an_empty_directory(settings: Settings, tmp_path: Path) -> None:
    fill(settings)
    archive = tmp_path / "备份" / "portal.tar.gz"
    made = cli(settings, "backup", str(archive))
    assert made.returncode == 0, made.stderr
    assert "扫描件与附件 4 个" in made.stdout
    assert archive.stat().st_mode & 0o077 == 0  # holds the secret: owner only
    assert [p.name for p in archive.parent.iterdir()] == ["portal.tar.gz"]  # no temp file left

    target = tmp_path / "restored"
    restored = cli(settings, "restore", str(archive), "--data", str(target))
    assert restored.returncode == 0, restored.stderr
    # every TinyDB document, every file, the audit log and the secret are identical
    assert store_documents(target) == store_documents(settings.data_dir)
    source = {k: v for k, v in digests(settings.data_dir).items() if k not in (".lock", clean_stop.MARK)}
    assert digests(target) == source  # no clean-stop mark: the first start scans every year's files
    verify = cli(restored_settings(settings, target), "audit", "verify")
    assert verify.returncode == 0, verify.stderr
    assert "已存文件 4 个" in verify.stdout
    # and the restored directory serves: the same people, versions and statuses
    copy_site(target.parent / "site2", full=False)
    with running_service(settings.with_(data_dir=target, site_dir=target.parent / "site2"), users=False) as service:
        staff = service.client.get(f"/api/departments/{DEPT}/staff", headers=service.bearer("hr"))
        people = {p["staff_id"]: p for p in staff.json()["staff"]}
        first = service.context.content.members(DEPT)
        assert len(people[first[0].staff_id]["versions"]) == 3
        assert people[first[1].staff_id]["status"] == "产假"


def test_restore_refuses_a_non_empty_directory_unless_forced(settings: Settings, tmp_path: Path) -> None:
    fill(settings)
    archive = tmp_path / "b.tar.gz"
    assert cli(settings, "backup", str(archive)).returncode == 0
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("原有数据")
    refused = cli(settings, "restore", str(archive), "--data", str(target))
    assert refused.returncode == 1 and "不为空" in refused.stderr
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    forced = cli(settings, "restore", str(archive), "--data", str(target), "--force")
    assert forced.returncode == 0, forced.stderr
    assert digests(target) == {k: v for k, v in digests(settings.data_dir).items() if k not in (".lock", clean_stop.MARK)}
    [kept] = [p for p in tmp_path.iterdir() if p.name.startswith("busy.before-restore-")]
    assert (kept / "keep.txt").read_text() == "原有数据"


def test_restore_refuses_while_the_service_runs_on_the_directory(settings: Settings, tmp_path: Path) -> None:
    fill(settings)
    archive = tmp_path / "b.tar.gz"
    assert cli(settings, "backup", str(archive)).returncode == 0
    with serving(settings) as server:
        before = digests(settings.data_dir)
        for args in ((), ("--force",), ("--data", str(settings.data_dir), "--force")):
            refused = cli(settings, "restore", str(archive), *args)
            assert refused.returncode == 1, refused.stdout
            assert "正由运行中的 portal serve" in refused.stderr and "请先停止服务" in refused.stderr
            assert str(server.process.pid) in refused.stderr  # which process to stop
        assert digests(settings.data_dir) == before  # nothing changed, nothing moved aside
        assert [p.name for p in settings.data_dir.parent.iterdir()
                if "before-restore" in p.name or p.name.startswith(".tmp-")] == []
        second = cli(settings, "serve", "--port", "1", timeout=60)  # nor does a second service start
        assert second.returncode == 1 and "服务未启动" in second.stderr
        with server.client() as client:
            assert client.get("/healthz").status_code == 200
    restored = cli(settings, "restore", str(archive), "--force")  # stopped: the lock is free
    assert restored.returncode == 0, restored.stderr


def test_private_files_are_restored_private_and_check_restores_nothing(settings: Settings, tmp_path: Path) -> None:
    inside = settings.with_(content_dir=settings.data_dir / "setup", sample_dir=settings.content_dir)
    with running_service(inside) as service:
        clerk = service.bearer("clerk")
        assert upload(service.client, service.context.content.members(DEPT)[0].staff_id, PDF,
                      headers=clerk).status_code == 201
    archive = tmp_path / "b.tar.gz"
    assert cli(inside, "backup", str(archive)).returncode == 0
    with tarfile.open(archive, "r:gz") as packed:
        manifest = json.loads(packed.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert manifest["data_format"] == 2
    for name, path in ((n, inside.data_dir / n) for n in manifest["files"]):
        entry = manifest["files"][name]
        assert entry["size"] == path.stat().st_size
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert int(entry["mode"], 8) == (0o600 if name in ("secret", "audit.log") else path.stat().st_mode & 0o777)

    before = sorted(p.name for p in tmp_path.iterdir())
    checked = cli(inside, "restore", "--check", str(archive))
    assert checked.returncode == 0, checked.stderr
    assert "备份完好" in checked.stdout and f"共 {len(manifest['files'])} 个文件" in checked.stdout
    assert "数据格式第 2 版" in checked.stdout and "未恢复任何文件" in checked.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == before

    target = tmp_path / "restored"
    assert cli(inside, "restore", str(archive), "--data", str(target)).returncode == 0
    for name in ("secret", "audit.log"):
        assert (target / name).stat().st_mode & 0o777 == 0o600
    for name, entry in manifest["files"].items():
        assert (target / name).stat().st_mode & 0o777 == int(entry["mode"], 8), name
    assert (target / "setup" / "settings.yml").read_bytes() == (inside.content_dir / "settings.yml").read_bytes()


def repack(archive: Path, out: Path, change: Any) -> None:
    with tarfile.open(archive, "r:gz") as source, tarfile.open(out, "w:gz") as target:
        for member in source:
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            member, data = change(member, data)
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))


@pytest.mark.parametrize("damage", ["tampered file", "missing file", "path traversal", "not an archive"])
def test_a_damaged_archive_restores_nothing(settings: Settings, tmp_path: Path, damage: str) -> None:
    fill(settings)
    archive = tmp_path / "b.tar.gz"
    assert cli(settings, "backup", str(archive)).returncode == 0
    bad = tmp_path / "bad.tar.gz"
    if damage == "tampered file":
        repack(archive, bad, lambda m, d: (m, d + b"x" if m.name.startswith("files/") else d))
    elif damage == "missing file":
        repack(archive, bad, lambda m, d: (m, d) if m.name != "audit.log" else (tarfile.TarInfo("zz"), b""))
    elif damage == "path traversal":
        def escape(member: tarfile.TarInfo, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
            if member.name == "secret":
                member.name = "../../escaped"
            return member, data
        repack(archive, bad, escape)
    else:
        bad.write_bytes(b"PK\x03\x04 not a tar at all")
    checked = cli(settings, "restore", "--check", str(bad))
    assert checked.returncode == 1, checked.stdout
    assert checked.stderr.startswith("核对失败") and "未恢复任何文件" in checked.stderr
    target = tmp_path / "restored"
    result = cli(settings, "restore", str(bad), "--data", str(target))
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("恢复失败")
    assert not target.exists()
    assert not (tmp_path.parent / "escaped").exists() and not (tmp_path / "escaped").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")] == []


@pytest.mark.slow
def test_a_backup_taken_while_uploads_run_is_consistent(settings: Settings, tmp_path: Path) -> None:
    copy_site(settings.site_dir, full=False)
    headers = accounts(settings)
    stop = threading.Event()
    sent: list[int] = []
    archives = [tmp_path / f"live-{i}.tar.gz" for i in range(2)]
    with serving(settings) as server:
        people = {"clerk": DEPT, "other": OTHER_DEPT}

        def uploader(who: str, seed: int) -> None:
            from service.content.loader import load_content

            staff = [m.staff_id for m in load_content(settings.content_dir).members(people[who])]
            with server.client() as client:
                n = 0
                while not stop.is_set():
                    n += 1
                    body = PDF + f"\n%{who} {seed} {n}\n".encode()
                    response = client.post("/api/contracts", headers=headers[who], data={"staff_id": staff[n % len(staff)]},
                                           files={"file": ("scan.pdf", body, "application/pdf")})
                    assert response.status_code == 201, response.text
                    sent.append(n)

        threads = [threading.Thread(target=uploader, args=(("clerk", "other")[i % 2], i)) for i in range(4)]
        for thread in threads:
            thread.start()
        try:
            for archive in archives:
                while len(sent) < 20 * (archives.index(archive) + 1):
                    stop.wait(0.02)
                made = cli(settings, "backup", str(archive))
                assert made.returncode == 0, made.stderr
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
    final_docs = store_documents(settings.data_dir)
    final_files = digests(settings.data_dir / "files")
    final_log = (settings.data_dir / "audit.log").read_text(encoding="utf-8")
    for i, archive in enumerate(archives):
        target = tmp_path / f"restored-{i}"
        assert cli(settings, "restore", str(archive), "--data", str(target)).returncode == 0
        verify = cli(restored_settings(settings, target), "audit", "verify")
        assert verify.returncode == 0, verify.stderr
        log = (target / "audit.log").read_text(encoding="utf-8")
        assert final_log.startswith(log)  # the log as it was at one moment
        logged = {json.loads(line)["detail"]["id"] for line in log.splitlines() if '"contract.upload"' in line}
        records = {}
        for name, tables in store_documents(target).items():
            if name == "db/audit_head.json":  # the log's head moves with every entry: checked by verify
                continue
            for table, docs in tables.items():  # type: ignore[attr-defined]
                for doc_id, doc in docs.items():
                    final = dict(final_docs[name][table][doc_id])  # type: ignore[index]
                    if table == "tokens":  # when a token was last used moves on
                        final["last_used_at"], doc["last_used_at"] = None, None
                    assert final == doc  # identical record
                    if table == "contracts":
                        records[doc["id"]] = doc
        assert set(records) == logged  # each record with its audit entry, none without
        assert len(records) >= 20 * (i + 1)
        restored_files = digests(target / "files")
        assert set(restored_files) == {r["file"][len("files/"):] for r in records.values()}
        for record in records.values():
            assert restored_files[record["file"][len("files/"):]] == record["sha256"]
            assert final_files[record["file"][len("files/"):]] == record["sha256"]
