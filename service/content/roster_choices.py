"""What HR chose for the export's unknown 岗位 and 部门 values: form fields in, a mapping and the
roles to add out.

A value is mapped by `map:岗位:<value>` = a role (name or code) or `map:部门:<value>` = a department
(name or code). A 岗位 value may instead become a role of its own: `map:岗位:<value>` = NEW_ROLE,
with `lead:岗位:<value>` = the department that drafts its personal targets (name or code, or
SELF_LEAD: each department its own). The new role is named as the export names it, gets a free
code, and starts with no duties and an empty target template, which HR fills in on the set-up's
roles page. Pure: refusals are `MappingInvalid`, each with its machine code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from service.content import text_forms
from service.content.models import SELF_LEAD, Content, StaffMember
from service.content.roster import (
    MAPPED,
    Mapping_,
    MappingInvalid,
    RosterImport,
    resolve_mapping,
    summary_lines,
)
from service.errors import quoted

MAP_PREFIX = "map:"  # map:岗位:<the export's value> = a role; map:部门:<value> = a department
LEAD_PREFIX = f"lead:{MAPPED['role']}:"  # lead:岗位:<value> = a new role's lead department
NEW_ROLE = "添加为新岗位"
SELF_LEAD_NAME = "所在部门自行拟定"
NEW_ROLE_ID = re.compile(r"^role-(\d+)$")
_LOOSE = str.maketrans({"(": "（", ")": "）", " ": "", "\u3000": ""})


@dataclass(frozen=True)
class NewRole:
    """A role added from the export: its code, its name (the export's value), its lead department."""
    id: str
    name: str
    lead: str  # a department id, or SELF_LEAD


@dataclass(frozen=True)
class Choices:
    mapping: Mapping_  # (岗位 or 部门, the export's value) → role or department id, new roles included
    new_roles: tuple[NewRole, ...] = ()


def from_fields(content: Content, fields: Iterable[tuple[str, str]]) -> Choices:
    """The form's `map:` and `lead:` fields as HR's choices; MappingInvalid names the first bad one."""
    pairs = [(key, value) for key, value in fields]
    leads = {text_forms.without_invisible(key[len(LEAD_PREFIX):]).strip(): value
             for key, value in pairs if key.startswith(LEAD_PREFIX)}
    maps = [(key[len(MAP_PREFIX):], value) for key, value in pairs if key.startswith(MAP_PREFIX)]
    wanted = [text_forms.without_invisible(key.partition(":")[2]).strip() for key, value in maps
              if key.partition(":")[0] == MAPPED["role"] and value.strip() == NEW_ROLE]
    mapping = resolve_mapping(content, [(key, value) for key, value in maps if value.strip() != NEW_ROLE])
    added = new_roles(content, wanted, leads)
    return Choices({**mapping, **{(MAPPED["role"], r.name): r.id for r in added}}, added)


def new_roles(content: Content, names: Sequence[str], leads: dict[str, str]) -> tuple[NewRole, ...]:
    """The roles to add for `names` (the export's 岗位 values), each with its lead from `leads`."""
    taken = {r.name.translate(_LOOSE) for r in content.roles} | {r.id.lower() for r in content.roles}
    number = max((int(m.group(1)) for r in content.roles if (m := NEW_ROLE_ID.match(r.id))), default=0)
    added: list[NewRole] = []
    for name in dict.fromkeys(n for n in names if n):
        lead = leads.get(name, "").strip()
        if not lead:
            raise MappingInvalid(f"新岗位“{quoted(name)}”还没有选择牵头拟定个性目标的部门：请选择一个部门，"
                                 f"或“{SELF_LEAD_NAME}”", code="new_role_lead_missing")
        lead_id = SELF_LEAD if lead in (SELF_LEAD, SELF_LEAD_NAME) else next(
            (d.id for d in content.departments if lead in (d.id, d.name)), None)
        if lead_id is None:
            raise MappingInvalid(f"新岗位“{quoted(name)}”的牵头部门“{quoted(lead)}”不在部门列表中，可选："
                                 f"{'、'.join(d.name for d in content.departments)}、{SELF_LEAD_NAME}",
                                 code="new_role_lead_unknown")
        if name.translate(_LOOSE) in taken or name.lower() in taken:
            raise MappingInvalid(f"岗位“{quoted(name)}”已经是本系统的岗位（或与已有岗位同名），不能再添加为新岗位：请直接"
                                 "选择该岗位", code="new_role_exists")
        taken.add(name.translate(_LOOSE))
        number += 1
        added.append(NewRole(f"role-{number}", name, lead_id))
    return tuple(added)


def check_held(new_roles: Sequence[NewRole], members: Iterable[StaffMember]) -> None:
    """A new role nobody of the export holds would be added for nothing: refused."""
    held = {m.role for m in members}
    for role in new_roles:
        if role.id not in held:
            raise MappingInvalid(f"名册中没有岗位为“{quoted(role.name)}”的人员，不必添加为新岗位",
                                 code="new_role_unused")


def with_new_roles(groups: list[dict[str, Any]], roles: Sequence[NewRole]) -> list[dict[str, Any]]:
    """roles.yml's groups with each new role put in its lead's group (a new group when none)."""
    result = [{**group, "roles": list(group.get("roles") or [])} for group in groups]
    for role in roles:
        entry = {"id": role.id, "name": role.name, "duties": [], "targets": []}
        group = next((g for g in result if g.get("lead") == role.lead), None)
        if group is None:
            result.append({"lead": role.lead, "roles": [entry]})
        else:
            group["roles"].append(entry)
    return result


def lead_name(content: Content, lead: str) -> str:
    if lead == SELF_LEAD:
        return SELF_LEAD_NAME
    department = content.department(lead)
    return department.name if department else lead


def preview_lines(content: Content, new_roles: Sequence[NewRole], result: RosterImport, limit: int) -> list[str]:
    """What an import with HR's choices would do, in Chinese: the roles it adds, the people it
    adds, changes and removes (`limit` of each kind named), the mappings it used. `content` is
    the set-up with the new roles."""
    added = [f"将添加新岗位：{r.name}（代码 {r.id}，牵头拟定部门：{lead_name(content, r.lead)}；"
             "岗位职责和个性目标模板为空，导入后在“设置学院—岗位与个性目标模板”页面填写）"
             for r in new_roles]
    mapped = [f"按对应关系：{kind}“{value}”→ {target_name(content, kind, target)}"
              for (kind, value), target in result.mapped.items()]
    return [*added, *summary_lines(content, result, limit=limit), *mapped]


def target_name(content: Content, kind: str, target: str) -> str:
    """The name of the department or role (`kind` 部门 or 岗位) a value is mapped to (its code
    when the set-up no longer has it)."""
    found = content.department(target) if kind == MAPPED["department"] else content.role(target)
    return found.name if found else target
