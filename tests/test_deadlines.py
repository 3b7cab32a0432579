"""The injectable clock and the deadline rules (college time zone, inclusive due dates)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from service.content.codes import DELIVERY_LABELS, LATE, MISSING, NOBODY, ON_TIME, PARTIAL, PENDING
from service.content.models import Content
from service.rules.clock import Clock, FixedClock, PinnedDateClock, SystemClock, as_local, clock_from
from service.rules.schedule import (
    LEAD_DUTIES,
    OWN_DUTIES,
    delivery_state,
    duties_due,
    duty_obligations,
    is_lead_department,
    monthly_due,
    monthly_grid,
    months_so_far,
    obligation_delivered_at,
    roles_in_department,
    roles_led_by,
)

TZ = "Asia/Shanghai"
CN = zoneinfo.ZoneInfo(TZ)
UTC = dt.UTC


def cn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """Wall time in the college's zone."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=CN)


# -- clock ----------------------------------------------------------------------------------


def test_system_clock_is_aware_and_in_the_college_zone() -> None:
    clock = SystemClock(TZ)
    now = clock.now()
    assert now.tzinfo is not None and now.utcoffset() == dt.timedelta(hours=8)
    assert clock.today() in (now.date(), clock.now().date())  # unless midnight passed between
    assert isinstance(clock, Clock)


def test_fixed_clock_naive_moment_is_college_wall_time() -> None:
    clock = FixedClock(dt.datetime(2019, 4, 18, 23, 30), TZ)
    assert clock.now() == cn(2019, 4, 18, 23, 30)
    assert clock.today() == dt.date(2019, 4, 18)


def test_fixed_clock_converts_aware_moment_to_the_college_zone() -> None:
    clock = FixedClock(dt.datetime(2019, 4, 18, 16, 30, tzinfo=UTC), TZ)
    assert clock.today() == dt.date(2019, 4, 19)  # 00:30 in China
    assert clock.now().utcoffset() == dt.timedelta(hours=8)


def test_fixed_clock_refuses_naive_without_zone() -> None:
    with pytest.raises(ValueError):
        FixedClock(dt.datetime(2019, 4, 18))


def test_fixed_clock_can_be_moved() -> None:
    clock = FixedClock(cn(2019, 4, 18, 12, 0), TZ)
    clock.advance(dt.timedelta(hours=13))
    assert clock.today() == dt.date(2019, 4, 19)
    clock.set(dt.datetime(2019, 5, 6, 9, 0))
    assert clock.now() == cn(2019, 5, 6, 9, 0)


def test_pinned_date_clock_keeps_the_day_and_runs_the_time() -> None:
    clock = PinnedDateClock(dt.date(2019, 4, 19), TZ)
    first, second = clock.now(), clock.now()
    assert first.date() == second.date() == clock.today() == dt.date(2019, 4, 19)
    assert first.utcoffset() == dt.timedelta(hours=8)
    assert second >= first


def test_clock_from_system_when_not_pinned() -> None:
    assert isinstance(clock_from(TZ, None), SystemClock)
    assert isinstance(clock_from(TZ, "  "), SystemClock)


def test_clock_from_pinned_date() -> None:
    clock = clock_from(TZ, "2019-04-19")
    assert isinstance(clock, PinnedDateClock)
    assert clock.today() == dt.date(2019, 4, 19)


@pytest.mark.parametrize(("pinned", "expected"), [
    ("2019-04-18T23:30", cn(2019, 4, 18, 23, 30)),
    ("2019-04-18T15:30:00+00:00", cn(2019, 4, 18, 23, 30)),
    ("2019-04-18 23:30:00+08:00", cn(2019, 4, 18, 23, 30)),
])
def test_clock_from_pinned_datetime(pinned: str, expected: dt.datetime) -> None:
    clock = clock_from(TZ, pinned)
    assert isinstance(clock, FixedClock)
    assert clock.now() == expected
    assert clock.now().utcoffset() == dt.timedelta(hours=8)


@pytest.mark.parametrize("pinned", ["2019-13-01", "tomorrow", "2019/04/19", "2019-02-30"])
def test_clock_from_refuses_garbage_in_chinese(pinned: str) -> None:
    with pytest.raises(ValueError, match="PORTAL_TODAY"):
        clock_from(TZ, pinned)


def test_as_local_refuses_naive() -> None:
    with pytest.raises(ValueError):
        as_local(dt.datetime(2019, 4, 18), TZ)


# -- delivery state ---------------------------------------------------------------------------

DUE = dt.date(2019, 4, 18)


def test_delivered_on_the_due_date_is_on_time() -> None:
    assert delivery_state(cn(2019, 4, 18, 9, 0), DUE, cn(2019, 5, 1, 0, 0), TZ) == ON_TIME


def test_delivered_before_the_due_date_is_on_time() -> None:
    assert delivery_state(cn(2019, 4, 1, 9, 0), DUE, cn(2019, 4, 2, 0, 0), TZ) == ON_TIME


def test_delivered_the_day_after_is_late() -> None:
    assert delivery_state(cn(2019, 4, 19, 8, 0), DUE, cn(2019, 4, 19, 8, 0), TZ) == LATE


def test_time_zone_edge_late_evening_china_time_is_on_time() -> None:
    # 23:30 in Harbin on the due date is 15:30 UTC the same day: on time.
    delivered = dt.datetime(2019, 4, 18, 15, 30, tzinfo=UTC)
    assert as_local(delivered, TZ) == cn(2019, 4, 18, 23, 30)
    assert delivery_state(delivered, DUE, delivered, TZ) == ON_TIME


def test_time_zone_edge_just_after_midnight_china_time_is_late() -> None:
    # 00:30 in Harbin on 04-19 is still 04-18 (16:30) in UTC: late all the same.
    delivered = dt.datetime(2019, 4, 18, 16, 30, tzinfo=UTC)
    assert delivered.date() == DUE
    assert delivery_state(delivered, DUE, delivered, TZ) == LATE


def test_not_delivered_is_pending_until_the_due_day_ends_then_missing() -> None:
    assert delivery_state(None, DUE, cn(2019, 4, 17, 12, 0), TZ) == PENDING
    assert delivery_state(None, DUE, cn(2019, 4, 18, 23, 59), TZ) == PENDING
    assert delivery_state(None, DUE, cn(2019, 4, 19, 0, 0), TZ) == MISSING
    # A UTC "now" that is already 04-19 in China
    assert delivery_state(None, DUE, dt.datetime(2019, 4, 18, 16, 5, tzinfo=UTC), TZ) == MISSING


def test_delivery_state_accepts_a_tzinfo_and_refuses_naive() -> None:
    assert delivery_state(cn(2019, 4, 18, 9, 0), DUE, cn(2019, 4, 18, 9, 0), CN) == ON_TIME
    with pytest.raises(ValueError):
        delivery_state(dt.datetime(2019, 4, 18, 9, 0), DUE, cn(2019, 4, 18, 9, 0), TZ)


def test_every_state_has_a_chinese_label() -> None:
    assert set(DELIVERY_LABELS) == {ON_TIME, LATE, MISSING, PENDING, PARTIAL, NOBODY}


# -- job duties -------------------------------------------------------------------------------


def test_lead_departments_and_the_roles_they_lead(shipped_content: Content) -> None:
    assert is_lead_department(shipped_content, "jwc")
    assert not is_lead_department(shipped_content, "cwc")
    assert {r.name for r in roles_led_by(shipped_content, "jwc")} == {
        "理论课教师", "专业课教师", "教务干事", "教研室主任", "教管办主任"}
    assert [r.id for r in roles_led_by(shipped_content, "xljy")] == ["degree-clerk"]
    assert roles_led_by(shipped_content, "cwc") == ()


def test_roles_in_department_exclude_roles_another_department_leads(shipped_content: Content) -> None:
    for department in shipped_content.departments:
        roles = roles_in_department(shipped_content, department.id)
        held = {m.role for m in shipped_content.members(department.id)}
        for role in roles:
            assert role.id in held
            assert role.lead in ("self", department.id)
        missing = held - {r.id for r in roles}
        assert all(shipped_content.role(r).lead not in ("self", department.id) for r in missing)  # type: ignore[union-attr]


def test_a_faculty_delivers_only_its_self_drafted_posts(shipped_content: Content) -> None:
    held = {m.role for m in shipped_content.members("jxx")}
    assert "theory-teacher" in held or "major-teacher" in held  # led by 教务处
    ids = {r.id for r in roles_in_department(shipped_content, "jxx")}
    assert "theory-teacher" not in ids and "major-teacher" not in ids
    assert all(shipped_content.role(r).lead == "self" for r in ids)  # type: ignore[union-attr]


def test_duties_due_dates_come_from_settings(shipped_content: Content) -> None:
    assert duties_due(shipped_content, "jwc", lead=True) == dt.date(2019, 4, 18)
    assert duties_due(shipped_content, "jwc", lead=False) == dt.date(2019, 4, 23)
    assert duties_due(shipped_content, "cwc", lead=False) == dt.date(2019, 4, 23)
    with pytest.raises(ValueError):
        duties_due(shipped_content, "cwc", lead=True)


def test_duty_obligations_cover_each_role_once(shipped_content: Content) -> None:
    jwc = duty_obligations(shipped_content, "jwc")
    assert [o.kind for o in jwc] == [LEAD_DUTIES, OWN_DUTIES]
    lead, own = jwc
    assert lead.due == dt.date(2019, 4, 18) and own.due == dt.date(2019, 4, 23)
    assert "academic-clerk" in lead.role_ids  # jwc's own 教务干事 go with the lead batch
    assert not set(lead.role_ids) & set(own.role_ids)
    cwc = duty_obligations(shipped_content, "cwc")
    assert [o.kind for o in cwc] == [OWN_DUTIES]
    assert cwc[0].due == dt.date(2019, 4, 23)


def test_duties_delivered_on_04_19_by_a_lead_department_are_late(shipped_content: Content) -> None:
    lead = duty_obligations(shipped_content, "jwc")[0]
    delivered = {role_id: cn(2019, 4, 19, 10, 0) for role_id in lead.role_ids}
    at = obligation_delivered_at(lead, delivered)
    assert delivery_state(at, lead.due, cn(2019, 4, 20, 9, 0), TZ) == LATE
    # the same delivery meets the 04-23 date of a department's own posts
    own = duty_obligations(shipped_content, "jwc")[1]
    assert delivery_state(at, own.due, cn(2019, 4, 20, 9, 0), TZ) == ON_TIME


def test_an_obligation_is_delivered_when_its_last_role_is(shipped_content: Content) -> None:
    lead = duty_obligations(shipped_content, "jwc")[0]
    partial = {role_id: cn(2019, 4, 10, 9, 0) for role_id in lead.role_ids[1:]}
    assert obligation_delivered_at(lead, partial) is None
    assert delivery_state(None, lead.due, cn(2019, 4, 19, 9, 0), TZ) == MISSING
    complete = {**partial, lead.role_ids[0]: cn(2019, 4, 18, 22, 0)}
    assert obligation_delivered_at(lead, complete) == cn(2019, 4, 18, 22, 0)


# -- monthly summary --------------------------------------------------------------------------


def test_monthly_due_is_the_due_day_of_the_next_month() -> None:
    assert monthly_due(2019, 1, 5) == dt.date(2019, 2, 5)
    assert monthly_due(2019, 11, 5) == dt.date(2019, 12, 5)
    assert monthly_due(2019, 12, 5) == dt.date(2020, 1, 5)
    with pytest.raises(ValueError):
        monthly_due(2019, 13, 5)


@pytest.mark.parametrize(("day", "state"), [(4, ON_TIME), (5, ON_TIME), (6, LATE)])
def test_monthly_summary_before_the_5th(day: int, state: str) -> None:
    # "每月5日前" read as "by the 5th, inclusive": the 4th and the 5th are on time, the 6th late.
    due = monthly_due(2019, 4, 5)
    assert delivery_state(cn(2019, 5, day, 10, 0), due, cn(2019, 5, 20, 0, 0), TZ) == state


@pytest.mark.parametrize(("today", "months"), [
    (dt.date(2019, 1, 20), ()),
    (dt.date(2019, 2, 4), ()),
    (dt.date(2019, 2, 5), (1,)),
    (dt.date(2019, 6, 30), (1, 2, 3, 4, 5)),
    (dt.date(2019, 12, 31), tuple(range(1, 12))),
    (dt.date(2020, 1, 5), tuple(range(1, 13))),
    (dt.date(2021, 3, 1), tuple(range(1, 13))),
    (dt.date(2018, 12, 31), ()),
])
def test_months_so_far(today: dt.date, months: tuple[int, ...]) -> None:
    assert months_so_far(2019, today, 5) == months


def test_monthly_grid_states() -> None:
    now = cn(2019, 5, 5, 12, 0)  # April's summary is due today
    submissions = {
        ("jwc", 1): cn(2019, 2, 3, 9, 0),
        ("jwc", 2): cn(2019, 3, 6, 9, 0),
        ("jwc", 3): dt.datetime(2019, 4, 5, 15, 30, tzinfo=UTC),  # 23:30 on the 5th in China
        ("cwc", 1): dt.datetime(2019, 2, 5, 16, 30, tzinfo=UTC),  # 00:30 on the 6th in China
    }
    grid = monthly_grid(["jwc", "cwc"], submissions, 2019, now, TZ, due_day=5)
    assert grid.months == (1, 2, 3, 4)
    jwc, cwc = grid.rows
    assert [c.state for c in jwc.cells] == [ON_TIME, LATE, ON_TIME, PENDING]
    assert [c.state for c in cwc.cells] == [LATE, MISSING, MISSING, PENDING]
    assert jwc.cells[0].due == dt.date(2019, 2, 5)
    assert jwc.cells[2].submitted_at == submissions["jwc", 3]
    assert grid.count(MISSING) == 2 and grid.count(PENDING) == 2 and cwc.count(LATE) == 1


def test_monthly_grid_shows_an_early_submission_before_its_due_date() -> None:
    now = cn(2019, 5, 2, 12, 0)
    grid = monthly_grid(["jwc", "cwc"], {("jwc", 4): cn(2019, 5, 1, 9, 0)}, 2019, now, TZ)
    assert grid.months == (1, 2, 3, 4)
    assert grid.rows[0].cells[-1].state == ON_TIME
    assert grid.rows[1].cells[-1].state == PENDING


def test_monthly_grid_with_explicit_months_and_no_departments() -> None:
    now = cn(2020, 2, 1, 0, 0)
    grid = monthly_grid(["jwc"], {}, 2019, now, TZ, months=[12])
    assert grid.months == (12,)
    assert grid.rows[0].cells[0].due == dt.date(2020, 1, 5)
    assert grid.rows[0].cells[0].state == MISSING
    assert monthly_grid([], {}, 2019, now, TZ).rows == ()
