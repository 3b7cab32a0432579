"""HR edits the college's set-up from the browser: settings, departments, roles, common targets,
the layout of the registration form.

Each part is one YAML file of the set-up directory. A change builds the part's new text in
memory and has the content loader judge it exactly as it would judge the file on disk (with the
other files as they are), so the console and a hand-edited file obey the same rules. Only a
valid change is written (atomically, `files.atomic_write`) and audited with what it changed,
before and after; the caller swaps the returned content in for the running service.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml

from service.content.loader import (
    COMMON_FILE,
    DEPARTMENTS_FILE,
    ROLES_FILE,
    SETTINGS_FILE,
    load_content,
)
from service.content.models import Content, CycleSettings
from service.content.registration_form import FORM_FILE
from service.content.yaml_files import ContentError, ContentInvalid, read_yaml
from service.errors import ApiError, not_found, unprocessable
from service.storage.files import atomic_write
from service.workflows.board import CONTRACTS, TARGETS
from service.workflows.commit import log
from service.workflows.context import Context

PARTS = {"settings": SETTINGS_FILE, "departments": DEPARTMENTS_FILE, "roles": ROLES_FILE,
         "common-targets": COMMON_FILE, "registration-form": FORM_FILE}
PART_NAMES = {"settings": "学院设置", "departments": "部门与系", "roles": "岗位与个性目标模板",
              "common-targets": "共性目标", "registration-form": "年度考核登记表版式", "leaders": "院领导主管部门"}
MAPPINGS = ("settings", "registration-form")  # the parts that are one mapping (the others are lists of items)
HEADERS = {
    SETTINGS_FILE: "# 本年度责任状工作的设置（人事处在“设置学院”页面修改）。日期写“月-日”，年份取自 year。",
    DEPARTMENTS_FILE: "# 部门与系：id 短英文代码，name 中文名称，kind 部门/系；closed 为撤销日期（保留历史）。",
    ROLES_FILE: "# 岗位及个性目标模板（附件3），按牵头部门分组；每个岗位的 targets 分值合计必须为 60"
                "（刚从名册添加、尚未填写的岗位 duties 与 targets 为空列表 []）。",
    COMMON_FILE: "# 附件2：共性目标（40 分）：每项 id、目标内容、分值、评分标准（标准与扣分）。",
    FORM_FILE: "# 年度考核登记表的版式：标题、表头各项（header）、各栏目（sections）的名称、所填内容（field）和顺序。",
}
# What HR calls the settings a message may name (the YAML path follows in brackets).
FIELD_NAMES = {
    "college": "学院名称", "year": "年度", "timezone": "时区", "points": "分值",
    "points.common": "共性目标分值", "points.individual": "个性目标分值",
    "deadlines.duties_lead": "牵头部门报送岗位职责的截止日期", "deadlines.duties_all": "各部门报送岗位职责的截止日期",
    "deadlines.contracts": "签订责任状的截止日期", "monthly_due_day": "月报日（每月此日前报送上月）",
    "business_score_rule": "业务工作目标得分的合成方式（average / latest / minimum）",
    "contact.name": "联系人", "contact.office": "办公地址", "contact.phone": "联系电话", "contact.email": "邮箱",
    "uploads.max_mb": "单个扫描件大小上限（MB）", "uploads.bulk_limit_mb": "批量上传总大小上限（MB）",
    "uploads.refuse_unapproved": "拒收个性目标未审定者的扫描件",
    "uploads.duty_files_max_mb": "岗位职责附件大小上限（MB）", "uploads.duty_files_max_count": "岗位职责每岗位附件个数上限",
    "reminders.before_days": "截止前几天提醒", "reminders.after_days": "截止后第几天提醒",
    "reminders.overdue_every_days": "逾期期间每隔几天提醒",
    "summary.opens": "个人总结开始填写的日期", "summary.closes": "个人总结截止的日期（含当天）",
    "summary.max_chars": "个人总结的字数上限",
    "assessment.quota.percent": "优秀比例上限（%）", "assessment.quota.raised_percent": "提高后的优秀比例（%）",
    "assessment.quota.lowered_percent": "降低后的优秀比例（%）",
    "assessment.quota.rounding": "名额取整（down / nearest / up）",
    "assessment.quota.scope": "名额计算范围（department / college）", "assessment.quota.base": "名额基数（all / graded）",
    "assessment.leave.counted": "累计计算的假别", "assessment.leave.limit_days": "累计请假超过多少天不定档次",
    "assessment.leave.not_excellent_days": "累计请假超过多少天不得评优（0 不设）",
    "assessment.first_job_min_days": "初次就业不满多少天不定档次", "assessment.publicity_days": "公示工作日数",
    "assessment.ballot_gap_points": "优秀率低于本单位多少个百分点时提示",
    "assessment.review.apply_days": "申请复核期限（日）", "assessment.review.decide_days": "复核决定期限（日）",
    "assessment.review.appeal_apply_days": "申请申诉期限（日）", "assessment.review.appeal_decide_days": "申诉决定期限（日）",
    "assessment.review.appeal_extend_days": "申诉延长期限（日）",
    "assessment.calendar.extra_holidays": "补充的节假日（年-月-日）", "assessment.calendar.extra_workdays": "补充的调休工作日（年-月-日）",
}
SANCTION_FIELDS = {"effect": "影响（not_excellent 不得评优 / no_grade 不定档次）", "years": "影响年数", "months": "处分期（月）"}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
YEAR_CHANGE = ("年度不能在此修改：请在“年度管理”页面（/board/years）中开始新的年度，"
               "本年度的设置随之存档，各项日期移到新年度")
RESTART = "时区和调高的上传大小上限要在重启服务后才生效（调低上传上限立即生效）"
RESTART_FIELDS = {"timezone": "时区", "uploads.max_mb": "单个扫描件大小上限", "uploads.bulk_limit_mb": "批量上传总大小上限"}


def awaiting_restart(started: CycleSettings, current: CycleSettings) -> list[str]:
    """The settings changed since the service started that take effect only after a restart: the
    time zone (the clock is made at start-up) and a raised upload limit (the request body limits
    are fixed at start-up; a lowered one is checked at once)."""
    return [path for path, waiting in (("timezone", current.timezone != started.timezone),
                                       ("uploads.max_mb", current.upload_max_mb > started.upload_max_mb),
                                       ("uploads.bulk_limit_mb", current.bulk_max_mb > started.bulk_max_mb))
            if waiting]


def file_of(part: str) -> str:
    if part not in PARTS:
        raise not_found("unknown_part", f"没有“{part[:40]}”这一项设置（可用：{'、'.join(PARTS)}、leaders）")
    return PARTS[part]


def read_part(ctx: Context, part: str) -> Any:
    """The part's file as plain data (dates as YYYY-MM-DD text), as the console edits it."""
    errors: list[ContentError] = []
    path = ctx.settings.content_dir / file_of(part)
    if part == "registration-form" and not path.exists():  # the set-up has none: the shipped one is used
        path = ctx.settings.sample_dir / FORM_FILE
    data = read_yaml(path, errors)
    if errors:
        raise ContentInvalid(errors)
    return plain(data)


def save_part(ctx: Context, part: str, data: Any, actor: str, *, confirm: bool = False) -> Content:
    """Validate `data` as the part's new file, write it and audit it; return the new content."""
    name = file_of(part)
    directory = ctx.settings.content_dir
    with ctx.store.locked():
        before = read_part(ctx, part)
        if part == "settings":
            data = merged(before, data)
            if data.get("year") != before.get("year"):
                raise ApiError(409, "year_change", YEAR_CHANGE, field="year")
        if part == "departments":
            check_kept(before, data)
            ask_before_closing(ctx, before, data, confirm)
        text = dump(name, data)
        try:
            content = load_content(directory, {name: text})
        except ContentInvalid as exc:
            raise refusal(exc.errors) from None
        old, new = changes(part, before, plain(data))
        if not old and not new:
            return content  # nothing changed: the file (and its comments) left as it is
        atomic_write(directory / name, text.encode("utf-8"))
        log(ctx, actor, "setup.change", part=part, file=name, before=old, after=new)
    return content


def merged(current: dict[str, Any], change: Any, prefix: str = "") -> dict[str, Any]:
    """`current` with `change`'s values put in; only settings the file already holds."""
    if not isinstance(change, dict):
        raise unprocessable("invalid_settings", "设置应为键值映射（JSON 对象）", field=prefix or "(顶层)")
    result = dict(current)
    for key, value in change.items():
        path = f"{prefix}{key}"
        if key not in current:
            raise unprocessable("unknown_setting", f"设置中没有“{str(path)[:60]}”这一项，只能修改已有的设置",
                                field=path)
        result[key] = (merged(current[key], value, f"{path}.") if isinstance(current[key], dict)
                       and isinstance(value, dict) else value)
    return result


def ask_before_closing(ctx: Context, before: Any, after: Any, confirm: bool) -> None:
    """Closing a department that still has people, target sets or scans asks first (409)."""
    if confirm or not isinstance(after, list) or not isinstance(before, list):
        return
    was_open = {str(d.get("id")): d for d in before if isinstance(d, dict) and d.get("closed") is None}
    for item in after:
        dep_id = str(item.get("id")) if isinstance(item, dict) else ""
        if dep_id in was_open and item.get("closed") is not None:
            work = open_work(ctx, dep_id)
            if any(work.values()):
                name = was_open[dep_id].get("name")
                raise ApiError(409, "department_in_use",
                               f"部门“{name}”还有 {work['people']} 人、{work['targets']} 份个性目标、"
                               f"{work['scans']} 份扫描件。确认撤销请勾选确认（API 带 \"confirm\": true）："
                               "记录保留，部门不再列出；名册中的人员须先调到其他部门", department=dep_id, **work)


def check_kept(before: Any, after: Any) -> None:
    """A department is never deleted and keeps its id (its records name it): it is closed instead."""
    if not isinstance(after, list):
        return  # the loader names the problem
    kept = {str(d.get("id")) for d in after if isinstance(d, dict)}
    for old in before if isinstance(before, list) else ():
        dep_id = str(old.get("id"))
        if dep_id not in kept:
            raise unprocessable("department_removed", f"部门“{old.get('name')}”（{dep_id}）不能删除或改代码，"
                                "只能撤销（保留历史）", field=f"{old.get('name')} → id")


def open_work(ctx: Context, department_id: str) -> dict[str, int]:
    return {"people": len(ctx.content.members(department_id)),
            "targets": len(ctx.store.scan(department_id, TARGETS, fields=("staff_id",))),
            "scans": len(ctx.store.records(department_id, CONTRACTS))}


def refusal(errors: list[ContentError]) -> ApiError:
    """422 naming each problem's field in Chinese; the first one in the message."""
    problems = [{"file": e.file, "field": e.path, "name": field_name(e.path), "message": e.message}
                for e in errors]
    first = problems[0]
    where = f"{first['name']}（{first['field']}）" if first["name"] else first["field"] or first["file"]
    return unprocessable("setup_invalid", f"{first['file']}：{where}：{first['message']}", field=first["field"],
                         problems=problems)


def field_name(path: str) -> str:
    """A setting's Chinese name ("" for a path of another file)."""
    parts = path.split(".")
    if path.startswith("assessment.bands.") and len(parts) == 3:
        return f"“{parts[2]}”档次的最低分"
    if path.startswith("assessment.sanctions.") and len(parts) == 4 and parts[3] in SANCTION_FIELDS:
        return f"{parts[2]}：{SANCTION_FIELDS[parts[3]]}"
    return FIELD_NAMES.get(path, "")


def dump(name: str, data: Any) -> str:
    """The part's new file: a heading comment and the data, dates written as YAML dates."""
    body = yaml.safe_dump(dated(data), allow_unicode=True, sort_keys=False, width=1000)
    return f"{HEADERS[name]}\n{body}"


def dated(value: Any) -> Any:
    """JSON's "2026-12-06" as a date, as a hand-written YAML file would hold it."""
    if isinstance(value, str) and ISO_DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value  # the loader names the impossible date
    if isinstance(value, dict):
        return {k: dated(v) for k, v in value.items()}
    if isinstance(value, list):
        return [dated(v) for v in value]
    return value


def plain(value: Any) -> Any:
    """YAML's dates as YYYY-MM-DD text (JSON has no dates)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def changes(part: str, before: Any, after: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a change altered, keyed (a setting's path, a department's, role's or item's id)."""
    old, new = keyed(part, before), keyed(part, after)
    differ = [k for k in dict.fromkeys([*old, *new]) if old.get(k) != new.get(k)]
    if part not in MAPPINGS and list(old) != list(new):
        differ.append("(顺序)")
        old["(顺序)"], new["(顺序)"] = list(old), list(new)
    return {k: old.get(k) for k in differ}, {k: new.get(k) for k in differ}


def keyed(part: str, data: Any) -> dict[str, Any]:
    if part in MAPPINGS:
        return flat(data) if isinstance(data, dict) else {"": data}
    items: list[Any] = data if isinstance(data, list) else [data]
    if part == "roles":
        items = [{**role, "lead": group.get("lead")} for group in items if isinstance(group, dict)
                 for role in group.get("roles") or () if isinstance(role, dict)]
    return {str(item.get("id")) if isinstance(item, dict) else str(i): item for i, item in enumerate(items)}


def flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            result.update(flat(value, f"{prefix}{key}."))
        else:
            result[f"{prefix}{key}"] = value
    return result
