"""MkDocs hooks: the portal's pages generated from `content/*.yml` through the content loader.

Role and annex pages are added with `File.generated`; every Markdown page is rendered as a
Jinja template with the content in scope, so `{{ s.year }}` and the tables follow settings.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import jinja2
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from service.config import ROOT
from service.content import forms_text
from service.content.formats import cn_date
from service.content.loader import ContentInvalid, load_content
from service.content.models import Content
from service.office import catalog
from service.sitegen import pages, template_check
from service.sitegen.build import ACCEPTED_DUTIES

log = logging.getLogger("mkdocs.hooks.portal")
SEARCH_WORDS = "search_words.txt"
CODE_ASSETS = ROOT / "content" / "pages" / "assets"  # the portal's script and style ship with the code
LOGIN_LINK = ('<a href="/login" class="md-header__button portal-login" data-portal-login title="各部门、人事处、院领导登录报送系统">'
              '登录</a>\n')

# -- hooks ---------------------------------------------------------------------------

_state: dict[str, Any] = {}


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    content_dir = Path(config.docs_dir).parent
    try:
        content = load_content(content_dir)
    except ContentInvalid as exc:
        raise PluginError("内容校验失败：\n" + str(exc)) from exc
    _state["content"] = content
    _load_search_words(content_dir / SEARCH_WORDS)
    config.site_name = f"{content.settings.year}年度教职工岗位工作目标责任状"
    config.copyright = f"{content.settings.college} 人事处"
    _extend_nav(config.nav or [], content)
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    content: Content = _state["content"]
    accepted = config.extra.get(ACCEPTED_DUTIES) or {}
    for role in content.roles:
        page = pages.role_page(content, role, accepted.get(role.id, ()))
        files.append(File.generated(config, pages.role_path(role), content=page))
    files.append(File.generated(config, "roles/index.md", content=pages.role_index_page(content)))
    for number in forms_text.ANNEX_TITLES:
        files.append(File.generated(config, pages.annex_path(number), content=pages.annex_page(content, number)))
    for path, data in catalog.site_files(content).items():  # the blank Word and Excel forms
        files.append(File.generated(config, path, content=data))
    for path, data in catalog.role_files(content).items():  # each role's annex 3, its template filled in
        files.append(File.generated(config, path, content=data))
    _code_assets(files, config)
    return files


def _code_assets(files: Files, config: MkDocsConfig) -> None:
    """The portal's own script and style from the code the service runs, never an older copy left
    in a college's set-up (seeded from the sample by an earlier release)."""
    for path in sorted(CODE_ASSETS.iterdir()):
        uri = f"assets/{path.name}"
        if (old := files.get_file_from_path(uri)) is not None:
            files.remove(old)
        files.append(File.generated(config, uri, abs_src_path=str(path)))


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """A 登录 link at the end of every page's header, for the departments, HR and the leaders."""
    end = output.find("</header>")
    close = output.rfind("</nav>", 0, end)
    if end < 0 or close < 0:
        return output
    return output[:close] + LOGIN_LINK + output[close:]


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    content: Content = _state["content"]
    try:
        template = _env.from_string(markdown)
    except jinja2.TemplateSyntaxError as exc:
        raise PluginError(f"{page.file.src_path} 第 {exc.lineno} 行模板错误：{exc.message}") from exc
    return template.render(**context(content))


# -- helpers -------------------------------------------------------------------------

_env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)


def page_errors(pages_dir: Path) -> list[str]:
    """Syntax errors of the set-up's Markdown pages, each rendered as a template at build."""
    return template_check.file_errors(_env, pages_dir, "*.md")


def context(content: Content) -> dict[str, Any]:
    s = content.settings
    d = s.deadlines
    return {
        "s": s,
        "content": content,
        "college": s.college,
        "year": s.year,
        "contact": s.contact,
        "dates": {key: cn_date(getattr(d, key)) for key in ("duties_lead", "duties_all", "contracts")},
        "common_table": pages.common_table(content),
        "lead_matrix": pages.lead_matrix(content),
        "timeline_table": pages.timeline_table(content),
        "deadline_cards": pages.deadline_cards(content),
        "annex_titles": forms_text.ANNEX_TITLES,
        "annex_downloads": catalog.downloads(),
        "roles": content.roles,
    }


def _load_search_words(path: Path) -> None:
    """Domain words jieba must keep whole so Material's search finds them (值班值宿 → one token).

    Loaded here rather than through `search.jieba_dict_user`, whose path is taken relative to
    the working directory.
    """
    if path.exists():
        import jieba

        jieba.load_userdict(str(path))


def _extend_nav(nav: list[Any], content: Content) -> None:
    """Fill the 岗位目标 and 附件下载 sections with the generated pages."""
    for entry in nav:
        if not isinstance(entry, dict):
            continue
        for title, children in entry.items():
            if title == "岗位目标" and isinstance(children, list):
                children[1:] = [{r.name: pages.role_path(r)} for r in content.roles]
            elif title == "附件下载" and isinstance(children, list):
                children[1:] = [{forms_text.annex_heading(n): pages.annex_path(n)} for n in forms_text.ANNEX_TITLES]
