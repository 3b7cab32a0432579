"""Kept scores against a full recomputation: after every step of a random sequence of score
events (added and withdrawn), monthly summaries (submitted and resubmitted), roster changes
and a change of the business rule, the kept ranking (college-wide, per department, for the
year and to a month) has exactly the figures and ranks that scoring the whole college from
the store's records gives."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import zoneinfo
from pathlib import Path

import pytest

from service.config import Settings
from service.content.models import Content, StaffMember
from service.rules import scoring
from service.rules.access import User
from service.rules.monthly import MonthlyRow, MonthlySummary
from service.rules.scoring import AVERAGE, LATEST, MINIMUM
from service.storage.store import COLLEGE
from service.workflows import monthly, scores
from service.workflows.context import Context

CN = zoneinfo.ZoneInfo("Asia/Shanghai")
HR = User("hr", "hr")
DEPARTMENTS = ("zsb", "cwc", "jxx", "dqx")
FIELDS = tuple(f.name for f in dataclasses.fields(MonthlyRow))


def small_roster(shipped: Content) -> tuple[StaffMember, ...]:
    return tuple(StaffMember(f"9{d}{i:02d}", f"员工{d}{i}", department, "admin-staff", "干事")
                 for d, department in enumerate(DEPARTMENTS) for i in range(6))


def with_roster(content: Content, roster: tuple[StaffMember, ...]) -> Content:
    return dataclasses.replace(content, roster=roster, _by_id={})


def recomputed(ctx: Context, through_month: int | None, department: str | None) -> list[dict[str, object]]:
    """The ranking worked out from scratch: every event and every current summary read from the store."""
    content = ctx.content
    events = [scores.as_event(e) for e in sorted(ctx.store.records(COLLEGE, scores.TABLE),
                                                 key=lambda e: (e.get("at") or "", e["id"]))]
    summaries = [MonthlySummary(d.id, doc["month"], tuple(MonthlyRow(**{k: v for k, v in r.items() if k in FIELDS})
                                                          for r in doc["rows"]))
                 for d in content.departments for doc in ctx.store.records(d.id, monthly.TABLE)]
    everyone = scoring.score_people(content, events, summaries, through_month=through_month)
    college = {r.score.staff_id: r.rank for r in scoring.rank(everyone)}
    in_department = {r.score.staff_id: r.rank for ranked in scoring.rank_by_department(everyone).values()
                     for r in ranked}
    names = {d.id: d.name for d in content.departments}
    return [scores.person_json(r.score, names, college[r.score.staff_id], in_department[r.score.staff_id])
            for r in scoring.rank(everyone) if department is None or r.score.department == department]


def kept(ctx: Context, through_month: int | None, department: str | None) -> list[dict[str, object]]:
    page = scores.ranking(ctx, HR, department, through_month).page()
    assert page["total"] == len(page["people"])
    return page["people"]


def event_body(rng: random.Random, content: Content) -> dict[str, object]:
    item = rng.choice(content.common_targets)
    points = rng.choice((None, None, round(rng.uniform(0.5, item.points), 1)))
    at = rng.choice((None, dt.date(2019, rng.randint(1, 12), rng.randint(1, 28)).isoformat(),
                     "2020-01-02T10:00:00+08:00"))
    return {"department": rng.choice(DEPARTMENTS), "item_id": item.id, "rule_index": rng.randrange(len(item.rules)),
            "points": points, "note": "随机扣分", "at": at}


def monthly_rows(rng: random.Random, members: tuple[StaffMember, ...]) -> list[dict[str, object]]:
    chosen = [m for m in members if rng.random() < 0.9] or list(members[:1])
    return [{"工号": m.staff_id, "出勤": rng.choice((20, 21, 22)), "其他项目": rng.choice((0, 0, 0, 0.5, 1)),
             "业务工作目标": rng.choice(("", round(rng.uniform(30, 60), 1), 60, 45.5))} for m in chosen]


def step(ctx: Context, rng: random.Random) -> tuple[Context, str]:
    """One random change through the use cases; the (possibly new) context and what was done."""
    content = ctx.content
    choice = rng.random()
    if choice < 0.3:
        scores.add_event(ctx, HR, event_body(rng, content))
        return ctx, "event"
    if choice < 0.4:
        recorded = scores.events(ctx)
        if recorded:
            scores.remove_event(ctx, HR, rng.choice(recorded)["id"])
        return ctx, "withdrawal"
    if choice < 0.75:
        department = rng.choice(DEPARTMENTS)
        members = content.members(department)
        if members:
            monthly.submit(ctx, HR, department, rng.randint(1, 12), monthly_rows(rng, members), partial=True)
        return ctx, "summary"
    if choice < 0.95:
        roster = list(content.roster)
        person = rng.randrange(len(roster))
        kind = rng.choice(("move", "leave", "join"))
        if kind == "move":
            roster[person] = dataclasses.replace(roster[person], department=rng.choice(DEPARTMENTS))
        elif kind == "leave" and len(roster) > 4:
            del roster[person]
        else:
            roster.append(StaffMember(f"8{rng.randrange(10**5):05d}", "新同事", rng.choice(DEPARTMENTS),
                                      "admin-staff", "干事"))
        return dataclasses.replace(ctx, content=with_roster(content, tuple(roster))), f"roster {kind}"
    rule = rng.choice((AVERAGE, LATEST, MINIMUM))
    changed = dataclasses.replace(content, settings=dataclasses.replace(content.settings, business_score_rule=rule))
    return dataclasses.replace(ctx, content=changed), f"rule {rule}"


@pytest.mark.parametrize("seed", range(4))
def test_kept_scores_equal_a_full_recomputation_after_every_change(
        seed: int, tmp_path: Path, settings: Settings, shipped_content: Content) -> None:
    rng = random.Random(seed)
    content = with_roster(shipped_content, small_roster(shipped_content))
    ctx = Context.open(settings, content, lambda: dt.datetime(2020, 1, 6, 9, tzinfo=CN))
    done: list[str] = []
    for _ in range(70):
        ctx, what = step(ctx, rng)
        done.append(what)
        for through_month in (None, rng.randint(1, 12)):
            for department in (None, rng.choice(DEPARTMENTS)):
                assert kept(ctx, through_month, department) == recomputed(ctx, through_month, department), (
                    f"after {done}, through month {through_month}, department {department}")
    assert {"event", "withdrawal", "summary", "roster move", "roster join"} <= set(done)
    everyone = scores.people(ctx)
    assert sorted(p.staff_id for p in everyone) == sorted(m.staff_id for d in DEPARTMENTS
                                                         for m in ctx.content.members(d))


def test_a_resubmitted_month_and_a_new_event_show_at_once(settings: Settings, shipped_content: Content) -> None:
    """The kept figures are read before each change, so each change must reach them."""
    content = with_roster(shipped_content, small_roster(shipped_content))
    ctx = Context.open(settings, content, lambda: dt.datetime(2020, 1, 6, 9, tzinfo=CN))
    members = content.members("zsb")
    first = members[0].staff_id
    monthly.submit(ctx, HR, "zsb", 3, [{"工号": m.staff_id, "业务工作目标": 50} for m in members])
    assert kept(ctx, None, "zsb")[0]["business"] == 50
    monthly.submit(ctx, HR, "zsb", 3, [{"工号": m.staff_id, "业务工作目标": 58 if m.staff_id == first else 50}
                                       for m in members])
    top = kept(ctx, None, None)[0]
    assert (top["staff_id"], top["business"], top["rank"]) == (first, 58, 1)
    scores.add_event(ctx, HR, {"department": "zsb", "item_id": "c1", "rule_index": 0, "at": "2019-03-02"})
    assert kept(ctx, None, "zsb")[0]["common"] == 38
    assert kept(ctx, 2, "zsb")[0]["common"] == 40  # the event is in March
