"""Typed content models: what `content/` holds once the loader has validated it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from service.content.codes import (
    BASE_ALL,
    EFFECT_NO_GRADE,
    EFFECT_NOT_EXCELLENT,
    GRADE_BASIC,
    GRADE_EXCELLENT,
    GRADE_PASS,
    LEAVE_PERSONAL,
    LEAVE_SICK,
    LEAVE_STUDY,
    ROUND_DOWN,
    SANCTION_DEMERIT,
    SANCTION_DEMOTION,
    SANCTION_WARNING,
    SCOPE_DEPARTMENT,
)

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
class SanctionRule:
    """What a sanction kind does to the annual grade, and for how long."""

    kind: str
    effect: str  # EFFECT_NOT_EXCELLENT or EFFECT_NO_GRADE
    years: int  # years affected, the year of the sanction included
    months: int  # the sanction period (处分期)


@dataclass(frozen=True, slots=True)
class ReviewDays:
    apply: int = 30  # 复核: apply within, from notification
    decide: int = 30  # 复核: the unit decides within
    appeal_apply: int = 30  # 申诉: apply within, from the 复核 decision
    appeal_decide: int = 60  # 申诉: decided within
    appeal_extend: int = 30  # 申诉: extendable by


DEFAULT_SANCTIONS = (
    SanctionRule(SANCTION_WARNING, EFFECT_NOT_EXCELLENT, 1, 6),
    SanctionRule(SANCTION_DEMERIT, EFFECT_NO_GRADE, 1, 12),
    SanctionRule(SANCTION_DEMOTION, EFFECT_NO_GRADE, 2, 24),
)


@dataclass(frozen=True, slots=True)
class AssessmentSettings:
    """The annual assessment's numbers (settings.yml `assessment:`); defaults from the regulations."""

    bands: tuple[tuple[str, float], ...] = ((GRADE_EXCELLENT, 90.0), (GRADE_PASS, 70.0), (GRADE_BASIC, 60.0))
    quota_percent: float = 20.0
    quota_raised: float = 25.0
    quota_lowered: float = 15.0
    quota_rounding: str = ROUND_DOWN
    quota_scope: str = SCOPE_DEPARTMENT
    quota_base: str = BASE_ALL
    leave_counted: tuple[str, ...] = (LEAVE_SICK, LEAVE_PERSONAL, LEAVE_STUDY)
    leave_limit_days: int = 182  # more than this (half a year): no grade
    leave_not_excellent_days: int = 0  # a local rule: more than this bars 优秀; 0 = no such rule
    first_job_min_days: int = 183  # a first job with fewer days in the unit by year end: no grade
    sanctions: tuple[SanctionRule, ...] = DEFAULT_SANCTIONS
    publicity_days: int = 5
    review: ReviewDays = field(default_factory=ReviewDays)
    extra_holidays: tuple[dt.date, ...] = ()
    extra_workdays: tuple[dt.date, ...] = ()
    ballot_gap_points: float = 20.0  # 集体审定 flags a proposed 优秀 whose 优秀率 is this far below the unit's

    def sanction(self, kind: str) -> SanctionRule | None:
        return next((rule for rule in self.sanctions if rule.kind == kind), None)


@dataclass(frozen=True, slots=True)
class ReminderSettings:
    """When the service reminds departments of a deadline (settings.yml `reminders:`)."""

    before_days: tuple[int, ...] = (3, 1)  # days before each deadline
    after_days: int = 1  # the day after the deadline
    overdue_every_days: int = 7  # then again every so many days while work is outstanding


@dataclass(frozen=True, slots=True)
class SummarySettings:
    """When staff write their annual summary (settings.yml `summary:`), and how long it may be."""

    opens: dt.date | None = None  # None: December 1 of the year
    closes: dt.date | None = None  # None: December 31 of the year (the day included)
    max_chars: int = 3000

    def window(self, year: int) -> tuple[dt.date, dt.date]:
        return self.opens or dt.date(year, 12, 1), self.closes or dt.date(year, 12, 31)


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
    assessment: AssessmentSettings = field(default_factory=AssessmentSettings)
    refuse_unapproved_scans: bool = False  # refuse a scan while the person has no approved target set
    bulk_max_mb: int = 200  # one bulk upload of scans (all its files together)
    reminders: ReminderSettings = field(default_factory=ReminderSettings)
    monthly_first_month: int = 1  # the first month a summary is owed for (the year's work begins)
    summary: SummarySettings = field(default_factory=SummarySettings)  # the annual summary's window
    duty_files_max_mb: int = 10  # one attachment (Word or PDF) of a role's job duties
    duty_files_max_count: int = 5  # attachments of one role's job duties in one delivery

    @property
    def total_points(self) -> int:
        return self.common_points + self.individual_points


@dataclass(frozen=True, slots=True)
class Department:
    id: str
    name: str
    kind: str  # 部门 or 系
    closed: dt.date | None = None  # a department closed on this date: kept in departments.yml for its history


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
    # optional, as the personnel system's export writes them (the annual registration form shows them)
    gender: str = ""  # 性别
    birth: str = ""  # 出生年月
    politics: str = ""  # 政治面貌
    education: str = ""  # 文化程度
    post_since: str = ""  # 任现职时间


@dataclass(frozen=True, slots=True)
class Content:
    settings: CycleSettings
    departments: tuple[Department, ...]
    roles: tuple[Role, ...]
    common_targets: tuple[CommonTarget, ...]
    roster: tuple[StaffMember, ...]
    closed_departments: tuple[Department, ...] = ()  # closed: listed nowhere, kept for their history
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
