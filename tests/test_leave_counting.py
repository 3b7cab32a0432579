"""Leave counted once for the half-year line: HR's dated periods and the monthly summaries'
(附件4) days of the same months merge month by month, in calendar days, each month naming
its source."""

from __future__ import annotations

import calendar
import datetime as dt
import io

import chinese_calendar
import openpyxl
import pytest
from grade_helpers import action, hr, view
from helpers import DEPT, parse_html, running_service

from service.config import Settings
from service.content.codes import (
    GRADE_NONE,
    LEAVE_MATERNITY,
    LEAVE_PERSONAL,
    LEAVE_SICK,
    LEAVE_STUDY,
    SOURCE_HR,
    SOURCE_MONTHLY,
)
from service.rules.leave import Leave, counted_leave
from service.rules.workdays import Calendar

KINDS = (LEAVE_SICK, LEAVE_PERSONAL)


def workdays(year: int, month: int) -> int:
    length = calendar.monthrange(year, month)[1]
    return sum(1 for d in range(1, length + 1) if chinese_calendar.is_workday(dt.date(year, month, d)))


def period(start: str, end: str, kind: str = LEAVE_SICK) -> Leave:
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    return Leave(kind, (last - first).days + 1, first, last)


def reported(month: int, days: float, kind: str = LEAVE_SICK) -> Leave:
    return Leave(kind, days, source=SOURCE_MONTHLY, month=month)


MARCH_WD = workdays(2019, 3)
APRIL_WD = workdays(2019, 4)

CASES = [
    # (what, leave, total, per month (month, days, source))
    ("an HR period alone: its calendar days", [period("2019-03-01", "2019-05-31")], 92,
     [(3, 31, SOURCE_HR), (4, 30, SOURCE_HR), (5, 31, SOURCE_HR)]),
    ("the same days reported in annex 4 too: counted once",
     [period("2019-03-01", "2019-04-30"), reported(3, MARCH_WD), reported(4, APRIL_WD)], 61,
     [(3, 31, SOURCE_HR), (4, 30, SOURCE_HR)]),
    ("a whole working month in annex 4 alone: the whole month", [reported(3, MARCH_WD)], 31,
     [(3, 31, SOURCE_MONTHLY)]),
    ("annex 4 reports more than HR dated: the month takes annex 4",
     [period("2019-04-01", "2019-04-03"), reported(4, APRIL_WD)], 30, [(4, 30, SOURCE_MONTHLY)]),
    ("HR dated more than annex 4 reports: the month takes HR",
     [period("2019-04-01", "2019-04-20"), reported(4, 2)], 20, [(4, 20, SOURCE_HR)]),
    ("overlapping HR periods count each day once",
     [period("2019-03-01", "2019-03-10"), period("2019-03-05", "2019-03-20", LEAVE_PERSONAL)], 20,
     [(3, 20, SOURCE_HR)]),
    ("产假 is not counted", [period("2019-03-01", "2019-08-31", LEAVE_MATERNITY)], 0, []),
    ("a period over the year's end counts this year's days", [period("2018-12-20", "2019-01-10")], 10,
     [(1, 10, SOURCE_HR)]),
    ("事假 and 病假 of one month in annex 4 add up before converting",
     [reported(3, 5), reported(3, 5, LEAVE_PERSONAL)], round(10 * 31 / MARCH_WD, 1),
     [(3, round(10 * 31 / MARCH_WD, 1), SOURCE_MONTHLY)]),
    ("a year's total of an earlier import is added as it is", [Leave(LEAVE_SICK, 40, source=SOURCE_MONTHLY)], 40, []),
]


@pytest.mark.parametrize(("what", "leave", "total", "months"), CASES, ids=[c[0] for c in CASES])
def test_leave_counts_each_day_once(what: str, leave: list[Leave], total: float,
                                    months: list[tuple[int, float, str]]) -> None:
    found = counted_leave(2019, leave, (*KINDS, LEAVE_STUDY), Calendar())
    assert found.total == total
    assert [(m.month, m.days, m.source) for m in found.months] == months


def annex4_for(svc: object, month: int, sick: dict[str, float]) -> bytes:
    """The product's annex 4 download for `month`, filled in: everyone at work, `sick` days of 病假."""
    client, headers = svc.client, svc.bearer("clerk")  # type: ignore[attr-defined]
    data = client.get(f"/board/{DEPT}/forms/annex4.xlsx?month={month}", headers=headers).content
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["附件4"]
    members = svc.context.content.members(DEPT)  # type: ignore[attr-defined]
    for row, member in enumerate(members, start=6):
        days = sick.get(member.staff_id, 0)
        sheet[f"C{row}"], sheet[f"E{row}"], sheet[f"K{row}"] = workdays(2019, month) - days, days, 50
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_hr_leave_and_the_same_days_in_annex_4_count_92_days(settings: Settings) -> None:
    with running_service(settings, now=dt.datetime(2019, 6, 10, 9, 0)) as svc:
        sick = svc.context.content.members(DEPT)[0].staff_id
        entered = action(svc, "leave", {"staff_id": sick, "kind": LEAVE_SICK, "start": "2019-03-01",
                                        "end": "2019-05-31"})
        assert entered.status_code == 200, entered.text
        for month in (3, 4, 5):
            upload = svc.client.post(f"/api/monthly/{DEPT}/xlsx", headers=svc.bearer("clerk"),
                                     files={"file": ("附件4.xlsx", annex4_for(svc, month, {sick: workdays(2019, month)}),
                                                     "application/octet-stream")})
            assert upload.status_code == 200, upload.text
        imported = action(svc, "import-leave", {})
        assert imported.status_code == 200 and imported.json() == {"imported": 3, "people": 1}

        totals = svc.client.get("/api/grades/records", headers=hr(svc)).json()["leave_totals"]
        mine = next(t for t in totals if t["staff_id"] == sick)
        assert mine["total"] == 92
        assert [(m["month"], m["days"], m["source"], m["hr_days"], m["reported_workdays"]) for m in mine["months"]] == [
            (m, calendar.monthrange(2019, m)[1], SOURCE_HR, calendar.monthrange(2019, m)[1], workdays(2019, m))
            for m in (3, 4, 5)]

        page = parse_html(svc.hr_session().get("/board/grades/records").text)
        row = page.find("table", data_leave_totals=True).find("tr", data_staff_id=sick)  # type: ignore[union-attr]
        assert row is not None and row.find("td", data_leave_total=True).text == "92"  # type: ignore[union-attr]
        assert [li.attrs["data-source"] for li in row.find_all("li", data_leave_month=True)] == [SOURCE_HR] * 3
        assert "人事处登记" in row.text

        person = next(p for p in view(svc)["people"] if p["staff_id"] == sick)
        assert person["required"] is None and not person["findings"]  # 92 days: well under half a year


def test_annex_4_months_beyond_hr_periods_still_count_toward_half_a_year(settings: Settings) -> None:
    with running_service(settings, now=dt.datetime(2019, 9, 10, 9, 0)) as svc:
        sick = svc.context.content.members(DEPT)[0].staff_id
        assert action(svc, "leave", {"staff_id": sick, "kind": LEAVE_SICK, "start": "2019-03-01",
                                     "end": "2019-05-31"}).status_code == 200
        for month in range(3, 9):  # March to August reported as whole months of 病假: 184 days
            upload = svc.client.post(f"/api/monthly/{DEPT}/xlsx", headers=svc.bearer("clerk"),
                                     files={"file": ("附件4.xlsx", annex4_for(svc, month, {sick: workdays(2019, month)}),
                                                     "application/octet-stream")})
            assert upload.status_code == 200, upload.text
        assert action(svc, "import-leave", {}).status_code == 200
        mine = next(t for t in svc.client.get("/api/grades/records", headers=hr(svc)).json()["leave_totals"]
                    if t["staff_id"] == sick)
        assert mine["total"] == 184 and mine["over_limit"]
        assert [m["source"] for m in mine["months"]] == [SOURCE_HR] * 3 + [SOURCE_MONTHLY] * 3
        person = next(p for p in view(svc)["people"] if p["staff_id"] == sick)
        assert person["required"] == GRADE_NONE and "累计 184 天" in person["findings"][0]["detail"]
