"""The HR board's chart of signatures over time against the deadline: SVG geometry (pure).

`signature_chart` turns the cumulative series of service.board.signatures_by_day into
coordinates the board template draws as an inline SVG (no script, so the strict CSP holds).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from service.rules.board import SignatureDay

WIDTH = 640
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 48, 20, 20, 40
DAYS_BEFORE = 14  # the chart opens two weeks before the deadline
DAYS_AFTER = 2
MAX_DAYS = 90


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class SignatureChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    line: str  # SVG polyline points of the cumulative count
    area: str  # the same line closed down to the axis (a polygon)
    target_y: float
    target: int
    deadline_x: float | None  # None when the deadline is outside the range shown
    deadline_label: str
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    last: SignatureDay | None
    last_x: float
    last_y: float
    summary: str  # the chart in one sentence, for screen readers and as a caption


def chart_range(first_days: list[dt.date], deadline: dt.date, today: dt.date) -> tuple[dt.date, dt.date]:
    """From two weeks before the deadline (or the first upload) to a little after it (or today)."""
    start = min([deadline - dt.timedelta(days=DAYS_BEFORE), *first_days])
    end = max(deadline + dt.timedelta(days=DAYS_AFTER), today)
    if (end - start).days > MAX_DAYS:
        start = end - dt.timedelta(days=MAX_DAYS)
    return start, end


def signature_chart(series: tuple[SignatureDay, ...], start: dt.date, end: dt.date, due: int,
                    deadline: dt.date) -> SignatureChart:
    """`series` runs from `start` up to today (not beyond `end`); `due` is how many must sign."""
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    span = max((end - start).days, 1)
    peak = max([due, 1, *(p.signed for p in series)])

    def x(day: dt.date) -> float:
        return round(LEFT + plot_w * (day - start).days / span, 1)

    def y(count: float) -> float:
        return round(TOP + plot_h * (1 - count / peak), 1)

    line = " ".join(f"{x(p.day)},{y(p.signed)}" for p in series)
    area = f"{x(series[0].day)},{y(0)} {line} {x(series[-1].day)},{y(0)}" if series else ""
    step = max(1, math.ceil(span / 8))
    x_ticks = tuple(Tick(x(start + dt.timedelta(days=d)), _short(start + dt.timedelta(days=d)))
                    for d in range(0, span + 1, step))
    y_ticks = tuple(Tick(y(v), str(v)) for v in sorted({0, round(peak / 2), peak}))
    last = series[-1] if series else None
    deadline_label = f"截止 {deadline.month}月{deadline.day}日"
    if last is None:
        summary = f"尚无签订记录。须签 {due} 人（不含请假免签），{deadline_label}。"
    else:
        summary = (f"截至{last.day.month}月{last.day.day}日累计签订 {last.signed} 人，须签 {due} 人"
                   f"（不含请假免签），{deadline_label}。")
    return SignatureChart(
        WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM, line, area, y(due), due,
        x(deadline) if start <= deadline <= end else None, deadline_label, x_ticks, y_ticks, last,
        x(last.day) if last else LEFT, y(last.signed) if last else y(0), summary)


def _short(day: dt.date) -> str:
    return f"{day.month}/{day.day}"
