"""Q501, Q502, Q518 (pipeline/rules/caps.py): above the cap for the region, role and start date,
without DCS / Chief Executive approval or not reported to the RIIA; and which cap applies."""
from __future__ import annotations

import pytest

from pipeline.core.contract import Quarter
from tests.rules.edits import A, D, assert_fires_only, check, fired

# (edits, expected (code, cell) pairs): one breach per case, and the boundary next to it.
CASES = {
    # A001: 30 + 3.62 + 3.20 + 0.15 = 36.97 against London's Social worker cap of 39.87.
    "Q501 over the cap, not approved": ([(A, 2, "Hourly pay rate", 33.0)], [("Q501", "U2"), ("Q518", "X2")]),
    "Q501 cap exactly equal": ([(A, 2, "Hourly pay rate", 32.90)], []),
    "Q501 approved by the DCS": ([(A, 2, "Hourly pay rate", 33.0), (A, 2, "Cap approved by", "DCS")], [("Q518", "X2")]),
    "Q518 approved and reported to the RIIA": ([(A, 2, "Hourly pay rate", 33.0), (A, 2, "Cap approved by", "DCS"),
                                                (A, 2, "Cap reported to RIIA", "Yes")], []),
    "Q518 reported: No": ([(A, 2, "Hourly pay rate", 33.0), (A, 2, "Cap approved by", "DCS"),
                           (A, 2, "Cap reported to RIIA", "No")], [("Q518", "X2")]),
    "Q518 under the cap, not reported": ([(A, 2, "Cap reported to RIIA", "No")], []),
    "Q502 approved by Other": ([(A, 2, "Hourly pay rate", 33.0), (A, 2, "Cap approved by", "Other"),
                                (A, 2, "Cap reported to RIIA", "Y")], [("Q502", "U2")]),
    "Q502 Other but under the cap": ([(A, 2, "Cap approved by", "Other")], []),
    "Q501 legacy assignment": ([(A, 2, "Hourly pay rate", 33.0), (A, 2, "Start date", D(2024, 6, 1))], []),
}


@pytest.mark.parametrize("name", CASES)
def test_rule_fires_on_the_breaching_cell_only(tmp_path, name):
    assert_fires_only(tmp_path, *CASES[name])


def test_no_cap_row_no_finding(tmp_path, monkeypatch):
    """Caps are configuration: a table with no row for the role raises nothing."""
    table = tmp_path / "caps.csv"
    table.write_text("region_code,region_name,role_category,effective_from,effective_to,cap_gbp_per_hour,basis,source\n"
                     "E12000007,London,Team manager,2024-10-31,,10.00,pay+holiday+employer_ni+apprenticeship_levy,test\n")
    toml = tmp_path / "thresholds.toml"
    from pipeline.core.config import DATA_DIR
    text = (DATA_DIR / "thresholds.toml").read_text().replace('value = "price_caps_illustrative.csv"', f'value = "{table}"')
    toml.write_text(text)
    monkeypatch.setenv("AGENCY_RETURN_THRESHOLDS", str(toml))
    assert fired(check(tmp_path, [(A, 2, "Hourly pay rate", 100.0)])) == []
    result = check(tmp_path, [(A, 2, "Role category", "Team manager")])
    assert fired(result) == [("Q501", "U2"), ("Q512", "B2"), ("Q518", "X2")]
    assert "London cap of £10.00/h for the role 'Team manager'" in result.findings[0].message
    assert result.to_dict()["cap_table"].startswith("caps.csv@")   # the table's identity: in the JSON, not the message


# A001 started in March 2025. Its cap-basis rate is pay + 3.62 + 3.20 + 0.15. London's Social worker
# cap is £39.87 from 31 Oct 2024 and £41.10 from 1 Oct 2025 (illustrative table).
MARCH = [(A, 2, "Start date", D(2025, 3, 3))]


def test_an_assignment_from_march_2025_active_in_q4_is_judged_against_the_cap_from_1_october(tmp_path):
    between = MARCH + [(A, 2, "Hourly pay rate", 33.50)]          # £40.47: over £39.87, under £41.10
    assert fired(check(tmp_path, between, quarter=Quarter(2025, 3)), "Q501") == [("Q501", "U2")]
    assert fired(check(tmp_path, between, quarter=Quarter(2025, 4)), "Q5") == []
    over = check(tmp_path, MARCH + [(A, 2, "Hourly pay rate", 34.20)], quarter=Quarter(2025, 4))   # £41.17
    (f,) = [f for f in over.findings if f.code == "Q501"]
    assert f.cell == "U2" and "£41.10" in f.message and "£41.17" in f.message


def test_a_new_assignment_in_q4_is_judged_on_its_own_start_date(tmp_path):
    edits = [(A, 3, "Start date", D(2025, 10, 6)), (A, 3, "End date", None), (A, 3, "Hourly pay rate", 36.0),
             (A, 3, "Role category", "Social worker")]
    result = check(tmp_path, edits, quarter=Quarter(2025, 4))
    assert ("Q501", "U3") in fired(result)   # 36 + 6.97 = £42.97 > £41.10


def test_caps_apply_to_existing_from_is_configuration(tmp_path, monkeypatch):
    from pipeline.core.config import DATA_DIR
    toml = tmp_path / "thresholds.toml"
    toml.write_text((DATA_DIR / "thresholds.toml").read_text().replace(
        '[caps_apply_to_existing_from]\nvalue = "2025-10-01"', '[caps_apply_to_existing_from]\nvalue = "2026-04-01"'))
    monkeypatch.setenv("AGENCY_RETURN_THRESHOLDS", str(toml))
    between = MARCH + [(A, 2, "Hourly pay rate", 33.50)]
    assert fired(check(tmp_path, between, quarter=Quarter(2025, 4)), "Q501") == [("Q501", "U2")]
