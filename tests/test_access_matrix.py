"""Who may do what: every route of service/web/app.py × (anonymous, HR, own department, another
department, leader), with a well-formed request, against the expected status; then CSRF on
every browser write, the login throttle, security headers and attachment downloads.

The route list is read from `service.web.app.routes()`: a new route without a line in EXPECTED
fails `test_every_route_has_an_expectation`. A refused request must change nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import DEPT, PASSWORD, PDF, Service, page_csrf, running_service, upload
from sheets import edit
from starlette.routing import Mount, Route

from service.config import Settings
from service.office import annex3, annex4, catalog
from service.web.app import routes

ROLES = ("anonymous", "hr", "own", "other", "leader")
ACCOUNTS = {"anonymous": None, "hr": "hr", "own": "clerk", "other": "other", "leader": "boss"}
REFUSALS = {"login_required", "forbidden", "csrf_failed", "not_leader", "not_own_department", "leader_cannot_edit",
            "metrics_forbidden"}
READ_ACTIONS = {"contract.download", "export.completion", "export.contracts", "export.scores", "login",
                "login.failed"}

# (anonymous, hr, own department, another department, leader). 303 for anonymous is the way
# to the login page; 401 is a JSON client without credentials.
EXPECTED: dict[str, tuple[int, int, int, int, int]] = {
    "GET /healthz": (200, 200, 200, 200, 200),
    "GET /readyz": (503, 503, 503, 503, 503),  # this service's site holds the status page alone: not ready
    "GET /metrics": (403, 200, 403, 403, 403),  # the test client's address is not allowed: HR's token only
    "GET /login": (200, 200, 200, 200, 200),
    "POST /login": (403, 403, 403, 403, 403),  # no csrf field: refused for everyone
    "POST /logout": (403, 403, 403, 403, 403),
    "GET /board": (303, 200, 303, 303, 200),  # a department is sent to its own page
    "GET /board/progress": (401, 200, 403, 403, 200),
    "GET /board/scores": (401, 200, 200, 200, 200),  # each sees only what they may
    "POST /board/score-events": (401, 303, 403, 403, 403),
    "GET /board/review": (401, 200, 403, 403, 200),
    "GET /board/{department_id}": (303, 200, 200, 403, 200),
    "GET /board/{department_id}/targets": (401, 200, 200, 403, 200),
    "POST /board/{department_id}/targets/xlsx": (401, 303, 303, 403, 403),
    "GET /board/{department_id}/targets/{staff_id}": (401, 200, 200, 403, 200),
    "POST /board/{department_id}/targets/{staff_id}": (401, 303, 303, 403, 403),  # a leader approves, never edits
    "GET /board/{department_id}/duties": (401, 200, 200, 403, 200),
    "POST /board/{department_id}/duties": (401, 303, 303, 403, 403),
    "POST /board/{department_id}/duties/{role_id}": (401, 404, 403, 403, 403),  # HR: nothing delivered to review
    "POST /board/{department_id}/monthly/xlsx": (401, 200, 200, 403, 403),  # a token gets JSON, a browser 303
    "GET /board/{department_id}/monthly": (401, 200, 200, 403, 200),
    "GET /board/{department_id}/monthly/{month}": (401, 200, 200, 403, 200),
    "POST /board/{department_id}/monthly/{month}": (401, 303, 303, 403, 403),
    "POST /board/{department_id}/contracts": (401, 200, 200, 403, 403),
    "POST /board/{department_id}/completion": (401, 303, 303, 403, 403),
    "GET /board/{department_id}/contracts/{contract_id}": (401, 200, 200, 403, 200),
    "POST /board/{department_id}/completion/xlsx": (401, 200, 200, 403, 403),
    "GET /board/{department_id}/forms/annex5.xlsx": (401, 200, 200, 403, 200),
    "GET /board/{department_id}/forms/annex4.xlsx": (401, 200, 200, 403, 200),
    "GET /board/{department_id}/forms/{staff_id}/{annex}": (401, 200, 200, 403, 200),
    "GET /api/status": (200, 200, 200, 200, 200),
    "POST /api/contracts": (401, 201, 201, 403, 403),
    "PUT /api/completion/{department_id}": (401, 200, 200, 403, 403),
    "POST /api/completion/{department_id}/xlsx": (401, 200, 200, 403, 403),
    "POST /api/monthly/{department_id}/xlsx": (401, 200, 200, 403, 403),
    "GET /api/departments/{department_id}/staff": (401, 200, 200, 403, 200),
    "GET /api/departments/{department_id}/contracts/{contract_id}": (401, 200, 200, 403, 200),
    "POST /api/departments/{department_id}/targets.xlsx": (401, 200, 200, 403, 403),
    "GET /api/targets": (401, 200, 200, 200, 200),  # a department lists its own people only
    "GET /api/targets/{staff_id}": (401, 200, 200, 403, 200),
    "PUT /api/targets/{staff_id}": (401, 200, 200, 403, 403),
    "POST /api/targets/{staff_id}/{action}": (401, 403, 403, 403, 409),  # only a leader approves; not submitted
    "GET /api/duties/{department_id}": (401, 200, 200, 403, 200),
    "PUT /api/duties/{department_id}": (401, 200, 200, 403, 403),
    "POST /api/duties/{department_id}/{role_id}/{action}": (401, 404, 403, 403, 403),
    "GET /board/{department_id}/duties/{role_id}/files/{file_id}": (401, 200, 200, 403, 403),  # HR and the owner
    "GET /api/monthly/{department_id}/{month}": (401, 200, 200, 403, 200),
    "PUT /api/monthly/{department_id}/{month}": (401, 200, 200, 403, 403),
    "GET /api/progress": (401, 200, 200, 200, 200),  # a department sees its own row only
    "GET /api/scores": (401, 200, 200, 200, 200),
    "GET /api/score-events": (401, 200, 403, 403, 200),
    "POST /api/score-events": (401, 201, 403, 403, 403),
    "DELETE /api/score-events/{event_id}": (401, 404, 403, 403, 403),  # HR: no such event
    "GET /hr/export.xlsx": (401, 200, 403, 403, 403),
    "GET /hr/contracts.zip": (401, 200, 403, 403, 403),
    "GET /hr/scores.xlsx": (401, 200, 403, 403, 403),
    "GET /board/grades": (401, 200, 303, 303, 200),  # a department is sent to its own page
    "GET /board/grades/reviews": (401, 200, 403, 403, 403),
    "GET /board/grades/objections": (401, 200, 403, 403, 403),
    "GET /board/grades/records": (401, 200, 403, 403, 403),
    "GET /board/grades/history": (401, 200, 200, 200, 200),  # the search form; a person is checked when asked
    "POST /board/grades/do/{action}": (401, 303, 403, 403, 403),  # a sanction: HR only
    "GET /board/{department_id}/grades": (401, 200, 200, 403, 200),
    "POST /board/{department_id}/grades": (401, 303, 303, 403, 403),
    "POST /board/{department_id}/grades/view": (401, 303, 303, 403, 403),
    "GET /board/{department_id}/grades/notices.{kind}": (401, 409, 409, 403, 409),  # not decided yet
    "GET /board/{department_id}/grades/{staff_id}/notice.{kind}": (401, 409, 409, 403, 409),
    "GET /gongshi": (200, 200, 200, 200, 200),
    "GET /api/grades": (401, 200, 403, 403, 200),
    "GET /api/grades/reviews": (401, 200, 403, 403, 403),
    "GET /api/grades/objections": (401, 200, 403, 403, 403),
    "GET /api/grades/records": (401, 200, 403, 403, 403),
    "GET /api/grades/history/{staff_id}": (401, 200, 200, 403, 200),
    "POST /api/grades/views/{staff_id}": (401, 201, 201, 403, 403),
    "POST /api/grades/actions/{action}": (401, 200, 403, 403, 403),
    "GET /api/grades/{department_id}": (401, 200, 200, 403, 200),
    "PUT /api/grades/{department_id}": (401, 200, 200, 403, 403),
    "GET /hr/grades/filing.xlsx": (401, 200, 403, 403, 403),
    "GET /account": (401, 200, 200, 200, 200),
    "POST /account": (401, 404, 404, 404, 404),  # every account: its own page (no such token to revoke)
    "POST /api/account/password": (401, 400, 400, 400, 400),  # every account: its own (no new password sent)
    "GET /board/accounts": (401, 200, 403, 403, 403),
    "POST /board/accounts": (401, 200, 403, 403, 403),  # the one-time password shown once
    "GET /board/accounts/{username}": (401, 200, 403, 403, 403),
    "POST /board/accounts/{username}": (401, 303, 403, 403, 403),
    "GET /board/roster": (401, 200, 403, 403, 403),
    "POST /board/roster": (401, 200, 403, 403, 403),  # the preview: nothing written
    "POST /board/roster/confirm": (401, 409, 403, 403, 403),  # HR: no such preview
    "POST /api/roster": (401, 200, 403, 403, 403),  # without confirm: the changes, nothing written
    "POST /board/roster/mappings": (401, 409, 403, 403, 403),  # HR: no such mapping remembered
    "GET /api/roster/mappings": (401, 200, 403, 403, 403),
    "DELETE /api/roster/mappings": (401, 409, 403, 403, 403),  # HR: no such mapping remembered
    "GET /board/{department_id}/scans": (401, 200, 200, 403, 403),
    "POST /board/{department_id}/scans": (401, 200, 200, 403, 403),  # a preview page
    "POST /api/departments/{department_id}/scans": (401, 200, 200, 403, 403),  # a dry run
    "POST /board/{department_id}/contracts/{contract_id}/withdraw": (401, 303, 409, 403, 403),  # HR's withdrawal stands
    "POST /api/departments/{department_id}/contracts/{contract_id}/withdraw": (401, 200, 409, 403, 403),
    # a staff member's own pages: no other account has a person of its own (tests/test_staff_pages.py)
    "GET /me": (401, 403, 403, 403, 403),
    "POST /me/confirm": (401, 403, 403, 403, 403),
    "GET /me/forms/{name}": (401, 403, 403, 403, 403),
    "GET /me/results": (401, 403, 403, 403, 403),
    "GET /me/grade": (401, 403, 403, 403, 403),
    "GET /me/grade/notice.{kind}": (401, 403, 403, 403, 403),
    "GET /me/objections": (401, 403, 403, 403, 403),
    "POST /me/objections": (401, 403, 403, 403, 403),
    "GET /api/me": (401, 403, 403, 403, 403),
    "GET /board/objections": (401, 200, 303, 303, 403),  # a department is sent to its own list
    "GET /board/confirmations": (401, 200, 303, 303, 200),
    "GET /board/{department_id}/objections": (401, 200, 200, 403, 403),
    "POST /board/{department_id}/objections/{objection_id}": (401, 404, 404, 403, 403),  # no such objection
    "GET /board/{department_id}/objections/{objection_id}/files/{number}": (401, 404, 404, 404, 404),
    "GET /board/{department_id}/confirmations": (401, 200, 200, 403, 200),
    "GET /board/{department_id}/staff-accounts": (401, 200, 403, 403, 403),
    "POST /board/{department_id}/staff-accounts/slips": (401, 200, 403, 403, 403),  # the slips, as Word
    "GET /api/objections": (401, 200, 200, 200, 403),  # a department: its own people's
    "POST /api/objections/{department_id}/{objection_id}": (401, 404, 404, 403, 403),
    "GET /board/chase": (401, 200, 403, 403, 403),
    # the annual appraisal: the leaders' views are the overseeing leader's and the department's own
    "GET /board/appraisal": (401, 200, 303, 303, 200),  # a department is sent to its own page
    "GET /board/{department_id}/appraisal": (401, 200, 200, 403, 200),
    "GET /board/{department_id}/appraisal/{staff_id}": (401, 200, 200, 403, 200),
    "POST /board/{department_id}/appraisal/{staff_id}/views/{kind}": (401, 403, 403, 403, 303),  # the leader's
    "GET /api/appraisal/departments/{department_id}": (401, 200, 200, 403, 200),
    "GET /api/appraisal/views/{staff_id}": (401, 200, 200, 403, 200),
    "PUT /api/appraisal/views/{staff_id}/{kind}": (401, 403, 403, 403, 200),  # the leader's
    "GET /board/{department_id}/summaries": (401, 200, 200, 403, 200),
    "POST /board/{department_id}/summaries/lock": (401, 303, 303, 403, 403),
    "GET /board/{department_id}/appraisal/{staff_id}/summary": (401, 404, 404, 403, 404),  # nothing uploaded
    "GET /api/appraisal/departments/{department_id}/summaries": (401, 200, 200, 403, 200),
    "POST /api/appraisal/departments/{department_id}/summaries/lock": (401, 200, 200, 403, 403),
    "GET /api/appraisal/summaries/{staff_id}": (401, 200, 200, 403, 200),
    "GET /board/{department_id}/appraisal/forms.{kind}": (401, 200, 200, 403, 200),
    "GET /board/{department_id}/appraisal/{staff_id}/form.{kind}": (401, 200, 200, 403, 200),
    "GET /me/appraisal/form.{kind}": (401, 403, 403, 403, 403),
    "GET /me/summary": (401, 403, 403, 403, 403),  # the person's own (tests/test_summaries.py)
    "POST /me/summary": (401, 403, 403, 403, 403),
    "GET /me/summary/file": (401, 403, 403, 403, 403),
    "POST /me/summary/file": (401, 403, 403, 403, 403),
    "GET /api/me/summary": (401, 403, 403, 403, 403),
    "PUT /api/me/summary": (401, 403, 403, 403, 403),
    "POST /api/me/summary/file": (401, 403, 403, 403, 403),
    # 民主测评: HR manages rounds; leaders read the tallies of their units; only a voter votes
    "GET /board/appraisal/rounds": (401, 200, 403, 403, 200),
    "POST /board/appraisal/rounds": (401, 303, 403, 403, 403),
    "GET /board/appraisal/rounds/{round_id}": (401, 404, 403, 403, 404),  # no such round
    "POST /board/appraisal/rounds/{round_id}/close": (401, 404, 403, 403, 403),
    "POST /board/appraisal/rounds/{round_id}/paper": (401, 404, 403, 403, 403),
    "GET /board/appraisal/rounds/{round_id}/tally.xlsx": (401, 200, 403, 403, 200),  # a closed paper round
    "GET /board/appraisal/rounds/{round_id}/sheet.docx": (401, 200, 403, 403, 403),
    "GET /me/ballots": (401, 403, 403, 403, 403),  # a voter's own (tests/test_ballots.py)
    "GET /me/ballots/{round_id}": (401, 403, 403, 403, 403),
    "POST /me/ballots/{round_id}": (401, 403, 403, 403, 403),
    "GET /api/appraisal/rounds": (401, 200, 403, 403, 200),
    "POST /api/appraisal/rounds": (401, 201, 403, 403, 403),
    "GET /api/appraisal/rounds/{round_id}": (401, 404, 403, 403, 404),
    "GET /api/appraisal/rounds/{round_id}/participation": (401, 404, 403, 403, 403),
    "POST /api/appraisal/rounds/{round_id}/close": (401, 404, 403, 403, 403),
    "GET /api/appraisal/rounds/{round_id}/tally": (401, 404, 403, 403, 404),
    "PUT /api/appraisal/rounds/{round_id}/tally": (401, 404, 403, 403, 403),
    "POST /api/appraisal/rounds/{round_id}/ballot": (401, 403, 403, 403, 403),
    "GET /api/me/ballots": (401, 403, 403, 403, 403),
    "GET /board/{department_id}/collective": (401, 200, 403, 403, 200),
    "GET /api/appraisal/departments/{department_id}/collective": (401, 200, 403, 403, 200),
    "POST /board/chase/send": (401, 409, 403, 403, 403),  # HR: no mail server or robot set
    "GET /board/reminders": (401, 200, 403, 403, 403),
    "GET /board/years": (401, 200, 403, 403, 403),
    "POST /board/years/preview": (401, 200, 403, 403, 403),  # the preview changes nothing
    "POST /board/years/start": (401, 409, 403, 403, 403),  # HR: 2019 is not after the current year
    "POST /board/years/{year}/close": (401, 409, 403, 403, 403),  # HR: the current year is not closed
    "GET /api/years": (401, 200, 403, 403, 403),
    "POST /api/years": (401, 200, 403, 403, 403),  # a preview
    "POST /api/years/{year}/close": (401, 409, 403, 403, 403),
    "GET /board/workbooks": (401, 200, 403, 403, 403),
    "POST /board/workbooks/{department_id}/{error_id}": (401, 404, 403, 403, 403),  # HR: no such record
    "POST /board/{department_id}/targets/bulk": (401, 200, 200, 403, 403),
    "GET /board/{department_id}/forms/contracts.zip": (401, 200, 200, 403, 200),
    "GET /board/{department_id}/forms/contracts.pdf": (401, 200, 200, 403, 200),
    "GET /board/{department_id}/forms/annex3.pdf": (401, 200, 200, 403, 200),
    "POST /board/review/confirm": (401, 403, 403, 403, 200),  # the names listed, nothing decided
    "POST /board/review/bulk": (401, 403, 403, 403, 200),  # a set not submitted: listed as not done
    "POST /api/targets/bulk": (401, 200, 200, 403, 200),  # a leader's refusal is per person (never edits)
    "GET /api/todos": (401, 200, 200, 200, 200),
    "GET /notifications/{department_id}/{note_id}": (401, 404, 404, 404, 404),  # nobody's note
    "GET /api/chase": (401, 200, 403, 403, 403),
    "GET /api/reminders": (401, 200, 403, 403, 403),
    "POST /api/reminders": (401, 200, 403, 403, 403),  # a dry run
    "GET /board/setup": (401, 200, 403, 403, 403),
    "GET /board/setup/{part}": (401, 200, 403, 403, 403),
    "POST /board/setup/{part}": (401, 303, 403, 403, 403),  # the monthly due day sent as it is
    "GET /api/setup/site": (401, 200, 403, 403, 403),
    "GET /api/setup/checks": (401, 200, 403, 403, 403),
    "GET /api/setup/{part}": (401, 200, 403, 403, 403),
    "PUT /api/setup/{part}": (401, 200, 403, 403, 403),  # the monthly due day sent as it is
}


def route_keys() -> list[str]:
    settings = Settings(root=Path("."), content_dir=Path("."), site_dir=Path("."), data_dir=Path("."),
                        mkdocs_file=Path("."))
    keys = []
    for route in routes(settings, 1024):
        if isinstance(route, Mount):
            continue
        assert isinstance(route, Route)
        path = route.path.replace(":str}", "}")
        keys += [f"{method} {path}" for method in sorted(route.methods or ()) if method != "HEAD"]
    return keys


# -- well-formed requests ----------------------------------------------------------------------


class World:
    """The running service and the ids a request needs (people, a stored scan, a role to deliver)."""

    def __init__(self, service: Service) -> None:
        self.service = service
        content = service.context.content
        self.members = content.members(DEPT)
        self.person = self.members[0]
        self.contract = upload(service.client, self.person.staff_id, PDF, headers=service.bearer("clerk")).json()
        self.withdrawable = {where: upload(service.client, member.staff_id, PDF + f"%{where}\n".encode(),
                                           headers=service.bearer("clerk")).json()["id"]
                             for where, member in (("api", self.members[5]), ("board", self.members[6]))}
        duties = service.client.get(f"/api/duties/{DEPT}", headers=service.bearer("hr")).json()
        roles = [r["role_id"] for o in duties["obligations"] for r in o["roles"]]
        self.role_id, self.unsubmitted_role = roles[0], roles[-1]  # one is delivered, one never is
        assert self.role_id != self.unsubmitted_role
        delivered = service.client.put(f"/api/duties/{DEPT}", headers=service.bearer("clerk"),
                                       data={f"duties:{self.role_id}": "负责本岗位的日常工作。"},
                                       files={f"files:{self.role_id}": ("职责说明.pdf", PDF, "application/pdf")})
        assert delivered.status_code == 200, delivered.text
        self.duty_file = next(r for o in delivered.json()["obligations"] for r in o["roles"]
                              if r["role_id"] == self.role_id)["attachments"][0]["id"]
        self.rows = [{"目标内容": r.content, "分值": r.points, "佐证材料及分值": r.evidence, "完成时限": r.deadline}
                     for r in content.role(self.person.role).targets]  # type: ignore[union-attr]
        self.browsers = {"hr": service.hr_session(), "clerk": service.session("clerk"), "boss": service.session("boss")}
        self.event = {"department": DEPT, "item_id": content.common_targets[-1].id, "rule_index": 0,
                      "points": 0.5, "note": "访问矩阵"}
        scored = service.client.put(f"/api/monthly/{DEPT}/1", headers=service.bearer("hr"),  # a score to grade by
                                    json={"rows": [{"工号": self.person.staff_id, "业务工作目标": 50}], "partial": True})
        assert scored.status_code == 200, scored.text
        graded = service.client.put(f"/api/grades/{DEPT}", json={"grades": {self.person.staff_id: "合格"}},
                                    headers=service.bearer("hr"))
        assert graded.status_code == 200, graded.text  # the person has a grade: a view can be uploaded
        hr = service.bearer("hr")
        paper = service.client.post("/api/appraisal/rounds", headers=hr, json={
            "unit": DEPT, "mode": "paper", "candidates": [self.person.staff_id], "opens": "2019-04-01T08:00",
            "closes": "2019-04-30T18:00"}).json()["id"]
        counted = service.client.put(f"/api/appraisal/rounds/{paper}/tally", headers=hr,  # and so closed
                                     json={"ballots": 2, "counts": {self.person.staff_id: {"优秀": 1, "合格": 1}}})
        assert counted.status_code == 200, counted.text
        self.closed_round = paper

    @property
    def content(self) -> Any:
        return self.service.context.content

    def path(self, template: str) -> str:
        values = {"department_id": DEPT, "staff_id": self.person.staff_id, "contract_id": self.contract["id"],
                  "month": "3", "annex": "annex1.docx", "role_id": self.unsubmitted_role, "action": "approve",
                  "event_id": "no-such-event", "username": "clerk", "withdraw_api": self.withdrawable["api"],
                  "withdraw_board": self.withdrawable["board"], "name": "contract.docx",
                  "objection_id": "no-such-objection", "round_id": "no-such-round", "closed_round": self.closed_round,
                  "number": "1", "part": "settings", "delivered_role": self.role_id, "file_id": self.duty_file}
        for key, value in values.items():
            template = template.replace("{" + key + "}", value)
        return template

    def roster_csv(self) -> bytes:
        """The current roster as the personnel system exports it (importing it changes nothing)."""
        lines = ["工号,姓名,部门,岗位,职务"] + [f"{m.staff_id},{m.name},{m.department},{m.role},{m.post}"
                                             for m in self.content.roster]
        return "\n".join(lines).encode("utf-8")

    def monthly_rows(self) -> list[dict[str, Any]]:
        return [{"工号": m.staff_id, "出勤": 22, "事假": 0, "病假": 0, "迟到": 0, "早退": 0, "旷工": 0, "离岗": 0,
                 "其他项目": 0, "业务工作目标": 50} for m in self.members]

    def completion_workbook(self) -> bytes:
        """The department's annex 5 as downloaded now (it carries the statuses of that moment), with
        one person set to 产假."""
        got = self.service.client.get(f"/board/{DEPT}/forms/annex5.xlsx", headers=self.service.bearer("hr"))
        assert got.status_code == 200, got.text
        return edit(got.content, "附件5", {f"D{5 + self.members.index(self.members[2])}": "产假"})

    def monthly_workbook(self) -> bytes:
        import io

        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(annex4.monthly_xlsx(self.content, DEPT, 2019, 3)))
        sheet = book["附件4"]
        for row in range(1, sheet.max_row + 1):
            if str(sheet.cell(row, 12).value or "") in {m.staff_id for m in self.members}:  # the hidden 工号
                for column in range(3, 12):
                    sheet.cell(row, column).value = 22 if column == 3 else 0
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()


def _form(**data: Any) -> dict[str, Any]:
    return {"data": data}


def _workbook(data: bytes, **fields: str) -> dict[str, Any]:
    return {"files": {"file": ("form.xlsx", data, catalog.XLSX_MIME)}, "data": fields}


BODIES: dict[str, Callable[[World], dict[str, Any]]] = {
    "POST /login": lambda w: _form(username="hr", password=PASSWORD),
    "POST /logout": lambda w: _form(),
    "POST /board/score-events": lambda w: _form(rule=f"{w.event['item_id']}:0", department=DEPT, points="0.5",
                                                note="访问矩阵"),
    "POST /board/{department_id}/targets/xlsx": lambda w: _workbook(annex3.targets_xlsx(w.content, w.person)),
    "POST /board/{department_id}/targets/{staff_id}": lambda w: {"data": {
        "action": "save", "目标内容": [r["目标内容"] for r in w.rows], "分值": [str(r["分值"]) for r in w.rows],
        "佐证材料及分值": [r["佐证材料及分值"] for r in w.rows], "完成时限": [r["完成时限"] for r in w.rows]}},
    "POST /board/{department_id}/duties": lambda w: _form(**{f"duties:{w.role_id}": "负责本岗位的日常工作。"}),
    "POST /board/{department_id}/duties/{role_id}": lambda w: _form(action="accept"),
    "POST /board/{department_id}/monthly/xlsx": lambda w: _workbook(w.monthly_workbook(), replace="1"),
    "POST /board/{department_id}/monthly/{month}": lambda w: _form(**{
        f"{column}:{row['工号']}": str(value) for row in w.monthly_rows() for column, value in row.items()
        if column != "工号"}),
    "POST /board/{department_id}/contracts": lambda w: {"data": {"staff_id": w.person.staff_id},
                                                        "files": {"file": ("scan.pdf", PDF, "application/pdf")}},
    "POST /board/{department_id}/completion": lambda w: _form(**{f"status:{w.members[1].staff_id}": "病假"}),
    "POST /board/{department_id}/completion/xlsx": lambda w: _workbook(w.completion_workbook()),
    "POST /api/contracts": lambda w: {"data": {"staff_id": w.person.staff_id},
                                      "files": {"file": ("scan.pdf", PDF, "application/pdf")}},
    "PUT /api/completion/{department_id}": lambda w: {"json": {"entries": [
        {"staff_id": w.members[1].staff_id, "status": "病假"}]}},
    "POST /api/completion/{department_id}/xlsx": lambda w: _workbook(w.completion_workbook()),
    "POST /api/monthly/{department_id}/xlsx": lambda w: _workbook(w.monthly_workbook(), replace="1"),
    "POST /api/departments/{department_id}/targets.xlsx": lambda w: _workbook(
        annex3.targets_xlsx(w.content, w.person)),
    "PUT /api/targets/{staff_id}": lambda w: {"json": {"rows": w.rows, "submit": False}},
    "POST /api/targets/{staff_id}/{action}": lambda w: {"json": {"comment": "同意"}},
    "PUT /api/duties/{department_id}": lambda w: {"json": {"roles": [
        {"role_id": w.role_id, "duties": "负责本岗位的日常工作。"}]}},
    "POST /api/duties/{department_id}/{role_id}/{action}": lambda w: {"json": {}},
    "PUT /api/monthly/{department_id}/{month}": lambda w: {"json": {"rows": w.monthly_rows()}},
    "POST /api/score-events": lambda w: {"json": w.event},
    "GET /board/{department_id}/forms/annex4.xlsx": lambda w: {"params": {"month": "3"}},
    "POST /board/grades/do/{action}": lambda w: _form(staff_id=w.person.staff_id, kind="警告", on="2019-03-01"),
    "POST /board/{department_id}/grades": lambda w: _form(**{f"grade-{w.person.staff_id}": "合格"}),
    "POST /board/{department_id}/grades/view": lambda w: {"data": {"staff_id": w.person.staff_id},
                                                          "files": {"file": ("view.pdf", PDF, "application/pdf")}},
    "POST /api/grades/views/{staff_id}": lambda w: {"files": {"file": ("view.pdf", PDF, "application/pdf")}},
    "POST /api/grades/actions/{action}": lambda w: {"json": {"staff_id": w.person.staff_id, "kind": "警告",
                                                             "on": "2019-03-01"}},
    "PUT /api/grades/{department_id}": lambda w: {"json": {"grades": {w.person.staff_id: "合格"}}},
    "POST /account": lambda w: _form(action="revoke", token="000000000000", confirm="on"),
    "POST /api/account/password": lambda w: {"json": {"current": "not-the-password"}},
    "POST /board/accounts": lambda w: _form(username="matrix-new", role="department", department=DEPT,
                                            display_name="矩阵测试"),
    "POST /board/accounts/{username}": lambda w: _form(action="update", department=DEPT, display_name="机械工程系报送员"),
    "POST /board/roster": lambda w: {"files": {"file": ("roster.csv", w.roster_csv(), "text/csv")}},
    "POST /board/roster/confirm": lambda w: _form(preview="no-such-preview", confirm="on"),
    "POST /api/roster": lambda w: {"files": {"file": ("roster.csv", w.roster_csv(), "text/csv")}},
    "POST /board/roster/mappings": lambda w: _form(field="岗位", value="班主任", confirm="on"),
    "DELETE /api/roster/mappings": lambda w: {"params": {"field": "岗位", "value": "班主任"}},
    "POST /board/{department_id}/scans": lambda w: {"data": {"dry_run": "1"},
                                                    "files": {"file": ("stack.pdf", PDF, "application/pdf")}},
    "POST /api/departments/{department_id}/scans": lambda w: {"files": {"file": ("stack.pdf", PDF, "application/pdf")}},
    "POST /board/{department_id}/contracts/{contract_id}/withdraw": lambda w: _form(reason="传错了人"),
    "POST /api/departments/{department_id}/contracts/{contract_id}/withdraw": lambda w: {"json": {"reason": "传错了人"}},
    "POST /me/confirm": lambda w: _form(version="1", read="on"),
    "POST /me/objections": lambda w: _form(kind="monthly", ref="3", reason="访问矩阵"),
    "POST /board/{department_id}/objections/{objection_id}": lambda w: _form(answer="已核实"),
    "POST /board/{department_id}/staff-accounts/slips": lambda w: _form(format="docx", confirm="on"),
    "POST /api/objections/{department_id}/{objection_id}": lambda w: {"json": {"answer": "已核实"}},
    "POST /board/chase/send": lambda w: _form(step="contracts"),
    "POST /board/{department_id}/targets/bulk": lambda w: {"data": {"action": "template", "staff": w.person.staff_id}},
    "POST /board/review/confirm": lambda w: {"data": {"action": "approve", "staff": w.person.staff_id}},
    "POST /board/review/bulk": lambda w: {"data": {"action": "approve", "staff": w.person.staff_id}},
    "POST /api/targets/bulk": lambda w: {"json": {"action": "template", "staff_ids": [w.person.staff_id]}},
    "POST /api/reminders": lambda w: {"json": {"dry_run": True}},
    "POST /board/setup/{part}": lambda w: _form(monthly_due_day=str(w.service.context.content.settings.monthly_due_day)),
    "PUT /api/setup/{part}": lambda w: {"json": {"settings": {
        "monthly_due_day": w.service.context.content.settings.monthly_due_day}}},
    "POST /board/years/preview": lambda w: _form(year="2020"),
    "POST /board/years/start": lambda w: _form(year="2019"),
    "POST /api/years": lambda w: {"json": {"year": 2020, "preview": True}},
    "POST /board/{department_id}/appraisal/{staff_id}/views/{kind}": lambda w: _form(comment="访问矩阵", grade="合格"),
    "PUT /api/appraisal/views/{staff_id}/{kind}": lambda w: {"json": {"comment": "访问矩阵", "grade": "合格"}},
    "POST /board/{department_id}/summaries/lock": lambda w: _form(action="lock"),
    "POST /api/appraisal/departments/{department_id}/summaries/lock": lambda w: {"json": {"locked": True}},
    "POST /board/appraisal/rounds": lambda w: _form(unit=DEPT, opens="2019-04-20T08:00", closes="2019-04-21T08:00"),
    "POST /api/appraisal/rounds": lambda w: {"json": {"unit": DEPT, "opens": "2019-04-20T08:00",
                                                      "closes": "2019-04-21T08:00"}},
    "PUT /api/appraisal/rounds/{round_id}/tally": lambda w: {"json": {"ballots": 0, "counts": {}}},
    "POST /api/appraisal/rounds/{round_id}/ballot": lambda w: {"json": {"marks": {}}},
    "POST /me/summary": lambda w: _form(text="访问矩阵", action="draft"),
    "POST /me/summary/file": lambda w: {"files": {"file": ("summary.pdf", PDF, "application/pdf")}},
    "PUT /api/me/summary": lambda w: {"json": {"text": "访问矩阵", "submit": False}},
    "POST /api/me/summary/file": lambda w: {"files": {"file": ("summary.pdf", PDF, "application/pdf")}},
}
PATHS = {"GET /board/{department_id}/appraisal/forms.{kind}": "/board/{department_id}/appraisal/forms.docx",
         "GET /board/{department_id}/appraisal/{staff_id}/form.{kind}":
             "/board/{department_id}/appraisal/{staff_id}/form.docx",
         "GET /me/appraisal/form.{kind}": "/me/appraisal/form.docx",
         "POST /board/{department_id}/appraisal/{staff_id}/views/{kind}":
             "/board/{department_id}/appraisal/{staff_id}/views/leader",
         "PUT /api/appraisal/views/{staff_id}/{kind}": "/api/appraisal/views/{staff_id}/leader",
         "POST /api/duties/{department_id}/{role_id}/{action}": "/api/duties/{department_id}/{role_id}/accept",
         "GET /board/{department_id}/duties/{role_id}/files/{file_id}":
             "/board/{department_id}/duties/{delivered_role}/files/{file_id}",
         "GET /board/appraisal/rounds/{round_id}/tally.xlsx": "/board/appraisal/rounds/{closed_round}/tally.xlsx",
         "GET /board/appraisal/rounds/{round_id}/sheet.docx": "/board/appraisal/rounds/{closed_round}/sheet.docx",
         "POST /board/grades/do/{action}": "/board/grades/do/sanction",
         "POST /api/grades/actions/{action}": "/api/grades/actions/sanction",
         "POST /board/years/{year}/close": "/board/years/2019/close",
         "POST /api/years/{year}/close": "/api/years/2019/close",
         "GET /board/{department_id}/grades/notices.{kind}": "/board/{department_id}/grades/notices.docx",
         "GET /board/{department_id}/grades/{staff_id}/notice.{kind}":
             "/board/{department_id}/grades/{staff_id}/notice.pdf",
         "GET /me/grade/notice.{kind}": "/me/grade/notice.docx",
         "POST /api/departments/{department_id}/scans": "/api/departments/{department_id}/scans?dry_run=1",
         "POST /board/{department_id}/contracts/{contract_id}/withdraw":
             "/board/{department_id}/contracts/{withdraw_board}/withdraw",
         "POST /api/departments/{department_id}/contracts/{contract_id}/withdraw":
             "/api/departments/{department_id}/contracts/{withdraw_api}/withdraw"}


def state(settings: Settings) -> dict[str, Any]:
    """The store (less accounts), the files and the audit log's writes: what a refusal must not change."""
    data = settings.data_dir
    found: dict[str, Any] = {}
    for path in sorted((data / "db").rglob("*.json")):
        if path.name != "accounts.json":
            found[str(path.relative_to(data))] = {k: v for k, v in json.loads(path.read_bytes() or b"{}").items() if v}
    for path in sorted((data / "files").rglob("*")) if (data / "files").exists() else []:
        if path.is_file():
            found[str(path.relative_to(data))] = hashlib.sha256(path.read_bytes()).hexdigest()
    log = data / "audit.log"
    found["audit"] = [json.loads(line)["hash"] for line in log.read_text(encoding="utf-8").splitlines()
                      if json.loads(line)["action"] not in READ_ACTIONS]
    return {k: v for k, v in found.items() if v}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    import shutil

    from service.config import ROOT

    tmp = tmp_path_factory.mktemp("matrix")
    shutil.copytree(ROOT / "content", tmp / "content")
    settings = Settings(root=ROOT, content_dir=tmp / "content", site_dir=tmp / "site", data_dir=tmp / "var",
                        mkdocs_file=ROOT / "mkdocs.yml")
    with running_service(settings) as service:
        for name in ACCOUNTS.values():
            if name:
                service.bearer(name)
        yield World(service)


def test_every_route_has_an_expectation() -> None:
    keys = route_keys()
    assert len(keys) == len(set(keys))
    assert sorted(set(keys) - set(EXPECTED)) == [], "a new route needs its line in EXPECTED"
    assert sorted(set(EXPECTED) - set(keys)) == [], "EXPECTED names a route that no longer exists"


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_route_by_role(world: World, key: str) -> None:
    service = world.service
    method, template = key.split(" ", 1)
    path = world.path(PATHS.get(key, template))
    outcome = {}
    for role in ROLES:
        headers = service.bearer(ACCOUNTS[role]) if ACCOUNTS[role] else {}  # type: ignore[arg-type]
        before = state(service.settings)
        request = BODIES.get(key, lambda w: {})(world)
        response = service.client.request(method, path, headers=headers, **request)
        outcome[role] = response.status_code
        if response.status_code in (401, 403):
            if response.headers["content-type"].startswith("application/json"):
                body = response.json()
                assert body["code"] in REFUSALS, body
                assert not body["error"].isascii()
            else:  # a browser form shown again with its error
                assert response.headers["content-type"].startswith("text/html")
            assert state(service.settings) == before, f"{key} refused for {role} but changed the data"
    assert tuple(outcome[r] for r in ROLES) == EXPECTED[key], outcome


def test_leaves_are_seen_by_hr_the_department_and_its_leader_only(world: World) -> None:
    service = world.service
    service.client.put(f"/api/completion/{DEPT}", headers=service.bearer("clerk"),
                       json={"entries": [{"staff_id": world.members[3].staff_id, "status": "产假"}]})
    for role, sees in (("hr", True), ("own", True), ("other", False), ("leader", True), ("anonymous", False)):
        headers = service.bearer(ACCOUNTS[role]) if ACCOUNTS[role] else {}  # type: ignore[arg-type]
        for path in (f"/api/departments/{DEPT}/staff", "/api/status", f"/board/{DEPT}"):
            response = service.client.get(path, headers=headers)
            assert ("产假" in response.text) == (sees and path != "/api/status"), (role, path)


# -- CSRF ----------------------------------------------------------------------------------------

WRITES = [key for key in EXPECTED if not key.startswith("GET ")]


@pytest.mark.parametrize("key", WRITES)
def test_a_session_write_without_the_csrf_token_is_refused(world: World, key: str) -> None:
    """Every browser write, by every account that could make it, is 403 without the token."""
    service = world.service
    method, template = key.split(" ", 1)
    path = world.path(PATHS.get(key, template))
    codes = []
    for username, browser in world.browsers.items():
        before = state(service.settings)
        response = browser.request(method, path, **BODIES.get(key, lambda w: {})(world))
        assert response.status_code == 403, (username, response.text)
        codes.append(response.json()["code"])
        assert state(service.settings) == before
        assert browser.get("/healthz").status_code == 200  # the session itself is fine
    assert "csrf_failed" in codes, codes


def test_a_form_post_with_the_token_passes(world: World) -> None:
    service = world.service
    browser = service.session("clerk")
    csrf = page_csrf(browser, f"/board/{DEPT}")
    response = browser.post(f"/board/{DEPT}/completion", data={"csrf": csrf, f"status:{world.members[4].staff_id}": "病假"})
    assert response.status_code == 303


# -- login throttle ------------------------------------------------------------------------------


def test_failed_logins_slow_that_account_from_that_address_only(settings: Settings) -> None:
    with running_service(settings) as service:
        service.ensure_user("clerk")
        moment = [1000.0]
        service.app.state.throttle.clock = lambda: moment[0]
        browser = service.new_client()
        csrf = page_csrf(browser)
        for _ in range(5):
            response = browser.post("/login", data={"username": "clerk", "password": "wrong-password", "csrf": csrf})
            assert response.status_code == 400
        waiting = browser.post("/login", data={"username": "clerk", "password": PASSWORD, "csrf": csrf})
        assert waiting.status_code == 429 and waiting.headers["retry-after"] == "1"
        assert "portal_session=" not in waiting.headers.get("set-cookie", "")
        assert browser.get("/board").status_code == 303  # not logged in
        # another account from the same address is not held back
        assert browser.post("/login", data={"username": "hr", "password": service.hr_password,
                                            "csrf": page_csrf(browser)}).status_code == 303
        # once the delay has passed the right password works again
        other = service.new_client()
        csrf = page_csrf(other)
        moment[0] += 1.5
        assert other.post("/login", data={"username": "clerk", "password": PASSWORD, "csrf": csrf}).status_code == 303
        assert other.get(f"/board/{DEPT}").status_code == 200


# -- headers and downloads -----------------------------------------------------------------------

HTML = {"accept": "text/html,application/xhtml+xml"}


def test_security_headers_on_every_service_page(world: World) -> None:
    service = world.service
    hr = service.hr_session()
    pages = [key.split(" ", 1)[1] for key in EXPECTED if key.startswith("GET ")]
    for template in pages:
        response = hr.get(world.path(template), headers=HTML, **{k: v for k, v in BODIES.get(
            f"GET {template}", lambda w: {})(world).items() if k == "params"})
        assert response.headers["x-content-type-options"] == "nosniff", template
        assert response.headers["x-frame-options"] == "DENY", template
        if response.headers.get("content-type", "").startswith("text/html"):  # /login: signed in, a redirect
            csp = response.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, template
            assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";")[0], template
    for path in ("/login", "/status/", "/", "/no-such-page"):
        response = service.client.get(path, headers=HTML)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["x-frame-options"] == "DENY", path


def test_every_download_is_an_attachment(world: World) -> None:
    service = world.service
    hr = service.bearer("hr")
    downloads = [key.split(" ", 1)[1] for key in EXPECTED
                 if key.startswith("GET ") and (".xlsx" in key or ".zip" in key or "contracts/{" in key
                                               or "{annex}" in key)]
    assert len(downloads) >= 8
    for template in downloads:
        params = BODIES.get(f"GET {template}", lambda w: {})(world).get("params")
        response = service.client.get(world.path(PATHS.get(f"GET {template}", template)), headers=hr, params=params)
        assert response.status_code == 200, template
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment;"), template
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "text/html" not in response.headers["content-type"]
