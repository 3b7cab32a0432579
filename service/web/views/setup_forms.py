"""The set-up console's forms turned into the data the API takes (the same save follows).

Numbers typed into a form become numbers when they read as one; anything else is passed on
as typed, for the content loader to name the field and say what it expects.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.datastructures import FormData

from service.content.models import COL_CONTENT, COL_DEADLINE, COL_EVIDENCE, COL_POINTS

TARGET_COLUMNS = (COL_CONTENT, COL_POINTS, COL_EVIDENCE, COL_DEADLINE)
SETTINGS_SKIPPED = ("year",)  # shown, changed only by `portal new-year`


def number(text: str) -> Any:
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() and "." not in text else value


def typed_like(current: Any, text: str) -> Any:
    """`text` as the kind of value the setting holds now (a number, a yes/no, a list)."""
    text = text.strip()
    if isinstance(current, bool):
        return text == "true" if text in ("true", "false") else text
    if isinstance(current, (int, float)):
        return number(text)
    if isinstance(current, list):
        items = [t.strip() for t in text.replace("，", ",").replace("、", ",").split(",") if t.strip()]
        numeric = bool(current) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in current)
        return [number(t) for t in items] if numeric else items
    return text


def settings_fields(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """The settings a form edits: every value that is not a mapping, by its dotted path."""
    fields: list[tuple[str, Any]] = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            fields += settings_fields(value, f"{path}.")
        elif path not in SETTINGS_SKIPPED and not (isinstance(value, list) and any(isinstance(v, dict) for v in value)):
            fields.append((path, value))
    return fields


def shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def settings_change(form: FormData, current: dict[str, Any]) -> dict[str, Any]:
    """The settings the form sent, nested as in the file, each typed like the value it replaces."""
    change: dict[str, Any] = {}
    for path, value in settings_fields(current):
        sent = form.get(path)
        if not isinstance(sent, str) or sent.strip() == shown(value):
            continue
        node = change
        *parents, last = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = typed_like(value, sent)
    return change


def departments_change(form: FormData, current: list[dict[str, Any]], today: dt.date) -> list[dict[str, Any]]:
    """The department table: rows in the order typed, closed ones keeping the date they closed."""
    before = {str(d.get("id")): d for d in current}
    closing = set(form.getlist("close"))
    rows = []
    columns = [form.getlist(k) for k in ("id", "name", "kind", "order")]
    for index, (dep_id, name, kind, order) in enumerate(zip(*columns, strict=False)):
        dep_id, name = str(dep_id).strip(), str(name).strip()
        if not dep_id and not name:
            continue  # a blank row for a new department, left blank
        row: dict[str, Any] = {"id": dep_id, "name": name, "kind": str(kind)}
        if dep_id in closing and before.get(dep_id) is not None:
            row["closed"] = before[dep_id].get("closed") or today.isoformat()
        key = number(str(order))
        rows.append((key if isinstance(key, (int, float)) else index + 1, index, row))
    return [row for _, _, row in sorted(rows, key=lambda r: (r[0], r[1]))]


def role_change(form: FormData, current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """roles.yml with the one role the form edits put in its lead's group (or a new group)."""
    original = str(form.get("original") or "")
    lead = str(form.get("lead") or "").strip()
    duties = [line.strip() for line in str(form.get("duties") or "").splitlines() if line.strip()]
    columns = [form.getlist(f"row_{i}") for i in range(len(TARGET_COLUMNS))]
    rows = []
    for cells in zip(*columns, strict=False):
        texts = [str(c).strip() for c in cells]
        if any(texts):
            row = dict(zip(TARGET_COLUMNS, texts, strict=True))
            row[COL_POINTS] = number(texts[1])
            rows.append(row)
    role = {"id": str(form.get("id") or "").strip(), "name": str(form.get("name") or "").strip(),
            "duties": duties, "targets": rows}
    groups: list[dict[str, Any]] = []
    placed = False
    for group in current:
        roles = []
        for item in group.get("roles") or []:
            if item.get("id") == original and original:
                if group.get("lead") == lead:  # stays where it was
                    roles.append({**item, **role})
                    placed = True
                continue
            roles.append(item)
        groups.append({**group, "roles": roles})
    if not placed:
        target = next((g for g in groups if g.get("lead") == lead), None)
        if target is None:
            groups.append({"lead": lead, "roles": [role]})
        else:
            target["roles"].append(role)
    return [g for g in groups if g["roles"]]


def common_change(form: FormData, current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The common targets: each item's text, points and deduction rules as typed."""
    result = []
    for i, item in enumerate(current):
        rules = []
        for text, cut in zip(form.getlist(f"rule_text_{i}"), form.getlist(f"rule_points_{i}"), strict=False):
            if str(text).strip() or str(cut).strip():
                rules.append({"标准": str(text).strip(), "扣分": number(str(cut))})
        result.append({**item, COL_CONTENT: str(form.get(f"content_{i}") or "").strip(),
                       COL_POINTS: number(str(form.get(f"points_{i}") or "")), "评分标准": rules})
    return result


def leaders_change(form: FormData) -> dict[str, list[str]]:
    return {str(name): [str(d) for d in form.getlist(f"oversees:{name}")] for name in form.getlist("leader")}


def registration_form_change(form: FormData) -> dict[str, Any]:
    """The registration form's layout: the title, then the header items and the sections in the
    order of their rows (a row with neither a name nor a content left out)."""

    def rows(prefix: str, *columns: str) -> list[dict[str, str]]:
        values = [[str(v).strip() for v in form.getlist(f"{prefix}_{c}")] for c in columns]
        return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=False) if row[0] or row[1]]

    header = [{"label": r["label"], "field": r["field"], **({"wide": True} if r["wide"] else {})}
              for r in rows("header", "label", "field", "wide")]
    sections = [{"label": r["label"], "field": r["field"], **({"sign": r["sign"]} if r["sign"] else {}),
                 **({"lines": number(r["lines"])} if r["lines"] else {})}
                for r in rows("section", "label", "field", "sign", "lines")]
    title = str(form.get("title") or "").replace("\r\n", "\n").strip()
    return {"title": title, "header": header, "sections": sections}
