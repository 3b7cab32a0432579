"""Synthetic colleges of N staff: a content directory and a data directory filled like real use.

`make_college` writes a complete content dir (the repository's settings, roles, common targets
and pages; departments and a roster scaled with N). `populate` fills a data dir through the
service's own use cases (`contracts.upload`, `completion.save`), so the files,
partitions and audit log have exactly the layout the running service writes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import itertools
import os
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import yaml

from service.config import ROOT, Settings
from service.content.codes import DONE, LEAVE_STATUSES
from service.content.loader import load_content
from service.content.models import SELF_LEAD, Content
from service.content.roster_file import dump_roster
from service.rules import access
from service.workflows import accounts, completion, contracts, monthly, targets
from service.workflows.context import Context

SOURCE = ROOT / "content"
COPIED_FILES = ("settings.yml", "roles.yml", "common_targets.yml", "search_words.txt")
STAFF_PER_DEPARTMENT = 60
BENCH_USER = "bench-hr"
BENCH_LEADER = "bench-leader"  # oversees every department: approves the synthetic target sets
BENCH_PASSWORD = "bench-password-1"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱覃武戴孔"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂华玉萍红建文辉力峰斌宇浩凯鹏晨欣雪琳丹婷冬梅兰春海波新国民成志"


# -- content ---------------------------------------------------------------------------


def make_college(target_dir: Path, n: int, seed: int = 1) -> Path:
    """Write the content dir of a synthetic college of `n` staff into `target_dir`."""
    rng = random.Random(seed)
    target_dir.mkdir(parents=True, exist_ok=True)
    for name in COPIED_FILES:
        shutil.copy2(SOURCE / name, target_dir / name)
    shutil.copytree(SOURCE / "pages", target_dir / "pages", dirs_exist_ok=True)

    real = yaml.safe_load((SOURCE / "departments.yml").read_text(encoding="utf-8"))
    real_roster = yaml.safe_load((SOURCE / "roster.yml").read_text(encoding="utf-8"))
    roles = yaml.safe_load((SOURCE / "roles.yml").read_text(encoding="utf-8"))
    leads = {group["lead"] for group in roles if group["lead"] != SELF_LEAD}

    departments = [d for d in real if d["id"] in leads]  # roles.yml names them as lead departments
    count = max(len(departments) + 1, round(n / STAFF_PER_DEPARTMENT))
    for i in range(1, count - len(departments) + 1):
        faculty = i % 3 != 0
        departments.append({"id": f"d{i:03d}", "name": f"第{i}系" if faculty else f"第{i}管理处",
                            "kind": "系" if faculty else "部门"})

    kind_of = {d["id"]: d["kind"] for d in real}
    posts: dict[str, list[tuple[str, str]]] = {}
    for entry in real_roster:
        pair = (entry["role"], entry["post"])
        posts.setdefault(entry["department"], []).append(pair)
        if entry["department"] not in leads:
            posts.setdefault(f"kind:{kind_of[entry['department']]}", []).append(pair)

    lines = ["# 合成学院的部门与系（基准测试用，非真实数据）。"]
    lines += [f"- {{id: {d['id']}, name: {d['name']}, kind: {d['kind']}}}" for d in departments]
    (target_dir / "departments.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")

    entries = []
    for index in range(n):
        department = departments[index % len(departments)]
        pool = posts.get(department["id"]) or posts[f"kind:{department['kind']}"]
        role, post = ("department-head", "主任") if index < len(departments) else rng.choice(pool)
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        entries.append({"staff_id": f"{300000 + index}", "name": name, "department": department["id"],
                        "role": role, "post": post})
    order = {d["id"]: i for i, d in enumerate(departments)}
    entries.sort(key=lambda e: (order[e["department"]], e["staff_id"]))
    (target_dir / "roster.yml").write_text(dump_roster(entries), encoding="utf-8")
    return target_dir


# -- data ------------------------------------------------------------------------------


def sample_pdf(size: int, seed: int = 7) -> bytes:
    """A PDF-looking scan of about `size` bytes (incompressible, like a scanned image)."""
    head = b"%PDF-1.4\n1 0 obj\n<< /Type /XObject /Subtype /Image /Filter /DCTDecode >>\nstream\n"
    tail = b"\nendstream\nendobj\ntrailer\n<< >>\n%%EOF\n"
    body = random.Random(seed).randbytes(max(0, size - len(head) - len(tail)))
    return head + body + tail


_copies = itertools.count()


def own_copy(scan: bytes) -> bytes:
    """The scan with a trailing comment no other copy made in this run has: the same file for two
    people is refused as a mistake."""
    return scan + f"%{next(_copies)}\n".encode()


@dataclass(frozen=True)
class Populated:
    contracts: int
    statuses: int
    targets: int
    monthly: int


@contextlib.contextmanager
def no_fsync() -> Iterator[None]:
    """Setting up a data dir needs no durability: skip fsync while populating (not while measuring)."""
    with mock.patch.object(os, "fsync", lambda fd: None):
        yield


def bench_settings(data_dir: Path, content_dir: Path, site_dir: Path) -> Settings:
    return Settings(root=ROOT, content_dir=content_dir, site_dir=site_dir, data_dir=data_dir,
                    mkdocs_file=ROOT / "mkdocs.yml")


def populate(data_dir: Path, content: Content, fraction_signed: float = 0.6, *, fraction_leave: float = 0.05,
             fraction_resigned: float = 0.1, scan_size: int = 4096, seed: int = 1,
             extras: bool = True) -> Populated:
    """Fill `data_dir` as a college part-way through the cycle, through the service's use cases.

    `fraction_signed` of the staff have a signed scan (`fraction_resigned` of those two
    versions), `fraction_leave` of the others are on leave; every department has filed annex 5.
    With `extras`, each person also has an approved individual target set and each department
    a year of monthly summaries (see `add_targets`, `add_monthly`).
    """
    rng = random.Random(seed)
    settings = bench_settings(data_dir, SOURCE, data_dir / "site-unused")
    data_dir.mkdir(parents=True, exist_ok=True)
    clock = [dt.datetime(content.settings.year, 4, 20, 2, tzinfo=dt.UTC)]
    ctx = Context.open(settings, content, lambda: clock[0])
    scan = sample_pdf(scan_size, seed)
    uploads = statuses = 0
    with no_fsync():
        if not ctx.store.accounts.user(BENCH_USER):  # a later year of the same college: the account is there
            accounts.add_user(ctx, BENCH_USER, "hr", None, BENCH_PASSWORD, actor="bench")
        if not ctx.store.accounts.user(BENCH_LEADER):  # submitted targets wait for an overseeing leader
            accounts.add_user(ctx, BENCH_LEADER, "leader", None, BENCH_PASSWORD, actor="bench",
                              details=accounts.Profile(oversees=tuple(d.id for d in content.departments)))
        hr = access.User(BENCH_USER, "hr")
        target_sets = add_targets(ctx, content) if extras else 0  # approved first: the scans are signed for them
        for department in content.departments:
            entries: list[dict[str, str]] = []
            for member in content.members(department.id):
                if rng.random() < fraction_signed:
                    versions = 2 if rng.random() < fraction_resigned else 1
                    for _ in range(versions):
                        contracts.upload(ctx, hr, member.staff_id,
                                         contracts.Upload(io.BytesIO(own_copy(scan)), "扫描件.pdf"))
                        uploads += 1
                    entries.append({"staff_id": member.staff_id, "status": DONE})
                elif rng.random() < fraction_leave / (1 - fraction_signed):
                    entries.append({"staff_id": member.staff_id, "status": rng.choice(LEAVE_STATUSES)})
            if entries:
                completion.save(ctx, hr, department.id, entries)
                statuses += len(entries)
        clock[0] = dt.datetime(content.settings.year + 1, 1, 4, 2, tzinfo=dt.UTC)  # the whole year reported
        summaries = add_monthly(ctx, content, rng) if extras else 0
    return Populated(uploads, statuses, target_sets, summaries)


# Individual target sets and monthly summaries go through the service's own use cases
# (service/workflows/targets.py, monthly.py): each set is saved, submitted and approved,
# each month submitted, in each department's partition, as in real use.


def add_targets(ctx: Context, content: Content) -> int:
    """One approved individual target set (annex 3) per person, from the role's template."""
    from service.content.target_rows import template_rows
    from service.rules.approval import APPROVE

    hr = access.User(BENCH_USER, "hr")
    count = 0
    for member in content.roster:
        role = content.role(member.role)
        if role is None:
            continue
        rows = [line.as_dict() for line in template_rows(role)]
        targets.save(ctx, hr, member.staff_id, rows, submit=True)
        leader = access.User(BENCH_LEADER, "leader", oversees=frozenset({member.department}))
        targets.decide(ctx, leader, member.staff_id, APPROVE)
        count += 1
    return count


def add_monthly(ctx: Context, content: Content, rng: random.Random) -> int:
    """Twelve monthly summaries (annex 4) per department, one row per person."""
    hr = access.User(BENCH_USER, "hr")
    count = 0
    for department in content.departments:
        members = content.members(department.id)
        for month in range(1, 13):
            rows = [{"工号": m.staff_id, "出勤": rng.choice((20, 21, 22)), "事假": rng.choice((0, 0, 0, 1)),
                     "迟到": rng.choice((0, 0, 1)), "业务工作目标": round(rng.uniform(48, 60), 1)}
                    for m in members]
            monthly.submit(ctx, hr, department.id, month, rows)
            count += 1
    return count


def college(work: Path, n: int, seed: int = 1) -> tuple[Path, Content]:
    """make_college + load_content: a content dir under `work` and its validated models."""
    content_dir = make_college(work / f"content-{n}", n, seed)
    return content_dir, load_content(content_dir)


def describe(content: Content) -> dict[str, Any]:
    return {"staff": len(content.roster), "departments": len(content.departments)}
