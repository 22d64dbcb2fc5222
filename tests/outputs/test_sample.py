"""The sample generator: deterministic, realistic, and planting exactly what it says it plants."""
import datetime as dt
import importlib.util
from pathlib import Path

import openpyxl
import pytest

from pipeline.core import reference
from pipeline.core.contract import ASSIGNMENTS, COMPLIANCE_RULES, SWE_RE, Quarter
from pipeline.outputs import sample

Q = Quarter(2025, 2)
SAMPLE_DATA = Path(__file__).parents[2] / "sample_data"


def _values(path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb}


def _records(path, sheet: str) -> list[dict]:
    rows = _values(path)[sheet]
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v is not None for v in r)]


def test_same_seed_same_bytes_other_seed_other_content(tmp_path):
    a = sample.write_la_workbook(tmp_path / "a.xlsx", "812", Q, seed=1)
    b = sample.write_la_workbook(tmp_path / "b.xlsx", "812", Q, seed=1)
    c = sample.write_la_workbook(tmp_path / "c.xlsx", "812", Q, seed=2)
    assert a.read_bytes() == b.read_bytes()
    assert _values(a)["Assignments"] != _values(c)["Assignments"]


@pytest.mark.parametrize("code", ["936", "872", "201", "846"])   # 173, 17, 2 and 0 agency workers at Sept 2024
def test_size_follows_dfe_workforce_figures(code):
    built = sample.build_sample(code, Q)
    year, headcount = reference.latest_agency_headcount(code, Q.start)
    n = len(built.rows["Assignments"])
    assert max(5, 0.9 * headcount - 1) <= n <= max(5, 1.1 * headcount + 1)
    assert len(sample.build_sample(code, Q, n_assignments=7).rows["Assignments"]) == 7


@pytest.mark.parametrize("code", ["936", "213", "935", "850"])
def test_clean_content_is_realistic_and_consistent(code):
    built = sample.build_sample(code, Q, seed=4)
    rows, caps = built.rows["Assignments"], reference.cap_table()
    assert len({r["assignment_ref"] for r in rows}) == len(rows)
    assert all(SWE_RE.match(r["swe_number"]) for r in rows)
    assert any(r["start_date"] < Q.start for r in rows) and any(r["start_date"] >= Q.start for r in rows)
    assert all(r["end_date"] is None or r["end_date"] >= max(r["start_date"], Q.start) for r in rows)
    roles = [r["role_category"] for r in rows]
    assert roles.count("Social worker") + roles.count("Senior social worker") > 0.6 * len(rows)
    above = 0
    for r in rows:
        parts = ("hourly_pay_rate", "holiday_pay_per_hour", "employer_ni_per_hour", "apprenticeship_levy_per_hour")
        basis = sum(r[k] or 0 for k in parts)   # Q515's planted row leaves on-costs blank
        if r.get("holiday_pay_per_hour") is None:
            continue
        cap = caps.cap(built.la.region_code, r["role_category"], max(r["start_date"], dt.date(2024, 10, 31)))
        assert 0.8 * cap < basis < 1.2 * cap
        above += basis > cap
    assert 0.05 * len(rows) <= above <= 0.15 * len(rows)
    months = built.rows["MonthlyCosts"]
    assert [m["month"] for m in months] == Q.months
    for m in months:
        parts = m["worker_pay"] + m["agency_fees"] + m["msp_fees"] + m["project_team_other_costs"]
        assert m["total_monthly_cost"] == pytest.approx(parts, abs=0.01)
    monthly = sum(m["total_monthly_cost"] for m in months)
    assert sum(r["cost_in_quarter"] for r in rows) == pytest.approx(monthly, rel=0.02)
    for team in built.rows["ProjectTeams"]:
        members = [r for r in rows if r.get("project_team_ref") == team["project_team_ref"]]
        assert team["worker_costs"] == pytest.approx(sum(r["cost_in_quarter"] for r in members), abs=0.01)
        assert team["total_cost"] == pytest.approx(team["worker_costs"] + team["other_costs"], abs=0.01)
    assert [c["rule"] for c in built.rows["Compliance"]] == list(COMPLIANCE_RULES)
    assert all(c["explanation"] for c in built.rows["Compliance"] if c["status"] != "Fully compliant")
    assert {"Q501", "Q502", "Q518"} & {p.code for p in built.planted}


def test_errors_flavour_has_the_planted_errors_as_cells(tmp_path):
    path = sample.write_la_workbook(tmp_path / "e.xlsx", "926", Q, flavour="errors")
    rows = _records(path, "Assignments")
    refs = [r["Assignment reference"] for r in rows]
    assert len(refs) != len(set(refs))                                                    # E101
    assert any(not SWE_RE.match(r["SWE registration number"]) for r in rows)              # E102
    roles = set(ASSIGNMENTS.column("role_category").choices)
    assert any(r["Role category"] not in roles for r in rows)                             # E103
    assert any(r["End date"] and r["End date"] < r["Start date"] for r in rows)           # E105
    assert any(r["Hourly pay rate"] == 0 for r in rows)                                   # E107
    assert any(r["Payment route"] == "Cash" for r in rows)                       # E109
    teams = _records(path, "ProjectTeams")
    assert any(r["Project team reference"] == "PT-UNKNOWN" for r in rows)                 # E108
    assert any(abs(t["Total cost in quarter"] - t["Worker costs in quarter"] - t["Other costs in quarter"]) > 1
               for t in teams)                                                            # E203
    assert len(_records(path, "MonthlyCosts")) == 2                                       # E301
    compliance = _records(path, "Compliance")
    assert "Data return" not in {c["Rule"] for c in compliance}                           # E401
    assert any(c["Status"] == "Partially compliant" and not c["Explanation"] for c in compliance)  # E403


def test_messy_flavour_looks_pasted(tmp_path):
    path = sample.write_la_workbook(tmp_path / "m.xlsx", "872", Q, flavour="messy")
    wb = openpyxl.load_workbook(path)
    ws = wb["Agency workers"]
    assert ws["A1"].value.startswith("Agency workers report") and ws["A2"].value is None
    headers = [c.value for c in ws[3]]
    assert "Cost centre" in headers and not set(headers) <= {c.header for c in ASSIGNMENTS.columns}
    values = [c.value for row in ws.iter_rows(min_row=4) for c in row]
    assert any(isinstance(v, str) and v.startswith("£") for v in values)
    assert any(isinstance(v, str) and v.startswith("sw 0") for v in values)
    assert any(all(c.value is None for c in row) for row in ws.iter_rows(min_row=4, max_row=ws.max_row - 1))
    assert ws.cell(ws.max_row, 1).value == "Total"
    assert any(s.sheet_state == "hidden" for s in wb)


def test_cross_la_cases_are_planted_in_both_las():
    codes = ["205", "212", "213"]
    cases = sample.plan_cross_la(codes, Q, seed=0)
    assert {c.code for c in cases} == {"X601", "X602"}
    built = {code: sample.build_sample(code, Q, shared=cases) for code in codes}
    for case in cases:
        a, b = built[case.la_a].rows, built[case.la_b].rows
        in_b = next(r for r in b["Assignments"] if r["swe_number"] == case.swe)
        if case.code == "X601":
            in_a = next(r for r in a["Assignments"] if r["swe_number"] == case.swe)
            assert in_a["start_date"] <= in_b["start_date"] and in_a["end_date"] is None
        else:
            left = next(r for r in a["Leavers"] if r["swe_number"] == case.swe)["date_left"]
            assert dt.timedelta(0) < in_b["start_date"] - left < dt.timedelta(days=90)
            assert not any(r["swe_number"] == case.swe for r in a["Assignments"])


def test_generate_and_cli(tmp_path):
    paths = sample.generate("2025-Q2", tmp_path / "g", la_codes=["812", "370"])
    assert [p.name for p in paths] == ["812_2025-Q2.xlsx", "370_2025-Q2.xlsx"]
    assert all(openpyxl.load_workbook(p)["Return"]["B3"].value == "2025-Q2" for p in paths)
    assert sample.main(["--quarter", "2025-Q2", "--out", str(tmp_path / "c"), "--las", "812"]) == 0
    assert (tmp_path / "c" / "812_2025-Q2.xlsx").exists()
    assert sample.main(["--quarter", "2025-Q2", "--out", str(tmp_path / "c"), "--las", "999"]) == 2


def test_bundled_sample_data_is_up_to_date(tmp_path):
    fresh = sample.write_bundled(tmp_path)
    assert sorted(p.name for p in SAMPLE_DATA.glob("*.xlsx")) == sorted(p.name for p in fresh)
    for path in fresh:
        assert _values(path) == _values(SAMPLE_DATA / path.name), path.name
    assert (tmp_path / "README.md").read_text() == (SAMPLE_DATA / "README.md").read_text()


@pytest.mark.skipif(importlib.util.find_spec("pipeline.rules.validate") is None, reason="validator not built yet")
def test_bundled_files_validate_as_described():
    from pipeline.rules.validate import validate_file

    built = sample.build_samples(sample.BUNDLED_QUARTER, la_codes=list(sample.BUNDLED), flavours=sample.BUNDLED)
    for one in built:
        code, planted = one.la.code, one.planted
        result = validate_file(SAMPLE_DATA / f"{code}_{sample.BUNDLED_QUARTER}.xlsx", sample.BUNDLED_QUARTER)
        errors = {f.code for f in result.findings if f.severity == "error"}
        assert errors == {p.code for p in planted if p.code.startswith("E")}, code
        queries = {f.code for f in result.findings if f.severity == "query"}
        assert {p.code for p in planted if p.code.startswith("Q")} <= queries, code


def test_from_2026_q4_the_sample_carries_contract_3s_values_and_stays_clean(tmp_path):
    from pipeline.core.contract import Quarter
    from pipeline.rules.validate import validate_file
    q = Quarter(2026, 4)
    built = sample.build_sample("926", q, n_assignments=60)   # Norfolk: the East of England's agreement applies
    rows = built.rows["Assignments"]
    assert any(r["payment_route"] == "Self-employed" for r in rows)
    ended = [r for r in rows if r["end_date"] is not None and r["end_date"] <= q.end]
    assert ended and all(r["reference_provided"] == "Yes" and r["end_reason"] for r in ended)
    result = validate_file(sample.write_sample(tmp_path / f"926_{q}.xlsx", built))
    assert result.status == "accepted"
    assert not {f.code for f in result.findings} & {"E109", "Q519"}
    assert [f.code for f in result.findings].count("Q515") == [p.code for p in built.planted].count("Q515")
    assert "R702" in {f.code for f in result.agreement}
    earlier = sample.build_sample("926", Quarter(2025, 2), n_assignments=60).rows["Assignments"]
    assert not any(r["payment_route"] == "Self-employed" or "reference_provided" in r for r in earlier)
