"""催办 that reaches people: a real SMTP server (aiosmtpd) and a webhook receiver on 127.0.0.1,
`portal remind` run as a process, the service's own timer on a clock the test moves, the
chase page and its button, and the failures that must never stop anything."""

from __future__ import annotations

import datetime as dt
import subprocess
from typing import Any

from helpers import (
    DEPT,
    OTHER_DEPT,
    PASSWORD,
    Service,
    audit_actions,
    page_csrf,
    parse_html,
    portal,
    running_service,
    scan_of,
    upload,
    wait_for,
)
from reminders_kit import env_for, mail_server, outbound_for, webhook_receiver
from serverproc import free_port

from service.config import Settings
from service.workflows import accounts

AFTER = dt.datetime(2019, 4, 27, 9, 0)  # the day after the 04-26 contract deadline
BEFORE_TRIGGER = dt.datetime(2019, 4, 20, 10, 0)  # six days before it: no contract reminder yet
TRIGGER = dt.datetime(2019, 4, 23, 8, 0)  # three days before it (settings: before_days [3, 1])
CLERKS = {"clerk": (DEPT, "jxx-a@example.edu.cn", "0451-86660001"), "clerk2": (DEPT, "jxx-b@example.edu.cn", ""),
          "other": (OTHER_DEPT, "dqx@example.edu.cn", "0451-86660002")}


def prepare(service: Service) -> dict[str, Any]:
    """Clerks with e-mail addresses; 机械工程系 signed but for two people and one on leave."""
    for username, (department, address, phone) in CLERKS.items():
        accounts.add_user(service.context, username, "department", department, PASSWORD, actor="test",
                          details=accounts.Profile(display_name=f"{username} 报送员", email=address, phone=phone))
    members = service.context.content.members(DEPT)
    hr = service.bearer("hr")
    for member in members[:-3]:
        assert upload(service.client, member.staff_id, scan_of(member.staff_id), headers=hr).status_code == 201
    on_leave, *missing = members[-3:]
    answer = service.client.put(f"/api/completion/{DEPT}", headers=hr,
                                json={"entries": [{"staff_id": on_leave.staff_id, "status": "产假"}]})
    assert answer.status_code == 200, answer.text
    overdue = [d["name"] for d in service.client.get("/api/status").json()["departments"] if d["outstanding"]]
    return {"missing": [m.name for m in missing], "on_leave": on_leave.name, "overdue": overdue}


def remind(settings: Settings, env: dict[str, str], *args: str, today: str = AFTER.isoformat()) -> subprocess.CompletedProcess[str]:
    return portal(settings, "remind", *args, env={**env, "PORTAL_TODAY": today}, timeout=60)


def test_portal_remind_mails_each_overdue_department_once_per_window(settings: Settings) -> None:
    with mail_server() as mail, webhook_receiver() as robot:
        with running_service(settings, now=AFTER) as service:
            facts = prepare(service)
        env = env_for(outbound_for(mail, robot.url))

        dry = remind(settings, env, "--dry-run", "--step", "contracts")
        assert dry.returncode == 0, dry.stderr
        assert f"试运行：将发送 {len(facts['overdue'])} 条催办（未发送，未记录）" in dry.stdout
        assert "【催办】机械工程系：责任状签订" in dry.stdout and "jxx-a@example.edu.cn" in dry.stdout
        assert mail.messages == [] and robot.posts == []

        sent = remind(settings, env, "--step", "contracts")
        assert sent.returncode == 0, sent.stderr
        assert f"已发送 {len(facts['overdue'])} 条催办，失败 0 条" in sent.stdout
        by_department = {m.subject.split("：")[0].removeprefix("【催办】"): m for m in mail.messages}
        assert sorted(by_department) == ["机械工程系", "电气工程系"]  # the departments with an address
        jxx = by_department["机械工程系"]
        assert sorted(jxx.to) == ["jxx-a@example.edu.cn", "jxx-b@example.edu.cn"]
        assert by_department["电气工程系"].to == ["dqx@example.edu.cn"]
        assert jxx.subject == "【催办】机械工程系：责任状签订（截止4月26日，已逾期 1 天）"
        assert jxx.sender == "人事处 <hr@example.edu.cn>"
        assert "责任状签订的截止日期是2019年4月26日（已逾期 1 天）" in jxx.body
        assert f"以下 {len(facts['missing'])} 人尚未完成：\n" + "、".join(facts["missing"]) in jxx.body
        assert facts["on_leave"] not in jxx.body and "产假" not in jxx.body  # names only: never why
        assert "https://mubiao.example.edu.cn/board/jxx/scans" in jxx.body
        assert len(robot.posts) == len(facts["overdue"])  # the college's robot: every overdue department
        posted = {p["portal"]["department_name"]: p for p in robot.posts}
        assert sorted(posted) == sorted(facts["overdue"])
        assert posted["机械工程系"]["msgtype"] == "text"
        assert posted["机械工程系"]["text"]["content"].startswith(jxx.subject)
        assert posted["机械工程系"]["portal"]["people"] == facts["missing"]

        again = remind(settings, env, "--step", "contracts")
        assert again.returncode == 0, again.stderr
        assert "没有需要发送的催办" in again.stdout
        assert len(mail.messages) == 2 and len(robot.posts) == len(facts["overdue"])
        assert "试运行：将发送 0 条催办" in remind(settings, env, "--dry-run", "--step", "contracts").stdout
    assert audit_actions(settings).count("reminder.sent") == len(facts["overdue"])


def test_portal_remind_refuses_what_it_cannot_do(settings: Settings) -> None:
    with running_service(settings, now=AFTER):
        pass
    nothing = remind(settings, {}, "--step", "contracts")
    assert nothing.returncode == 1 and "尚未设置邮件服务器（PORTAL_SMTP_HOST）或群机器人" in nothing.stderr
    unknown = remind(settings, env_for(outbound_for(port=free_port())), "--step", "signing")
    assert unknown.returncode == 1 and "步骤应为 contracts" in unknown.stderr
    bad_url = remind(settings, {"PORTAL_WEBHOOK_URL": "ftp://robot"}, "--dry-run")
    assert bad_url.returncode == 1 and "PORTAL_WEBHOOK_URL 应为 http:// 或 https:// 开头的网址" in bad_url.stderr


def test_the_running_service_reminds_by_itself_when_its_clock_passes_the_trigger(settings: Settings) -> None:
    def contract_mails() -> list[Any]:
        return [m for m in mail.messages if "责任状签订" in m.subject]

    with mail_server() as mail:
        timed = settings.with_(outbound=outbound_for(mail, check_every=0.05))
        with running_service(timed, now=BEFORE_TRIGGER) as service:
            prepare(service)
            timer = service.app.state.reminder_timer
            start = timer.runs
            wait_for(lambda: timer.runs >= start + 3, 60, "催办计时器没有运行")
            assert contract_mails() == []  # 04-20: before the first trigger of 04-26
            service.clock.set(TRIGGER)
            wait_for(lambda: len(contract_mails()) == 2, 60, "到了提醒日，服务没有自动发送催办")
            start = timer.runs
            wait_for(lambda: timer.runs >= start + 3, 60, "催办计时器没有继续运行")
            assert len(contract_mails()) == 2  # once per department and window
            first = contract_mails()[0]
            assert "（截止4月26日，还有 3 天）" in first.subject
            assert "报送系统自动发送·截止前 3 天" in first.body
        with running_service(timed, now=TRIGGER, users=False) as service:  # a restart, the same window
            timer = service.app.state.reminder_timer
            wait_for(lambda: timer.runs >= 3, 60, "重启后催办计时器没有运行")
            assert len(contract_mails()) == 2
            service.clock.set(TRIGGER + dt.timedelta(days=2))  # 04-25: the window one day before
            wait_for(lambda: len(contract_mails()) == 4, 60, "下一个提醒时段没有发送")


def test_a_failing_mail_server_is_recorded_and_stops_nothing(settings: Settings) -> None:
    dead = free_port()  # nothing listens there
    with webhook_receiver({"errcode": 93000, "errmsg": "invalid webhook url"}) as robot:
        with running_service(settings, now=AFTER) as service:
            prepare(service)
            hr_password = service.hr_password
        timed = settings.with_(outbound=outbound_for(port=dead, webhook=robot.url, check_every=0.05))
        with running_service(timed, now=AFTER, users=False) as service:
            timer = service.app.state.reminder_timer
            hr = service.bearer("hr")

            def contracts() -> list[dict[str, Any]]:
                found = service.client.get("/api/reminders", headers=hr).json()["reminders"]
                return [r for r in found if r["department"] == DEPT and r["step"] == "contracts"]

            wait_for(lambda: bool(contracts()), 60, "失败的催办没有记录")
            [record] = contracts()
            assert record["state"] == "failed" and record["attempts"] == 1
            assert f"无法连接邮件服务器 127.0.0.1:{dead}" in record["error"]
            assert "群机器人拒收：invalid webhook url" in record["error"]
            assert service.client.get("/healthz").status_code == 200  # requests go on meanwhile
            wait_for(lambda: timer.runs >= 1, 60, "第一次按计划催办没有结束")
            start, posts = timer.runs, len(robot.posts)
            wait_for(lambda: timer.runs >= start + 3, 60, "催办计时器在失败后停止了")
            assert contracts()[0]["attempts"] == 1 and len(robot.posts) == posts  # no retry storm
            history = parse_html(service.session("hr", hr_password).get("/board/reminders").text)
            row = history.find("tr", data_reminder=record["key"])
            assert row is not None and "发送失败" in row.text and "无法连接邮件服务器" in row.text
            # by hand, a failed window is tried again (once)
            again = service.client.post("/api/reminders", headers=hr, json={"step": "contracts", "department": DEPT})
            assert again.status_code == 200, again.text
            assert [r["attempts"] for r in again.json()["reminders"]] == [2]
            assert contracts()[0]["history"][0]["state"] == "failed"
    assert "reminder.failed" in audit_actions(settings)


def test_hr_chase_page_lists_the_outstanding_with_contacts_previews_and_sends(settings: Settings) -> None:
    path = settings.content_dir / "settings.yml"  # a college whose monthly cycle runs from January
    path.write_text(path.read_text(encoding="utf-8").replace("monthly_first_month: 4", "monthly_first_month: 1"),
                    encoding="utf-8")
    with mail_server() as mail, running_service(settings.with_(outbound=outbound_for(mail)), now=AFTER) as service:
        facts = prepare(service)
        hr = service.hr_session()
        page = parse_html(hr.get("/board/chase?step=contracts").text)
        row = page.find("tr", data_department=DEPT, data_step="contracts")
        assert row is not None
        assert all(name in row.text for name in facts["missing"]) and facts["on_leave"] not in row.text
        contacts = row.find("td", data_contacts=True)
        assert contacts is not None and "jxx-a@example.edu.cn" in contacts.text and "0451-86660001" in contacts.text
        assert "clerk 报送员" in contacts.text and "clerk2 报送员" in contacts.text
        assert "已逾期" in row.text
        preview = parse_html(hr.get(f"/board/chase?step=contracts&department={DEPT}&preview=1").text)
        shown = preview.find(data_preview="1")
        assert shown is not None and "【催办】机械工程系：责任状签订" in shown.text
        assert "jxx-a@example.edu.cn" in shown.text and mail.messages == []
        csrf = page_csrf(hr, "/board/chase")
        sent = hr.post("/board/chase/send", data={"csrf": csrf, "step": "contracts", "department": DEPT})
        assert sent.status_code == 200
        result = parse_html(sent.text).find(data_sent="1")
        assert result is not None and "已发送" in result.text
        assert [m.subject.split("：")[0] for m in mail.messages] == ["【催办】机械工程系"]
        again = hr.post("/board/chase/send", data={"csrf": csrf, "step": "contracts", "department": DEPT})
        assert parse_html(again.text).find(data_sent="0") is not None and len(mail.messages) == 1
        # the clerk cannot chase, nor see the page
        clerk = service.session("clerk")
        assert clerk.get("/board/chase", headers={"accept": "text/html"}).status_code == 403


def test_reminder_settings_come_from_the_environment_only() -> None:
    from service.config import from_env

    out = from_env({"PORTAL_SMTP_HOST": "smtp.example.edu.cn", "PORTAL_SMTP_PORT": "587", "PORTAL_SMTP_STARTTLS": "1",
                    "PORTAL_SMTP_USER": "hr@example.edu.cn", "PORTAL_SMTP_PASSWORD": "s3cret",
                    "PORTAL_WEBHOOK_URL": "https://robot/college", "PORTAL_WEBHOOK_URL_JXX": "https://robot/jxx"}).outbound
    assert (out.smtp_host, out.smtp_port, out.smtp_starttls, out.mail_from) == (
        "smtp.example.edu.cn", 587, True, "hr@example.edu.cn")  # the login is the sender unless one is set
    assert out.webhook_for("jxx") == "https://robot/jxx" and out.webhook_for("dqx") == "https://robot/college"
    assert "s3cret" not in repr(out) and "robot" not in repr(out)  # never in a log line
    assert not from_env({}).outbound.any_channel
