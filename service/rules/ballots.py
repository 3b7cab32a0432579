"""民主测评 as arithmetic: a round's window, a ballot checked against its candidates and choices,
the counts a ballot adds to, the tally per candidate with its 优秀率, and the flag raised when a
proposed 优秀 was rated far below the unit. Pure functions; the store and the clock are the caller's.

A ballot is never kept: it only adds one to a count per candidate, so what is stored of a round
is a multiset of choices, which carries neither the voter nor the order of voting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from service.errors import ApiError, bad_request, quoted, unprocessable

BEFORE = "before"
OPEN = "open"
CLOSED = "closed"
STATE_LABELS = {BEFORE: "尚未开始", OPEN: "进行中", CLOSED: "已结束"}

Counts = dict[str, dict[str, int]]  # candidate → choice → ballots


def state(opens: dt.datetime, closes: dt.datetime, closed_early: bool, now: dt.datetime) -> str:
    """Where a round's window stands at `now` (closed once HR closed it, or at `closes`)."""
    if closed_early or now >= closes:
        return CLOSED
    return OPEN if now >= opens else BEFORE


def refusal(current: str) -> ApiError:
    """409 for a ballot outside the window."""
    if current == BEFORE:
        return ApiError(409, "round_not_open", "本轮民主测评尚未开始投票")
    return ApiError(409, "round_closed", "本轮民主测评已经结束，不能再投票")


def empty(candidates: Sequence[str], choices: Sequence[str]) -> Counts:
    return {c: dict.fromkeys(choices, 0) for c in candidates}


def checked_ballot(marks: Any, candidates: Sequence[str], choices: Sequence[str]) -> dict[str, str]:
    """A ballot {candidate: choice}, one choice for every candidate: 400 when it is not a mapping,
    422 for a candidate or a choice the round does not have, or a candidate left out."""
    if not isinstance(marks, Mapping) or not marks:
        raise bad_request("invalid_ballot", "选票应为 {被测评人工号: 测评等次} 的对应表")
    for candidate, choice in marks.items():
        if candidate not in candidates:
            raise unprocessable("unknown_candidate", f"本轮测评没有被测评人“{quoted(candidate)}”")
        if not isinstance(choice, str) or choice not in choices:
            raise unprocessable("unknown_choice", f"测评等次应为{'、'.join(choices)}之一，当前为“{quoted(choice)}”")
    missing = [c for c in candidates if c not in marks]
    if missing:
        raise unprocessable("incomplete_ballot", f"还有 {len(missing)} 位被测评人没有选择测评等次")
    return {c: marks[c] for c in candidates}


def added(counts: Mapping[str, Mapping[str, int]], ballot: Mapping[str, str]) -> Counts:
    """The counts with one more ballot."""
    return {c: {choice: n + (1 if ballot.get(c) == choice else 0) for choice, n in row.items()}
            for c, row in counts.items()}


def checked_counts(given: Any, ballots: int, candidates: Sequence[str], choices: Sequence[str]) -> Counts:
    """A tally entered by hand from paper ballots: whole counts per candidate and choice, none
    more than the ballots returned; 422 otherwise."""
    if not isinstance(given, Mapping):
        raise bad_request("invalid_counts", "计票结果应为 {被测评人工号: {测评等次: 票数}}")
    counts = empty(candidates, choices)
    for candidate, row in given.items():
        if candidate not in counts:
            raise unprocessable("unknown_candidate", f"本轮测评没有被测评人“{quoted(candidate)}”")
        if not isinstance(row, Mapping):
            raise bad_request("invalid_counts", "每位被测评人的票数应为 {测评等次: 票数}")
        for choice, n in row.items():
            if choice not in choices:
                raise unprocessable("unknown_choice", f"测评等次应为{'、'.join(choices)}之一，当前为“{quoted(choice)}”")
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise unprocessable("invalid_count", f"票数应为不小于 0 的整数，当前为“{quoted(n)}”")
            counts[candidate][choice] = n
        if sum(counts[candidate].values()) > ballots:
            raise unprocessable("count_over_ballots", f"被测评人“{quoted(candidate)}”的票数合计超过收回的选票数 {ballots}")
    return counts


@dataclass(frozen=True)
class Line:
    """One candidate's row of a tally."""

    candidate: str
    counts: dict[str, int]
    ballots: int  # ballots that rated this candidate
    excellent_rate: float | None  # percent of them that chose the first choice (优秀); None without ballots

    def json(self) -> dict[str, Any]:
        return {"staff_id": self.candidate, "counts": self.counts, "ballots": self.ballots,
                "excellent_rate": self.excellent_rate}


def tally(counts: Mapping[str, Mapping[str, int]], candidates: Sequence[str], choices: Sequence[str]) -> list[Line]:
    """Per candidate (the round's order): the counts per choice and the 优秀率 (the first choice)."""
    lines = []
    for candidate in candidates:
        row = {choice: int(counts.get(candidate, {}).get(choice, 0)) for choice in choices}
        total = sum(row.values())
        rate = round(100 * row[choices[0]] / total, 1) if total and choices else None
        lines.append(Line(candidate, row, total, rate))
    return lines


def unit_rate(lines: Sequence[Line], choices: Sequence[str]) -> float | None:
    """The unit's 优秀率: the first choice's share of every rating given in the round."""
    total = sum(line.ballots for line in lines)
    if not total or not choices:
        return None
    return round(100 * sum(line.counts[choices[0]] for line in lines) / total, 1)


def far_below(rate: float | None, unit: float | None, gap: float) -> bool:
    """Is a candidate's 优秀率 at least `gap` percentage points below the unit's?"""
    return rate is not None and unit is not None and unit - rate >= gap
