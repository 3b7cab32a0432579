"""`portal new-year`: the next year's content, valid, with the dates moved; the earlier
year's grades stay readable from the new year's service."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner
from grade_helpers import START, give_scores, propose, view
from helpers import DEPT, parse_html, running_service

from service.cli import cli
from service.config import Settings
from service.content.codes import GRADE_EXCELLENT, GRADE_PASS
from service.content.loader import load_content, validate
from service.content.new_year import move_text
from service.workflows import accounts


def test_dates_of_the_old_year_move_and_others_stay() -> None:
    text = "year: 2019\ncontracts: \"04-26\"\nextra_holidays: [2019-10-01, 2027-10-01]\nnote: 2019年12月底前\nleap: 2020-02-29\n"
    assert move_text(text, 2019, 2020) == (
        "year: 2020\ncontracts: \"04-26\"\nextra_holidays: [2020-10-01, 2027-10-01]\nnote: 2020年12月底前\n"
        "leap: 2020-02-29\n")
    assert "2021-02-28" in move_text("leap: 2020-02-29", 2020, 2021)


def test_new_year_in_place_archives_the_old_year(content_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["new-year", "2020", "--content", str(content_dir)])
    assert result.exit_code == 0, result.output
    assert validate(content_dir) == []
    content = load_content(content_dir)
    assert content.settings.year == 2020 and content.settings.deadlines.contracts == dt.date(2020, 4, 26)
    archived = load_content(content_dir / "years" / "2019")
    assert archived.settings.year == 2019 and archived.roster == content.roster
    assert CliRunner().invoke(cli, ["check", "--content", str(content_dir)]).exit_code == 0
    again = CliRunner().invoke(cli, ["new-year", "2020", "--content", str(content_dir)])
    assert again.exit_code == 1 and "应晚于当前年度 2020" in again.output
    past = CliRunner().invoke(cli, ["new-year", "2018", "--content", str(content_dir / "years" / "2019")])
    assert past.exit_code == 1


def test_new_year_into_a_directory_leaves_the_content_alone_and_2019_grades_stay_readable(
        settings: Settings, tmp_path: Path) -> None:
    with running_service(settings, now=START) as service:
        ids = give_scores(service)
        grades = {sid: GRADE_EXCELLENT if i < 8 else GRADE_PASS for i, sid in enumerate(ids)}
        assert propose(service, DEPT, grades).status_code == 200
    before = (settings.content_dir / "settings.yml").read_text(encoding="utf-8")
    target = tmp_path / "content-2020"
    result = CliRunner().invoke(cli, ["new-year", "2020", "--content", str(settings.content_dir), "--into", str(target)])
    assert result.exit_code == 0, result.output
    assert (settings.content_dir / "settings.yml").read_text(encoding="utf-8") == before
    assert CliRunner().invoke(cli, ["check", "--content", str(target)]).exit_code == 0
    assert load_content(target).common_targets == load_content(settings.content_dir).common_targets
    next_year = settings.with_(content_dir=target, site_dir=tmp_path / "site-2020")
    with running_service(next_year, now=dt.datetime(2020, 3, 2, 9), users=False) as service:
        token = accounts.new_token(service.context, "hr", actor="test")  # accounts carry over
        hr = {"Authorization": f"Bearer {token}"}
        overview = service.client.get("/api/grades", headers=hr).json()
        assert overview["year"] == 2020 and overview["years"] == [2020, 2019] and overview["graded"] == 0
        old = service.client.get("/api/grades?year=2019", headers=hr).json()
        assert old["graded"] == 42 and not old["current"]
        people = view(service, DEPT, hr)
        assert people["year"] == 2020 and all(p["grade"] is None for p in people["people"])
        earlier = service.client.get(f"/api/grades/{DEPT}?year=2019", headers=hr).json()
        assert {p["staff_id"]: p["grade"] for p in earlier["people"]} == grades
        history = service.client.get(f"/api/grades/history/{ids[0]}", headers=hr).json()
        assert [(y["year"], y["grade"]) for y in history["years"]] == [(2019, GRADE_EXCELLENT)]
        page = parse_html(service.client.get(f"/board/{DEPT}/grades?year=2019",
                                             headers={**hr, "accept": "text/html"}).text)
        assert page.find(data_past_year=True) is not None
        assert page.find("form", data_year_switch=True) is not None
        assert len(page.find("table", data_grades_table=True).rows()) == 42
