"""年度考核结果通知书 (Word): one page per person, in the style of the other forms, with the
person's view (本人意见) and signature to be filled in by hand."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from service.content.codes import CHALLENGEABLE, GRADE_NONE, GRADE_PENDING
from service.content.formats import num
from service.content.models import Content
from service.office import docx_base as w

TITLE = "年度考核结果通知书"
WIDTHS = [2.6, 5.9, 2.6, 5.9]  # label, value, label, value (cm, 17 in all)


@dataclass(frozen=True)
class NoticeFacts:
    """What every notice of the year says besides the person: the decision and the periods."""

    college: str
    year: int
    decided_on: str  # the collective decision's date, "" when not recorded
    apply_days: int
    appeal_days: int


def facts(content: Content, round_: Mapping[str, Any]) -> NoticeFacts:
    s = content.settings
    decision = round_.get("decision") or {}
    return NoticeFacts(s.college, s.year, decision.get("date", ""), s.assessment.review.apply,
                       s.assessment.review.appeal_apply)


def result_text(facts: NoticeFacts, doc: Mapping[str, Any]) -> str:
    grade = doc.get("grade") or ""
    decided = f"（{_cn(facts.decided_on)}）" if facts.decided_on else ""
    lead = (f"根据《事业单位工作人员考核规定》，经本人总结述职、民主测评、所在部门考核和学院领导班子集体审定"
            f"{decided}，")
    if grade == GRADE_NONE:
        why = doc.get("reason_text") or doc.get("reason") or "其他"
        return f"{lead}您参加 {facts.year} 年度考核，不定档次。原因：{why}。"
    if grade == GRADE_PENDING:
        return f"{lead}您 {facts.year} 年度考核暂不定档次，待有关情况结束后确定。"
    return f"{lead}您 {facts.year} 年度考核结果为：{grade}。"


def notices_docx(facts: NoticeFacts, docs: Iterable[Mapping[str, Any]]) -> bytes:
    """Every person of `docs` on a page of their own."""
    document = w.new_document()
    for index, doc in enumerate(docs):
        _notice(document, facts, doc, new_page=index > 0)
    document.core_properties.title = f"{facts.year}{TITLE}"
    document.core_properties.subject = TITLE
    document.core_properties.author = w.AUTHOR
    document.core_properties.keywords = f"年度考核;{facts.year}"
    return w.to_bytes(document)


def _notice(document: Any, facts: NoticeFacts, doc: Mapping[str, Any], *, new_page: bool) -> None:
    title = w.add_title(document, [facts.college, f"{facts.year}{TITLE}"])
    title.paragraph_format.page_break_before = new_page
    w.add_paragraph(document, f"{doc.get('name', '')}同志：", size=w.LABEL_PT, after=6)
    body = w.add_paragraph(document, "　　" + result_text(facts, doc), size=w.LABEL_PT, align=w.JUSTIFY, after=6)
    body.paragraph_format.line_spacing = 1.5
    table = w.new_table(document, 3, WIDTHS)
    score = doc.get("score")
    cells = [("姓名", doc.get("name", "")), ("部门、系", doc.get("department_name", "")),
             ("岗位及职务", doc.get("post", "")), ("考核得分", num(score) if score is not None else "—"),
             ("考核年度", f"{facts.year} 年度"), ("考核结果", doc.get("grade", ""))]
    for index, (label, value) in enumerate(cells):
        row = table.rows[index // 2]
        w.row_height(row, 0.9)
        w.write_cell(row.cells[(index % 2) * 2], label, bold=True, size=w.BODY_PT)
        w.write_cell(row.cells[(index % 2) * 2 + 1], str(value), size=w.BODY_PT)
    if doc.get("grade") in CHALLENGEABLE:
        w.add_paragraph(document, "", after=4)
        rights = w.add_paragraph(
            document, f"　　如对考核结果有异议，可自收到本通知书之日起 {facts.apply_days} 日内向人事处书面申请复核；"
                      f"对复核决定不服的，可自收到复核决定之日起 {facts.appeal_days} 日内向主管部门提出申诉。"
                      "复核、申诉期间不停止考核结果的执行。", align=w.JUSTIFY, after=4)
        rights.paragraph_format.line_spacing = 1.5
    w.add_paragraph(document, "", after=6)
    view = w.new_table(document, 1, [17.0])
    w.row_height(view.rows[0], 5.5)
    w.write_cell(view.rows[0].cells[0], "本人意见：\n\n\n\n\n\n本人签名：　　　　　　　　　　　　年　　月　　日",
                 align=w.LEFT, size=w.BODY_PT)
    w.add_paragraph(document, "", after=12)
    w.add_paragraph(document, f"{facts.college}人事处（盖章）", align=w.RIGHT, size=w.LABEL_PT)
    w.add_paragraph(document, "年　　月　　日", align=w.RIGHT, size=w.LABEL_PT)
    w.add_paragraph(document, "注：本通知书一式两份，本人签署意见后一份交人事处存入个人档案。", size=w.TABLE_PT)


def _cn(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{int(year)}年{int(month)}月{int(day)}日"
