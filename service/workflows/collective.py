"""集体审定: what the leadership decides a department's grades from, per person side by side: the
year's score, the 民主测评 tally of the latest closed round that rated them, the proposed grade, the
supervising leader's comment and suggestion, and the unit head's view. A proposed 优秀 whose 优秀率
lies `assessment.ballot_gap_points` or more below the round's own is flagged, never refused."""

from __future__ import annotations

from typing import Any

from service.content.codes import GRADE_EXCELLENT, VIEW_LABELS
from service.rules import access
from service.rules import ballots as ballot_rules
from service.rules.access import User
from service.storage.store import COLLEGE
from service.workflows import appraisal_views, ballots, grades
from service.workflows.common import department_or_404
from service.workflows.context import Context


def _latest_tallies(ctx: Context, department: str) -> dict[str, dict[str, Any]]:
    """staff_id → their line of the latest closed round of the department (or of the college) that
    rated them, with the round's title and 优秀率."""
    rounds = [r for r in ctx.store.records(COLLEGE, ballots.ROUNDS)
              if r["unit"] in (department, ballots.UNIT_COLLEGE) and ballots.state_of(ctx, r) == ballot_rules.CLOSED]
    found: dict[str, dict[str, Any]] = {}
    for record in sorted(rounds, key=lambda r: (r.get("closed_at") or r["closes"], r["closes"])):
        stored = ctx.store.get(COLLEGE, ballots.COUNTS, round_id=record["id"]) or {}
        lines = ballot_rules.tally(stored.get("counts", {}), record["candidates"], record["choices"])
        unit_rate = ballot_rules.unit_rate(lines, record["choices"])
        for line in lines:
            found[line.candidate] = {**line.json(), "round_id": record["id"], "title": record["title"],
                                     "unit_rate": unit_rate, "choices": record["choices"]}
    return found


def department(ctx: Context, user: User, department_id: str) -> dict[str, Any]:
    """The department's people for the collective decision; HR and the leaders overseeing it."""
    department_or_404(ctx, department_id)
    access.ensure(user, access.READ_TALLY, department_id, "只有人事处和主管该部门的院领导可以查看集体审定材料")
    graded = grades.department_view(ctx, user, department_id)
    tallies = _latest_tallies(ctx, department_id)
    views = appraisal_views.views_for(ctx, department_id)
    gap = ctx.content.settings.assessment.ballot_gap_points
    people = []
    for person in graded["people"]:
        sid = person["staff_id"]
        proposed = person.get("grade") or person.get("suggested")
        tally = tallies.get(sid)
        flagged = (proposed == GRADE_EXCELLENT and tally is not None
                   and ballot_rules.far_below(tally["excellent_rate"], tally["unit_rate"], gap))
        people.append({"staff_id": sid, "name": person["name"], "post": person["post"], "score": person["score"],
                       "proposed": proposed, "proposal_stored": bool(person.get("grade")), "tally": tally,
                       "flag": flagged, **views[sid].json()})
    department_name = ctx.content.department(department_id).name  # type: ignore[union-attr]
    return {"year": ctx.year, "department": department_id, "name": department_name, "gap_points": gap,
            "labels": VIEW_LABELS, "people": people}
