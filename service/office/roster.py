"""Looking up what a pre-filled form is for."""

from __future__ import annotations

from service.content.models import Content, Department


class UnknownDepartment(KeyError):
    pass


def department_of(content: Content, department_id: str | None) -> Department | None:
    """The department a form is pre-filled for; None for a blank form."""
    if department_id is None:
        return None
    found = content.department(department_id)
    if found is None:
        raise UnknownDepartment(f"未知部门：{department_id}")
    return found
