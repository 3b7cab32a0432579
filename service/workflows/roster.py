"""Replacing the staff roster with one imported from the personnel system's export.

The import itself is read and checked elsewhere (office/roster_sheet.py reads the file,
content/roster.py validates the rows and diffs them against the current roster); here the
result replaces the set-up's `roster.yml` (in the data directory) atomically (a reader sees
the old file or the new one) and, from the web and the CLI, the audit log records who did it and
what changed. Roles HR adds from the export's 岗位 values go into the set-up's roles the way the set-up
console's roles part does (`setup.save_part`: validated, written, audited) before the roster that
names them. The mappings HR chose are remembered in the set-up (`roster_mapping.yml`, with who chose
each and when) and applied at every import until HR forgets one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from service.content import roster_choices
from service.content.loader import ROLES_FILE, load_content
from service.content.models import Content
from service.content.roster import MAPPED, Mapping_, RosterImport
from service.content.roster_choices import Choices, NewRole, with_new_roles
from service.content.roster_file import ROSTER_FILE, dump_roster
from service.content.yaml_files import ContentInvalid
from service.errors import ApiError, quoted, unprocessable
from service.storage.files import atomic_write
from service.workflows import setup
from service.workflows.commit import log
from service.workflows.context import Context

MAPPING_FILE = "roster_mapping.yml"  # the export's 部门/岗位 values HR mapped, applied at every import


RECORDS = "记录"  # the mapping file's section of who chose each mapping and when


@dataclass(frozen=True)
class Remembered:
    """A remembered mapping: the export's value of a field (岗位 or 部门), the role or department it
    stands for, and who chose it when (empty for a mapping remembered before that was kept)."""
    field: str
    value: str
    target: str
    by: str = ""
    at: str = ""  # ISO 8601


def mapping(content_dir: Path) -> Mapping_:
    """The mappings remembered from earlier imports (none when the file is missing or unreadable)."""
    return {(m.field, m.value): m.target for m in remembered(content_dir)}


def remembered(content_dir: Path) -> list[Remembered]:
    """The remembered mappings, each with who chose it when if recorded, by field then value."""
    data = _read(content_dir)
    records = data.get(RECORDS) if isinstance(data.get(RECORDS), dict) else {}
    found: list[Remembered] = []
    for kind in MAPPED.values():
        values = data.get(kind)
        kept = records.get(kind) if isinstance(records.get(kind), dict) else {}
        for value, target in sorted((values if isinstance(values, dict) else {}).items(), key=lambda i: str(i[0])):
            record = kept.get(value) if isinstance(kept.get(value), dict) else {}
            found.append(Remembered(kind, str(value), str(target), str(record.get("by") or ""),
                                    str(record.get("at") or "")))
    return found


def remember(content_dir: Path, chosen: Mapping_, by: str = "", at: str = "") -> None:
    """Add `chosen` to the remembered mappings (a value mapped again takes the new target), noting
    `by` whom and `at` what time they were chosen."""
    if not chosen:
        return
    kept = {(m.field, m.value): m for m in remembered(content_dir)}
    kept.update({key: Remembered(*key, target, by, at) for key, target in chosen.items()})
    _write_mapping(content_dir, kept.values())


def forget(ctx: Context, field: str, value: str, actor: str) -> Remembered:
    """Forget one remembered mapping (the next import asks for the value again), audited; 422 for a
    field other than 岗位/部门 or no value, 409 when no such mapping is remembered."""
    if field not in MAPPED.values():
        raise unprocessable("invalid_field", f"字段“{quoted(field)}”应为“岗位”或“部门”", field="field")
    if not value.strip():
        raise unprocessable("missing_value", "请指明要删除哪一个对应关系（人事系统中的名称）", field="value")
    directory = ctx.settings.content_dir
    with ctx.store.locked():
        kept = remembered(directory)
        gone = next((m for m in kept if (m.field, m.value) == (field, value)), None)
        if gone is None:
            raise ApiError(409, "mapping_not_found", f"没有记住{field}“{quoted(value)}”的对应关系（可能已被删除），"
                           "请刷新页面查看", field="value")
        _write_mapping(directory, [m for m in kept if m != gone])
        log(ctx, actor, "roster.mapping_forgotten", field=field, value=value, target=gone.target)
    return gone


def _read(content_dir: Path) -> dict[str, Any]:
    try:
        data: Any = yaml.safe_load((content_dir / MAPPING_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, yaml.YAMLError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_mapping(content_dir: Path, kept: Iterable[Remembered]) -> None:
    ordered = sorted(kept, key=lambda m: (m.field, m.value))
    data: dict[str, Any] = {kind: {m.value: m.target for m in ordered if m.field == kind} for kind in MAPPED.values()}
    data[RECORDS] = {kind: {m.value: {"by": m.by, "at": m.at} for m in ordered if m.field == kind and (m.by or m.at)}
                     for kind in MAPPED.values()}
    body = ("# 导入名册时人事系统中的部门、岗位名称对应到本系统的部门、岗位代码（导入时自动记住）；"
            "“记录”是谁在何时选定的\n")
    atomic_write(content_dir / MAPPING_FILE, (body + yaml.safe_dump(data, allow_unicode=True)).encode("utf-8"))


def write(content_dir: Path, result: RosterImport) -> Path:
    """Replace `content_dir`'s roster.yml with the import's rows (temp file, fsync, rename)."""
    target = content_dir / ROSTER_FILE
    atomic_write(target, dump_roster(result.entries()).encode("utf-8"))
    return target


def fingerprint(content_dir: Path) -> str:
    """The roster file's SHA-256: a preview is applied only to the roster it was made against."""
    try:
        return hashlib.sha256((content_dir / ROSTER_FILE).read_bytes()).hexdigest()
    except FileNotFoundError:
        return ""


@dataclass(frozen=True)
class Prepared:
    """An export checked against the set-up with HR's choices (new roles included)."""
    choices: Choices
    content: Content  # the set-up with the new roles
    result: RosterImport
    base: str  # the roster file's fingerprint the diff was made against


def prepare(ctx: Context, fields: Iterable[tuple[str, str]],
            read: Callable[[Content, Mapping_], RosterImport]) -> Prepared:
    """The export `read` against the set-up with HR's `fields` (`map:` and `lead:`) and the
    remembered mappings; MappingInvalid, ApiError or RosterImportError when refused; nothing written."""
    choices = roster_choices.from_fields(ctx.content, fields)
    content = staged(ctx, choices.new_roles)
    base = fingerprint(ctx.settings.content_dir)
    result = read(content, {**mapping(ctx.settings.content_dir), **choices.mapping})
    roster_choices.check_held(choices.new_roles, result.members)
    return Prepared(choices, content, result, base)


def staged(ctx: Context, new_roles: Sequence[NewRole]) -> Content:
    """The set-up an import is checked against: the current one with `new_roles` added, judged as
    the set-up console's roles part is (422 `setup_invalid` naming the field); nothing written."""
    if not new_roles:
        return ctx.content
    text = setup.dump(ROLES_FILE, with_new_roles(setup.read_part(ctx, "roles"), new_roles))
    try:
        return load_content(ctx.settings.content_dir, {ROLES_FILE: text})
    except ContentInvalid as exc:
        raise setup.refusal(exc.errors) from None


def apply(ctx: Context, result: RosterImport, base: str, actor: str, chosen: Mapping_ | None = None,
          new_roles: Sequence[NewRole] = ()) -> Content:
    """Write the previewed import, if the roster is still the one it was compared with: first the
    roles it adds (the set-up's roles part, audited), then the roster, and remember the mappings
    `chosen` for it; return the content as now on disk (validated again)."""
    directory = ctx.settings.content_dir
    with ctx.store.locked():
        if fingerprint(directory) != base:
            raise ApiError(409, "roster_changed", "预览之后名册已被修改（可能有人同时导入），为免覆盖，"
                           "请重新上传文件查看最新的变化")
        if new_roles:
            setup.save_part(ctx, "roles", with_new_roles(setup.read_part(ctx, "roles"), new_roles), actor)
        write(directory, result)
        remember(directory, chosen or {}, actor, ctx.now().isoformat(timespec="seconds"))
        diff = result.diff
        log(ctx, actor, "roster.import", total=len(result.members), added=len(diff.added),
            changed=len(diff.changed), removed=len(diff.removed), source=result.source,
            mapped={f"{kind}:{value}": target for (kind, value), target in (chosen or {}).items()},
            new_roles=[role.id for role in new_roles])
    return load_content(directory)
