"""settings.yml's `assessment:` section: the annual assessment's numbers, each with its default.

Every key may be left out (the default of the regulations applies); a value given is checked
and a wrong one is reported like any other settings error (file, path, what was expected).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from service.content.codes import (
    EFFECTS,
    GRADE_BASIC,
    GRADE_EXCELLENT,
    GRADE_PASS,
    LEAVE_KINDS,
    QUOTA_BASES,
    QUOTA_SCOPES,
    ROUNDINGS,
    SANCTION_KINDS,
)
from service.content.models import AssessmentSettings, ReviewDays, SanctionRule
from service.content.yaml_files import Checker, show

FILE = "settings.yml"
ROOT = "assessment"
BANDED = (GRADE_EXCELLENT, GRADE_PASS, GRADE_BASIC)  # below the last band: 不合格
REVIEW_KEYS = {"apply_days": "apply", "decide_days": "decide", "appeal_apply_days": "appeal_apply",
               "appeal_decide_days": "appeal_decide", "appeal_extend_days": "appeal_extend"}


def check_assessment(check: Checker, data: Any) -> AssessmentSettings | None:
    """The section as typed settings, or None when it has errors (added to `check.errors`)."""
    default = AssessmentSettings()
    if data is None:
        return default
    start = len(check.errors)
    d = _section(check, ROOT, data)
    bands = _bands(check, d.get("bands"), default)
    q = _section(check, f"{ROOT}.quota", d.get("quota"))
    percent = _number(check, "quota.percent", q.get("percent"), default.quota_percent, 0, 100)
    raised = _number(check, "quota.raised_percent", q.get("raised_percent"), default.quota_raised, 0, 100)
    lowered = _number(check, "quota.lowered_percent", q.get("lowered_percent"), default.quota_lowered, 0, 100)
    if not lowered <= percent <= raised:
        check.fail(FILE, f"{ROOT}.quota", f"比例应满足 lowered_percent（{lowered:g}）≤ percent（{percent:g}）"
                   f"≤ raised_percent（{raised:g}）")
    rounding = _choice(check, "quota.rounding", q.get("rounding"), default.quota_rounding, ROUNDINGS)
    scope = _choice(check, "quota.scope", q.get("scope"), default.quota_scope, QUOTA_SCOPES)
    base = _choice(check, "quota.base", q.get("base"), default.quota_base, QUOTA_BASES)
    leave = _section(check, f"{ROOT}.leave", d.get("leave"))
    counted = _kinds(check, leave.get("counted"), default.leave_counted)
    limit = _whole(check, "leave.limit_days", leave.get("limit_days"), default.leave_limit_days, 1, 366)
    not_excellent = _whole(check, "leave.not_excellent_days", leave.get("not_excellent_days"),
                           default.leave_not_excellent_days, 0, 366)
    first_job = _whole(check, "first_job_min_days", d.get("first_job_min_days"), default.first_job_min_days, 1, 366)
    sanctions = _sanctions(check, d.get("sanctions"), default)
    gap = _number(check, "ballot_gap_points", d.get("ballot_gap_points"), default.ballot_gap_points, 0, 100)
    publicity = _whole(check, "publicity_days", d.get("publicity_days"), default.publicity_days, 1, 30)
    r = _section(check, f"{ROOT}.review", d.get("review"))
    review = ReviewDays(**{name: _whole(check, f"review.{key}", r.get(key), getattr(default.review, name), 1, 365)
                           for key, name in REVIEW_KEYS.items()})
    cal = _section(check, f"{ROOT}.calendar", d.get("calendar"))
    holidays = _dates(check, "calendar.extra_holidays", cal.get("extra_holidays"))
    workdays = _dates(check, "calendar.extra_workdays", cal.get("extra_workdays"))
    for day in sorted(set(holidays) & set(workdays)):
        check.fail(FILE, f"{ROOT}.calendar", f"{day} 不能既是节假日又是调休工作日")
    if len(check.errors) > start:
        return None
    return AssessmentSettings(
        bands=bands, quota_percent=percent, quota_raised=raised, quota_lowered=lowered, quota_rounding=rounding,
        quota_scope=scope, quota_base=base, leave_counted=counted, leave_limit_days=limit,
        leave_not_excellent_days=not_excellent, first_job_min_days=first_job, sanctions=sanctions,
        publicity_days=publicity, review=review, extra_holidays=holidays, extra_workdays=workdays,
        ballot_gap_points=gap)


def _section(check: Checker, path: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    return check.mapping(FILE, path, value)


def _bands(check: Checker, value: Any, default: AssessmentSettings) -> tuple[tuple[str, float], ...]:
    given = _section(check, f"{ROOT}.bands", value)
    for key in given:
        if key not in BANDED:
            check.fail(FILE, f"{ROOT}.bands.{key}", f"分数段只能设 {' / '.join(BANDED)}（低于最后一档为不合格）")
    defaults = dict(default.bands)
    bands = tuple((grade, _number(check, f"bands.{grade}", given.get(grade), defaults[grade], 0, 100))
                  for grade in BANDED)
    floors = [floor for _, floor in bands]
    if floors != sorted(floors, reverse=True) or len(set(floors)) != len(floors):
        check.fail(FILE, f"{ROOT}.bands", "分数段应从高到低：优秀 > 合格 > 基本合格，实际为 "
                   + "、".join(f"{g} {f:g}" for g, f in bands))
    return bands


def _number(check: Checker, path: str, value: Any, default: float, low: float, high: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        check.fail(FILE, f"{ROOT}.{path}", f"应为 {low:g}–{high:g} 之间的数字，实际为 {show(value)}")
        return default
    return float(value)


def _whole(check: Checker, path: str, value: Any, default: int, low: int, high: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        check.fail(FILE, f"{ROOT}.{path}", f"应为 {low}–{high} 之间的整数，实际为 {show(value)}")
        return default
    return value


def _choice(check: Checker, path: str, value: Any, default: str, choices: dict[str, str]) -> str:
    if value is None:
        return default
    if value not in choices:
        named = "；".join(f"{k}（{v}）" for k, v in choices.items())
        check.fail(FILE, f"{ROOT}.{path}", f"应为 {named} 之一，实际为 {show(value)}")
        return default
    return str(value)


def _kinds(check: Checker, value: Any, default: tuple[str, ...]) -> tuple[str, ...]:
    if value is None:
        return default
    if not isinstance(value, list) or any(kind not in LEAVE_KINDS for kind in value):
        check.fail(FILE, f"{ROOT}.leave.counted", f"应为假别列表，每项为 {' / '.join(LEAVE_KINDS)} 之一，实际为 {show(value)}")
        return default
    return tuple(dict.fromkeys(value))


def _sanctions(check: Checker, value: Any, default: AssessmentSettings) -> tuple[SanctionRule, ...]:
    given = _section(check, f"{ROOT}.sanctions", value)
    rules = {rule.kind: rule for rule in default.sanctions}
    for kind, spec in given.items():
        path = f"sanctions.{kind}"
        if kind not in SANCTION_KINDS:
            check.fail(FILE, f"{ROOT}.{path}", f"处分种类应为 {' / '.join(SANCTION_KINDS)} 之一")
            continue
        s = _section(check, f"{ROOT}.{path}", spec)
        old = rules[kind]
        effect = _choice(check, f"{path}.effect", s.get("effect"), old.effect,
                         {e: "不得评为优秀" if e == EFFECTS[0] else "不定档次" for e in EFFECTS})
        rules[kind] = SanctionRule(kind, effect, _whole(check, f"{path}.years", s.get("years"), old.years, 1, 5),
                                   _whole(check, f"{path}.months", s.get("months"), old.months, 1, 60))
    return tuple(rules.values())


def _dates(check: Checker, path: str, value: Any) -> tuple[dt.date, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        check.fail(FILE, f"{ROOT}.{path}", f"应为日期列表（如 2027-10-01），实际为 {show(value)}")
        return ()
    days = []
    for i, item in enumerate(value):
        day = item if isinstance(item, dt.date) and not isinstance(item, dt.datetime) else None
        if day is None and isinstance(item, str):
            try:
                day = dt.date.fromisoformat(item.strip())
            except ValueError:
                day = None
        if day is None:
            check.fail(FILE, f"{ROOT}.{path}[{i}]", f"应为“年-月-日”格式的日期（如 2027-10-01），实际为 {show(item)}")
        else:
            days.append(day)
    return tuple(sorted(set(days)))
