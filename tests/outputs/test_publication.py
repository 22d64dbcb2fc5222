"""What a build published and what a later build changed: a late return and a replaced one for a
quarter already built give the right lines in its revisions.csv (checked against the returns
themselves), the national workbook says so, and a rebuild with nothing changed revises nothing."""
import datetime as dt

import duckdb
import openpyxl
import pandas as pd
import pytest

from pipeline.core.contract import Quarter
from pipeline.outputs import ees, publication
from pipeline.outputs.build import build_quarter
from pipeline.outputs.sample import generate
from pipeline.warehouse import submit
from tests.outputs.conftest import LATE_LA, REPLACED_LA, _sheet_rows

Q3 = Quarter(2025, 3)


def _revisions(published, q=Q3):
    return pd.read_csv(published["out"] / str(q) / "revisions.csv", dtype=str, keep_default_na=False)


def _figure(published, level, indicator, la="", q=Q3, role="Total"):
    data = pd.read_csv(published["out"] / str(q) / "ees" / "agency_workforce.csv", dtype=str, keep_default_na=False)
    row = data[(data["geographic_level"] == level) & (data["old_la_code"] == la) & (data["role_category"] == role)
               & (data["time_identifier"] == "Financial year Q2")]
    return row[indicator].item()


def test_a_late_return_revises_its_la_region_and_england(published):
    rev = _revisions(published)
    assert list(rev.columns) == publication.REVISION_COLUMNS
    late = rev[(rev["old_la_code"] == LATE_LA) & (rev["role_category"] == "Total")].set_index("measure")
    rows = _sheet_rows(published["late"], "Assignments", "Assignment reference")
    # the LA had no return when first published: every figure was 'x'; now its assignments, counted here
    assert late.at["assignments", "old"] == "x"
    assert late.at["assignments", "new"] == str(len(rows)) == _figure(published, "Local authority", "assignments",
                                                                      LATE_LA)
    assert late.at["cost_in_quarter", "new"] == f"{sum(r['Cost in quarter'] for r in rows):.0f}"
    why = late.at["assignments", "why"]
    assert "Doncaster (371)" in why and "return accepted after the figures were published" in why and "(late)" in why
    assert late.at["assignments", "published_at"] <= late.at["assignments", "revised_at"]


def test_a_replaced_return_and_the_totals_it_moves(published):
    rev = _revisions(published)
    replaced = rev[(rev["old_la_code"] == REPLACED_LA) & (rev["measure"] == "assignments")
                   & (rev["role_category"] == "Total")]
    assert len(replaced) == 1 and "Camden (202): return replaced" in replaced["why"].item()
    rows = _sheet_rows(published["replaced"], "Assignments", "Assignment reference")
    assert replaced["new"].item() == str(len(rows)) != replaced["old"].item()
    england = rev[(rev["geographic_level"] == "National") & (rev["measure"] == "assignments")
                  & (rev["role_category"] == "Total")]
    assert int(england["new"].item()) - int(england["old"].item()) == (
        len(_sheet_rows(published["late"], "Assignments", "Assignment reference"))
        + len(rows) - int(replaced["old"].item()))
    assert "Camden (202)" in england["why"].item() and "Doncaster (371)" in england["why"].item()
    yorkshire = rev[(rev["region_code"] == "E12000003") & (rev["geographic_level"] == "Regional")]
    assert not yorkshire.empty and not yorkshire["why"].str.contains("Camden").any()


def test_quarters_not_rebuilt_have_no_revisions_and_keep_their_file(published):
    for q in (Quarter(2025, 2), Quarter(2025, 4)):
        assert _revisions(published, q).empty
        assert (published["out"] / str(q) / "ees" / "agency_workforce.csv").read_bytes() == published["first"][q]


def test_the_national_workbook_says_what_moved_and_defines_every_figure(published):
    wb = openpyxl.load_workbook(published["out"] / str(Q3) / "national.xlsx", read_only=True)
    notes = {r[0]: r[1] for r in wb["Notes"].iter_rows(values_only=True) if r and r[0]}
    rev = _revisions(published)
    assert notes["Revisions"].startswith(f"{len(rev)} figures of the open data changed since first published")
    for term in ("At quarter end", "In the quarter", "Agency rate", "agency_rate (at quarter end)",
                 "assignments (in the quarter)", "Workforce by region", "Open data (ees/)"):
        assert notes[term], term
    sheet = [r for r in wb["Revisions"].iter_rows(values_only=True)][2:]
    assert len(sheet) == (rev["geographic_level"] != "Local authority").sum()
    assert any(r[1] == "National" and r[3] == "Total" and "Doncaster (371)" in r[8] for r in sheet)


def test_the_agency_rate_beside_the_census(published):
    frame = pd.read_excel(published["out"] / str(Q3) / "national.xlsx", sheet_name="Agency rate and census",
                          header=1, dtype={"Code": str})
    england = frame[(frame["Census day"] == "30 September 2025") & (frame["Code"] == "E92000001")].iloc[0]
    assert england["Agency rate, this return (%)"] == pytest.approx(
        float(_figure(published, "National", "agency_rate")))
    assert england["Agency rate, census (%)"] == 13.0      # the census file's England row, 2025
    assert england["Difference (percentage points)"] == pytest.approx(
        england["Agency rate, this return (%)"] - 13.0, abs=0.05)
    assert (frame.loc[frame["Census day"] == "30 September 2024", "Agency rate, this return (%)"] == "x").all()


def test_a_rebuild_with_nothing_changed_revises_nothing(published, tmp_path):
    before = _revisions(published)
    build_quarter(Q3, home=published["home"], out_dir=tmp_path / "again")
    again = pd.read_csv(tmp_path / "again" / "revisions.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(again, before)
    assert dt.datetime.strptime(before["revised_at"].iloc[0], "%Y-%m-%d %H:%M:%S UTC")


def test_the_dfe_return_states_the_terms(published):
    wb = openpyxl.load_workbook(published["out"] / str(Q3) / "dfe" / f"{LATE_LA}_{Q3}.xlsx", read_only=True)
    about = {r[0]: r[1] for r in wb["About"].iter_rows(values_only=True) if r and r[0]}
    assert about["At quarter end"].startswith("Assignments active on the quarter's last day")
    assert about["In the quarter"] and about["Agency rate"]


def test_a_failed_build_keeps_the_figures_as_published(tmp_path, monkeypatch):
    """The published figures and revisions change in the build's transaction: a build that fails
    after comparing them leaves both as they were, and the next build reports the revisions."""
    home, q = tmp_path / "home", Quarter(2025, 2)
    for f in generate(q, tmp_path / "in", seed=5, la_codes=["202", "203"]):
        submit.submit_file(f, q, home=home)
    build_quarter(q, home=home)
    before = _tables(home)
    for f in generate(q, tmp_path / "again", seed=6, la_codes=["203"]):
        submit.submit_file(f, q, home=home)
    monkeypatch.setattr(ees, "write", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("disk full")))
    with pytest.raises(RuntimeError, match="disk full"):
        build_quarter(q, home=home)
    assert all(a.equals(b) for a, b in zip(_tables(home), before))
    monkeypatch.undo()
    summary = build_quarter(q, home=home)
    assert summary.revised > 0 and f"Revised {summary.revised} figures" in summary.describe()
    assert len(pd.read_csv(home / "outputs" / str(q) / "revisions.csv")) == summary.revised


def _tables(home):
    con = duckdb.connect(str(home / "data" / "warehouse.duckdb"), read_only=True)
    try:
        return [con.execute(f"SELECT * FROM {t} ORDER BY ALL").df() for t in ("published_figure", "figure_revision")]
    finally:
        con.close()
