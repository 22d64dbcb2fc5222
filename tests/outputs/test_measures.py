"""The measures of data-contract section 7 (pipeline/outputs/sql/measures/), each computed a second
way in pandas from the facts: FTE with blank hours as 37, days active in the quarter, active at the
quarter's end, tenure in weeks, starts and ends; the census each LA's agency rate is set against."""
import datetime as dt

import duckdb
import pandas as pd
import pytest

from pipeline.core import reference
from pipeline.outputs import marts


@pytest.fixture(scope="module")
def con(quarters):
    con = duckdb.connect(str(quarters["home"] / "data" / "warehouse.duckdb"), read_only=True)
    yield con
    con.close()


def _facts(con, quarter) -> pd.DataFrame:
    return con.execute("SELECT * FROM fact_assignment WHERE quarter = ? ORDER BY la_code, assignment_ref",
                       [str(quarter)]).df()


@pytest.mark.parametrize("i", range(4))
def test_each_assignments_measures_are_the_definitions(con, quarters, i):
    q = quarters["quarters"][i]
    marts.measures(con, q)
    got = con.execute("SELECT * FROM mart_assignment_measures ORDER BY la_code, assignment_ref").df()
    facts = _facts(con, q)
    assert len(got) == len(facts) > 100
    start, end = pd.Timestamp(q.start), pd.Timestamp(q.end)
    s, e = pd.to_datetime(facts["start_date"]), pd.to_datetime(facts["end_date"])
    last = e.where(e.notna() & (e < end), end)
    hours = facts["hours_per_week"].fillna(37.0)
    assert facts["hours_per_week"].isna().sum() == 3           # LA 203's blank hours count as 37
    assert got["fte"].tolist() == pytest.approx((hours / 37).tolist())
    assert got["hours_per_week_or_37"].tolist() == hours.tolist()
    assert got["days_active_in_quarter"].tolist() == ((last - s.where(s > start, start)).dt.days + 1).tolist()
    assert got["active_at_quarter_end"].tolist() == (e.isna() | (e >= end)).tolist()
    assert got["tenure_weeks"].tolist() == pytest.approx(((last - s).dt.days / 7).tolist())
    assert got["starts_in_quarter"].tolist() == ((s >= start) & (s <= end)).tolist()
    assert got["ends_in_quarter"].tolist() == ((e >= start) & (e <= end)).tolist()
    assert 0 < got["active_at_quarter_end"].sum() < len(got)
    assert got["quarter"].eq(str(q)).all()


def test_assignment_quarters_holds_every_quarter_up_to_the_one_built(con, quarters):
    marts.measures(con, quarters["quarters"][2])
    held = dict(con.execute("SELECT quarter, count(*) FROM mart_assignment_quarters GROUP BY 1").fetchall())
    assert held == {str(q): len(_facts(con, q)) for q in quarters["quarters"][:3]}


def test_the_census_is_the_latest_with_permanent_fte_up_to_the_quarters_end(con, quarters):
    for q in quarters["quarters"]:
        marts.measures(con, q)
        census = con.execute("SELECT * FROM mart_census").df().set_index("la_code")
        assert len(census) == len(reference.live_las(q))
        for la in ("202", "370"):
            years = reference.workforce()[la]
            year = max(y for y in years if dt.date(y, 9, 30) <= q.end and years[y]["inpost_fte"] is not None)
            assert census.at[la, "census_year"] == year
            assert census.at[la, "permanent_fte"] == years[year]["inpost_fte"]
            assert census.at[la, "vacancy_rate"] == years[year]["vacancy_rate_fte"]
    assert {int(census.at["202", "census_year"])} == {2025}
