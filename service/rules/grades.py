"""Annual grades: the band a score falls in, who may be graded or be 优秀 and by which rule,
the 优秀 quota, the grades the service suggests, and why a proposal is refused.

Eligibility follows the regulations as settings word them (content.models.AssessmentSettings):
- leave of the counted kinds (病假, 事假, 脱产学习; never 产假) adding up to more than
  `leave_limit_days` in the year, each day counted once (rules/leave.py): no grade (不定档次, reason 其他);
- a first job with fewer than `first_job_min_days` in the unit by 31 December: no grade (试用期);
- a sanction of a kind in settings affects the year it was given and `years - 1` more: 警告
  bars 优秀, 记过 and 降低岗位等级 mean no grade (处分期);
- an investigation not yet closed: pending (待定) until it ends.
Every finding carries the rule that applied and the facts it rests on.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from service.content.codes import (
    EFFECT_NO_GRADE,
    EFFECT_NOT_EXCELLENT,
    EFFECT_PENDING,
    GRADE_EXCELLENT,
    GRADE_FAIL,
    GRADE_NONE,
    GRADE_OUTCOMES,
    GRADE_PASS,
    GRADE_PENDING,
    GRADES,
    INVESTIGATION,
    QUOTA_BASES,
    ROUND_DOWN,
    ROUND_UP,
    ROUNDINGS,
    UNGRADED_OTHER,
    UNGRADED_PROBATION,
    UNGRADED_SANCTION,
)
from service.content.formats import num
from service.content.models import AssessmentSettings, SanctionRule
from service.rules.leave import Leave, counted_leave
from service.rules.workdays import Calendar

# -- inputs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sanction:
    kind: str  # a sanction kind, or INVESTIGATION
    on: dt.date
    ended_on: dt.date | None = None  # an investigation's end


@dataclass(frozen=True)
class Newcomer:
    joined: dt.date
    first_job: bool = True


@dataclass(frozen=True)
class Finding:
    effect: str  # EFFECT_NOT_EXCELLENT, EFFECT_NO_GRADE or EFFECT_PENDING
    reason: str  # for no grade: UNGRADED_PROBATION / _SANCTION / _OTHER; else ""
    rule: str
    detail: str
    plain: str = ""  # the reason in a few words, as a written notice states it

    @property
    def text(self) -> str:
        return f"{self.rule}（{self.detail}）"


@dataclass(frozen=True)
class Eligibility:
    findings: tuple[Finding, ...] = ()

    def _has(self, effect: str) -> bool:
        return any(f.effect == effect for f in self.findings)

    @property
    def pending(self) -> bool:
        return self._has(EFFECT_PENDING)

    @property
    def graded(self) -> bool:
        return not self.pending and not self._has(EFFECT_NO_GRADE)

    @property
    def may_excellent(self) -> bool:
        return self.graded and not self._has(EFFECT_NOT_EXCELLENT)

    @property
    def required(self) -> str | None:
        """The outcome the rules impose: 待定, 不定档次, or None (a grade is to be given)."""
        return GRADE_PENDING if self.pending else None if self.graded else GRADE_NONE

    @property
    def ungraded_reason(self) -> str:
        return next((f.reason for f in self.findings if f.effect == EFFECT_NO_GRADE), "")

    @property
    def ungraded_text(self) -> str:
        """Why no grade, in words: every no-grade finding's plain reason."""
        return "；".join(f.plain for f in self.findings if f.effect == EFFECT_NO_GRADE and f.plain)

    def blocking(self, grade: str) -> Finding | None:
        """The finding that forbids `grade`, if any."""
        wanted = {GRADE_PENDING: (EFFECT_PENDING,), GRADE_NONE: (EFFECT_PENDING, EFFECT_NO_GRADE)}.get(grade)
        if wanted is None:  # a grade: blocked by pending, no grade, and for 优秀 by not-excellent
            wanted = (EFFECT_PENDING, EFFECT_NO_GRADE, *((EFFECT_NOT_EXCELLENT,) if grade == GRADE_EXCELLENT else ()))
            return next((f for effect in wanted for f in self.findings if f.effect == effect), None)
        return None


# -- eligibility ---------------------------------------------------------------------------

LEAVE_RULE = "病假、事假等累计超过半年（{days} 天）的，参加年度考核，不定档次（考核规定第四十一条）"
LEAVE_LOCAL_RULE = "病假、事假等累计超过 {days} 天的，不得评为优秀（本单位规定）"
NEWCOMER_RULE = "初次就业且到本单位工作不满半年（{days} 天）的，只写评语，不定档次（考核规定第三十七条）"
INVESTIGATION_RULE = "立案调查期间参加年度考核，不写评语、不定档次，结案后再定（考核规定第四十二条）"
EFFECT_WORDS = {EFFECT_NOT_EXCELLENT: "不得评为优秀", EFFECT_NO_GRADE: "不定档次"}


def sanction_rule_text(rule: SanctionRule) -> str:
    years = "当年" if rule.years == 1 else "当年及第二年" if rule.years == 2 else f"当年起 {rule.years} 年内"
    return f"受{rule.kind}处分的{years}，{EFFECT_WORDS[rule.effect]}（处分规定，处分期 {rule.months} 个月）"


def eligibility(year: int, s: AssessmentSettings, leave: Iterable[Leave] = (), sanctions: Iterable[Sanction] = (),
                newcomer: Newcomer | None = None) -> Eligibility:
    found: list[Finding] = []
    merged = counted_leave(year, leave, s.leave_counted, Calendar.of(s.extra_holidays, s.extra_workdays))
    total, detail = merged.total, merged.detail
    if total > s.leave_limit_days:
        found.append(Finding(EFFECT_NO_GRADE, UNGRADED_OTHER, LEAVE_RULE.format(days=s.leave_limit_days), detail,
                             f"病假、事假等累计超过半年（累计 {num(total)} 天）"))
    elif s.leave_not_excellent_days and total > s.leave_not_excellent_days:
        found.append(Finding(EFFECT_NOT_EXCELLENT, "", LEAVE_LOCAL_RULE.format(days=s.leave_not_excellent_days),
                             detail))
    if newcomer is not None and newcomer.first_job:
        days = (dt.date(year, 12, 31) - newcomer.joined).days + 1
        if days < s.first_job_min_days:
            found.append(Finding(EFFECT_NO_GRADE, UNGRADED_PROBATION, NEWCOMER_RULE.format(days=s.first_job_min_days),
                                 f"{newcomer.joined} 到本单位，至年底 {max(days, 0)} 天",
                                 f"试用期（初次就业，{newcomer.joined} 到本单位，不满半年）"))
    year_end = dt.date(year, 12, 31)
    for item in sanctions:
        if item.kind == INVESTIGATION:
            if item.on <= year_end and (item.ended_on is None or item.ended_on > year_end):
                found.append(Finding(EFFECT_PENDING, "", INVESTIGATION_RULE, f"{item.on} 立案，尚未结案"))
            continue
        rule = s.sanction(item.kind)
        if rule is not None and item.on.year <= year < item.on.year + rule.years:
            found.append(Finding(rule.effect, UNGRADED_SANCTION if rule.effect == EFFECT_NO_GRADE else "",
                                 sanction_rule_text(rule), f"{item.on} 受{item.kind}处分",
                                 f"处分期（{item.on} 受{item.kind}处分）"))
    return Eligibility(tuple(found))


# -- bands and the quota -------------------------------------------------------------------


def band(score: float | None, bands: Sequence[tuple[str, float]]) -> str | None:
    """The grade a score reaches (None without a score); below every band: 不合格."""
    if score is None:
        return None
    return next((grade for grade, floor in bands if score >= floor - 1e-9), GRADE_FAIL)


def rank_of(grade: str) -> int:
    """0 for 优秀 … 3 for 不合格: a larger number is a worse grade."""
    return GRADES.index(grade)


def worse(new: str, old: str) -> bool:
    return new in GRADES and old in GRADES and rank_of(new) > rank_of(old)


@dataclass(frozen=True)
class Quota:
    base: int
    percent: float
    rounding: str
    base_kind: str

    @property
    def places(self) -> int:
        exact = self.base * self.percent / 100
        if self.rounding == ROUND_DOWN:
            return math.floor(exact + 1e-9)
        if self.rounding == ROUND_UP:
            return math.ceil(exact - 1e-9)
        return math.floor(exact + 0.5)

    def explain(self) -> str:
        exact = self.base * self.percent / 100
        return (f"{QUOTA_BASES[self.base_kind]} {self.base} 人 × {num(self.percent)}% = {num(exact)}，"
                f"{ROUNDINGS[self.rounding]}为 {self.places} 人")


# -- suggestions and checks ----------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    staff_id: str
    name: str
    score: float | None
    eligibility: Eligibility = Eligibility()


@dataclass(frozen=True)
class Suggestion:
    grade: str | None  # None: no score yet
    note: str = ""
    instead: Candidate | None = None  # the next eligible by score, when this person cannot be 优秀


def ranked(candidates: Iterable[Candidate]) -> list[Candidate]:
    """By score, best first; people without a score last; ties by 工号."""
    return sorted(candidates, key=lambda c: (c.score is None, -(c.score or 0), c.staff_id))


def next_eligible(order: Sequence[Candidate], after: Candidate, taken: Iterable[str] = ()) -> Candidate | None:
    """The first person below `after` by score who may be 优秀 and is not in `taken`."""
    skip = set(taken)
    below = order[order.index(after) + 1:] if after in order else order
    return next((c for c in below if c.score is not None and c.eligibility.may_excellent
                 and c.staff_id not in skip), None)


def suggest(candidates: Iterable[Candidate], places: int, bands: Sequence[tuple[str, float]]) -> dict[str, Suggestion]:
    """A grade for each person: the rules' outcome, else the score's band, 优秀 for the best
    eligible within `places`. A person whose band is 优秀 but who may not be 优秀, and who would
    have had a place by score, names the rule and the person who moved up into the place
    (按得分递补); that person's note names whom they replace."""
    order = ranked(candidates)
    result: dict[str, Suggestion] = {}
    excellent: list[str] = []
    barred: list[Candidate] = []  # band 优秀, by score, but may not be 优秀
    for c in order:
        required = c.eligibility.required
        grade = band(c.score, bands)
        if grade == GRADE_EXCELLENT and not c.eligibility.may_excellent:
            barred.append(c)
        if required is not None:
            finding = c.eligibility.findings[0] if c.eligibility.findings else None
            result[c.staff_id] = Suggestion(required, finding.text if finding else "")
        elif grade is None:
            result[c.staff_id] = Suggestion(None, "尚无得分")
        elif grade != GRADE_EXCELLENT:
            result[c.staff_id] = Suggestion(grade)
        elif not c.eligibility.may_excellent:
            blocking = c.eligibility.blocking(GRADE_EXCELLENT)
            result[c.staff_id] = Suggestion(GRADE_PASS, blocking.text if blocking else "")
        elif len(excellent) < places:
            excellent.append(c.staff_id)
            result[c.staff_id] = Suggestion(GRADE_EXCELLENT)
        else:
            result[c.staff_id] = Suggestion(GRADE_PASS, f"优秀名额已满（{places} 人）")
    # by score alone, the first `places` of the 优秀 band would have had the places
    band_order = [c for c in order if band(c.score, bands) == GRADE_EXCELLENT
                  and (c in barred or c.staff_id in excellent)]
    by_score = {c.staff_id for c in band_order[:places]}
    moved_up = [c for c in band_order if c.staff_id in excellent and c.staff_id not in by_score]
    for gave, took in zip((c for c in band_order[:places] if c in barred), moved_up, strict=False):
        result[gave.staff_id] = replace(result[gave.staff_id], instead=took)
        result[took.staff_id] = replace(result[took.staff_id], note=f"按得分递补（{gave.name}不能评为优秀）")
    return result


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    staff_id: str = ""


def grade_problems(c: Candidate, grade: str, order: Sequence[Candidate] = (),
                   taken: Iterable[str] = ()) -> list[Problem]:
    """Why `grade` may not be given to `c`: an unknown grade, no score for a grade, the rules'
    outcome, a rule barring 优秀."""
    if grade not in GRADE_OUTCOMES:
        return [Problem("invalid_grade", f"{c.name}：档次应为 {' / '.join(GRADE_OUTCOMES)} 之一，实际为“{grade}”",
                        c.staff_id)]
    required = c.eligibility.required
    if required is None and grade in GRADES and c.score is None:
        return [Problem("no_score", f"{c.name}尚无考核得分（月汇总表未报送其业务工作目标），不能定为{grade}", c.staff_id)]
    if required is not None and grade != required:
        finding = c.eligibility.blocking(grade) or c.eligibility.findings[0]
        return [Problem("not_eligible", f"{c.name}应为{required}：{finding.text}", c.staff_id)]
    if required is None and grade in (GRADE_NONE, GRADE_PENDING):
        return [Problem("not_eligible", f"{c.name}没有{grade}的情形，应定为 {' / '.join(GRADES)} 之一", c.staff_id)]
    blocking = c.eligibility.blocking(grade)
    if blocking is not None:
        instead = next_eligible(order, c, taken) if order else None
        hint = f"；按得分可改由 {instead.name}（{instead.staff_id}，{num(instead.score or 0)} 分）" if instead else ""
        return [Problem("not_eligible", f"{c.name}不能评为{grade}：{blocking.text}{hint}", c.staff_id)]
    return []


def quota_problem(excellent: int, quota: Quota, unit_name: str) -> Problem | None:
    if excellent <= quota.places:
        return None
    return Problem("quota_exceeded", f"{unit_name}拟定优秀 {excellent} 人，超过名额 {quota.places} 人"
                                     f"（{quota.explain()}），请减少 {excellent - quota.places} 人")


def check_grades(grades: Mapping[str, str], candidates: Mapping[str, Candidate]) -> list[Problem]:
    """Every person's grade against the rules, each refusal naming the next eligible by score."""
    order = ranked(candidates.values())
    taken = [sid for sid, grade in grades.items() if grade == GRADE_EXCELLENT]
    problems: list[Problem] = []
    for staff_id, grade in grades.items():
        problems += grade_problems(candidates[staff_id], grade, order, taken)
    return problems
