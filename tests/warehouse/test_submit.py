"""Taking submissions (pipeline/warehouse/submit.py): kept, recorded, replaced, or nothing new."""
import stat

import pandas as pd

from pipeline.core.contract import Quarter
from pipeline.warehouse import queries, submit
from tests.warehouse.returns import Q, book, read_facts
from tests.workbooks import make_workbook, valid_sheets


def test_accepted_file_is_kept_owner_only_and_loaded(tmp_path, service_home):
    out = submit.submit_file(book(tmp_path, "a.xlsx"), Q, home=service_home)
    assert out.status == "accepted" and out.submission_id == 1
    raw = service_home / "data" / "raw" / f"{out.sha256}.xlsx"
    assert stat.S_IMODE(raw.stat().st_mode) == 0o600
    assert stat.S_IMODE(raw.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((service_home / "data" / "secret.key").stat().st_mode) == 0o600
    facts = read_facts(service_home)
    assert list(facts["assignment_ref"]) == ["A001", "A002", "A003"]
    assert facts["swe_hash"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert facts["fte"].round(4).tolist() == [1.0, 1.0, 1.0]
    ledger = read_facts(service_home, "ledger")
    assert ledger.loc[0, "status"] == "accepted" and ledger.loc[0, "cap_table_version"].startswith("price_caps")


def test_identical_bytes_are_a_no_op(tmp_path, service_home):
    path = book(tmp_path, "a.xlsx")
    submit.submit_file(path, Q, home=service_home)
    again = submit.submit_file(path, Q, home=service_home)
    assert again.status == "accepted" and again.unchanged and again.la_code == "316" and again.quarter == "2025-Q2"
    assert len(read_facts(service_home, "ledger")) == 1


def test_resubmission_replaces_the_quarter_and_keeps_the_ledger(tmp_path, service_home):
    submit.submit_file(book(tmp_path, "v1.xlsx"), Q, home=service_home)
    submit.submit_file(book(tmp_path, "v2.xlsx", cells={(2, "Hourly pay rate"): 31.0}), Q, home=service_home)
    facts = read_facts(service_home)
    assert len(facts) == 3 and facts["submission_id"].unique().tolist() == [2]
    assert facts.set_index("assignment_ref").at["A001", "hourly_pay_rate"] == 31.0
    assert read_facts(service_home, "ledger")["status"].tolist() == ["accepted", "accepted"]
    # going back to the first bytes is a real resubmission, not a no-op
    back = submit.submit_file(tmp_path / "v1.xlsx", Q, home=service_home)
    assert back.status == "accepted" and read_facts(service_home)["hourly_pay_rate"].iloc[0] == 30.0


def test_rejected_file_leaves_the_accepted_return_untouched(tmp_path, service_home):
    submit.submit_file(book(tmp_path, "good.xlsx"), Q, home=service_home)
    before = read_facts(service_home)
    bad = submit.submit_file(book(tmp_path, "bad.xlsx", cells={(2, "Hourly pay rate"): 0}), Q, home=service_home)
    assert bad.status == "rejected" and bad.errors >= 1
    pd.testing.assert_frame_equal(read_facts(service_home), before)
    st = queries.status(Q, "London", home=service_home).set_index("la_code")
    assert st.at["316", "status"] == "accepted" and st.at["316", "last_submission_status"] == "rejected"
    assert st.at["316", "submissions"] == 2
    findings = read_facts(service_home, "fact_finding")
    assert "E107" in set(findings["code"])


def test_q514_uses_the_previous_accepted_quarter(tmp_path, service_home):
    q1 = Quarter(2025, 1)
    submit.submit_file(make_workbook(tmp_path / "q1.xlsx", valid_sheets(q1)), q1, home=service_home)
    sheets = valid_sheets(Q)
    for row in sheets["MonthlyCosts"][1:]:
        row[2:7] = [v * 2 for v in row[2:7]]
    out = submit.submit_file(make_workbook(tmp_path / "q2.xlsx", sheets), Q, home=service_home)
    assert out.status == "accepted"
    assert "Q514" in {f.code for f in out.result.findings}
