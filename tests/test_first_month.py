"""The monthly cycle starts where the year's work starts: before `monthly_first_month` (by default
the month of the contract deadline) no summary is owed, chased by `portal remind`, or shown as
未报送 on the boards, the to-do panel or the department's list of months."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from helpers import DEPT, PASSWORD, parse_html, portal, running_service
from reminders_kit import env_for, mail_server, outbound_for, webhook_receiver

from service.config import Settings
from service.content.codes import MISSING, TODO_MONTHLY
from service.workflows import accounts

APRIL_28 = dt.datetime(2019, 4, 28, 9, 0)


def set_first_month(settings: Settings, month: int) -> None:
    path = Path(settings.content_dir) / "settings.yml"
    text = path.read_text(encoding="utf-8")
    assert text.count("monthly_first_month: 4") == 1
    path.write_text(text.replace("monthly_first_month: 4", f"monthly_first_month: {month}"), encoding="utf-8")


def remind(settings: Settings, env: dict[str, str], today: str) -> list[str]:
    done = portal(settings, "remind", env={**env, "PORTAL_TODAY": today}, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_portal_remind_on_april_28_chases_no_month_before_the_work_began(settings: Settings) -> None:
    with mail_server() as mail, webhook_receiver() as robot:
        with running_service(settings, now=APRIL_28) as service:
            accounts.add_user(service.context, "clerk-mail", "department", DEPT, PASSWORD, actor="test",
                              details=accounts.Profile(display_name="报送员", email="jxx@example.edu.cn"))
        env = env_for(outbound_for(mail, robot.url))
        remind(settings, env, APRIL_28.isoformat())
        subjects = [m.subject for m in mail.messages] + [p["text"]["content"].splitlines()[0] for p in robot.posts]
        assert any("机械工程系：责任状签订" in s for s in subjects), subjects  # the contracts are overdue: chased
        assert not [s for s in subjects if "月汇总表" in s], subjects

        set_first_month(settings, 1)  # a college whose monthly cycle runs from January
        remind(settings, env, APRIL_28.isoformat())
        monthly = [m.subject for m in mail.messages if "月汇总表" in m.subject]
        assert sorted(s.split("：")[1].split("（")[0] for s in monthly) == ["1月月汇总表报送", "2月月汇总表报送",
                                                                        "3月月汇总表报送"], monthly


def test_boards_todos_and_the_list_of_months_start_at_the_first_month(settings: Settings) -> None:
    with running_service(settings, now=dt.datetime(2019, 6, 10, 9, 0)) as service:
        progress = service.client.get("/api/progress", headers=service.bearer("hr")).json()
        assert progress["months"] == [4, 5]
        mine = next(d for d in progress["departments"] if d["id"] == DEPT)
        assert {m: c["state"] for m, c in mine["monthly"].items()} == {"4": MISSING, "5": MISSING}

        todos = service.client.get("/api/todos", headers=service.bearer("clerk")).json()["todos"]
        monthly = next(t for t in todos if t["kind"] == TODO_MONTHLY)
        assert monthly["count"] == 2

        page = parse_html(service.session("clerk").get(f"/board/{DEPT}/monthly").text)
        table = page.find("table", data_monthly_table=True)
        assert table is not None
        assert [row.attrs["data-month"] for row in table.find_all("tr", data_month=True)] == ["4", "5", "6"]  # June: running
        assert "1月" not in table.text and "3月" not in table.text


def test_a_first_month_set_in_settings_moves_the_start(settings: Settings) -> None:
    set_first_month(settings, 2)
    with running_service(settings, now=dt.datetime(2019, 4, 10, 9, 0)) as service:
        progress = service.client.get("/api/progress", headers=service.bearer("hr")).json()
        assert progress["months"] == [2, 3]
