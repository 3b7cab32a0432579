"""Approved target sets and the contracts signed for them, for the signing tests.

Import from a test module as `from approvals import ...` (pytest puts tests/ on sys.path).

- `approve(service, staff_id, first=…)` drafts the person's set from the role's template (the
  first target's text replaced when `first` is given), submits it (as HR by default) and approves it
  as the leader, through HTTP; `mark_of` is the mark its contract carries.
- `signed_page(mark)` is a scanned page (tilted, noisy, JPEG) with that mark's code on it.
"""

from __future__ import annotations

from typing import Any

from helpers import DEPT, Service
from paper import png_bytes, scanned, with_code
from PIL import Image

from service.rules import contract_mark
from service.rules.contract_mark import ContractMark


def people(service: Service, department: str = DEPT) -> list[str]:
    return [m.staff_id for m in service.context.content.members(department)]


def target_set(service: Service, staff_id: str, user: str = "clerk") -> dict[str, Any]:
    response = service.client.get(f"/api/targets/{staff_id}", headers=service.bearer(user))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def submit(service: Service, staff_id: str, first: str | None = None, user: str = "hr") -> dict[str, Any]:
    rows = target_set(service, staff_id, user)["rows"]
    if first is not None:
        rows[0]["目标内容"] = first
    response = service.client.put(f"/api/targets/{staff_id}", json={"rows": rows, "submit": True},
                                  headers=service.bearer(user))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def decide(service: Service, staff_id: str, action: str, user: str, comment: str | None = None) -> Any:
    return service.client.post(f"/api/targets/{staff_id}/{action}", headers=service.bearer(user),
                               json={"comment": comment} if comment is not None else {})


def approve(service: Service, staff_id: str, first: str | None = None) -> dict[str, Any]:
    submit(service, staff_id, first)
    response = decide(service, staff_id, "approve", "boss", "同意")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def reopen(service: Service, staff_id: str, reason: str = "目标需调整") -> Any:
    return decide(service, staff_id, "reopen", "hr", reason)


def mark_of(service: Service, staff_id: str) -> ContractMark:
    found = target_set(service, staff_id, "hr")
    return ContractMark(service.context.year, staff_id, found["approved"]["version"], found["approved"]["tag"])


def signed_page(mark: ContractMark, seed: int = 0) -> Image.Image:
    return scanned(with_code([contract_mark.encode(mark)]), seed)


def page_png(mark: ContractMark, seed: int = 0) -> bytes:
    return png_bytes(signed_page(mark, seed))

