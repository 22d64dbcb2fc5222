"""Recording (pipeline/warehouse/loads.py): one transaction, and the facts as the rules judged them."""

import pandas as pd
import pytest

from pipeline.warehouse import loads, submit
from tests.warehouse.returns import Q, book, read_facts


def test_crash_mid_load_leaves_the_warehouse_as_before(tmp_path, service_home, monkeypatch):
    submit.submit_file(book(tmp_path, "v1.xlsx"), Q, home=service_home)
    before = {t: read_facts(service_home, t) for t in (*loads.FACT_TABLES, "ledger", "fact_finding",
                                                   "current_submission")}

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(loads, "_load_compliance", boom)   # after the other facts are written
    with pytest.raises(RuntimeError, match="disk full"):
        submit.submit_file(book(tmp_path, "v2.xlsx", cells={(2, "Hourly pay rate"): 31.0}), Q, home=service_home)
    for table, frame in before.items():
        pd.testing.assert_frame_equal(read_facts(service_home, table), frame, obj=table)


def test_above_cap_in_the_warehouse_is_the_cap_q501_judged(tmp_path, service_home):
    # A001 over the London cap (£39.87) without approval; A002 over with DCS approval; A003 under.
    cells = {(2, "Hourly pay rate"): 36.0, (3, "Hourly pay rate"): 40.0, (3, "Cap approved by"): "DCS"}
    out = submit.submit_file(book(tmp_path, "caps.xlsx", cells=cells), Q, home=service_home)
    assert [(f.code, f.row) for f in out.result.findings if f.code in ("Q501", "Q502")] == [("Q501", 2)]
    facts = read_facts(service_home).set_index("assignment_ref")
    assert facts["above_cap"].to_dict() == {"A001": True, "A002": True, "A003": False}
    assert facts["cap"].tolist() == [39.87, 43.85, 39.87]
    assert facts["cap_table_version"].str.startswith("price_caps_illustrative.csv@").all()
