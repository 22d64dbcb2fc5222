"""E202, E203, Q510 (pipeline/rules/project_teams.py): a project team's dates and total, and what
the agency rules ask of a team and its members."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.rules.edits import A, D, assert_fires_only, found, run
from tests.workbooks import set_cell


def test_E202_project_team_dates_and_costs(tmp_path):
    def edit(s):
        set_cell(s, "ProjectTeams", 2, "End date", dt.datetime(2025, 1, 1))
        set_cell(s, "ProjectTeams", 2, "Other costs in quarter", "lots")
    findings = found(run(tmp_path, edit), "E202")
    assert sorted(f.cell for f in findings) == ["E2", "J2"]


def test_E202_a_team_ending_the_day_it_starts_is_fine(tmp_path):
    assert not found(run(tmp_path, lambda s: set_cell(s, "ProjectTeams", 2, "End date", dt.datetime(2025, 4, 1))), "E202")


def test_E203_project_team_total(tmp_path):
    [f] = found(run(tmp_path, lambda s: set_cell(s, "ProjectTeams", 2, "Total cost in quarter", 20001.5)), "E203")
    assert f.cell == "K2" and "£20,000.00" in f.message


def test_E203_within_a_pound_is_fine(tmp_path):
    assert not found(run(tmp_path, lambda s: set_cell(s, "ProjectTeams", 2, "Total cost in quarter", 20000.99)), "E203")


# (edits, expected (code, cell) pairs): one breach per case, and the boundary next to it.
CASES = {
    "Q510 team not identified": ([("ProjectTeams", 2, "All workers identified and approved", "No")], [("Q510", "G2")]),
    "Q510 no LA control": ([("ProjectTeams", 2, "LA retains control of practice", "No")], [("Q510", "H2")]),
    "Q510 legacy team": ([("ProjectTeams", 2, "All workers identified and approved", "No"),
                          ("ProjectTeams", 2, "Start date", D(2024, 9, 1))], []),
    "Q510 worker costs over 5% from members'": ([("ProjectTeams", 2, "Worker costs in quarter", 20000.0),
                                                 ("ProjectTeams", 2, "Total cost in quarter", 21000.0)], [("Q510", "I2")]),
    "Q510 worker costs within 5%": ([("ProjectTeams", 2, "Worker costs in quarter", 19900.0),
                                     ("ProjectTeams", 2, "Total cost in quarter", 20900.0)], []),
    "Q510 a member has no cost of its own": ([(A, 4, "Cost in quarter", None), (A, 2, "Cost in quarter", 38000.0)],
                                              [("Q510", "T4")]),
    "Q510 an individual without a cost is not a member": ([(A, 2, "Cost in quarter", None),
                                                           (A, 3, "Cost in quarter", 38000.0)], []),
}


@pytest.mark.parametrize("name", CASES)
def test_rule_fires_on_the_breaching_cell_only(tmp_path, name):
    assert_fires_only(tmp_path, *CASES[name])
