"""Replacing the staff roster with one imported from the personnel system's export.

The import itself is read and checked elsewhere (office/roster_sheet.py reads the file,
content/roster.py validates the rows and diffs them against the current roster); here the
result replaces the set-up's `roster.yml` (in the data directory) atomically (a reader sees
the old file or the new one) and, from the web, the audit log records who did it and what
changed. Roles HR adds from the export's 岗位 values go into the set-up's roles the way the set-up
console's roles part does (`setup.save_part`: validated, written, audited) before the roster that
names them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from service.content.loader import ROLES_FILE, load_content
from service.content.models import Content
from service.content.roster import MAPPED, Mapping_, RosterImport
from service.content.roster_choices import NewRole, with_new_roles
from service.content.roster_file import ROSTER_FILE, dump_roster
from service.content.yaml_files import ContentInvalid
from service.errors import ApiError
from service.storage.files import atomic_write
from service.workflows import setup
from service.workflows.commit import log
from service.workflows.context import Context

MAPPING_FILE = "roster_mapping.yml"  # the export's 部门/岗位 values HR mapped, applied at every import


def mapping(content_dir: Path) -> Mapping_:
    """The mappings remembered from earlier imports (none when the file is missing or unreadable)."""
    try:
        data: Any = yaml.safe_load((content_dir / MAPPING_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, yaml.YAMLError, UnicodeDecodeError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {(kind, str(value)): str(target) for kind in MAPPED.values()
            if isinstance(data.get(kind), dict) for value, target in data[kind].items()}


def remember(content_dir: Path, chosen: Mapping_) -> None:
    """Add `chosen` to the remembered mappings (a value mapped again takes the new target)."""
    if not chosen:
        return
    merged = {**mapping(content_dir), **chosen}
    data = {kind: {value: target for (k, value), target in sorted(merged.items()) if k == kind}
            for kind in MAPPED.values()}
    body = "# 导入名册时人事系统中的部门、岗位名称对应到本系统的部门、岗位代码（导入时自动记住）\n"
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
        remember(directory, chosen or {})
        diff = result.diff
        log(ctx, actor, "roster.import", total=len(result.members), added=len(diff.added),
            changed=len(diff.changed), removed=len(diff.removed), source=result.source,
            mapped={f"{kind}:{value}": target for (kind, value), target in (chosen or {}).items()},
            new_roles=[role.id for role in new_roles])
    return load_content(directory)
