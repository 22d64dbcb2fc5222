"""Looking after the warehouse (pipeline/warehouse/maintenance.py): rebuild from the kept raw files."""

import pandas as pd

from pipeline.outputs.build import build_quarter
from pipeline.warehouse import maintenance, submit
from tests.warehouse.returns import Q, book, read_facts


def test_rebuild_reproduces_identical_aggregates(tmp_path, service_home):
    from pipeline.outputs.sample import generate
    files = generate(Q, tmp_path / "in", seed=5, la_codes=["202", "203", "370"])
    for f in files:
        submit.submit_file(f, Q, home=service_home)
    submit.submit_file(book(tmp_path, "bad.xlsx", cells={(2, "Hourly pay rate"): 0}), Q, home=service_home)
    build_quarter(Q, home=service_home)
    parquet = service_home / "outputs" / str(Q) / "parquet"
    tables = ("regional_summary", "regional_costs", "national_by_region", "cost_trend", "cross_la",
              "compliance_grid", "cap_breaches", "dfe_assignments", "data_quality")
    before = {t: pd.read_parquet(parquet / f"{t}.parquet") for t in tables}
    ledger = read_facts(service_home, "ledger")
    published = read_facts(service_home, "published_figure")

    message = maintenance.rebuild(home=service_home)
    assert "4 raw files" in message
    rebuilt = read_facts(service_home, "ledger")
    assert rebuilt[["sha256", "status", "received_at"]].equals(ledger[["sha256", "status", "received_at"]])
    assert len(published) and read_facts(service_home, "published_figure").equals(published)   # no raw file has them
    build_quarter(Q, home=service_home)
    assert pd.read_csv(service_home / "outputs" / str(Q) / "revisions.csv").empty      # nothing changed
    for t in tables:
        pd.testing.assert_frame_equal(pd.read_parquet(parquet / f"{t}.parquet"), before[t], obj=t)
