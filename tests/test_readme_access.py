"""The README's table of who may do what is the code's: every action of rules/access.py, each
role's reach, read back from the table between its markers."""

from __future__ import annotations

from service.config import ROOT
from service.content.codes import ROLE_DEPARTMENT, ROLE_HR, ROLE_LEADER, ROLE_STAFF
from service.rules import access

REACHES = {"全部": access.ANY, "本部门": access.OWN, "主管部门": access.OVERSEEN, "本人": access.SELF, "—": None}
COLUMNS = (ROLE_HR, ROLE_DEPARTMENT, ROLE_LEADER, ROLE_STAFF)


def readme_table() -> dict[str, dict[str, str | None]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    body = text.split("<!-- access-table -->", 1)[1].split("<!-- /access-table -->", 1)[0]
    rows = [line.strip().strip("|").split("|") for line in body.strip().splitlines()[2:]]
    table = {}
    for cells in rows:
        action, _description, *reaches = (c.strip() for c in cells)
        assert action.startswith("`") and action.endswith("`"), action
        assert len(reaches) == len(COLUMNS), cells
        table[action.strip("`")] = {role: REACHES[word] for role, word in zip(COLUMNS, reaches, strict=True)}
    return table


def test_the_readme_table_lists_every_action_once() -> None:
    assert sorted(readme_table()) == sorted(access.ACTIONS)


def test_the_readme_table_matches_the_rules() -> None:
    for action, reaches in readme_table().items():
        assert reaches == {role: access.RULES[action].get(role) for role in COLUMNS}, action
