"""Scores: common deductions capped per item, business from the monthly summaries, ranking."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

import pytest

from service.content.models import Content, StaffMember
from service.rules.monthly import MonthlyRow, MonthlySummary, parse_monthly_rows
from service.rules.scoring import (
    AVERAGE,
    LATEST,
    MINIMUM,
    PersonScore,
    ScoreEvent,
    combine_business,
    event_month,
    event_points,
    event_problems,
    rank,
    rank_by_department,
    score_people,
)

CN = zoneinfo.ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


def cn(month: int, day: int, hour: int = 10, year: int = 2019) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=CN)


@pytest.fixture(scope="module")
def content(shipped_content: Content) -> Content:
    """The shipped settings and annex 2, with a three-person roster: A and B in 招生办, C in 财务处."""
    roster = (
        StaffMember("200001", "甲某", "zsb", "admin-staff", "招生干事"),
        StaffMember("200002", "乙某", "zsb", "admin-staff", "招生干事"),
        StaffMember("200003", "丙某", "cwc", "admin-staff", "会计"),
    )
    return dataclasses.replace(shipped_content, roster=roster, _by_id={})


# A hand-computed case. Annex 2 (40 points): c1 5, c2 5, c3 8, c4 5, c5 5, c6 8, c7 4.
EVENTS = (
    ScoreEvent("zsb", "c1", 0, note="有法轮功、黑恶势力等现象", at=cn(1, 15)),  # rule's own 2 points
    ScoreEvent("zsb", "c2", 0, note="管理不当造成财产损失", at=cn(2, 10)),  # rule's own 3 points
    ScoreEvent("zsb", "c4", 1, note="通报批评累计三人次", at=cn(2, 20)),  # 3 points
    ScoreEvent("zsb", "c4", 1, note="再次通报批评累计三人次", at=cn(3, 12)),  # 3 more: 6 > 5, capped
)


def summaries() -> list[MonthlySummary]:
    def zsb(month: int, a: float, b: float, a_other: float = 0) -> MonthlySummary:
        return MonthlySummary("zsb", month, (
            MonthlyRow("200001", attendance=22, late=1, other=a_other, business=a),
            MonthlyRow("200002", attendance=21, sick_leave=1, business=b),
        ))

    def cwc(month: int, c: float) -> MonthlySummary:
        return MonthlySummary("cwc", month, (MonthlyRow("200003", attendance=22, business=c),))

    return [zsb(1, 50, 60), zsb(2, 55, 45, a_other=1), zsb(3, 57, 48), cwc(1, 58), cwc(2, 58), cwc(3, 59)]


def by_id(scores: tuple[PersonScore, ...]) -> dict[str, PersonScore]:
    return {s.staff_id: s for s in scores}


def test_the_issue_case_by_hand(content: Content) -> None:
    scores = by_id(score_people(content, EVENTS, summaries()))
    a, b, c = scores["200001"], scores["200002"], scores["200003"]

    # Department events hit every member of 招生办 alike:
    #   c1: 5 − 2 = 3;  c2: 5 − 3 = 2;  c4: 5 − min(5, 3 + 3) = 0;  the other items untouched.
    #   common = 40 − (2 + 3 + 5) = 30
    for person in (a, b):
        assert [(i.item_id, i.deducted, i.score) for i in person.common_by_item] == [
            ("c1", 2, 3), ("c2", 3, 2), ("c3", 0, 8), ("c4", 5, 0), ("c5", 0, 5), ("c6", 0, 8), ("c7", 0, 4),
        ]
    # A also lost 1 point under 其他项目 in February: common = 30 − 1 = 29.
    # business (average): A (50 + 55 + 57) / 3 = 54;  B (60 + 45 + 48) / 3 = 51.
    # total: A 29 + 54 = 83;  B 30 + 51 = 81.
    assert (a.other, a.common, a.business, a.total) == (1, 29, 54, 83)
    assert (b.other, b.common, b.business, b.total) == (0, 30, 51, 81)
    # C in 财务处 has no events: common 40; business (58 + 58 + 59) / 3 = 58.333… → 58.33; total 98.33.
    assert (c.common, c.business, c.total) == (40, 58.33, 98.33)
    assert a.months_reported == b.months_reported == c.months_reported == 3


def test_the_issue_case_month_by_month(content: Content) -> None:
    a = by_id(score_people(content, EVENTS, summaries()))["200001"]
    # January: c1 −2 → common 38; business 50 → 88.
    # February: c2 −3, c4 −3, 其他项目 −1 → common 33; business 55 → 88.
    # March: c4 −3 (within the month the item still has 5) → common 37; business 57 → 94.
    assert [(m.month, m.common, m.business, m.total) for m in a.months] == [
        (1, 38, 50, 88), (2, 33, 55, 88), (3, 37, 57, 94),
    ]
    assert a.months[1].other == 1
    assert a.months[0].attendance is not None and a.months[0].attendance["迟到"] == 1
    assert a.months[0].attendance["出勤"] == 22


def test_year_to_date_through_a_month(content: Content) -> None:
    scores = by_id(score_people(content, EVENTS, summaries(), through_month=2))
    a, b = scores["200001"], scores["200002"]
    # By the end of February only one c4 event: 40 − (2 + 3 + 3) = 32; A minus 1 other → 31.
    # business: A (50 + 55) / 2 = 52.5 → 83.5;  B (60 + 45) / 2 = 52.5 → 84.5.
    assert (a.common, a.business, a.total) == (31, 52.5, 83.5)
    assert (b.common, b.business, b.total) == (32, 52.5, 84.5)
    assert [m.month for m in a.months] == [1, 2]


@pytest.mark.parametrize(("rule", "a", "b"), [
    (AVERAGE, (54, 83), (51, 81)),
    (LATEST, (57, 86), (48, 78)),  # March: A 57, B 48
    (MINIMUM, (50, 79), (45, 75)),  # worst month: A January 50, B February 45
])
def test_business_rules(content: Content, rule: str, a: tuple[float, float], b: tuple[float, float]) -> None:
    scores = by_id(score_people(content, EVENTS, summaries(), rule=rule))
    assert (scores["200001"].business, scores["200001"].total) == a
    assert (scores["200002"].business, scores["200002"].total) == b


def test_the_rule_comes_from_settings(content: Content) -> None:
    strict = dataclasses.replace(content, settings=dataclasses.replace(content.settings, business_score_rule=MINIMUM))
    assert by_id(score_people(strict, EVENTS, summaries()))["200001"].business == 50


def test_combine_business() -> None:
    assert combine_business([], AVERAGE) is None
    assert combine_business([60, 30], AVERAGE) == 45
    assert combine_business([60, 30], LATEST) == 30
    assert combine_business([30, 60], MINIMUM) == 30
    with pytest.raises(ValueError):
        combine_business([1], "median")


def test_an_unreported_month_does_not_punish(content: Content) -> None:
    # B is on leave in February (业务工作目标 left blank): the average is over January and March.
    rows = [
        MonthlySummary("zsb", 1, (MonthlyRow("200002", business=60),)),
        MonthlySummary("zsb", 2, (MonthlyRow("200002", sick_leave=20),)),
        MonthlySummary("zsb", 3, (MonthlyRow("200002", business=50),)),
    ]
    b = by_id(score_people(content, [], rows, department="zsb"))["200002"]
    assert (b.business, b.months_reported, b.total) == (55, 2, 95)
    assert b.months[1].business is None and b.months[1].total is None


def test_nobody_reported_yet_means_no_business_and_no_total(content: Content) -> None:
    scores = score_people(content, EVENTS, [])
    assert all(s.business is None and s.total is None and s.months_reported == 0 for s in scores)
    assert by_id(scores)["200001"].common == 30
    assert by_id(scores)["200003"].common == 40


def test_attendance_counts_are_reported_not_scored(content: Content) -> None:
    heavy = [MonthlySummary("cwc", 1, (MonthlyRow("200003", attendance=10, late=9, early_leave=3,
                                                  absence=2, off_post=4, personal_leave=5, business=60),))]
    c = by_id(score_people(content, [], heavy))["200003"]
    assert (c.common, c.total) == (40, 100)
    assert c.months[0].attendance == {"出勤": 10, "事假": 5, "病假": 0, "迟到": 9, "早退": 3, "旷工": 2, "离岗": 4}


def test_common_score_never_goes_below_zero(content: Content) -> None:
    everything = [ScoreEvent("cwc", t.id, 0, at=cn(5, 1)) for t in content.common_targets for _ in range(3)]
    extra = [MonthlySummary("cwc", 5, (MonthlyRow("200003", other=40, business=10),))]
    c = by_id(score_people(content, everything, extra))["200003"]
    assert all(i.score >= 0 for i in c.common_by_item)
    assert (c.common, c.total) == (0, 10)


def test_event_points_override_and_default(content: Content) -> None:
    c3 = next(t for t in content.common_targets if t.id == "c3")
    assert event_points(c3, ScoreEvent("zsb", "c3", 0)) == 8
    assert event_points(c3, ScoreEvent("zsb", "c3", 0, points=4)) == 4
    scores = by_id(score_people(content, [ScoreEvent("zsb", "c3", 0, points=4)], []))
    assert scores["200001"].item("c3").score == 4


def test_a_resubmitted_month_replaces_the_earlier_one(content: Content) -> None:
    first = MonthlySummary("cwc", 1, (MonthlyRow("200003", business=30),))
    again = MonthlySummary("cwc", 1, (MonthlyRow("200003", business=60),))
    assert by_id(score_people(content, [], [first, again]))["200003"].business == 60


def test_only_members_of_the_summarising_department_count(content: Content) -> None:
    stray = [MonthlySummary("cwc", 1, (MonthlyRow("200001", other=10, business=1),
                                       MonthlyRow("999999", business=1)))]
    a = by_id(score_people(content, [], stray))["200001"]
    assert (a.common, a.business) == (40, None)


def test_events_of_unknown_items_or_rules_are_skipped(content: Content) -> None:
    odd = [ScoreEvent("zsb", "c99", 0), ScoreEvent("zsb", "c1", 7), ScoreEvent("zsb", "c1", 7, points=1)]
    assert by_id(score_people(content, odd, []))["200001"].common == 39


def test_one_department_only(content: Content) -> None:
    assert [s.staff_id for s in score_people(content, EVENTS, summaries(), department="zsb")] == ["200001", "200002"]


def test_event_months_in_the_college_time_zone(content: Content) -> None:
    tz = content.settings.timezone
    assert event_month(ScoreEvent("zsb", "c1", 0), 2019, tz) is None
    # 2019-01-31 16:30 UTC is 2019-02-01 00:30 in China
    assert event_month(ScoreEvent("zsb", "c1", 0, at=dt.datetime(2019, 1, 31, 16, 30, tzinfo=UTC)), 2019, tz) == 2
    # the year-end enrolment check recorded in January 2020 counts for December 2019
    assert event_month(ScoreEvent("zsb", "c7", 0, at=cn(1, 8, year=2020)), 2019, tz) == 12
    assert event_month(ScoreEvent("zsb", "c7", 0, at=cn(12, 30, year=2018)), 2019, tz) == 1


def test_an_undated_event_counts_for_the_year_but_no_month(content: Content) -> None:
    a = by_id(score_people(content, [ScoreEvent("zsb", "c7", 0)], summaries(), through_month=1))["200001"]
    assert a.common == 36
    assert [m.common for m in a.months] == [40]


def test_event_problems(content: Content) -> None:
    assert event_problems(content, EVENTS[0]) == []
    assert event_problems(content, ScoreEvent("zsb", "c3", 0, points=8)) == []
    assert event_problems(content, ScoreEvent("nope", "c1", 0)) == ["没有代码为“nope”的部门或系"]
    assert event_problems(content, ScoreEvent("zsb", "c9", 0)) == ["共性目标中没有条目“c9”"]
    assert event_problems(content, ScoreEvent("zsb", "c3", 1)) == ["条目“c3”只有 1 条评分标准，没有第 2 条"]
    assert event_problems(content, ScoreEvent("zsb", "c3", -1)) == ["条目“c3”只有 1 条评分标准，没有第 0 条"]
    for bad in (0, -1, 9, float("nan"), float("inf")):
        (message,) = event_problems(content, ScoreEvent("zsb", "c3", 0, points=bad))
        assert message.startswith("扣分应为大于 0、不超过该项分值 8 的数字")
    assert event_problems(content, ScoreEvent("zsb", "c3", 0, at=dt.datetime(2019, 5, 1))) == ["记录时间须带时区"]


# -- ranking ---------------------------------------------------------------------------------


def test_rank_college_wide_and_per_department(content: Content) -> None:
    scores = score_people(content, EVENTS, summaries())
    ranked = rank(scores)
    assert [(r.rank, r.score.staff_id, r.score.total) for r in ranked] == [
        (1, "200003", 98.33), (2, "200001", 83), (3, "200002", 81),
    ]
    per = rank_by_department(scores)
    assert [(r.rank, r.score.staff_id) for r in per["zsb"]] == [(1, "200001"), (2, "200002")]
    assert [(r.rank, r.score.staff_id) for r in per["cwc"]] == [(1, "200003")]


def test_ties_share_a_rank_ordered_by_staff_id_and_unscored_come_last(content: Content) -> None:
    roster = tuple(StaffMember(f"30000{i}", f"员工{i}", "cwc", "admin-staff", "会计") for i in range(1, 6))
    small = dataclasses.replace(content, roster=roster, _by_id={})
    results = {"300004": 50, "300002": 50, "300001": 55, "300005": 40}  # 300003 not reported
    rows = tuple(MonthlyRow(staff_id, business=value) for staff_id, value in results.items())
    ranked = rank(score_people(small, [], [MonthlySummary("cwc", 1, rows)]))
    assert [(r.rank, r.score.staff_id) for r in ranked] == [
        (1, "300001"), (2, "300002"), (2, "300004"), (4, "300005"), (None, "300003"),
    ]


# -- monthly summary rows ----------------------------------------------------------------------


def test_parse_monthly_rows_with_annex_headers(content: Content) -> None:
    members = content.members("zsb")
    raw = [
        {"工号": "200001", "姓名": "甲某", "出勤": 22, "事假": "", "病假": None, "迟到": "1", "早退": 0,
         "旷工": 0, "离岗": 0, "其他项目": "0.5", "业务工作目标": "５５"},
        {"staff_id": "200002", "attendance": 20, "sick_leave": 2, "business": ""},
    ]
    rows, problems = parse_monthly_rows(raw, members)
    assert problems == []
    assert rows == (
        MonthlyRow("200001", attendance=22, late=1, other=0.5, business=55),
        MonthlyRow("200002", attendance=20, sick_leave=2, business=None),
    )


def test_parse_monthly_rows_reports_every_problem(content: Content) -> None:
    members = content.members("zsb")
    raw = [
        {"工号": "200003", "业务工作目标": 50},  # 财务处, not 招生办
        {"工号": "", "业务工作目标": 50},
        {"工号": "200001", "出勤": 32, "迟到": -1, "其他项目": 41, "业务工作目标": 61},
        {"工号": "200001", "业务工作目标": 50},
        {"工号": "200002", "旷工": "nan", "业务工作目标": True},
    ]
    _, problems = parse_monthly_rows(raw, members)
    assert problems == [
        "第 1 行：工号“200003”不是本部门教职工",
        "第 2 行：请填写工号",
        "第 3 行：出勤应为 0–31 之间的数字，当前为“32”",
        "第 3 行：迟到应为 0–100 之间的数字，当前为“-1”",
        "第 3 行：其他项目（扣分）应为 0–40 之间的数字，当前为“41”",
        "第 3 行：业务工作目标应为 0–60 之间的数字，当前为“61”",
        "第 4 行：工号“200001”重复",
        "第 5 行：旷工应为 0–31 之间的数字，当前为“nan”",
        "第 5 行：业务工作目标应为 0–60 之间的数字，当前为“True”",
    ]
