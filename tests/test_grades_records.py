"""HR's records behind the grades: leave taken from the monthly summaries (and said so),
investigations pending until closed, first jobs; and a quota counted college-wide."""

from __future__ import annotations

from pathlib import Path

from grade_helpers import START, action, give_scores, members, propose, view
from helpers import DEPT, OTHER_DEPT, running_service

from service.config import Settings
from service.content.codes import GRADE_EXCELLENT, GRADE_NONE, GRADE_PASS, GRADE_PENDING


def test_leave_is_taken_from_the_monthly_summaries_and_says_so(settings: Settings) -> None:
    with running_service(settings, now=START) as service:
        ids = members(service)
        for month in range(1, 8):  # 28 days of 病假 a month from January to July: 196 days
            rows = [{"工号": sid, "病假": 28 if sid == ids[0] else 0, "事假": 2 if sid == ids[1] else 0,
                     "业务工作目标": 50} for sid in ids]
            response = service.client.put(f"/api/monthly/{DEPT}/{month}", json={"rows": rows},
                                          headers=service.bearer("clerk"))
            assert response.status_code == 200, response.text
        imported = action(service, "import-leave", {})
        assert imported.status_code == 200 and imported.json() == {"imported": 14, "people": 2}  # per month
        again = action(service, "import-leave", {})  # replaces, never adds up twice
        assert again.json() == {"imported": 14, "people": 2}
        records = service.client.get("/api/grades/records", headers=service.bearer("hr")).json()["leave"]
        assert sorted((r["staff_id"], r["kind"], r["month"], r["days"], r["source"]) for r in records) == sorted(
            [(ids[0], "病假", m, 28, "monthly") for m in range(1, 8)]
            + [(ids[1], "事假", m, 2, "monthly") for m in range(1, 8)])
        people = {p["staff_id"]: p for p in view(service)["people"]}
        assert people[ids[0]]["required"] == GRADE_NONE
        assert "月汇总表（附件4）" in people[ids[0]]["findings"][0]["detail"]
        assert people[ids[1]]["required"] is None


def test_an_open_investigation_is_pending_and_a_first_job_is_not_graded(settings: Settings) -> None:
    with running_service(settings, now=START) as service:
        ids = give_scores(service)
        opened = action(service, "sanction", {"staff_id": ids[0], "kind": "立案调查", "on": "2019-06-01"})
        assert opened.status_code == 200
        assert action(service, "newcomer", {"staff_id": ids[1], "joined": "2019-08-01"}).status_code == 200
        people = {p["staff_id"]: p for p in view(service)["people"]}
        assert people[ids[0]]["suggested"] == GRADE_PENDING and "第四十二条" in people[ids[0]]["findings"][0]["rule"]
        assert people[ids[1]]["suggested"] == GRADE_NONE and "第三十七条" in people[ids[1]]["findings"][0]["rule"]
        refused = propose(service, DEPT, {ids[0]: GRADE_PASS})
        assert refused.status_code == 422 and "应为待定" in refused.json()["error"]
        closed = action(service, "close-investigation", {"id": opened.json()["id"], "ended_on": "2019-09-01"})
        assert closed.status_code == 200
        assert next(p for p in view(service)["people"] if p["staff_id"] == ids[0])["suggested"] == GRADE_EXCELLENT
        assert action(service, "remove-record", {"table": "newcomers", "staff_id": ids[1]}).status_code == 200
        assert next(p for p in view(service)["people"] if p["staff_id"] == ids[1])["required"] is None
        bad = action(service, "leave", {"staff_id": ids[2], "kind": "病假", "start": "2019-05-01", "end": "2019-04-01"})
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_period"
        assert action(service, "sanction", {"staff_id": ids[2], "kind": "开除", "on": "2019-05-01"}).status_code == 400


def test_a_quota_counted_college_wide(settings: Settings) -> None:
    path = Path(settings.content_dir) / "settings.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("scope: department", "scope: college"), encoding="utf-8")
    with running_service(settings, now=START) as service:
        ids = give_scores(service)
        found = view(service)
        assert found["unit"] == "college" and found["quota"]["base"] == 331 and found["quota"]["places"] == 66
        # 19 people of the department score 90 or more: all may be 优秀 within the college's 66
        assert sum(1 for p in found["people"] if p["suggested"] == GRADE_EXCELLENT) == 19
        others = give_scores(service, OTHER_DEPT)
        assert propose(service, OTHER_DEPT, {sid: GRADE_EXCELLENT for sid in others}).status_code == 200  # 42
        over = propose(service, DEPT, {sid: GRADE_EXCELLENT for sid in ids[:25]})  # 42 + 25 = 67
        assert over.status_code == 422 and over.json()["places"] == 66 and over.json()["proposed_excellent"] == 67
        assert "全院拟定优秀 67 人，超过名额 66 人" in over.json()["error"]
        assert propose(service, DEPT, {sid: GRADE_EXCELLENT for sid in ids[:24]}).status_code == 200
