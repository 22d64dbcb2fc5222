"""The marts run in an order in which each comes after the marts it reads; a mart read that does not
exist, or marts reading each other in a cycle, are refused by name."""
import pytest

from pipeline.core.contract import Quarter
from pipeline.outputs import marts
from pipeline.warehouse.connection import connect

Q = Quarter(2025, 2)
TABLES = {"status", "dfe_assignments", "dfe_compliance", "cap_breaches", "agencies", "monthly_costs",
          "regional_summary", "cost_trend", "rates_vs_cap", "compliance_grid", "cross_la", "national_by_region",
          "regional_costs", "data_quality", "findings_by_code", "workforce", "benchmark", "trends", "supply_chain",
          "tenure"}
MEASURES = {"assignment_quarters", "assignment_measures", "census_quarters", "census"}


def _needs() -> dict[str, set[str]]:
    return {name: marts.reads(folder.text(file)) for name, (folder, file) in marts.mart_files().items()}


def test_every_mart_runs_after_the_marts_it_reads():
    needs = _needs()
    order = marts.run_order(needs)
    assert set(order) == TABLES | MEASURES and len(order) == len(TABLES | MEASURES)
    assert needs["data_quality"] == needs["findings_by_code"] == {"status"}
    for name, others in needs.items():
        assert all(order.index(other) < order.index(name) for other in others), name


def test_a_mart_reads_the_marts_its_sql_names():
    assert marts.reads("SELECT * FROM mart_status AS m JOIN mart_cost_trend USING (la_code) -- smart_money") == {
        "status", "cost_trend"}
    assert marts.reads("SELECT 1 FROM fact_monthly_cost") == set()


def test_marts_free_to_run_go_by_name_after_what_they_read():
    assert marts.run_order({"b": set(), "a": {"c"}, "c": set()}) == ["b", "c", "a"]


def test_a_mart_reading_no_such_mart_is_refused():
    with pytest.raises(ValueError, match="no such mart: a reads mart_missing"):
        marts.run_order({"a": {"missing"}, "b": set()})


def test_marts_reading_each_other_in_a_cycle_are_refused():
    with pytest.raises(ValueError, match="in a cycle .*: a, b, c$"):
        marts.run_order({"a": {"b"}, "b": {"a"}, "c": {"a"}, "d": set()})
    with pytest.raises(ValueError, match="cycle"):
        marts.run_order({"a": {"a"}})


def test_materialise_returns_every_output_table_by_name(tmp_path):
    con = connect(tmp_path / "warehouse.duckdb")
    try:
        tables = marts.materialise(con, Q)
        assert set(tables) == TABLES
        assert list(tables) == [name for name in marts.run_order(_needs()) if name not in MEASURES]
        for name in tables:
            con.execute(f"SELECT count(*) FROM mart_{name}")
    finally:
        con.close()
