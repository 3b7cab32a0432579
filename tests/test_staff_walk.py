"""A staff member walks EVERY route of service/web/app.py with another person's ids (a colleague
of their own department: their 工号, department, scan, objection and attachment) and gets
403 or 404 — or, for the routes that are public or the person's own, an answer that says
nothing of the colleague. The routes are read from `routes()`, so a new one is walked too.

The requests are the well-formed ones of the access matrix (tests/test_access_matrix.py), sent
from the staff member's browser session with its CSRF token, so a refusal is the access rule's
and not a missing token's; a refused request changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from helpers import DEPT, PNG, page_csrf, running_service
from staff_helpers import issue_slips, me, staff_session
from starlette.testclient import TestClient
from test_access_matrix import BODIES, PATHS, World, route_keys, state

from service.config import ROOT, Settings
from service.content.codes import DISPUTE_SCORE_ITEM

PUBLIC = {"GET /healthz", "GET /readyz", "GET /login", "POST /login", "POST /logout", "GET /api/status", "GET /gongshi"}
OWN = {"GET /account", "POST /account", "POST /api/account/password", "GET /api/me", "GET /api/todos",
       "GET /api/me/summary", "PUT /api/me/summary", "POST /api/me/summary/file", "GET /api/me/ballots"} | {
    key for key in route_keys() if key.split(" ")[1].startswith("/me")}
REFUSED = (403, 404)
# Pages that send a staff member elsewhere: the college's boards go to their own pages.
SENT_ON = {"GET /board": "/me", "GET /board/grades": f"/board/{DEPT}/grades"}
# GET query parameters that make a read name the colleague (without, a search form is shown).
PARAMS = {"GET /board/grades/history": "staff_id", "GET /api/scores": "department", "GET /api/targets": "department",
          "GET /api/objections": "department"}


class Walk(World):
    """The matrix's world (its person is the colleague) with an objection of theirs, and the
    staff member who walks."""

    def __init__(self, service: Any) -> None:
        super().__init__(service)
        passwords = issue_slips(service)
        colleague = self.person.staff_id
        self.walker_id = self.members[5].staff_id
        theirs = staff_session(service, colleague, passwords[colleague])
        form = {"csrf": page_csrf(theirs, "/me/objections"), "kind": DISPUTE_SCORE_ITEM,
                "ref": self.content.common_targets[0].id, "reason": "同事的异议"}
        assert theirs.post("/me/objections", data=form, files=[("file", ("x.png", PNG, "image/png"))]
                           ).status_code == 303
        self.objection = me(theirs)["objections"][0]["id"]
        self.walker = staff_session(service, self.walker_id, passwords[self.walker_id])
        bystander = self.members[6].staff_id
        self.bystander = staff_session(service, bystander, passwords[bystander])
        self.csrf = page_csrf(self.walker, "/me")

    def path(self, template: str) -> str:
        return super().path(template.replace("{objection_id}", self.objection).replace("{username}",
                                                                                        self.person.staff_id))


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    import shutil

    tmp = tmp_path_factory.mktemp("walk")
    shutil.copytree(ROOT / "content", tmp / "content")
    settings = Settings(root=ROOT, content_dir=tmp / "content", site_dir=tmp / "site", data_dir=tmp / "var",
                        mkdocs_file=ROOT / "mkdocs.yml")
    with running_service(settings) as service:
        for name in ("hr", "clerk", "other", "boss"):
            service.bearer(name)
        yield Walk(service)


def _request(walk: Walk, key: str) -> tuple[str, str, dict[str, Any]]:
    method, template = key.split(" ", 1)
    request = BODIES.get(key, lambda w: {})(walk)
    request = {**request, "headers": {"x-csrf-token": walk.csrf, "accept": "text/html"}}
    if "data" in request:
        request["data"] = {**request["data"], "csrf": walk.csrf}
    if key in PARAMS:
        value = walk.person.staff_id if PARAMS[key] == "staff_id" else DEPT
        request["params"] = {**request.get("params", {}), PARAMS[key]: value}
    return method, walk.path(PATHS.get(key, template)), request


def _says_nothing_of_the_colleague(walk: Walk, text: str) -> bool:
    """Neither their name nor their objection (a refusal may repeat the 工号 the request gave)."""
    return walk.person.name not in text and "同事的异议" not in text and walk.contract["sha256"] not in text


@pytest.mark.parametrize("key", sorted(route_keys()))
def test_a_staff_member_gets_nothing_of_a_colleague(walk: Walk, key: str) -> None:
    client: TestClient = walk.walker
    method, path, request = _request(walk, key)
    if key == "POST /logout":  # signing out ends every session of the account: another member walks it
        client = walk.bystander
        request["data"]["csrf"] = request["headers"]["x-csrf-token"] = page_csrf(client, "/me")
    before = state(walk.service.settings)
    response = client.request(method, path, follow_redirects=False, **request)
    body = response.text if "text" in response.headers.get("content-type", "") or "json" in response.headers.get(
        "content-type", "") else ""
    if key in PUBLIC or key in OWN:
        # /readyz may say 503: this service's site holds the status page alone
        assert response.status_code < 500 or (key, response.status_code) == ("GET /readyz", 503), key
        assert _says_nothing_of_the_colleague(walk, body), key
        return
    if key in SENT_ON:
        assert (response.status_code, response.headers["location"]) == (303, SENT_ON[key]), key
        assert client.get(SENT_ON[key], headers={"accept": "text/html"}).status_code in (200, 403), key
        return
    assert response.status_code in REFUSED, (key, response.status_code, body[:300])
    assert _says_nothing_of_the_colleague(walk, body), key
    assert state(walk.service.settings) == before, f"{key} refused but changed the data"


def test_the_walkers_own_answers_name_only_themselves(walk: Walk) -> None:
    mine = me(walk.walker)
    assert mine["staff_id"] == walk.walker_id and mine["objections"] == []
    assert walk.walker.get("/board/grades", follow_redirects=True, headers={"accept": "text/html"}).status_code == 403
    for key in sorted(OWN):
        if key.startswith("GET "):
            _method, path, request = _request(walk, key)
            assert _says_nothing_of_the_colleague(walk, walk.walker.get(path, params=request.get("params")).text), key
