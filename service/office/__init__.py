"""The notice's five annex forms as Word and Excel files: blank, and pre-filled from content.

Every function takes the loaded `Content` and returns the file's bytes; nothing here writes.
"""

from service.office.catalog import (
    DOCX_MIME,
    XLSX_MIME,
    department_file_name,
    downloads,
    file_name,
    member_file_name,
    site_files,
)
from service.office.docx_forms import common_docx, contract_docx
from service.office.identity import FORM_VERSION, FormIdentity
from service.office.roster import UnknownDepartment
from service.office.xlsx_common import common_xlsx
from service.office.xlsx_completion import completion_xlsx
from service.office.xlsx_monthly import monthly_xlsx
from service.office.xlsx_targets import targets_xlsx

__all__ = [
    "DOCX_MIME",
    "FORM_VERSION",
    "XLSX_MIME",
    "FormIdentity",
    "UnknownDepartment",
    "common_docx",
    "common_xlsx",
    "completion_xlsx",
    "contract_docx",
    "department_file_name",
    "downloads",
    "file_name",
    "member_file_name",
    "monthly_xlsx",
    "site_files",
    "targets_xlsx",
]
