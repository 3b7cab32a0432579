"""The board's signatures-over-time series and its SVG geometry (pure functions)."""

from __future__ import annotations

import datetime as dt

from service.rules.board import SignatureDay, signatures_by_day
from service.rules.chart import HEIGHT, LEFT, TOP, chart_range, signature_chart

DEADLINE = dt.date(2019, 4, 26)


def _upload(staff_id: str, day: int, hour: int = 10) -> dict[str, str]:
    return {"staff_id": staff_id, "uploaded_at": dt.datetime(2019, 4, day, hour, tzinfo=dt.timezone(
        dt.timedelta(hours=8))).isoformat()}


def test_a_person_counts_once_from_their_first_version() -> None:
    records = [_upload("a", 15), _upload("a", 17), _upload("b", 17), _upload("c", 10), _upload("b", 16, 23)]
    series = signatures_by_day(records, dt.date(2019, 4, 14), dt.date(2019, 4, 18))
    assert series == (
        SignatureDay(dt.date(2019, 4, 14), 1),  # c uploaded before the chart opens
        SignatureDay(dt.date(2019, 4, 15), 2),
        SignatureDay(dt.date(2019, 4, 16), 3),  # b's first version, late in the evening
        SignatureDay(dt.date(2019, 4, 17), 3),
        SignatureDay(dt.date(2019, 4, 18), 3),
    )


def test_the_range_opens_two_weeks_before_the_deadline_and_reaches_today() -> None:
    assert chart_range([], DEADLINE, dt.date(2019, 4, 20)) == (dt.date(2019, 4, 12), dt.date(2019, 4, 28))
    assert chart_range([dt.date(2019, 4, 1)], DEADLINE, dt.date(2019, 5, 3)) == (
        dt.date(2019, 4, 1), dt.date(2019, 5, 3))
    start, end = chart_range([dt.date(2018, 1, 1)], DEADLINE, dt.date(2019, 4, 20))
    assert (end - start).days == 90  # a stray old upload does not squash the chart


def test_the_geometry_puts_the_deadline_and_the_last_count_where_they_belong() -> None:
    start, end = dt.date(2019, 4, 12), dt.date(2019, 4, 28)
    series = signatures_by_day([_upload("a", 15), _upload("b", 20)], start, dt.date(2019, 4, 20))
    chart = signature_chart(series, start, end, 4, DEADLINE)
    assert chart.deadline_x == round(LEFT + (chart.right - chart.left) * 14 / 16, 1)  # 04-26 of 04-12…04-28
    assert chart.x_ticks[0].at == LEFT and chart.x_ticks[0].label == "4/12"
    assert chart.target_y == TOP  # 4 must sign: the top of the scale
    assert chart.last == SignatureDay(dt.date(2019, 4, 20), 2)
    assert chart.last_y == (TOP + chart.bottom) / 2  # 2 of 4 halfway up
    assert len(chart.line.split()) == 9  # one point a day, 04-12 … 04-20
    assert chart.bottom < HEIGHT
    assert "截至4月20日累计签订 2 人，须签 4 人" in chart.summary and "截止 4月26日" in chart.summary


def test_an_empty_chart_says_so_and_a_deadline_outside_is_not_drawn() -> None:
    chart = signature_chart((), dt.date(2019, 4, 12), dt.date(2019, 4, 28), 10, DEADLINE)
    assert chart.line == "" and chart.area == "" and chart.last is None
    assert chart.summary.startswith("尚无签订记录")
    later = signature_chart((), dt.date(2019, 6, 1), dt.date(2019, 6, 30), 10, DEADLINE)
    assert later.deadline_x is None
