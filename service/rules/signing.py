"""Which signed contract counts (pure): a person's valid scans against their approved target
set, and what the code on a scanned contract says about the department it is uploaded to.

Each approval of a person's target set is a new version (1, 2, …) with the tag of its rows
(rules/contract_mark.py); the same rows give the same tag, so a set reopened and approved
again unchanged keeps its signed contracts. A scan is tied to the tag its code names, or,
uploaded without a readable code, to the approved set current at upload (None when there
was none).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from service.content.codes import (
    DONE,
    MATCH_MATCHED,
    MATCH_OTHER_DEPARTMENT,
    MATCH_STALE,
    MATCH_UNKNOWN,
    RESIGN,
    UNAPPROVED,
)
from service.content.models import StaffMember
from service.rules.contract_mark import ContractMark


@dataclass(frozen=True)
class Approved:
    """A person's approved target set: its version and the tag of its rows."""

    version: int
    tag: str


@dataclass(frozen=True)
class Tie:
    """A valid scan: when it was uploaded and the tag of the approved set it was signed for."""

    at: str
    tag: str | None  # None: no approved set when it was uploaded, and no code on it


def contract_state(scans: Sequence[Tie], approved: Approved | None) -> tuple[str | None, str | None]:
    """(status, since) of a person from their valid scans, oldest first.

    DONE when a scan is of the approved set's content; UNAPPROVED when there is no approved
    set and a scan was signed without one; RESIGN when every scan is of other content;
    None without a valid scan. `since` is the upload time of the first scan that counts.
    """
    if not scans:
        return None, None
    wanted = approved.tag if approved is not None else None
    counting = next((scan.at for scan in scans if scan.tag == wanted), None)
    if counting is None:
        return RESIGN, None
    return (DONE if approved is not None else UNAPPROVED), counting


@dataclass(frozen=True)
class Match:
    """What a contract mark is to the department a scan is uploaded to."""

    mark: ContractMark
    status: str  # MATCH_*
    message: str  # in Chinese, for the preview


def classify(mark: ContractMark, *, year: int, department: str, member: StaffMember | None,
             member_department_name: str, approved: Approved | None, issued: Collection[str]) -> Match:
    """`mark` read off a scan uploaded to `department` in `year`.

    `member` is the roster entry of the mark's staff id (None when there is none), `approved`
    the person's approved set now and `issued` every tag an approval of theirs has had.
    """
    staff = mark.staff_id
    if mark.year != year:
        return Match(mark, MATCH_UNKNOWN, f"这是 {mark.year} 年度的责任状（工号 {staff}），当前为 {year} 年度。")
    if member is None:
        return Match(mark, MATCH_UNKNOWN, f"名册中没有工号为“{staff}”的教职工。")
    who = f"{member.name}（{staff}）"
    if member.department != department:
        return Match(mark, MATCH_OTHER_DEPARTMENT,
                     f"{who}是{member_department_name}的教职工，这份责任状不会存入本部门。")
    if mark.tag not in issued:
        return Match(mark, MATCH_UNKNOWN, f"二维码与系统为{who}生成的任何一版责任状都不符（可能来自其他系统或被改动过）。")
    if approved is None:
        return Match(mark, MATCH_STALE, f"{who}的个性目标现在没有审定版本（已重新打开或尚未审定），"
                     f"这份第 {mark.version} 版责任状需在重新审定后重签。")
    if approved.tag != mark.tag:
        return Match(mark, MATCH_STALE, f"{who}：纸面为第 {mark.version} 版，现行审定版本为第 {approved.version} 版，"
                     "目标内容已变更，需重签。")
    if approved.version != mark.version:
        return Match(mark, MATCH_MATCHED, f"{who}：纸面为第 {mark.version} 版，与现行第 {approved.version} 版内容相同。")
    return Match(mark, MATCH_MATCHED, f"{who}：第 {mark.version} 版，与现行审定版本一致。")
