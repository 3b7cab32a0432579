"""Reminders (催办) that reach people: by e-mail to the department's accounts and to a group
robot, on the schedule of each deadline, once per department, step and window.

Store: the college partition, table "reminders", one record per department, step and window
(its `key`): {key, department, step, step_label, window, window_label, deadline, state, source,
by, at, attempts, to [addresses], webhook (bool), subject, people, channels {mail, webhook},
error, history [earlier attempts]}. The record is written in the same commit as its audit
entry, once the message went out or failed. Senders take turns (`outbound.one_sender`): the
service's timer, HR's button and `portal remind` never send the same window twice. The
timer tries a window once, failed or not (no retry storm); by hand, a failed one is tried
again. Every failure is caught, recorded and passed over: the next reminder still goes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from service.content.codes import (
    REMINDER_BY_HAND,
    REMINDER_BY_SCHEDULE,
    REMINDER_FAILED,
    REMINDER_SENT,
    STEPS,
    WINDOW_BEFORE,
    WINDOW_OVERDUE,
)
from service.errors import ApiError, bad_request
from service.rules.reminders import Message, Outstanding, Window, message, window_on
from service.storage import outbound
from service.storage.store import COLLEGE, Record
from service.workflows import chase
from service.workflows.commit import Put, commit
from service.workflows.context import Context

log = logging.getLogger("portal.reminders")
TABLE = "reminders"
SYSTEM = "system"  # the actor of the service's own timer
SENT, FAILED, NONE = "sent", "failed", "none"  # what one channel did
NO_CHANNEL = ("尚未设置邮件服务器（PORTAL_SMTP_HOST）或群机器人（PORTAL_WEBHOOK_URL），无法发送催办；"
              "可在催办页面查看未完成人员和联系人，电话联系")


def reminder_key(item: Outstanding, window: Window) -> str:
    """What a reminder is recorded under: one per department, step and window."""
    return f"{item.department}:{item.step.key}:{window.key}"


@dataclass(frozen=True)
class Planned:
    """A reminder due now: what, to whom, and what was done about its window before."""

    item: Outstanding
    window: Window
    to: tuple[str, ...]  # e-mail addresses of the department's accounts
    webhook: str  # the robot's URL, or ""
    message: Message
    previous: Record | None

    @property
    def key(self) -> str:
        return reminder_key(self.item, self.window)

    def due(self, source: str) -> bool:
        """Not yet done in its window: the timer tries once; by hand, a failure is tried again."""
        if self.previous is None:
            return True
        return source == REMINDER_BY_HAND and self.previous.get("state") == REMINDER_FAILED


def check_step(step: str | None) -> str | None:
    """A step named by a user: a STEP_* code or a month's key (monthly-3); 400 otherwise."""
    if not step:
        return None
    base, _, month = step.partition("-")
    if base not in STEPS or (month and not (base == STEPS[-1] and month.isdigit() and 1 <= int(month) <= 12)):
        raise bad_request("unknown_step", f"步骤应为 {' / '.join(STEPS)} 之一（月汇总表可写 monthly-3 指定月份）")
    return step


def plan(ctx: Context, step: str | None = None, department: str | None = None,
         source: str = REMINDER_BY_SCHEDULE) -> list[Planned]:
    """Every reminder whose window is open today, for departments with work outstanding. By
    hand, a day outside the schedule's windows is a window of its own (once a day)."""
    settings = ctx.content.settings
    out = ctx.settings.outbound
    day = chase.today(ctx)
    done = {record["key"]: record for record in ctx.store.records(COLLEGE, TABLE)}
    found = []
    for item in chase.outstanding(ctx, [department] if department else None, check_step(step)):
        window = window_on(item.step.deadline, day, settings.reminders)
        if window is None and source == REMINDER_BY_HAND:
            late = (day - item.step.deadline).days
            window = Window(WINDOW_OVERDUE if late > 0 else WINDOW_BEFORE, day, abs(late))
        if window is None:
            continue
        to = tuple(dict.fromkeys(c.email for c in chase.contacts(ctx, item.department) if c.email))
        link = out.public_url + chase.link_for(item) if out.public_url else ""
        text = message(item, window, ctx.now(), settings.contact, link)
        previous = done.get(reminder_key(item, window))
        found.append(Planned(item, window, to, out.webhook_for(item.department), text, previous))
    return found


Mailer = Callable[..., None]


def send(ctx: Context, actor: str, source: str, step: str | None = None, department: str | None = None, *,
         mail: Mailer = outbound.send_mail, post: Mailer = outbound.post_webhook) -> list[Record]:
    """Send what is due (planned again while holding the senders' lock) and record each one;
    409 when neither a mail server nor a robot is set (nothing could reach anyone)."""
    if not ctx.settings.outbound.any_channel:
        raise ApiError(409, "no_channel", NO_CHANNEL)
    with outbound.one_sender(ctx.settings.data_dir):
        return [_deliver(ctx, p, actor, source, mail, post) for p in preview(ctx, step, department, source)]


def run_schedule(ctx: Context) -> list[Record]:
    """The timer's turn: nothing when no channel is configured (nothing could reach anyone)."""
    if not ctx.settings.outbound.any_channel:
        return []
    try:
        return send(ctx, SYSTEM, REMINDER_BY_SCHEDULE)
    except outbound.SenderBusy:
        return []  # someone is sending by hand: the next turn sees what they did


def _deliver(ctx: Context, planned: Planned, actor: str, source: str, mail: Mailer, post: Mailer) -> Record:
    out = ctx.settings.outbound
    channels: dict[str, str] = {}
    errors: list[str] = []
    if planned.to and out.mail:
        channels["mail"] = _attempt(errors, "邮件", lambda: mail(out, planned.to, planned.message.subject,
                                                               planned.message.body))
    else:
        channels["mail"] = NONE
        if planned.to:
            errors.append("邮件：未设置邮件服务器（PORTAL_SMTP_HOST）")
    if planned.webhook:
        detail = _facts(planned)
        payload = outbound.webhook_payload(f"{planned.message.subject}\n\n{planned.message.body}", detail)
        channels["webhook"] = _attempt(errors, "群机器人", lambda: post(planned.webhook, payload, out.timeout))
    else:
        channels["webhook"] = NONE
    if channels["mail"] == NONE and channels["webhook"] == NONE and not errors:
        errors.append("没有收件人：本部门账号没有填写电子邮箱，也没有设置群机器人")
    state = REMINDER_SENT if SENT in channels.values() else REMINDER_FAILED
    previous = planned.previous or {}
    history = [*previous.get("history", []), {k: previous[k] for k in ("state", "at", "by", "error", "channels")
                                              if k in previous}] if previous else []
    record = {**_facts(planned), "key": planned.key, "state": state, "source": source, "by": actor, "at": ctx.stamp(),
              "attempts": int(previous.get("attempts", 0)) + 1, "to": list(planned.to), "webhook": bool(planned.webhook),
              "subject": planned.message.subject, "channels": channels, "error": "；".join(errors), "history": history}
    commit(ctx, [Put(COLLEGE, TABLE, record, {"key": planned.key})], actor, f"reminder.{state}", key=planned.key,
           department=planned.item.department, step=planned.item.step.key, window=planned.window.key,
           recipients=len(planned.to), webhook=bool(planned.webhook), error=record["error"])
    ctx.store.meters.reminded(state)
    if state == REMINDER_FAILED:
        log.warning("催办发送失败：%s：%s", planned.key, record["error"])
    return record


def _attempt(errors: list[str], what: str, job: Callable[[], None]) -> str:
    try:
        job()
    except outbound.SendFailed as exc:
        errors.append(f"{what}：{exc}")
        return FAILED
    except Exception as exc:  # whatever a channel does wrong, the others and the next reminder go on
        log.exception("催办发送出错")
        errors.append(f"{what}：{type(exc).__name__}")
        return FAILED
    return SENT


def _facts(planned: Planned) -> dict[str, Any]:
    item = planned.item
    return {"department": item.department, "department_name": item.department_name, "step": item.step.key,
            "step_label": item.step.label, "deadline": item.step.deadline.isoformat(), "window": planned.window.key,
            "window_label": planned.window.label, "people": list(item.people), "roles": list(item.roles),
            "summary_missing": item.summary_missing}


def history(ctx: Context) -> list[Record]:
    """Every reminder on record, the latest first."""
    return sorted(ctx.store.records(COLLEGE, TABLE), key=lambda r: r.get("at", ""), reverse=True)


def preview(ctx: Context, step: str | None = None, department: str | None = None,
            source: str = REMINDER_BY_HAND) -> list[Planned]:
    """What a send would send now (a dry run: nothing written, nothing sent)."""
    return [p for p in plan(ctx, step, department, source) if p.due(source)]
