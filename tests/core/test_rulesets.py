"""Rule sets by collection period (pipeline/core/rulesets.py): each later period a delta on the one
before; a file is judged by its own quarter's set, recorded with it, and rebuilt by it."""
from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest

from pipeline.core import rulesets
from pipeline.core.config import threshold
from pipeline.core.contract import Quarter
from pipeline.core.findings import catalogue
from pipeline.rules.validate import validate_file
from pipeline.warehouse import maintenance, submit
from tests.workbooks import make_workbook, set_cell, valid_sheets

Q2, Q3 = Quarter(2025, 2), Quarter(2025, 3)


@pytest.fixture
def deltas(tmp_path, monkeypatch):
    folder = tmp_path / "rulesets"
    folder.mkdir()
    monkeypatch.setenv("AGENCY_RETURN_RULESETS", str(folder))
    return folder


def _delta(folder, period, thresholds="", rules=""):
    (folder / period).mkdir(exist_ok=True)
    if thresholds:
        (folder / period / "thresholds.toml").write_text(thresholds)
    if rules:
        (folder / period / "rules.toml").write_text(rules)


PQE_4 = '[min_pqe_years]\nvalue = 4\nsource = "test: DfE raises the PQE minimum from 2025-Q3"\n'


def _book(tmp_path, quarter, name):
    sheets = valid_sheets(quarter)
    set_cell(sheets, "Assignments", 3, "PQE years", 3.5)   # fine under 3, short under 4
    return make_workbook(tmp_path / name, sheets)


def test_a_delta_applies_from_its_period_on(deltas):
    _delta(deltas, "2025-Q3", thresholds=PQE_4, rules='[Q503]\nseverity = "error"\n')
    base, later = rulesets.for_quarter(Q2), rulesets.for_quarter(Quarter(2026, 1))
    assert base.period == "2025-Q1" and later.period == "2025-Q3"
    assert base.version != later.version
    with rulesets.using(base):
        assert threshold("min_pqe_years") == 3 and catalogue()["Q503"].severity == "query"
    with rulesets.using(later):
        assert threshold("min_pqe_years") == 4 and catalogue()["Q503"].severity == "error"
        assert catalogue()["Q503"].messages["default"] == base.rules["Q503"]["messages"]["default"]   # merged, not lost


def test_validate_judges_by_the_files_quarter_and_says_which_set(tmp_path, deltas):
    _delta(deltas, "2025-Q3", thresholds=PQE_4)
    q2, q3 = validate_file(_book(tmp_path, Q2, "q2.xlsx")), validate_file(_book(tmp_path, Q3, "q3.xlsx"))
    assert [f.code for f in q2.findings] == [] and q2.to_dict()["rule_set"].startswith("2025-Q1@")
    assert [(f.code, f.cell) for f in q3.findings] == [("Q503", "Y3"), ("Q512", "B6")]
    assert q3.to_dict()["rule_set"].startswith("2025-Q3@")
    assert "4 years" in q3.findings[0].message


def test_a_2025_q2_file_rebuilt_after_a_later_delta_keeps_its_findings(tmp_path, deltas, service_home):
    for quarter, name in ((Q2, "q2.xlsx"), (Q3, "q3.xlsx")):
        assert submit.submit_file(_book(tmp_path, quarter, name), home=service_home).status == "accepted"
    _delta(deltas, "2025-Q3", thresholds=PQE_4)
    maintenance.rebuild(home=service_home)
    con = duckdb.connect(str(service_home / "data" / "warehouse.duckdb"), read_only=True)
    try:
        ledger = dict(con.execute("SELECT quarter, rule_set FROM ledger").fetchall())
        codes = con.execute("""SELECT l.quarter, list(f.code ORDER BY f.code) FROM ledger l
                               LEFT JOIN fact_finding f USING (submission_id) GROUP BY l.quarter""").fetchall()
    finally:
        con.close()
    assert ledger["2025-Q2"].startswith("2025-Q1@") and ledger["2025-Q3"].startswith("2025-Q3@")
    codes = {q: [c for c in found if c] for q, found in codes}
    assert codes == {"2025-Q2": [], "2025-Q3": ["Q503", "Q512"]}


def test_environment_overrides_still_replace_the_base(tmp_path, monkeypatch, deltas):
    from pipeline.core.config import DATA_DIR
    rules = tmp_path / "rules.toml"
    rules.write_text((DATA_DIR / "rules.toml").read_text().replace(
        '[Q503]\nseverity = "query"', '[Q503]\nseverity = "error"'))
    monkeypatch.setenv("AGENCY_RETURN_RULES", str(rules))
    sheets = valid_sheets()
    set_cell(sheets, "Assignments", 3, "PQE years", 1)
    result = validate_file(make_workbook(tmp_path / "r.xlsx", sheets))
    assert [(f.code, f.severity) for f in result.findings if f.code == "Q503"] == [("Q503", "error")]
    assert result.status == "rejected"


def test_rules_command_prints_the_set_for_a_quarter(deltas):
    _delta(deltas, "2025-Q3", thresholds=PQE_4)

    def rules(*args):
        out = subprocess.run([sys.executable, "-m", "pipeline", "rules", "--format", "json", *args],
                             capture_output=True, text=True, check=True).stdout
        return {r["code"]: r for r in json.loads(out)}

    before, after = rules("--quarter", "2025-Q2"), rules("--quarter", "2025-Q4")
    assert before["Q503"]["rule_set"].startswith("2025-Q1@") and "min_pqe_years = 3" in before["Q503"]["threshold_source"]
    assert after["Q503"]["rule_set"].startswith("2025-Q3@") and "min_pqe_years = 4" in after["Q503"]["threshold_source"]


def test_a_delta_without_a_source_is_refused(deltas):
    _delta(deltas, "2025-Q3", thresholds="[min_pqe_years]\nvalue = 4\n")
    with pytest.raises(ValueError, match="source"):
        rulesets.for_quarter(Q3)
