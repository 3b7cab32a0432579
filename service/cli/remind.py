"""`portal remind`: send the reminders (催办) due today by hand, or show them (--dry-run)."""

from __future__ import annotations

import click

from service.cli.base import Failed, cli, open_context
from service.content.codes import REMINDER_BY_HAND, REMINDER_LABELS, REMINDER_SENT, STEP_LABELS, STEPS


@cli.command(help="发送今天应发的催办（邮件与群机器人）：每个部门、每个步骤在每个提醒时段只发一次，再次运行不会重复发送；"
             "上次发送失败的会重试。邮件服务器和群机器人在环境变量 PORTAL_SMTP_*、PORTAL_MAIL_FROM、PORTAL_WEBHOOK_URL 中设置。")
@click.option("--dry-run", is_flag=True, help="只列出将要发送的催办（收件人、标题、正文），不发送、不记录")
@click.option("--step", default=None, metavar="步骤",
              help="只催办一个步骤：" + "、".join(f"{s}（{STEP_LABELS[s]}）" for s in STEPS) + "；月汇总表可写 monthly-3 指定月份")
@click.option("--department", default=None, metavar="部门代码", help="只催办一个部门")
def remind(dry_run: bool, step: str | None, department: str | None) -> None:
    from service.errors import ApiError
    from service.storage.outbound import SenderBusy
    from service.workflows import reminders

    ctx = open_context(service_clock=True)
    if department and not ctx.content.department(department):
        raise Failed(f"没有代码为“{department[:40]}”的部门或系（见学院设置中的 departments.yml）")
    try:
        if dry_run:
            planned = reminders.preview(ctx, step, department)
            for p in planned:
                to = "、".join(p.to) or "（没有电子邮箱）"
                click.echo(f"—— {p.key}\n收件人：{to}{'；群机器人' if p.webhook else ''}\n标题：{p.message.subject}\n"
                           f"{p.message.body}\n")
            click.echo(f"试运行：将发送 {len(planned)} 条催办（未发送，未记录）。")
            return
        sent = reminders.send(ctx, "cli", REMINDER_BY_HAND, step, department)
    except ApiError as exc:
        raise Failed(exc.message) from None
    except SenderBusy as exc:
        raise Failed(str(exc)) from None
    for record in sent:
        line = f"{record['department_name']}·{record['step_label']}（{record['window_label']}）：{REMINDER_LABELS[record['state']]}"
        click.echo(line + (f"（{record['error']}）" if record["error"] else ""))
    ok = sum(1 for r in sent if r["state"] == REMINDER_SENT)
    click.echo(f"已发送 {ok} 条催办，失败 {len(sent) - ok} 条。" if sent else "没有需要发送的催办（本期都已发送过，或各部门都已完成）。")
    if len(sent) > ok:
        raise Failed("有催办发送失败，详见上文和催办记录页面。")
