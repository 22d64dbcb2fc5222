"""The EES open data: financial-year time values, the figures against the returns they come from
(read here with openpyxl, not through the warehouse), DfE's symbols and disclosure control, the
metadata and the data guidance."""
import datetime as dt

import pandas as pd
import pytest

from pipeline.core.contract import Quarter
from pipeline.outputs import disclosure, ees
from tests.outputs.conftest import _sheet_rows

Q4 = Quarter(2025, 4)


@pytest.mark.parametrize("quarter, period, identifier", [
    ("2025-Q2", "202526", "Financial year Q1"), ("2025-Q3", "202526", "Financial year Q2"),
    ("2025-Q4", "202526", "Financial year Q3"), ("2026-Q1", "202526", "Financial year Q4"),
    ("2025-Q1", "202425", "Financial year Q4"), ("2099-Q4", "209900", "Financial year Q3")])
def test_a_calendar_quarter_is_a_financial_year_quarter(quarter, period, identifier):
    assert ees.time_columns(Quarter.parse(quarter)) == (period, identifier)


def _data(published, q=Q4):
    frame = pd.read_csv(published["out"] / str(q) / "ees" / "agency_workforce.csv", dtype=str,
                        keep_default_na=False)
    return frame[frame["time_identifier"] == ees.time_columns(q)[1]]


def _source(published, la, q=Q4):
    path = next((published["home"].parent / "in" / str(q)).glob(f"{la}_*.xlsx"))
    return _sheet_rows(path, "Assignments", "Assignment reference")


def _day(value):
    return value.date() if isinstance(value, dt.datetime) else value


def test_the_figures_match_the_returns(published):
    data = _data(published).set_index(["geographic_level", "old_la_code", "role_category"])
    end = Q4.end
    for la in ("202", "203", "316", "370", "371"):
        rows = _source(published, la)
        at_end = [r for r in rows if _day(r["Start date"]) <= end and (not r["End date"] or _day(r["End date"]) >= end)]
        total = data.loc[("Local authority", la, "Total")]
        assert total["assignments"] == str(len(rows))
        assert total["agency_headcount_quarter_end"] == str(len({r["SWE registration number"] for r in at_end}))
        fte = sum((r["Hours per week"] or 37) for r in at_end) / 37
        assert float(total["agency_fte_quarter_end"]) == pytest.approx(fte, abs=0.05)
        assert float(total["cost_in_quarter"]) == pytest.approx(sum(r["Cost in quarter"] for r in rows), abs=0.5)
    london = sum(len(_source(published, la)) for la in ("202", "203", "316"))
    assert data.loc[("Regional", "", "Total"), :].set_index("region_code").at["E12000007", "assignments"] == str(london)


def test_symbols(published):
    data = _data(published)
    # no accepted return: x for everything
    north_east = data[data["region_code"] == "E12000001"]
    assert (north_east[[i.name for i in ees.INDICATORS]] == "x").all().all()
    # the census has no role categories: the agency rate of a single role is z
    assert (data.loc[data["role_category"] != "Total", "agency_rate"].isin(["z", "x"])).all()
    assert (data.loc[(data["role_category"] == "Total") & (data["geographic_level"] == "National"),
                     "agency_rate"] != "z").all()
    # every headcount under 5 is c, and what follows it too
    shown = data[data["agency_headcount_quarter_end"].str.isdigit()]
    assert (shown["agency_headcount_quarter_end"].astype(int) >= disclosure.MINIMUM).all()
    hidden = data[data["agency_headcount_quarter_end"] == "c"]
    assert (hidden["agency_fte_quarter_end"] == "c").all() and len(hidden) > 0


def test_no_line_of_a_region_hides_just_one_cell(published):
    """Secondary suppression: within each region (its LAs and the region's row, role categories
    across with Total) no row or column hides exactly one cell, or subtraction would reveal it."""
    data = _data(published)
    for region, rows in data[data["geographic_level"] != "National"].groupby("region_code"):
        table = rows.pivot(index="old_la_code", columns="role_category", values="agency_headcount_quarter_end")
        if (table == "x").all().all():
            continue
        hidden = table == "c"
        assert not (hidden.sum(axis=1) == 1).any(), region
        assert not (hidden.sum(axis=0) == 1).any(), region


def test_metadata_and_guidance(published):
    folder = published["out"] / str(Q4) / "ees"
    meta = pd.read_csv(folder / "agency_workforce.meta.csv", dtype=str, keep_default_na=False)
    assert meta["col_name"].tolist() == ["role_category", *(i.name for i in ees.INDICATORS)]
    units = dict(zip(meta["col_name"], meta["indicator_unit"]))
    assert units["agency_rate"] == "%" and units["cost_in_quarter"] == "£" and units["assignments"] == ""
    guide = (folder / "data_guidance.md").read_text(encoding="utf-8")
    for text in ("At quarter end", "In the quarter", "Agency rate", "Financial year Q1", "revisions.csv",
                 *(i.name for i in ees.INDICATORS)):
        assert text in guide, text
