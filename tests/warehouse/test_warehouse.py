"""The warehouse and ledger: submit, replace, no-op, rejection, crash safety, rebuild, HMAC, Q514."""
import stat

import duckdb
import pandas as pd
import pytest

from pipeline.core import calendar
from pipeline.core.contract import Quarter
from pipeline.outputs.build import build_quarter
from pipeline.warehouse import loads, maintenance, queries, sqlfiles, submit
from tests.workbooks import make_workbook, set_cell, valid_sheets

Q = Quarter(2025, 2)


def _facts(home, table="fact_assignment"):
    con = duckdb.connect(str(home / "data" / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(f"SELECT * FROM {table} ORDER BY ALL").df()
    finally:
        con.close()


def _book(tmp_path, name, quarter=Q, cells=None):
    sheets = valid_sheets(quarter)
    for (row, header), value in (cells or {}).items():
        set_cell(sheets, "Assignments", row, header, value)
    return make_workbook(tmp_path / name, sheets)


def test_accepted_file_is_kept_owner_only_and_loaded(tmp_path, service_home):
    out = submit.submit_file(_book(tmp_path, "a.xlsx"), Q, home=service_home)
    assert out.status == "accepted" and out.submission_id == 1
    raw = service_home / "data" / "raw" / f"{out.sha256}.xlsx"
    assert stat.S_IMODE(raw.stat().st_mode) == 0o600
    assert stat.S_IMODE(raw.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((service_home / "data" / "secret.key").stat().st_mode) == 0o600
    facts = _facts(service_home)
    assert list(facts["assignment_ref"]) == ["A001", "A002", "A003"]
    assert facts["swe_hash"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert facts["fte"].round(4).tolist() == [1.0, 1.0, 1.0]
    ledger = _facts(service_home, "ledger")
    assert ledger.loc[0, "status"] == "accepted" and ledger.loc[0, "cap_table_version"].startswith("price_caps")


def test_identical_bytes_are_a_no_op(tmp_path, service_home):
    path = _book(tmp_path, "a.xlsx")
    submit.submit_file(path, Q, home=service_home)
    again = submit.submit_file(path, Q, home=service_home)
    assert again.status == "accepted" and again.unchanged and again.la_code == "316" and again.quarter == "2025-Q2"
    assert len(_facts(service_home, "ledger")) == 1


def test_resubmission_replaces_the_quarter_and_keeps_the_ledger(tmp_path, service_home):
    submit.submit_file(_book(tmp_path, "v1.xlsx"), Q, home=service_home)
    submit.submit_file(_book(tmp_path, "v2.xlsx", cells={(2, "Hourly pay rate"): 31.0}), Q, home=service_home)
    facts = _facts(service_home)
    assert len(facts) == 3 and facts["submission_id"].unique().tolist() == [2]
    assert facts.set_index("assignment_ref").at["A001", "hourly_pay_rate"] == 31.0
    assert _facts(service_home, "ledger")["status"].tolist() == ["accepted", "accepted"]
    # going back to the first bytes is a real resubmission, not a no-op
    back = submit.submit_file(tmp_path / "v1.xlsx", Q, home=service_home)
    assert back.status == "accepted" and _facts(service_home)["hourly_pay_rate"].iloc[0] == 30.0


def test_rejected_file_leaves_the_accepted_return_untouched(tmp_path, service_home):
    submit.submit_file(_book(tmp_path, "good.xlsx"), Q, home=service_home)
    before = _facts(service_home)
    bad = submit.submit_file(_book(tmp_path, "bad.xlsx", cells={(2, "Hourly pay rate"): 0}), Q, home=service_home)
    assert bad.status == "rejected" and bad.errors >= 1
    pd.testing.assert_frame_equal(_facts(service_home), before)
    st = queries.status(Q, "London", home=service_home).set_index("la_code")
    assert st.at["316", "status"] == "accepted" and st.at["316", "last_submission_status"] == "rejected"
    assert st.at["316", "submissions"] == 2
    findings = _facts(service_home, "fact_finding")
    assert "E107" in set(findings["code"])


def test_crash_mid_load_leaves_the_warehouse_as_before(tmp_path, service_home, monkeypatch):
    submit.submit_file(_book(tmp_path, "v1.xlsx"), Q, home=service_home)
    before = {t: _facts(service_home, t) for t in (*loads.FACT_TABLES, "ledger", "fact_finding",
                                                   "current_submission")}

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(loads, "_load_compliance", boom)   # after the other facts are written
    with pytest.raises(RuntimeError, match="disk full"):
        submit.submit_file(_book(tmp_path, "v2.xlsx", cells={(2, "Hourly pay rate"): 31.0}), Q, home=service_home)
    for table, frame in before.items():
        pd.testing.assert_frame_equal(_facts(service_home, table), frame, obj=table)


def test_q514_uses_the_previous_accepted_quarter(tmp_path, service_home):
    q1 = Quarter(2025, 1)
    submit.submit_file(make_workbook(tmp_path / "q1.xlsx", valid_sheets(q1)), q1, home=service_home)
    sheets = valid_sheets(Q)
    for row in sheets["MonthlyCosts"][1:]:
        row[2:7] = [v * 2 for v in row[2:7]]
    out = submit.submit_file(make_workbook(tmp_path / "q2.xlsx", sheets), Q, home=service_home)
    assert out.status == "accepted"
    assert "Q514" in {f.code for f in out.result.findings}


def test_key_from_environment_gives_a_different_hash(tmp_path, service_home, monkeypatch):
    submit.submit_file(_book(tmp_path, "a.xlsx"), Q, home=service_home)
    generated = _facts(service_home)["swe_hash"].tolist()
    monkeypatch.setenv("AGENCY_RETURN_KEY", "another key")
    other = tmp_path / "other"
    submit.submit_file(_book(tmp_path, "a.xlsx"), Q, home=other)
    assert _facts(other)["swe_hash"].tolist() != generated


def test_rebuild_reproduces_identical_aggregates(tmp_path, service_home):
    from pipeline.outputs.sample import generate
    files = generate(Q, tmp_path / "in", seed=5, la_codes=["202", "203", "370"])
    for f in files:
        submit.submit_file(f, Q, home=service_home)
    submit.submit_file(_book(tmp_path, "bad.xlsx", cells={(2, "Hourly pay rate"): 0}), Q, home=service_home)
    build_quarter(Q, home=service_home)
    parquet = service_home / "outputs" / str(Q) / "parquet"
    tables = ("regional_summary", "regional_costs", "national_by_region", "cost_trend", "cross_la",
              "compliance_grid", "cap_breaches", "dfe_assignments", "data_quality")
    before = {t: pd.read_parquet(parquet / f"{t}.parquet") for t in tables}
    ledger = _facts(service_home, "ledger")

    message = maintenance.rebuild(home=service_home)
    assert "4 raw files" in message
    rebuilt = _facts(service_home, "ledger")
    assert rebuilt[["sha256", "status", "received_at"]].equals(ledger[["sha256", "status", "received_at"]])
    build_quarter(Q, home=service_home)
    for t in tables:
        pd.testing.assert_frame_equal(pd.read_parquet(parquet / f"{t}.parquet"), before[t], obj=t)


def test_status_lists_every_live_la_and_lateness(tmp_path, service_home):
    submit.submit_file(_book(tmp_path, "a.xlsx"), Q, home=service_home)
    table = queries.status(Q, home=service_home)
    assert len(table) == 153
    assert table["status"].value_counts().to_dict() == {"missing": 152, "accepted": 1}
    london = queries.status(Q, "london", home=service_home)
    assert set(london["region_name"]) == {"London"} and len(london) == 33
    missing = table[table["status"] == "missing"]
    assert missing["last_submission_at"].isna().all()
    due = table["due_date"].iloc[0]
    assert pd.Timestamp(due).date().isoformat() == "2025-08-31"   # end of the second month after June


def test_above_cap_in_the_warehouse_is_the_cap_q501_judged(tmp_path, service_home):
    # A001 over the London cap (£39.87) without approval; A002 over with DCS approval; A003 under.
    cells = {(2, "Hourly pay rate"): 36.0, (3, "Hourly pay rate"): 40.0, (3, "Cap approved by"): "DCS"}
    out = submit.submit_file(_book(tmp_path, "caps.xlsx", cells=cells), Q, home=service_home)
    assert [(f.code, f.row) for f in out.result.findings if f.code in ("Q501", "Q502")] == [("Q501", 2)]
    facts = _facts(service_home).set_index("assignment_ref")
    assert facts["above_cap"].to_dict() == {"A001": True, "A002": True, "A003": False}
    assert facts["cap"].tolist() == [39.87, 43.85, 39.87]
    assert facts["cap_table_version"].str.startswith("price_caps_illustrative.csv@").all()


def test_returns_are_due_by_the_end_of_the_second_month_after_the_quarter():
    due = [calendar.due_date(Quarter(2025, q)).isoformat() for q in (1, 2, 3, 4)]
    assert due == ["2025-05-31", "2025-08-31", "2025-11-30", "2026-02-28"]
    assert calendar.due_date(Quarter(2027, 4)).isoformat() == "2028-02-29"


def test_a_submission_after_its_due_date_is_late_and_one_before_is_not(tmp_path, service_home):
    future = Quarter(2049, 4)   # due 29 Feb 2050: still ahead whenever this test runs
    submit.submit_file(_book(tmp_path, "late.xlsx"), Q, home=service_home)          # 2025-Q2, sent today
    submit.submit_file(_book(tmp_path, "early.xlsx", quarter=future), future, home=service_home)
    late = queries.status(Q, home=service_home).set_index("la_code")
    early = queries.status(future, home=service_home).set_index("la_code")
    assert late.at["316", "status"] == "accepted" and bool(late.at["316", "late"])
    assert early.at["316", "status"] == "accepted" and not bool(early.at["316", "late"])
    assert not early.drop(index="316")["late"].any()   # missing, but not yet due


def test_a_frame_arrow_cannot_type_still_reaches_sql():
    mixed = pd.DataFrame({"value": ["text", 3, None], "n": [1.5, None, 2.0]})   # text and a number in one column
    typed = pd.DataFrame({"value": pd.array(["a", None], dtype="string"), "started": pd.to_datetime(["2025-04-01", None])})
    with duckdb.connect() as con:
        with sqlfiles.registered(con, {"src": mixed}):
            assert con.execute("SELECT * FROM src").fetchall() == [("text", 1.5), ("3", None), (None, 2.0)]
        with sqlfiles.registered(con, {"src": typed}):
            assert con.execute("SELECT value, started::DATE::VARCHAR FROM src").fetchall() == [
                ("a", "2025-04-01"), (None, None)]
