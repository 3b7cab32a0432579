"""Typed content models: what `content/` holds once the loader has validated it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# -- codes: stored, and answered in JSON, exactly as written here ------------------------

# Account roles: whom an account acts for (stored on the account) and their names.
ROLE_HR = "hr"
ROLE_DEPARTMENT = "department"
ROLE_LEADER = "leader"
ROLES = (ROLE_HR, ROLE_DEPARTMENT, ROLE_LEADER)
ROLE_NAMES = {ROLE_HR: "人事处", ROLE_DEPARTMENT: "部门/系", ROLE_LEADER: "院领导"}

# The completion states of annex 5. 完成 needs a signed scan; the others exempt a person.
DONE = "完成"
LEAVE_STATUSES = ("产假", "病假", "长期事假")
COMPLETION_STATUSES = (DONE, *LEAVE_STATUSES)
OUTSTANDING = "未完成"  # nothing recorded yet: shown, never stored
# Derived from a person's scans and approved target set: shown, never stored.
RESIGN = "需重签"  # the valid scans are all of another version than the approved one: counts as not done
UNAPPROVED = "目标未审定"  # signed while the person had no approved set: counts as signed, flagged
PERSON_STATUSES = (DONE, UNAPPROVED, *LEAVE_STATUSES, RESIGN, OUTSTANDING)

# A stored scan (附件1) is valid until withdrawn; a withdrawn scan keeps its file and its history.
SCAN_VALID = "valid"
SCAN_WITHDRAWN = "withdrawn"
SCAN_STATES = (SCAN_VALID, SCAN_WITHDRAWN)
SCAN_STATE_LABELS = {SCAN_VALID: "有效", SCAN_WITHDRAWN: "已撤回"}

# What the code on a scanned contract says about the department it is uploaded to.
MATCH_MATCHED = "matched"  # one of the department's people, the approved version: stored
MATCH_STALE = "stale"  # one of the department's people, not the approved version: stored, 需重签
MATCH_OTHER_DEPARTMENT = "other_department"  # someone of another department: stored nowhere
MATCH_UNKNOWN = "unknown"  # no one this cycle's records know: stored nowhere
MATCH_STATES = (MATCH_MATCHED, MATCH_STALE, MATCH_OTHER_DEPARTMENT, MATCH_UNKNOWN)
MATCH_LABELS = {MATCH_MATCHED: "可存入", MATCH_STALE: "需重签", MATCH_OTHER_DEPARTMENT: "其他部门",
                MATCH_UNKNOWN: "无法核对"}

# Why a page of a scan cannot be given to anyone by its code.
PAGE_NO_CODE = "no_code"
PAGE_FOREIGN_CODE = "foreign_code"
PAGE_SEVERAL_CODES = "several_codes"
PAGE_LABELS = {PAGE_NO_CODE: "未识别到二维码", PAGE_FOREIGN_CODE: "只有其他二维码（不是责任状的）",
               PAGE_SEVERAL_CODES: "一页上有多个不同的责任状二维码"}

# An individual target set (annex 3) on its way to approval; each code is its Chinese label.
TARGET_DRAFT = "草稿"
TARGET_SUBMITTED = "已提交"
TARGET_APPROVED = "已审定"
TARGET_RETURNED = "退回"
TARGET_STATES = (TARGET_DRAFT, TARGET_SUBMITTED, TARGET_APPROVED, TARGET_RETURNED)
TARGET_NOT_STARTED = "未开始"  # no set yet: shown, never stored

# A role's job duties delivered to HR; each code is its Chinese label.
DUTY_SUBMITTED = "已提交"
DUTY_ACCEPTED = "已接受"
DUTY_RETURNED = "退回"
DUTY_STATES = (DUTY_SUBMITTED, DUTY_ACCEPTED, DUTY_RETURNED)
DUTY_NOT_DELIVERED = "未报送"  # nothing delivered yet: shown, never stored

# A delivery (job duties, a monthly summary) judged against its due date, and its label.
ON_TIME = "on_time"
LATE = "late"
MISSING = "missing"
PENDING = "pending"
PARTIAL = "partial"  # delivered as an explicit partial submission: never counts as complete
DELIVERY_STATES = (ON_TIME, LATE, MISSING, PENDING, PARTIAL)
DELIVERY_LABELS = {ON_TIME: "按时", LATE: "逾期", MISSING: "未报送", PENDING: "待报送", PARTIAL: "部分报送"}

# -- content -------------------------------------------------------------------------------

DEPARTMENT_KINDS = ("部门", "系")

# Target-row column names, as on annex 3 and in roles.yml.
COL_CONTENT = "目标内容"
COL_POINTS = "分值"
COL_EVIDENCE = "佐证材料及分值"
COL_DEADLINE = "完成时限"

# A role whose lead is SELF_LEAD has its targets drafted by each person's own department.
SELF_LEAD = "self"


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    office: str
    phone: str
    email: str


@dataclass(frozen=True, slots=True)
class Deadlines:
    duties_lead: dt.date  # lead departments deliver the duties of the roles they lead
    duties_all: dt.date  # every department delivers all its posts' duties
    contracts: dt.date  # signed contracts delivered to HR


@dataclass(frozen=True, slots=True)
class CycleSettings:
    college: str
    year: int
    timezone: str
    common_points: int
    individual_points: int
    deadlines: Deadlines
    monthly_due_day: int
    contact: Contact
    upload_max_mb: int
    business_score_rule: str = "average"
    refuse_unapproved_scans: bool = False  # refuse a scan while the person has no approved target set
    bulk_max_mb: int = 200  # one bulk upload of scans (all its files together)

    @property
    def total_points(self) -> int:
        return self.common_points + self.individual_points


@dataclass(frozen=True, slots=True)
class Department:
    id: str
    name: str
    kind: str  # 部门 or 系


@dataclass(frozen=True, slots=True)
class TargetRow:
    content: str
    points: float
    evidence: str
    deadline: str


@dataclass(frozen=True, slots=True)
class Role:
    id: str
    name: str
    lead: str  # a department id, or SELF_LEAD
    duties: tuple[str, ...]
    targets: tuple[TargetRow, ...]

    @property
    def target_total(self) -> float:
        return sum(row.points for row in self.targets)


@dataclass(frozen=True, slots=True)
class Rule:
    text: str
    points: float  # the deduction this rule applies


@dataclass(frozen=True, slots=True)
class CommonTarget:
    id: str
    content: str
    points: float
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class StaffMember:
    staff_id: str
    name: str
    department: str
    role: str
    post: str


@dataclass(frozen=True, slots=True)
class Content:
    settings: CycleSettings
    departments: tuple[Department, ...]
    roles: tuple[Role, ...]
    common_targets: tuple[CommonTarget, ...]
    roster: tuple[StaffMember, ...]
    _by_id: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def department(self, department_id: str) -> Department | None:
        return next((d for d in self.departments if d.id == department_id), None)

    def role(self, role_id: str) -> Role | None:
        return next((r for r in self.roles if r.id == role_id), None)

    def staff(self, staff_id: str) -> StaffMember | None:
        index = self._by_id.get("staff")
        if index is None:
            index = {m.staff_id: m for m in self.roster}
            self._by_id["staff"] = index
        return index.get(staff_id)  # type: ignore[union-attr]

    def members(self, department_id: str) -> tuple[StaffMember, ...]:
        index = self._by_id.get("members")
        if index is None:  # every department's members in one pass over the roster
            groups: dict[str, list[StaffMember]] = {}
            for member in self.roster:
                groups.setdefault(member.department, []).append(member)
            index = {department: tuple(members) for department, members in groups.items()}
            self._by_id["members"] = index
        return index.get(department_id, ())  # type: ignore[union-attr, no-any-return]

    def lead_name(self, role: Role) -> str:
        if role.lead == SELF_LEAD:
            return "所在部门"
        department = self.department(role.lead)
        return department.name if department else role.lead

    def roles_by_lead(self) -> list[tuple[str, list[Role]]]:
        """Roles grouped by who drafts their targets, in content order."""
        groups: dict[str, list[Role]] = {}
        for role in self.roles:
            groups.setdefault(role.lead, []).append(role)
        return [(lead, roles) for lead, roles in groups.items()]
