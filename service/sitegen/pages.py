"""Pure functions: content models in, Markdown/HTML for the portal's generated pages out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from service.content import forms_text
from service.content.formats import cn_date, num
from service.content.forms_text import ANNEX_TITLES, MONTHLY_COLUMNS
from service.content.models import (
    COL_CONTENT,
    COL_DEADLINE,
    COL_EVIDENCE,
    COL_POINTS,
    SELF_LEAD,
    Content,
    Role,
    Rule,
)


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


def _th(text: str, attrs: str = "") -> str:
    return f"<th{attrs}>{_cell(text)}</th>"


def target_table(role: Role, budget: int) -> str:
    rows = "".join(
        f'<tr><td class="n">{i}</td><td>{_cell(r.content)}</td><td class="n">{num(r.points)}</td>'
        f"<td>{_cell(r.evidence)}</td><td>{_cell(r.deadline)}</td></tr>"
        for i, r in enumerate(role.targets, 1)
    )
    n = ' class="n"'
    head = (_th(forms_text.SERIAL, n) + _th(COL_CONTENT) + _th(forms_text.points_header(budget), n)
            + _th(COL_EVIDENCE) + _th(COL_DEADLINE))
    return (
        f'<div class="portal-scroll"><table class="portal-table targets"><thead><tr>{head}</tr></thead>'
        f'<tbody>{rows}<tr class="total"><td></td><td>{forms_text.TOTAL}</td><td class="n">{num(role.target_total)}</td>'
        f"<td></td><td></td></tr></tbody></table></div>"
    )


def common_table(content: Content) -> str:
    rows = []
    for i, t in enumerate(content.common_targets, 1):
        rows.append(f'<tr id="{escape(t.id)}"><td class="n">{i}</td><td>{_cell(t.content)}</td>'
                    f'<td class="n">{num(t.points)}</td><td>{_rules(t.rules)}</td></tr>')
    total = sum(t.points for t in content.common_targets)
    n = ' class="n"'
    head = (_th(forms_text.SERIAL, n) + _th(COL_CONTENT)
            + _th(forms_text.points_header(content.settings.common_points), n) + _th(forms_text.RULES_HEADER))
    return (
        f'<div class="portal-scroll"><table class="portal-table common"><thead><tr>{head}</tr></thead>'
        f'<tbody>{"".join(rows)}<tr class="total"><td></td><td>{forms_text.TOTAL}</td><td class="n">{num(total)}</td>'
        "<td></td></tr></tbody></table></div>"
    )


def _rules(rules: tuple[Rule, ...]) -> str:
    """Deduction rules as on annex 2: numbered and separated by "；", the last ending in "。"."""
    return _cell(forms_text.rules_text(tuple(rule.text for rule in rules)))


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
    head = f'<div class="annex-head"><div class="annex-no">{forms_text.annex_label(number)}</div>'
    body = {1: _annex1, 2: _annex2, 3: _annex3, 4: _annex4, 5: _annex5}[number](content)
    return f"""---
search:
  boost: 0.5
---

# {forms_text.annex_heading(number)}

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


def _blank(width: int) -> str:
    """A line to write on, `width` full-width spaces long."""
    return f"<u>{'　' * width}</u>"


def _fields(*parts: str) -> str:
    return f'<p class="annex-fields">{"".join(parts)}</p>'


def _note(text: str) -> str:
    return f'<p class="annex-note">{_cell(text)}</p>'


def _signatures(labels: tuple[str, ...], gap: str) -> str:
    return _fields(gap.join(labels))


def _annex1(content: Content) -> str:
    s = content.settings
    two = ' colspan="2"'
    sign = f"<td{two}>{_cell(forms_text.SIGNATURE)}<br><br>{_cell(forms_text.DATE_BLANK)}</td>"
    blocks = "".join(
        f'<tr class="tall">{_th(forms_text.section_label(group, points))}<td></td><td></td><td></td></tr>'
        for group, points in ((forms_text.INDIVIDUAL_GROUP, s.individual_points),
                              (forms_text.COMMON_GROUP, s.common_points))
    )
    return (
        '<table class="annex-table contract"><colgroup>' + "<col>" * 4 + "</colgroup><tbody>"
        f"<tr>{_th(forms_text.CONTRACT_TASK, two)}{_th(forms_text.CONTRACT_POINTS)}"
        f"{_th(forms_text.CONTRACT_REQUIREMENT)}</tr>"
        f"{blocks}"
        f"<tr>{_th(forms_text.CONTRACT_PERSON, two)}{_th(forms_text.CONTRACT_HEAD, two)}</tr>"
        f'<tr class="sign">{sign}{sign}</tr>'
        "</tbody></table>"
        f"{_note(forms_text.CONTRACT_NOTE)}"
    )


def _annex2(content: Content) -> str:
    return common_table(content)


def _annex3(content: Content) -> str:
    heads = list(forms_text.TARGET_COLUMNS)
    heads[heads.index(COL_POINTS)] = forms_text.points_header(content.settings.individual_points)
    return (
        _fields(forms_text.FIELD_DEPARTMENT, _blank(7), "　", forms_text.FIELD_PERSON, _blank(6), "　",
                forms_text.FIELD_POST, _blank(6))
        + f'<table class="annex-table"><thead><tr>{"".join(_th(h) for h in heads)}</tr></thead>'
        f"<tbody>{_blank_rows(14, len(heads))}</tbody></table>"
    )


def _annex4(content: Content) -> str:
    columns = MONTHLY_COLUMNS
    span = ' rowspan="2"'
    group = f' colspan="{len(columns)}"'
    return (
        _fields(forms_text.MONTHLY_DEPARTMENT, _blank(8), "　　", forms_text.date_line())
        + '<table class="annex-table"><thead>'
        f"<tr>{_th(forms_text.SERIAL, span)}{_th(forms_text.NAME, span)}"
        f"{_th(forms_text.COMMON_GROUP, group)}{_th(forms_text.BUSINESS, span)}</tr>"
        f'<tr>{"".join(_th(c) for c in columns)}</tr></thead>'
        f"<tbody>{_blank_rows(11, len(columns) + 3)}</tbody></table>"
        + _note(forms_text.monthly_note(content))
        + _signatures(forms_text.MONTHLY_SIGNATURES, "　" * 8)
    )


def _annex5(content: Content) -> str:
    columns = forms_text.COMPLETION_COLUMNS
    return (
        _fields(forms_text.COMPLETION_DEPARTMENT, _blank(8), "　　", forms_text.date_line())
        + f'<table class="annex-table"><thead><tr>{"".join(_th(c) for c in columns)}</tr>'
        f"</thead><tbody>{_blank_rows(18, len(columns))}</tbody></table>"
        + _note(forms_text.completion_note())
        + _signatures(forms_text.COMPLETION_SIGNATURES, "　" * 7)
    )
