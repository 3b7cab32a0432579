"""Pure functions: content models in, Markdown/HTML for the portal's generated pages out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from service.models import (
    COL_CONTENT,
    COL_DEADLINE,
    COL_EVIDENCE,
    COL_POINTS,
    SELF_LEAD,
    Content,
    Role,
    Rule,
)

ANNEX_TITLES = {
    1: "教职工岗位工作目标责任状",
    2: "教职工个人岗位共性工作目标考核标准分解表",
    3: "教职工个人岗位个性工作目标考核标准分解表",
    4: "教职工岗位工作目标考核月汇总表",
    5: "教职工岗位工作目标责任状签订完成情况统计表",
}
WEEKDAYS = "一二三四五六日"
MONTHLY_COLUMNS = ("出勤", "事假", "病假", "迟到", "早退", "旷工", "离岗", "其他项目")


def num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def cn_date(day: dt.date, *, year: bool = False, weekday: bool = False) -> str:
    text = f"{day.month}月{day.day}日"
    if year:
        text = f"{day.year}年{text}"
    if weekday:
        text += f"（星期{WEEKDAYS[day.weekday()]}）"
    return text


def role_path(role: Role) -> str:
    return f"roles/{role.id}.md"


def annex_path(number: int) -> str:
    return f"annexes/annex-{number}.md"


def timeline(content: Content) -> list[tuple[dt.date, str, str]]:
    """The cycle's dated steps: (date, who, what)."""
    s = content.settings
    d = s.deadlines
    return [
        (d.duties_lead, "教务处、实训与就业处、学生处、教育教学督导处、学历教育指导中心",
         "制定各系相关人员的岗位职责，电子版及纸质版交人事处，由人事处汇总后统一下发到各系"),
        (d.duties_all, "各部门、各系", "将制定完的个人岗位职责纸质材料和电子版上交人事处"),
        (d.contracts, "各部门、各系",
         "制定个人岗位工作目标及目标分解，签订责任状（一式三份），经部门领导、主管院长签字后报人事处备案"),
    ]


# -- tables --------------------------------------------------------------------------


def _cell(text: str) -> str:
    return escape(text).replace("\n", "<br>")


def target_table(role: Role, budget: int) -> str:
    rows = "".join(
        f'<tr><td class="n">{i}</td><td>{_cell(r.content)}</td><td class="n">{num(r.points)}</td>'
        f"<td>{_cell(r.evidence)}</td><td>{_cell(r.deadline)}</td></tr>"
        for i, r in enumerate(role.targets, 1)
    )
    return (
        f'<div class="portal-scroll"><table class="portal-table targets"><thead><tr><th class="n">序号</th><th>{COL_CONTENT}</th>'
        f'<th class="n">{COL_POINTS}<br>{budget}分</th><th>{COL_EVIDENCE}</th><th>{COL_DEADLINE}</th></tr></thead>'
        f'<tbody>{rows}<tr class="total"><td></td><td>合计</td><td class="n">{num(role.target_total)}</td>'
        f"<td></td><td></td></tr></tbody></table></div>"
    )


def common_table(content: Content) -> str:
    rows = []
    for i, t in enumerate(content.common_targets, 1):
        rows.append(f'<tr id="{escape(t.id)}"><td class="n">{i}</td><td>{_cell(t.content)}</td>'
                    f'<td class="n">{num(t.points)}</td><td>{_rules(t.rules)}</td></tr>')
    total = sum(t.points for t in content.common_targets)
    return (
        '<div class="portal-scroll"><table class="portal-table common"><thead><tr><th class="n">序号</th><th>目标内容</th>'
        f'<th class="n">分值<br>{content.settings.common_points}分</th><th>评分标准</th></tr></thead>'
        f'<tbody>{"".join(rows)}<tr class="total"><td></td><td>合计</td><td class="n">{num(total)}</td><td></td></tr>'
        "</tbody></table></div>"
    )


def _rules(rules: tuple[Rule, ...]) -> str:
    """Deduction rules as on annex 2: numbered and separated by "；", the last ending in "。"."""
    texts = [_cell(rule.text) for rule in rules]
    if len(texts) > 1:
        texts = [f"{j}、{text}" for j, text in enumerate(texts, 1)]
    return "；<br>".join(texts) + "。"


def lead_matrix(content: Content) -> str:
    """Who drafts which role's individual targets (the notice's section 一（二）)."""
    lines = ["| 牵头拟定部门 | 岗位 |", "| --- | --- |"]
    for lead, roles in content.roles_by_lead():
        who = "各岗位所在部门（按岗位职责自行拟定）" if lead == SELF_LEAD else content.lead_name(roles[0])
        links = "、".join(f"[{r.name}]({role_path(r)})" for r in roles)
        lines.append(f"| {who} | {links} |")
    return "\n".join(lines)


def timeline_table(content: Content) -> str:
    lines = ["| 截止日期 | 责任部门 | 工作内容 |", "| --- | --- | --- |"]
    for day, who, what in timeline(content):
        lines.append(f"| **{cn_date(day, year=True, weekday=True)}前** | {who} | {what} |")
    s = content.settings
    lines.append(f"| 每月{s.monthly_due_day}日前 | 各部门、各系 | 将上月考核情况填入月汇总表（附件4）报人事处 |")
    return "\n".join(lines)


def deadline_cards(content: Content) -> str:
    """Home-page cards; portal.js turns data-deadline into a live countdown."""
    cards = []
    for day, who, what in timeline(content):
        cards.append(
            f'<div class="deadline-card" data-deadline="{day.isoformat()}">'
            f'<div class="deadline-date">{cn_date(day)}</div>'
            f'<div class="deadline-what">{escape(what.split("，")[0])}</div>'
            f'<div class="deadline-who">{escape(who)}</div>'
            f'<div class="deadline-countdown" aria-live="polite"></div></div>'
        )
    return f'<div class="deadline-cards">{"".join(cards)}</div>'


# -- generated pages -----------------------------------------------------------------


def role_index_page(content: Content) -> str:
    parts = ["# 岗位目标", "",
             f"每个岗位的个性工作目标（业务工作目标）共 {content.settings.individual_points} 分，"
             "由牵头部门拟定、主管院领导审定。选择您的岗位，查看岗位职责和目标模板。", ""]
    for lead, roles in content.roles_by_lead():
        who = "由所在部门自行拟定" if lead == SELF_LEAD else f"由{content.lead_name(roles[0])}牵头拟定"
        parts.append(f"## {who}")
        parts.append("")
        parts.extend(f"- [{r.name}]({r.id}.md)" for r in roles)
        parts.append("")
    return "\n".join(parts)


def role_page(content: Content, role: Role, accepted: Sequence[Mapping[str, Any]] = ()) -> str:
    """The role's page; `accepted` holds the duties HR accepted from departments ({department, duties})."""
    s = content.settings
    lead = "各岗位所在部门按照岗位职责自行拟定" if role.lead == SELF_LEAD else f"{content.lead_name(role)}牵头拟定"
    duties = "\n".join(f"{i}. {d}" for i, d in enumerate(role.duties, 1))
    return f"""# {role.name}

!!! info "目标由谁拟定"
    {role.name}的个性工作目标由**{lead}**，须经主管院领导审定。个性目标 {s.individual_points} 分，另有全院统一的[共性目标](../common.md) {s.common_points} 分，合计 {s.total_points} 分。

## 岗位职责 {{ #duties }}

{duties}
{accepted_duties(content, accepted)}
## 个性工作目标模板（{s.individual_points}分） {{ #targets }}

下表为{s.year}年度{role.name}岗位的个性工作目标模板，部门可在此基础上结合个人岗位情况分解，分值合计必须为 {s.individual_points} 分，每项须有佐证材料及分值标准和完成时限。

{target_table(role, s.individual_points)}

[下载个性工作目标考核标准分解表（附件3）](../annexes/index.md){{ .md-button }}
"""


def accepted_duties(content: Content, accepted: Sequence[Mapping[str, Any]]) -> str:
    """Duties departments delivered and HR accepted, one list per department.

    The text comes from department accounts, so it is escaped as HTML, and braces are
    escaped too: every page's Markdown later goes through Jinja (site_hooks).
    """
    if not accepted:
        return ""
    parts = ["", "### 各部门报送的岗位职责（经人事处审核） {: #accepted-duties }", ""]
    for entry in accepted:
        department = content.department(str(entry["department"]))
        name = department.name if department else str(entry["department"])
        items = "".join(f"<li>{_literal(d)}</li>" for d in entry["duties"])
        parts += [f'<section class="accepted-duties" data-department="{_literal(str(entry["department"]))}">',
                  f"<h4>{_literal(name)}</h4>", f"<ol>{items}</ol>", "</section>", ""]
    return "\n".join(parts)


def _literal(text: str) -> str:
    return escape(text).replace("{", "&#123;").replace("}", "&#125;").replace("\n", " ")


def annex_page(content: Content, number: int) -> str:
    s = content.settings
    title = ANNEX_TITLES[number]
    head = f'<div class="annex-head"><div class="annex-no">附件{number}：</div>'
    body = {1: _annex1, 2: _annex2, 3: _annex3, 4: _annex4, 5: _annex5}[number](content)
    return f"""---
search:
  boost: 0.5
---

# 附件{number} {title}

<div class="annex-actions" markdown>
[打印本表](javascript:window.print()){{ .md-button }} [返回附件下载](index.md){{ .md-button }}
</div>

<div class="annex">
{head}<h2 class="annex-title">{escape(s.college)}<br>{s.year}年{title}</h2></div>
{body}
</div>
"""


def _blank_rows(count: int, columns: int) -> str:
    return "".join("<tr>" + "<td>&nbsp;</td>" * columns + "</tr>" for _ in range(count))


def _annex1(content: Content) -> str:
    s = content.settings
    return (
        '<table class="annex-table contract"><colgroup>' + "<col>" * 4 + "</colgroup><tbody>"
        '<tr><th colspan="2">岗位工作任务及目标</th><th>目标分值</th><th>目标要求（完成数据、标准、时限等）</th></tr>'
        f'<tr class="tall"><th>个性工作目标<br>（{s.individual_points}分）</th><td></td><td></td><td></td></tr>'
        f'<tr class="tall"><th>共性目标<br>（{s.common_points}分）</th><td></td><td></td><td></td></tr>'
        '<tr><th colspan="2">目标责任人</th><th colspan="2">部门、系负责人</th></tr>'
        '<tr class="sign"><td colspan="2">签名：<br><br>年　　月　　日</td>'
        '<td colspan="2">签名：<br><br>年　　月　　日</td></tr>'
        "</tbody></table>"
        "<p class=\"annex-note\">责任状按统一格式一式三份，部门、人事处、职工本人各一份。</p>"
    )


def _annex2(content: Content) -> str:
    return common_table(content)


def _annex3(content: Content) -> str:
    s = content.settings
    return (
        '<p class="annex-fields">部门：<u>　　　　　　　</u>　责任人：<u>　　　　　　</u>　岗位及职务：<u>　　　　　　</u></p>'
        '<table class="annex-table"><thead><tr><th>序号</th><th>目标内容</th>'
        f"<th>分值<br>{s.individual_points}分</th><th>佐证材料及分值</th><th>完成时限</th><th>备注</th></tr></thead>"
        f"<tbody>{_blank_rows(14, 6)}</tbody></table>"
    )


def _annex4(content: Content) -> str:
    s = content.settings
    cols = "".join(f"<th>{c}</th>" for c in MONTHLY_COLUMNS)
    return (
        '<p class="annex-fields">部　门：<u>　　　　　　　　</u>　　　　年　　月　　日</p>'
        '<table class="annex-table"><thead>'
        '<tr><th rowspan="2">序号</th><th rowspan="2">姓　名</th>'
        f'<th colspan="{len(MONTHLY_COLUMNS)}">共性目标</th><th rowspan="2">业务工作目标</th></tr>'
        f"<tr>{cols}</tr></thead>"
        f"<tbody>{_blank_rows(11, len(MONTHLY_COLUMNS) + 3)}</tbody></table>"
        f'<p class="annex-note">填表说明：1、此表为部门的月报表，各部门、系在每月{s.monthly_due_day}日前将上月考核情况填入该表，'
        "送人事教育处。2、表中共性目标中“其他项目”是指教职工共性目标中除考勤以外的所有项目。</p>"
        '<p class="annex-fields">部门负责人：　　　　　　　　填表人：　　　　　　　　联系电话：</p>'
    )


def _annex5(content: Content) -> str:
    return (
        '<p class="annex-fields">部门、系：<u>　　　　　　　　</u>　　　　年　　月　　日</p>'
        '<table class="annex-table"><thead><tr><th>序号</th><th>姓名</th><th>岗位、职务</th><th>完成情况</th></tr>'
        f"</thead><tbody>{_blank_rows(18, 4)}</tbody></table>"
        '<p class="annex-note">注：完成情况需填写完成、产假、病假、长期事假。</p>'
        '<p class="annex-fields">部门负责人签字：　　　　　　　填表人签字：　　　　　　　联系方式：</p>'
    )
