"""Years as scopes: which years hold data, each year's set-up, archiving a past year (归档), and
starting the next year from this one (the browser's `POST /api/years` and `portal new-year`).

Starting a year archives the set-up as it was into `<setup>/years/<old year>/` (so the old
year keeps its own dates, quota and rules), then rewrites the set-up with the year and its
dates moved (content/new_year.py). The new content is validated on a staged copy first: on
any error nothing changes.
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.content.codes import ROLE_LEADER
from service.content.loader import SETTINGS_FILE, ContentInvalid, load_content, validate
from service.content.models import Content
from service.content.new_year import ARCHIVE, NewYearRefused, archive_dir, plan
from service.errors import ApiError, bad_request, not_found
from service.rules import access
from service.rules import years as rules
from service.storage import files
from service.storage.store import COLLEGE
from service.workflows.commit import YEAR_TABLE, Put, commit, log, year_state
from service.workflows.context import Context

HR_ONLY = "只有人事处可以开始新年度或归档年度"
STARTS_EMPTY = ("责任状与扫描件", "完成情况", "个性目标与本人确认", "岗位职责", "月度考核汇总", "共性目标扣分",
                "处分、请假与新进人员登记", "年度考核（拟定、审定、公示、通知、复核与申诉）", "教职工的异议", "待办、通知与催办记录")


def parse_year(value: Any) -> int:
    """A year as given in a path, a query or a body (400 `invalid_year` when it is not one)."""
    text = str(value if value is not None else "")
    if not (text.isascii() and text.isdigit()) or not 2000 <= int(text) <= 2100:
        raise bad_request("invalid_year", f"year 应为年份（2000–2100），当前为“{text[:100]}”")
    return int(text)


def unknown(year: int) -> ApiError:
    return not_found("unknown_year", f"没有 {year} 年度的数据")


def known(ctx: Context) -> list[int]:
    """The years that hold data or an archived set-up, and the current one: latest first."""
    found = {ctx.current_year}
    for root in (ctx.store.db_dir, ctx.settings.content_dir / ARCHIVE):
        if root.is_dir():
            found |= {int(d.name) for d in root.iterdir()
                      if d.is_dir() and d.name.isascii() and d.name.isdigit() and any(d.iterdir())}
    return sorted((y for y in found if y <= ctx.current_year), reverse=True)


def content_of(ctx: Context, year: int) -> Content:
    """The set-up `year` ran under: its archive, or (a year started elsewhere) today's with its year."""
    archived = archive_dir(ctx.settings.content_dir, year)
    if (archived / SETTINGS_FILE).is_file():
        return load_content(archived)
    return dataclasses.replace(ctx.content, settings=dataclasses.replace(ctx.content.settings, year=year))


def status(ctx: Context) -> dict[str, Any]:
    state = year_state(ctx)
    closed = ctx.store.get(COLLEGE, YEAR_TABLE, key="closed") if state == rules.CLOSED else None
    return {"year": ctx.year, "current_year": ctx.current_year, "state": state,
            "state_label": rules.STATE_LABELS[state], "closed": closed, "years": known(ctx)}


def close(ctx: Context, user: access.User) -> dict[str, Any]:
    """归档: the past year of `ctx` becomes read-only except 复核 and 申诉 within their windows."""
    access.ensure(user, access.MANAGE_GRADES, None, HR_ONLY)
    if not ctx.past:
        raise ApiError(409, "year_current", f"{ctx.year} 是当前年度，开始新年度后才能归档")
    with ctx.store.locked():
        if year_state(ctx) == rules.CLOSED:
            raise ApiError(409, "year_closed", f"{ctx.year} 年度已经归档")
        record = {"key": "closed", "at": ctx.stamp(), "by": user.username}
        commit(ctx, [Put(COLLEGE, YEAR_TABLE, record, {"key": "closed"})], user.username, rules.CLOSE,
               year=ctx.year)
    return status(ctx)


# -- starting the next year -----------------------------------------------------------------


@dataclass(frozen=True)
class Started:
    current: int  # the year left behind
    content: Content  # the new year's
    archive: Path | None  # where the old year's set-up was kept (None: written elsewhere)
    target: Path
    changed: tuple[str, ...]  # the files whose year and dates moved


def _staged(directory: Path, year: int, scratch: Path) -> tuple[int, dict[str, str], Content]:
    """The new year's content, validated on a copy in `scratch` (422 `invalid_content` listing
    the problems, 409 `year_refused` for a year not after the current one)."""
    errors = validate(directory)
    if errors:
        raise ApiError(422, "invalid_content", "当前学院设置校验失败，请先修正：" + "；".join(map(str, errors[:20])))
    try:
        current, texts = plan(directory, year)
    except NewYearRefused as exc:
        raise ApiError(409, "year_refused", str(exc)) from None
    staged = scratch / "content"
    files.copy_tree(directory, staged, exclude=(ARCHIVE,))
    for name, text in texts.items():
        files.atomic_write(staged / name, text.encode("utf-8"), durable=False)
    try:
        return current, texts, load_content(staged)
    except ContentInvalid as exc:
        raise ApiError(422, "invalid_content", f"{year} 年度的内容校验失败，未作任何改动：" + "；".join(
            map(str, exc.errors[:20]))) from None


def preview(ctx: Context, year: int) -> dict[str, Any]:
    """What starting `year` carries over (dates moved) and what starts empty; nothing changes."""
    with tempfile.TemporaryDirectory(prefix="portal-new-year-") as scratch:
        current, texts, content = _staged(ctx.settings.content_dir, year, Path(scratch))
    old = content_of(ctx, current) if ctx.year != current else ctx.content
    deadlines = [{"name": field.name, "from": str(getattr(old.settings.deadlines, field.name)),
                  "to": str(getattr(content.settings.deadlines, field.name))}
                 for field in dataclasses.fields(content.settings.deadlines)]
    leaders = [u["username"] for u in ctx.store.accounts.users() if u.get("role") == ROLE_LEADER]
    return {"year": year, "from": current, "files": sorted(texts), "deadlines": deadlines,
            "carried": {"departments": len(content.departments), "roles": len(content.roles),
                        "templates": sum(1 for r in content.roles if r.targets),
                        "common_targets": len(content.common_targets), "roster": len(content.roster),
                        "leaders": len(leaders), "accounts": len(ctx.store.accounts.users())},
            "empty": list(STARTS_EMPTY)}


def start(directory: Path, year: int, into: Path | None = None) -> Started:
    """Write the new year's set-up: in place (the old one archived first), or into `into`."""
    with tempfile.TemporaryDirectory(prefix="portal-new-year-") as scratch:
        current, texts, content = _staged(directory, year, Path(scratch))
        if into is not None:
            if into.exists() and any(into.iterdir()):
                raise ApiError(409, "target_not_empty", f"目标目录 {into} 不为空")
            if into.exists():
                into.rmdir()
            files.copy_tree(Path(scratch) / "content", into)
            return Started(current, content, None, into, tuple(texts))
    archive = archive_dir(directory, current)
    if archive.exists():
        raise ApiError(409, "year_archived", f"{archive} 已存在，{current} 年度的内容已经存档过")
    files.copy_tree(directory, archive, exclude=(ARCHIVE,))
    for name, text in texts.items():
        files.atomic_write(directory / name, text.encode("utf-8"))
    return Started(current, load_content(directory), archive, directory, tuple(texts))


def record_start(ctx: Context, actor: str, started: Started) -> None:
    """The audit entry of a year started (written through the new year's context)."""
    log(ctx, actor, "year.start", year=started.content.settings.year, previous=started.current,
        archive=str(started.archive or ""), files=list(started.changed))
