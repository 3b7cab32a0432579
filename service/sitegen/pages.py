"""Pure functions: content models in, Markdown/HTML for the portal's generated pages out.

The markup lives in templates/ beside this module. `.md` templates are Markdown and are not
escaped (the content is the college's own, validated by the loader); `.html` templates and the
HTML fragments they draw are autoescaped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from service.content import forms_text
from service.content.formats import cn_date, num
from service.content.models import SELF_LEAD, Content, Role, Rule
from service.office import catalog

TEMPLATES = Path(__file__).parent / "templates"
_BETWEEN_TAGS = re.compile(r">\s*\n\s*<", re.ASCII)


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


# -- fragments of the hand-written pages ---------------------------------------------


def common_table(content: Content) -> str:
    return _render("common_table.html", content=content)


def lead_matrix(content: Content) -> str:
    """Who drafts which role's individual targets (the notice's section 一（二）)."""
    return _render("lead_matrix.md", content=content)


def timeline_table(content: Content) -> str:
    return _render("timeline_table.md", steps=timeline(content), s=content.settings)


def deadline_cards(content: Content) -> str:
    """Home-page cards; portal.js turns data-deadline into a live countdown."""
    return _render("deadline_cards.html", steps=timeline(content))


# -- generated pages -----------------------------------------------------------------


def role_index_page(content: Content) -> str:
    return _render("role_index.md", content=content, s=content.settings)


def role_page(content: Content, role: Role, accepted: Sequence[Mapping[str, Any]] = ()) -> str:
    """The role's page; `accepted` holds the duties HR accepted from departments ({department, duties})."""
    return _render("role.md", content=content, s=content.settings, role=role,
                   budget=content.settings.individual_points, sections=_sections(content, accepted),
                   role_file=catalog.role_site_path(role))


def annex_page(content: Content, number: int) -> str:
    return _render("annex.md", content=content, s=content.settings, number=number)


def _sections(content: Content, accepted: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One section per department that delivered accepted duties, named as in departments.yml."""
    sections = []
    for entry in accepted:
        department_id = str(entry["department"])
        department = content.department(department_id)
        sections.append({"department": department_id, "name": department.name if department else department_id,
                         "duties": list(entry["duties"])})
    return sections


# -- rendering -----------------------------------------------------------------------


def _cell(text: str) -> Markup:
    """Escaped text, its line breaks shown as <br>."""
    return escape(text).replace("\n", Markup("<br>"))


def _literal(text: str) -> Markup:
    """Text shown as typed: escaped as HTML and its braces as well, so that the Jinja pass over
    every page's Markdown (hooks.on_page_markdown) prints them; line breaks become spaces."""
    return escape(text).replace("{", Markup("&#123;")).replace("}", Markup("&#125;")).replace("\n", " ")


def _rules_text(rules: tuple[Rule, ...]) -> str:
    """Deduction rules as on annex 2: numbered and separated by "；", the last ending in "。"."""
    return forms_text.rules_text(tuple(rule.text for rule in rules))


def _spaceless(markup: Markup) -> Markup:
    """The markup on one line: the template's line breaks and indentation between tags removed,
    so a table stays one HTML block in the page's Markdown and adds no text to the search index."""
    return Markup(_BETWEEN_TAGS.sub("><", markup).strip())


# The module's own environment rather than the theme's (config.theme.get_env()): the pages are
# drawn from content models alone, so they render, and are tested, without a MkDocs config.
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_env.filters.update(cell=_cell, literal=_literal, rules_text=_rules_text, spaceless=_spaceless,
                    num=num, cn_date=cn_date)
_env.globals.update(forms_text=forms_text, SELF_LEAD=SELF_LEAD, role_path=role_path)


def _render(name: str, **context: Any) -> str:
    return _env.get_template(name).render(**context)


def template_errors() -> list[str]:
    """Syntax errors of the page templates kept next to this module."""
    from service.sitegen import template_check

    return template_check.loader_errors(_env, "service/sitegen/templates")
