"""A department's stack of scanned contracts sorted by the codes on its pages, previewed, and
stored as one PDF per person.

`sort_batch` reads every page (office/scans.py), asks the records what each code is to the
department (rules/signing.py), adds the pages a clerk assigned by hand, and decides what
would be stored; `store_batch` then assembles each person's PDF and stores them all in one
commit (workflows/contracts.py). Both are synchronous: call them off the event loop. A dry
run is `sort_batch` alone: it writes nothing.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from service.content.codes import (
    MATCH_LABELS,
    MATCH_MATCHED,
    MATCH_STALE,
    PAGE_FOREIGN_CODE,
    PAGE_LABELS,
    PAGE_NO_CODE,
    PAGE_SEVERAL_CODES,
)
from service.content.models import StaffMember
from service.errors import ApiError, unprocessable
from service.office import scans
from service.office.scan_files import ScanSettings
from service.rules import contract_mark, signing
from service.rules.access import User
from service.workflows import contracts
from service.workflows.board import TARGETS, issued_tags
from service.workflows.context import Context

THUMBNAIL_PX = 200
SETTINGS = ScanSettings(max_bytes=200 * 1024 * 1024, max_pages=300, max_batch_pages=600)
PageKey = tuple[int, int]  # (file, page), both from 0


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes

    @functools.cached_property
    def sha256(self) -> str:  # read for the answer and again to check a confirmation: hashed once
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Person:
    """One person's pages in the batch (a person with pages of two versions has two)."""

    staff_id: str
    name: str
    status: str  # MATCH_*
    message: str
    mark: contract_mark.ContractMark | None  # None: pages assigned by hand only
    target_version: int | None  # the version the pages are signed for (the code's, or the current one)
    pages: list[scans.ScanPage] = field(default_factory=list)
    member: StaffMember | None = None  # set for the department's own people
    store: bool = False
    note: str = ""  # why it is or is not stored
    record: dict[str, Any] | None = None  # the stored scan, once stored
    already: int | None = None  # the version of a stored scan holding every one of these pages (已存)


@dataclass
class Batch:
    department: str
    uploads: list[Upload]
    sort: scans.ScanSort
    people: list[Person]
    unreadable: list[scans.ScanPage]  # pages left for someone to assign
    stored: bool = False
    kept: dict[str, tuple[str, int]] = field(default_factory=dict)  # page digest → (staff id, version) stored

    def answer(self, *, thumbnails: bool) -> dict[str, Any]:
        """The JSON answer: each person found, the pages nobody's code is on, the files refused."""
        return {
            "department": self.department, "stored": self.stored,
            "files": [{"file": i + 1, "name": u.name, "sha256": u.sha256,
                       "pages": sum(1 for p in self.sort.pages if p.file == i)} for i, u in enumerate(self.uploads)],
            "people": [{"staff_id": p.staff_id, "name": p.name, "status": p.status, "status_label": MATCH_LABELS[p.status],
                        "message": p.message, "target_version": p.target_version,
                        "pages": [page_json(page, thumbnails) for page in p.pages], "will_store": p.store,
                        "note": p.note, "stored": p.record is not None, "already_stored": p.already,
                        "scan": contracts.public(p.record) if p.record else None} for p in self.people],
            "unreadable": [{**page_json(page, thumbnails), "reason": reason(page), "message": PAGE_LABELS[reason(page)],
                            "already_stored": self.stored_as(page)} for page in self.unreadable],
            "refused": [{"file": r.file + 1, "code": r.code, "message": r.message} for r in self.sort.refused],
        }

    def stored_as(self, page: scans.ScanPage) -> dict[str, Any] | None:
        """The stored scan (staff id, version) that already holds this very page, if any."""
        found = self.kept.get(page.digest)
        return {"staff_id": found[0], "version": found[1]} if found else None


def page_json(page: scans.ScanPage, thumbnails: bool) -> dict[str, Any]:
    found: dict[str, Any] = {"file": page.file + 1, "page": page.page + 1, "where": page.where}
    if page.turn:
        found["turn"] = page.turn
    if thumbnails and page.thumbnail:
        found["thumbnail"] = thumbnail_uri(page)
    if thumbnails and page.large:
        found["large"] = large_uri(page)
    return found


def thumbnail_uri(page: scans.ScanPage) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(page.thumbnail).decode("ascii")


def large_uri(page: scans.ScanPage) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(page.large).decode("ascii")


def reason(page: scans.ScanPage) -> str:
    if len(page.marks) > 1:
        return PAGE_SEVERAL_CODES
    return PAGE_FOREIGN_CODE if page.foreign else PAGE_NO_CODE


# -- sorting ----------------------------------------------------------------------------------


def sort_batch(ctx: Context, department: str, uploads: Sequence[Upload], assigned: Mapping[PageKey, str], *,
               thumbnails: bool, again: Collection[str] = (), executor: Executor | None = None) -> Batch:
    """Read and sort the uploads, add the hand assignments, and decide what would be stored:
    pages already stored for the same person and version (已存) only for the people in `again`."""
    found = scans.sort_scan([u.data for u in uploads], SETTINGS, thumbnail_px=THUMBNAIL_PX if thumbnails else None,
                            executor=executor)
    people = [_person(ctx, department, group.mark, list(group.pages)) for group in found.groups]
    left = {(p.file, p.page): p for p in (*found.unreadable, *found.conflicting)}
    by_staff = {p.staff_id: p for p in people if p.member is not None and p.status == MATCH_MATCHED}
    for key, staff_id in sorted(assigned.items()):
        page = left.pop(key, None)
        if page is None:
            raise unprocessable("page_not_assignable", f"第 {key[0] + 1} 个文件第 {key[1] + 1} 页不是待指定的页面"
                                "（已按二维码识别，或没有这一页），请重新预览后再指定。")
        member = ctx.content.staff(staff_id)
        if member is None or member.department != department:
            raise unprocessable("staff_not_in_department", f"{page.where}：工号“{staff_id}”不是本部门的教职工。")
        person = by_staff.get(staff_id)
        if person is None:
            approved = ctx.cache.state(department).approved.get(staff_id)
            person = by_staff[staff_id] = Person(staff_id, member.name, MATCH_MATCHED, "手工指定的页面，按上传时的现行版本存入。",
                                                 None, approved.version if approved else None, member=member)
            people.append(person)
        person.pages = sorted([*person.pages, page], key=lambda p: (p.file, p.page))
    kept = contracts.stored_pages(ctx, department)
    _decide(ctx, people, kept, again)
    unreadable = sorted(left.values(), key=lambda p: (p.file, p.page))
    return Batch(department, list(uploads), found, people, unreadable,
                 kept={digest: (records[-1]["staff_id"], records[-1]["version"]) for digest, records in kept.items()})


def _person(ctx: Context, department: str, mark: contract_mark.ContractMark, pages: list[scans.ScanPage]) -> Person:
    member = ctx.content.staff(mark.staff_id)
    other = ctx.content.department(member.department) if member else None
    doc = ctx.store.get(member.department, TARGETS, staff_id=member.staff_id) if member else None
    approved = ctx.cache.state(member.department).approved.get(member.staff_id) if member else None
    match = signing.classify(mark, year=ctx.year, department=department, member=member,
                             member_department_name=other.name if other else "", approved=approved,
                             issued=issued_tags(doc, ctx.year, ctx.mark_key))
    own = member if member is not None and member.department == department else None
    return Person(mark.staff_id, member.name if member else "", match.status, match.message, mark, mark.version,
                  pages, member=own if match.status in (MATCH_MATCHED, MATCH_STALE) else None)


def _decide(ctx: Context, people: list[Person], kept: Mapping[str, list[dict[str, Any]]],
            again: Collection[str]) -> None:
    """Who is stored: each of the department's people once, with the approved version's pages
    when the batch has them, else the latest version's; never a person whose targets are not
    approved when the settings refuse those, nor one whose pages are all stored already for the
    same version, unless the clerk asks for them again."""
    refuse = ctx.content.settings.refuse_unapproved_scans
    chosen: dict[str, Person] = {}
    for person in people:
        if person.member is None:
            person.note = "不存入。"
            continue
        best = chosen.get(person.staff_id)
        if best is None or _rank(person) > _rank(best):
            chosen[person.staff_id] = person
    for person in people:
        if person.member is None:
            continue
        person.already = _already(person, kept)
        approved = ctx.cache.state(person.member.department).approved.get(person.staff_id)
        if chosen[person.staff_id] is not person:
            person.note = "本批中已有该教职工更合适的版本，这些页面不存入。"
        elif refuse and approved is None:
            person.note = "个性目标尚未审定，按设置暂不接收其责任状。"
        elif person.already is not None and person.staff_id not in again:
            person.note = f"已存：这些页面与已存的第 {person.already} 版扫描件完全相同，不重复存入（如需再存一份，请勾选“仍然存入”）。"
        else:
            person.store = True
            person.note = "确认后存入。"


def _already(person: Person, kept: Mapping[str, list[dict[str, Any]]]) -> int | None:
    """The latest stored scan of this person and target version holding every page of theirs here."""
    holding = None
    for page in person.pages:
        versions = {r["version"] for r in kept.get(page.digest, ())
                    if r["staff_id"] == person.staff_id and r.get("target_version") == person.target_version}
        holding = versions if holding is None else holding & versions
        if not holding:
            return None
    return max(holding) if holding else None


def _rank(person: Person) -> tuple[int, int]:
    return (person.status == MATCH_MATCHED, person.mark.version if person.mark else 0)


# -- storing ----------------------------------------------------------------------------------


def store_batch(ctx: Context, user: User, batch: Batch) -> Batch:
    """Store each chosen person's pages as one PDF, their next version, in one commit; a batch
    with nothing to store comes back with `stored` False."""
    signed = []
    for person in [p for p in batch.people if p.store]:
        pdf = scans.assemble_pdf([(batch.uploads[page.file].data, page.page) for page in person.pages], SETTINGS,
                                 [page.turn for page in person.pages])
        if person.already is None and ctx.cache.same_file(hashlib.sha256(pdf).hexdigest()):
            person.store = False
            person.note = "与已存的扫描件完全相同，未重复存入。"
            continue
        assert person.member is not None
        signed.append((person, contracts.Signed(person.member, pdf, _tied(ctx, person), len(person.pages),
                                                tuple(page.digest for page in person.pages))))
    if not signed:
        return batch
    records = contracts.upload_many(ctx, user, batch.department, [item for _, item in signed])
    for (person, _), record in zip(signed, records, strict=True):
        person.record = record
        person.note = f"已存入，为第 {record['version']} 版扫描件。"
    batch.stored = True
    return batch


def _tied(ctx: Context, person: Person) -> contracts.Tied:
    if person.mark is not None:
        return contracts.Tied(person.mark.version, person.mark.tag, contract_mark.encode(person.mark),
                              person.status, person.message)
    assert person.member is not None
    approved = ctx.cache.state(person.member.department).approved.get(person.staff_id)
    return contracts.Tied(approved.version if approved else None, approved.tag if approved else None, None, None)


def parse_assignments(fields: Sequence[tuple[str, str]]) -> dict[PageKey, str]:
    """`assign:<file>:<page>` = staff id (both numbered from 1, as the answer numbers them); an
    empty staff id leaves the page out."""
    found: dict[PageKey, str] = {}
    for key, value in fields:
        if not key.startswith("assign:") or not value.strip():
            continue
        _, file, page = [*key.split(":"), "", ""][:3]
        if not (file.isdigit() and page.isdigit() and int(file) > 0 and int(page) > 0):
            raise ApiError(400, "invalid_assignment", f"无法识别的页面指定“{key}”，应为 assign:文件序号:页码")
        found[int(file) - 1, int(page) - 1] = value.strip()
    return found


def parse_again(fields: Sequence[tuple[str, str]]) -> set[str]:
    """`again` fields: the staff ids whose pages are stored although the same are on record (仍然存入)."""
    return {value.strip() for key, value in fields if key == "again" and value.strip()}


def check_expected(uploads: Sequence[Upload], fields: Sequence[tuple[str, str]]) -> None:
    """Refuse a confirmation whose files are not the ones previewed (`sha256:<file>` fields)."""
    for key, value in fields:
        if not key.startswith("sha256:"):
            continue
        index = key.removeprefix("sha256:")
        number = int(index) if index.isdigit() else 0
        if not 1 <= number <= len(uploads) or uploads[number - 1].sha256 != value.strip():
            raise ApiError(409, "files_changed", "上传的文件与预览时的不一致（数量、顺序或内容不同），未保存。"
                           "请重新选择文件并预览后再确认。")
