"""The mappings remembered from earlier roster imports: HR sees them on /board/roster (原值 → 映射为,
who chose each and when) and through `GET /api/roster/mappings`, and forgets one (a ticked box on
the page, or `DELETE /api/roster/mappings?field=…&value=…`), audited; the next import asks for that
value again. A bad or unknown one is refused and nothing changes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import DEPT, Service, page_csrf, parse_html, running_service
from test_roster_api import FLEET, chosen, post

from service.config import Settings
from service.content.formats import cn_time
from service.workflows.roster import MAPPING_FILE


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    """A service whose HR imported an export with a department mapped and a post added as a role."""
    with running_service(settings) as svc:
        answer = post(svc, {**chosen(), "confirm": "1"})
        assert answer.status_code == 200, answer.text
        yield svc


def rows(service: Service) -> dict[tuple[str, str], list[str]]:
    """The page's table of remembered mappings: (字段, 原值) → the row's cells."""
    page = parse_html(service.hr_session().get("/board/roster").text)
    table = page.find("table", data_roster_mappings=True)
    if table is None:
        return {}
    cells = [[td.text.strip() for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")]  # type: ignore[union-attr]
    return {(c[0], c[1]): c[2:] for c in cells}


def kept(settings: Settings) -> bytes | None:
    path = settings.content_dir / MAPPING_FILE
    return path.read_bytes() if path.exists() else None


def audit(settings: Settings) -> list[dict[str, Any]]:
    lines = (settings.data_dir / "audit.log").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line]


def forget(session: Any, field: str, value: str, seen: str = "/board/roster", **extra: str) -> Any:
    """The page's form to forget a mapping, sent by `session` with the csrf token of a page it sees."""
    data = {"csrf": page_csrf(session, seen), "field": field, "value": value, **extra}
    return session.post("/board/roster/mappings", data=data)


def test_the_page_lists_each_remembered_mapping_with_who_and_when(service: Service, settings: Settings) -> None:
    content = service.context.content
    driver = next(r for r in content.roles if r.name == "驾驶员")
    when = cn_time(service.clock.now())
    department = content.department(DEPT)
    assert department is not None
    assert rows(service) == {
        ("部门", FLEET): [f"{department.name}（{DEPT}）", "hr", when, f"确认删除部门“{FLEET}”的对应关系 删除"],
        ("岗位", "驾驶员"): [f"驾驶员（{driver.id}）", "hr", when, "确认删除岗位“驾驶员”的对应关系 删除"],
    }
    listed = service.client.get("/api/roster/mappings", headers=service.bearer("hr")).json()["mappings"]
    stamp = service.clock.now().isoformat(timespec="seconds")
    assert listed == [  # 部门 first, then 岗位, as the export's columns come
        {"field": "部门", "value": FLEET, "to": DEPT, "to_name": department.name, "by": "hr", "at": stamp},
        {"field": "岗位", "value": "驾驶员", "to": driver.id, "to_name": "驾驶员", "by": "hr", "at": stamp},
    ]


def test_a_mapping_remembered_before_who_and_when_were_kept_is_listed_without_them(
        service: Service, settings: Settings) -> None:
    (settings.content_dir / MAPPING_FILE).write_text(f"岗位: {{}}\n部门:\n  {FLEET}: {DEPT}\n", encoding="utf-8")
    assert rows(service)[("部门", FLEET)][1:3] == ["—", "—"]
    listed = service.client.get("/api/roster/mappings", headers=service.bearer("hr")).json()["mappings"]
    assert [(m["value"], m["by"], m["at"]) for m in listed] == [(FLEET, "", "")]


def test_hr_forgets_a_mapping_on_the_page_and_the_next_import_asks_again(service: Service,
                                                                          settings: Settings) -> None:
    hr = service.hr_session()
    before = kept(settings)
    unticked = forget(hr, "部门", FLEET)
    assert unticked.status_code == 400 and 'data-error="confirm_required"' in unticked.text
    assert kept(settings) == before

    done = forget(hr, "部门", FLEET, confirm="1")
    assert done.status_code == 303 and done.headers["location"].endswith("/board/roster?notice=forgotten")
    after = hr.get(done.headers["location"])
    assert "已删除该对应关系" in after.text
    assert set(rows(service)) == {("岗位", "驾驶员")}
    [entry] = [e for e in audit(settings) if e["action"] == "roster.mapping_forgotten"]
    assert entry["actor"] == "hr" and entry["detail"] == {"field": "部门", "value": FLEET, "target": DEPT}

    again = post(service, {})  # 车队 is unknown again; 驾驶员 is a role of the set-up now
    assert again.status_code == 422
    assert [(u["field"], u["value"]) for u in again.json()["unknown"]] == [("部门", FLEET)]

    twice = forget(hr, "部门", FLEET, confirm="1")  # a second tab's form: gone already
    assert twice.status_code == 409 and 'data-error="mapping_not_found"' in twice.text
    assert FLEET in parse_html(twice.text).find(data_error="mapping_not_found").text  # type: ignore[union-attr]


def test_the_api_forgets_a_mapping_and_refuses_what_it_cannot(service: Service, settings: Settings) -> None:
    hr = service.bearer("hr")
    url = "/api/roster/mappings"
    for params, status, code in [({"field": "职称", "value": "讲师"}, 422, "invalid_field"),
                                 ({"field": "部门", "value": " "}, 422, "missing_value"),
                                 ({"field": "部门", "value": "车队二"}, 409, "mapping_not_found"),
                                 ({"field": "岗位", "value": FLEET}, 409, "mapping_not_found")]:
        before, logged = kept(settings), len(audit(settings))
        answer = service.client.delete(url, params=params, headers=hr)
        assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
        assert answer.json()["error"]
        assert (kept(settings), len(audit(settings))) == (before, logged)

    answer = service.client.delete(url, params={"field": "岗位", "value": "驾驶员"}, headers=hr)
    assert answer.status_code == 200, answer.text
    assert answer.json()["forgotten"]["value"] == "驾驶员"
    assert [m["value"] for m in service.client.get(url, headers=hr).json()["mappings"]] == [FLEET]
    assert "驾驶员" not in (kept(settings) or b"").decode("utf-8")
    assert [e["detail"]["value"] for e in audit(settings) if e["action"] == "roster.mapping_forgotten"] == ["驾驶员"]


def test_only_hr_sees_and_forgets_the_mappings(service: Service, settings: Settings) -> None:
    before = kept(settings)
    for user, seen in (("clerk", f"/board/{DEPT}"), ("boss", "/board")):
        listed = service.client.get("/api/roster/mappings", headers=service.bearer(user))
        assert (listed.status_code, listed.json()["code"]) == (403, "forbidden")
        gone = service.client.delete("/api/roster/mappings", params={"field": "部门", "value": FLEET},
                                     headers=service.bearer(user))
        assert (gone.status_code, gone.json()["code"]) == (403, "forbidden")
        session = service.session(user)
        assert forget(session, "部门", FLEET, seen, confirm="1").status_code == 403
    assert kept(settings) == before
