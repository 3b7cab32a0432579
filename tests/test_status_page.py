"""The public status page: regenerated after every accepted submission, counts only, bursts coalesced."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from helpers import (
    AFTER_DEADLINE,
    DEPT,
    LEAVE_WORDS,
    OTHER_DEPT,
    PDF,
    PNG,
    Service,
    page_csrf,
    parse_html,
    running_service,
    scan_of,
    upload,
    wait_for,
)

from service.config import Settings

COLUMNS = ("staff", "completed", "exempt", "outstanding", "percent", "overdue")


def board_rows(html: str) -> dict[str, dict[str, str]]:
    """The status page's board table: department name → its cells."""
    board = parse_html(html).find("div", data_status_board=True)
    assert board is not None, "no status board on the page"
    table = board.find("table")
    assert table is not None
    return {row[0]: dict(zip(COLUMNS, row[1:], strict=True)) for row in table.rows()}


def page_counts(service: Service) -> dict[str, tuple[int, int, int, int]]:
    rows = board_rows(service.status_page.read_text(encoding="utf-8"))
    return {name: tuple(int(row[k]) for k in COLUMNS[:4]) for name, row in rows.items()}  # type: ignore[misc]


def api_counts(service: Service) -> dict[str, tuple[int, int, int, int]]:
    status = service.client.get("/api/status").json()
    rows = {d["name"]: tuple(d[k] for k in COLUMNS[:4]) for d in status["departments"]}
    rows["全院合计"] = tuple(status["totals"][k] for k in COLUMNS[:4])
    return rows


def members(service: Service, department: str) -> list[str]:
    return [m.staff_id for m in service.context.content.members(department)]


def submit_and_wait(service: Service, submit: Any) -> Any:
    """Submit, then wait until the page has been regenerated at least once since."""
    generation = service.publisher.generations
    response = submit()
    assert response.status_code in (200, 201, 303), response.text
    service.settle()
    assert service.publisher.generations > generation
    return response


def test_the_page_is_regenerated_after_each_accepted_submission(service: Service) -> None:
    clerk = service.bearer("clerk")
    people = members(service, DEPT)
    name = service.context.content.department(DEPT).name  # type: ignore[union-attr]
    assert page_counts(service)[name] == (len(people), 0, 0, len(people))
    assert page_counts(service) == api_counts(service)

    submit_and_wait(service, lambda: upload(service.client, people[0], PDF, headers=clerk))
    assert page_counts(service)[name] == (len(people), 1, 0, len(people) - 1)

    submit_and_wait(service, lambda: service.client.put(
        f"/api/completion/{DEPT}", headers=clerk, json={"entries": [{"staff_id": people[1], "status": "产假"}]}))
    assert page_counts(service)[name] == (len(people), 1, 1, len(people) - 2)

    browser = service.session("clerk")
    csrf = page_csrf(browser, f"/board/{DEPT}")
    submit_and_wait(service, lambda: browser.post(
        f"/board/{DEPT}/contracts", data={"staff_id": people[2], "csrf": csrf},
        files={"file": ("scan.png", PNG, "image/png")}))
    submit_and_wait(service, lambda: browser.post(
        f"/board/{DEPT}/completion", data={f"status:{people[3]}": "病假", "csrf": csrf}))
    assert page_counts(service)[name] == (len(people), 2, 2, len(people) - 4)
    assert page_counts(service) == api_counts(service)
    rows = board_rows(service.status_page.read_text(encoding="utf-8"))
    assert rows[name]["percent"] == f"{round(100 * 2 / (len(people) - 2), 1)}%"

    stamp = service.clock.now().isoformat(timespec="seconds")
    board = parse_html(service.status_page.read_text(encoding="utf-8")).find("div", data_status_board=True)
    assert board is not None and board.attrs["data-updated"] == stamp  # ISO for the page's script
    assert "截至 2019年4月20日 10:00" in board.text and stamp not in board.text  # as people read it
    leftovers = [p.name for p in service.status_page.parent.iterdir() if p.name != "index.html"]
    assert leftovers == []  # written through a temp file, nothing left behind


def test_get_status_serves_the_regenerated_page(service: Service) -> None:
    submit_and_wait(service, lambda: upload(service.client, members(service, DEPT)[0], PDF,
                                            headers=service.bearer("clerk")))
    response = service.client.get("/status/")
    assert response.status_code == 200
    assert response.text == service.status_page.read_text(encoding="utf-8")
    name = service.context.content.department(DEPT).name  # type: ignore[union-attr]
    assert board_rows(response.text)[name]["completed"] == "1"


def test_overdue_shows_on_the_page_after_the_deadline(service: Service) -> None:
    hr = service.bearer("hr")
    small = members(service, "xljy")
    for staff_id in small:
        upload(service.client, staff_id, scan_of(staff_id), headers=hr)
    service.clock.set(AFTER_DEADLINE)
    submit_and_wait(service, lambda: upload(service.client, members(service, DEPT)[0], PDF, headers=hr))
    rows = board_rows(service.status_page.read_text(encoding="utf-8"))
    assert rows["学历教育指导中心"]["overdue"] == "否"
    assert rows["机械工程系"]["overdue"] == "是"
    assert "已截止" in parse_html(service.status_page.read_text(encoding="utf-8")).text


def test_the_page_follows_the_date_without_a_submission(settings: Settings) -> None:
    """A server left running over the deadline shows it passing though nobody submits."""
    with running_service(settings, status_refresh=0.05) as service:
        name = service.context.content.department(DEPT).name  # type: ignore[union-attr]

        def overdue() -> str:
            return board_rows(service.status_page.read_text(encoding="utf-8"))[name]["overdue"]

        assert overdue() == "否"
        generation = service.publisher.generations
        time.sleep(0.3)  # several checks: an unchanged board is not rewritten
        assert service.publisher.generations == generation
        service.clock.set(AFTER_DEADLINE)
        wait_for(lambda: overdue() == "是", 60.0, "截止日期过后状态页没有更新")


def test_nothing_personal_is_public(service: Service) -> None:
    clerk, other = service.bearer("clerk"), service.bearer("other")
    people, theirs = members(service, DEPT), members(service, OTHER_DEPT)
    upload(service.client, people[0], PDF, headers=clerk)
    service.client.put(f"/api/completion/{DEPT}", headers=clerk, json={"entries": [
        {"staff_id": people[1], "status": "产假"}, {"staff_id": people[2], "status": "病假"},
        {"staff_id": people[3], "status": "长期事假"}]})
    submit_and_wait(service, lambda: service.client.put(
        f"/api/completion/{OTHER_DEPT}", headers=other, json={"entries": [{"staff_id": theirs[0], "status": "产假"}]}))

    page = service.status_page.read_text(encoding="utf-8")
    served = service.client.get("/status/").text
    api = json.dumps(service.client.get("/api/status").json(), ensure_ascii=False)
    assert "产假" not in json.dumps(LEAVE_WORDS)  # the check below reads the words themselves
    for public in (page, served, api):
        assert [w for w in LEAVE_WORDS if w in public] == []
        assert [m.name for m in service.context.content.roster if m.name in public] == []
        assert [m.staff_id for m in service.context.content.roster if m.staff_id in public] == []
    # …while the department itself does see them
    staff = service.client.get(f"/api/departments/{DEPT}/staff", headers=clerk).json()["staff"]
    assert [p["status"] for p in staff[1:4]] == ["产假", "病假", "长期事假"]


def test_a_burst_of_submissions_coalesces(service: Service) -> None:
    """While one regeneration runs, any number of submissions wait as one pending regeneration."""
    publisher = service.publisher
    gate = threading.Event()
    render = publisher.render

    def slow_render() -> str:
        gate.wait(5)
        return render()

    publisher.render = slow_render
    clerk = service.bearer("clerk")
    people = members(service, DEPT)[:10]
    before = publisher.generations
    try:
        for staff_id in people:
            assert upload(service.client, staff_id, scan_of(staff_id), headers=clerk).status_code == 201
    finally:
        gate.set()
    service.settle()
    grown = publisher.generations - before
    assert 1 <= grown <= 2 < len(people)
    name = service.context.content.department(DEPT).name  # type: ignore[union-attr]
    assert page_counts(service)[name][1] == len(people)  # the last submission is on the page


def test_counts_and_update_time_survive_a_restart(settings: Settings) -> None:
    with running_service(settings) as first:
        people = members(first, DEPT)
        submit_and_wait(first, lambda: upload(first.client, people[0], PDF, headers=first.bearer("clerk")))
        stamp = first.client.get("/api/status").json()["updated_at"]
        before = page_counts(first)
    assert stamp
    with running_service(settings, users=False) as second:  # a restart on the same data
        assert second.client.get("/api/status").json()["updated_at"] == stamp
        assert page_counts(second) == before
        board = parse_html(second.status_page.read_text(encoding="utf-8")).find("div", data_status_board=True)
        assert board is not None and board.attrs["data-updated"] == stamp
