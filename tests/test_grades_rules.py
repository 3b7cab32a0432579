"""The annual grade rules, hand-computed: working days, bands, quota, eligibility, suggestions,
and the clocks of 复核 and 申诉."""

from __future__ import annotations

import datetime as dt

import pytest

from service.content.codes import (
    GRADE_BASIC,
    GRADE_EXCELLENT,
    GRADE_FAIL,
    GRADE_NONE,
    GRADE_PASS,
    GRADE_PENDING,
    INVESTIGATION,
    LEAVE_MATERNITY,
    LEAVE_PERSONAL,
    LEAVE_SICK,
    SANCTION_DEMERIT,
    SANCTION_DEMOTION,
    SANCTION_WARNING,
    SOURCE_MONTHLY,
    UNGRADED_OTHER,
    UNGRADED_PROBATION,
    UNGRADED_SANCTION,
)
from service.content.models import AssessmentSettings
from service.rules import grades, reviews
from service.rules.grades import Candidate, Leave, Newcomer, Quota, Sanction
from service.rules.workdays import Calendar

D = dt.date
S = AssessmentSettings()


# -- working days ---------------------------------------------------------------------------

def test_five_working_days_from_friday_27_september_2019_end_on_9_october() -> None:
    span = Calendar().count_from(D(2019, 9, 27), 5)
    # 09-28 Saturday off, 09-29 Sunday a make-up workday, 10-01…10-07 National Day
    assert span.workdays == (D(2019, 9, 27), D(2019, 9, 29), D(2019, 9, 30), D(2019, 10, 8), D(2019, 10, 9))
    assert span.end == D(2019, 10, 9)
    assert span.warning is None


@pytest.mark.parametrize(("start", "days", "end"), [
    (D(2019, 9, 28), 1, D(2019, 9, 29)),  # a Saturday: counting starts at the make-up Sunday
    (D(2019, 10, 1), 1, D(2019, 10, 8)),  # a holiday: the first workday after it
    (D(2019, 10, 11), 2, D(2019, 10, 12)),  # 10-12 is a make-up Saturday
    (D(2020, 1, 20), 5, D(2020, 2, 3)),  # 2020 Spring Festival, extended to 02-02 that year
])
def test_working_days_follow_the_state_councils_calendar(start: D, days: int, end: D) -> None:
    assert Calendar().count_from(start, days).end == end


def test_a_year_the_package_does_not_know_uses_settings_and_warns() -> None:
    # 2031-10-01 is a Wednesday; settings make 10-01…10-03 holidays and Sunday 09-28 a workday
    cal = Calendar.of(holidays=[D(2031, 10, 1), D(2031, 10, 2), D(2031, 10, 3)], workdays=[D(2031, 9, 28)])
    span = cal.count_from(D(2031, 9, 26), 5)  # Friday
    assert span.workdays == (D(2031, 9, 26), D(2031, 9, 28), D(2031, 9, 29), D(2031, 9, 30), D(2031, 10, 6))
    assert span.unknown_years == (2031,)
    assert span.warning is not None and "2031 年" in span.warning and "assessment.calendar" in span.warning
    plain = Calendar().count_from(D(2031, 9, 26), 5)  # without settings: Monday to Friday only
    assert plain.end == D(2031, 10, 2) and plain.unknown_years == (2031,)


# -- bands and quota ------------------------------------------------------------------------

@pytest.mark.parametrize(("score", "grade"), [(100, GRADE_EXCELLENT), (90, GRADE_EXCELLENT), (89.99, GRADE_PASS),
                                              (70, GRADE_PASS), (69.5, GRADE_BASIC), (60, GRADE_BASIC),
                                              (59.9, GRADE_FAIL), (0, GRADE_FAIL), (None, None)])
def test_bands(score: float | None, grade: str | None) -> None:
    assert grades.band(score, S.bands) == grade


@pytest.mark.parametrize(("base", "percent", "rounding", "places"), [
    (42, 20, "down", 8), (42, 20, "nearest", 8), (42, 20, "up", 9), (40, 20, "down", 8), (40, 20, "up", 8),
    (4, 20, "down", 0), (4, 20, "nearest", 1), (42, 25, "down", 10), (42, 15, "down", 6), (13, 15, "nearest", 2),
])
def test_quota_places(base: int, percent: float, rounding: str, places: int) -> None:
    assert Quota(base, percent, rounding, "all").places == places


def test_the_quota_explains_its_numbers() -> None:
    assert Quota(42, 20, "down", "all").explain() == "应参加年度考核人数 42 人 × 20% = 8.4，向下取整为 8 人"


# -- eligibility ----------------------------------------------------------------------------

def test_seven_months_of_sick_leave_mean_no_grade() -> None:
    found = grades.eligibility(2019, S, [Leave(LEAVE_SICK, 212, D(2019, 1, 1), D(2019, 7, 31))])
    assert found.required == GRADE_NONE and found.ungraded_reason == UNGRADED_OTHER
    assert "第四十一条" in found.findings[0].rule and "累计 212 天" in found.findings[0].detail


@pytest.mark.parametrize(("leave", "required"), [
    ([Leave(LEAVE_SICK, 182)], None),  # exactly half a year: graded
    ([Leave(LEAVE_SICK, 100), Leave(LEAVE_PERSONAL, 83, source=SOURCE_MONTHLY)], GRADE_NONE),  # 183 together
    ([Leave(LEAVE_MATERNITY, 0, D(2019, 1, 1), D(2019, 12, 31))], None),  # 产假 is graded
    ([Leave(LEAVE_SICK, 0, D(2018, 6, 1), D(2019, 3, 31))], None),  # only the 90 days of 2019 count
])
def test_leave_adds_up_within_the_year(leave: list[Leave], required: str | None) -> None:
    assert grades.eligibility(2019, S, leave).required == required


def test_a_local_rule_on_sick_leave_bars_excellent() -> None:
    local = AssessmentSettings(leave_not_excellent_days=30)
    found = grades.eligibility(2019, local, [Leave(LEAVE_SICK, 31)])
    assert found.graded and not found.may_excellent


@pytest.mark.parametrize(("joined", "first_job", "required"), [
    (D(2019, 7, 2), True, None),  # 183 days to 31 December, both counted: half a year
    (D(2019, 7, 3), True, GRADE_NONE),  # 182 days
    (D(2019, 9, 1), False, None),  # not a first job: graded
])
def test_a_first_job_under_half_a_year_is_not_graded(joined: D, first_job: bool, required: str | None) -> None:
    found = grades.eligibility(2019, S, newcomer=Newcomer(joined, first_job))
    assert found.required == required
    if required:
        assert found.ungraded_reason == UNGRADED_PROBATION and "第三十七条" in found.findings[0].rule


@pytest.mark.parametrize(("kind", "on", "year", "graded", "excellent"), [
    (SANCTION_WARNING, D(2019, 3, 1), 2019, True, False),
    (SANCTION_WARNING, D(2018, 11, 1), 2019, True, True),  # the year of the sanction only
    (SANCTION_DEMERIT, D(2019, 3, 1), 2019, False, False),
    (SANCTION_DEMERIT, D(2018, 3, 1), 2019, True, True),
    (SANCTION_DEMOTION, D(2018, 3, 1), 2019, False, False),  # that year and the next
    (SANCTION_DEMOTION, D(2017, 3, 1), 2019, True, True),
])
def test_sanctions(kind: str, on: D, year: int, graded: bool, excellent: bool) -> None:
    found = grades.eligibility(year, S, sanctions=[Sanction(kind, on)])
    assert (found.graded, found.may_excellent) == (graded, excellent)
    if not graded:
        assert found.ungraded_reason == UNGRADED_SANCTION


def test_a_warning_names_its_rule() -> None:
    found = grades.eligibility(2019, S, sanctions=[Sanction(SANCTION_WARNING, D(2019, 5, 6))])
    assert found.blocking(GRADE_EXCELLENT).text == (
        "受警告处分的当年，不得评为优秀（处分规定，处分期 6 个月）（2019-05-06 受警告处分）")
    assert found.blocking(GRADE_PASS) is None


def test_an_open_investigation_is_pending_until_it_ends() -> None:
    assert grades.eligibility(2019, S, sanctions=[Sanction(INVESTIGATION, D(2019, 6, 1))]).required == GRADE_PENDING
    closed = grades.eligibility(2019, S, sanctions=[Sanction(INVESTIGATION, D(2019, 6, 1), D(2019, 11, 1))])
    assert closed.required is None


# -- suggestions and checks -----------------------------------------------------------------

def people(scores: list[float]) -> list[Candidate]:
    return [Candidate(f"{i:03d}", f"人{i}", score) for i, score in enumerate(scores, 1)]


def test_suggestions_fill_the_quota_by_score() -> None:
    found = grades.suggest(people([95, 94, 93, 92, 80, 65, 50]), 2, S.bands)
    assert [found[f"{i:03d}"].grade for i in range(1, 8)] == [
        GRADE_EXCELLENT, GRADE_EXCELLENT, GRADE_PASS, GRADE_PASS, GRADE_PASS, GRADE_BASIC, GRADE_FAIL]
    assert found["003"].note == "优秀名额已满（2 人）"


def test_an_ineligible_top_scorer_hands_the_place_to_the_next_by_score() -> None:
    sick = grades.eligibility(2019, S, [Leave(LEAVE_SICK, 212)])
    everyone = [Candidate("000", "甲", 99, sick), *people([95, 94, 93])]
    found = grades.suggest(everyone, 1, S.bands)
    assert found["000"].grade == GRADE_NONE and found["000"].note.startswith("病假、事假等累计超过半年")
    assert found["000"].instead is not None and (found["000"].instead.name, found["000"].instead.score) == ("人1", 95)
    assert [found[s].grade for s in ("001", "002", "003")] == [GRADE_EXCELLENT, GRADE_PASS, GRADE_PASS]


def test_a_proposal_is_checked_against_the_rules() -> None:
    warned = grades.eligibility(2019, S, sanctions=[Sanction(SANCTION_WARNING, D(2019, 5, 6))])
    cands = {"w": Candidate("w", "乙", 98, warned), "a": Candidate("a", "丙", 91), "b": Candidate("b", "丁", 85)}
    problems = grades.check_grades({"w": GRADE_EXCELLENT, "a": GRADE_PASS, "b": GRADE_PASS}, cands)
    assert [p.code for p in problems] == ["not_eligible"]
    assert "受警告处分的当年，不得评为优秀" in problems[0].message and "丙（a，91 分）" in problems[0].message
    assert grades.check_grades({"w": GRADE_PASS, "a": GRADE_NONE, "b": "很好"}, cands)[1].code == "invalid_grade"


def test_quota_overrun_names_the_numbers() -> None:
    problem = grades.quota_problem(9, Quota(42, 20, "down", "all"), "机械工程系")
    assert problem is not None and problem.message == (
        "机械工程系拟定优秀 9 人，超过名额 8 人（应参加年度考核人数 42 人 × 20% = 8.4，向下取整为 8 人），请减少 1 人")
    assert grades.quota_problem(8, Quota(42, 20, "down", "all"), "机械工程系") is None


# -- 复核 and 申诉 -------------------------------------------------------------------------------

NOTIFIED = D(2019, 11, 1)


@pytest.mark.parametrize(("applied", "ok"), [(D(2019, 11, 1), True), (D(2019, 12, 1), True),
                                             (D(2019, 12, 2), False), (D(2019, 10, 31), False)])
def test_a_review_is_applied_for_within_30_days(applied: D, ok: bool) -> None:
    assert reviews.day_number(NOTIFIED, D(2019, 12, 2)) == 31
    problem = reviews.application_problem(GRADE_BASIC, NOTIFIED, applied, 30, "复核")
    assert (problem is None) == ok
    if applied == D(2019, 12, 2):
        assert problem is not None and "第 31 日" in problem


def test_only_basic_and_fail_may_be_challenged() -> None:
    assert "只有基本合格、不合格" in reviews.application_problem(GRADE_PASS, NOTIFIED, NOTIFIED, 30, "复核")
    assert reviews.application_problem(GRADE_FAIL, NOTIFIED, NOTIFIED, 30, "复核") is None


def test_a_decision_is_overdue_on_day_31() -> None:
    clock = reviews.Clock(D(2019, 11, 5), 30)
    assert clock.due == D(2019, 12, 5)
    assert not clock.overdue(D(2019, 12, 5)) and clock.days_left(D(2019, 12, 5)) == 0
    assert clock.overdue(D(2019, 12, 6))
    assert not reviews.Clock(D(2019, 11, 5), 30, done_on=D(2019, 12, 6)).overdue(D(2019, 12, 20))
    assert reviews.Clock(D(2019, 11, 5), 30, done_on=D(2019, 12, 6)).late()


@pytest.mark.parametrize(("before", "after", "ok"), [(GRADE_BASIC, GRADE_BASIC, True), (GRADE_BASIC, GRADE_PASS, True),
                                                     (GRADE_BASIC, GRADE_FAIL, False), (GRADE_FAIL, GRADE_BASIC, True),
                                                     (GRADE_FAIL, GRADE_NONE, False)])
def test_a_review_never_makes_a_grade_worse(before: str, after: str, ok: bool) -> None:
    assert (reviews.outcome_problem(before, after) is None) == ok
