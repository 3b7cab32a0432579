"""The blank forms as site files, and download names for the pre-filled ones."""

from __future__ import annotations

from service.content.forms_text import ANNEX_TITLES
from service.content.models import Content, Role, StaffMember
from service.office import annex3, annex4, annex5

FILES_DIR = "annexes/files"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS: dict[int, tuple[str, ...]] = {1: ("docx",), 2: ("xlsx", "docx"), 3: ("xlsx",), 4: ("xlsx",),
                                       5: ("xlsx",)}
FORMAT_LABELS = {"docx": "Word", "xlsx": "Excel"}


def file_name(number: int, ext: str, *parts: str) -> str:
    """"附件5-教职工岗位工作目标责任状签订完成情况统计表[-机械工程系].xlsx"."""
    return "-".join((f"附件{number}", ANNEX_TITLES[number], *parts)) + f".{ext}"


def site_path(number: int, ext: str) -> str:
    return f"{FILES_DIR}/{file_name(number, ext)}"


def downloads() -> dict[int, list[tuple[str, str]]]:
    """Per annex: (format label, path relative to the annexes/ pages) of the blank files."""
    return {
        number: [(FORMAT_LABELS[ext], f"files/{file_name(number, ext)}") for ext in exts]
        for number, exts in FORMATS.items()
    }


def site_files(content: Content) -> dict[str, bytes]:
    """Every blank form (annex 2 as Excel and Word) keyed by its path in the site."""
    from service.office import annex1, annex2  # Word: loaded when first used (see the package)

    makers = {
        (1, "docx"): lambda: annex1.contract_docx(content),
        (2, "xlsx"): lambda: annex2.common_xlsx(content),
        (2, "docx"): lambda: annex2.common_docx(content),
        (3, "xlsx"): lambda: annex3.targets_xlsx(content),
        (4, "xlsx"): lambda: annex4.monthly_xlsx(content),
        (5, "xlsx"): lambda: annex5.completion_xlsx(content),
    }
    return {site_path(number, ext): make() for (number, ext), make in makers.items()}


def member_file_name(content: Content, number: int, ext: str, member: StaffMember) -> str:
    department = content.department(member.department)
    return file_name(number, ext, department.name if department else member.department, member.name)


def department_file_name(content: Content, number: int, ext: str, department_id: str,
                         month: int | None = None) -> str:
    department = content.department(department_id)
    parts = [department.name if department else department_id]
    if month:
        parts.append(f"{content.settings.year}年{month}月")
    return file_name(number, ext, *parts)


def role_site_path(role: Role) -> str:
    """Annex 3 filled with the role's template, in the site: annexes/files/附件3-…-理论课教师.xlsx."""
    return f"{FILES_DIR}/{file_name(3, 'xlsx', role.name)}"


def role_files(content: Content) -> dict[str, bytes]:
    """Each role's annex 3, its template's rows filled in, keyed by its path in the site."""
    return {role_site_path(role): annex3.targets_xlsx(content, rows=role.targets) for role in content.roles}
