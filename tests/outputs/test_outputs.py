"""Outputs: every file exists and opens; totals match a recomputation from the source workbooks
(read here with openpyxl, not through the warehouse); no SWE number outside the DfE return;
cross-LA findings only in regional outputs; formula-like text stays text; failed builds publish nothing."""
import logging
import re
import statistics
import zipfile

import openpyxl
import pandas as pd
import pytest

from pipeline.outputs import build
from pipeline.outputs import products
from pipeline.outputs.build import build_quarter
from pipeline.core.contract import Quarter
from pipeline.outputs.sample import generate
from pipeline.rules.validate import validate_file
from tests.workbooks import make_workbook, valid_sheets
from pipeline.outputs import pull
from pipeline.warehouse import submit
from pipeline.workers import pool

Q = Quarter(2025, 2)
LAS = {"202": "London", "203": "London", "316": "London", "370": "Yorkshire_and_The_Humber",
       "371": "Yorkshire_and_The_Humber"}


def _sheet_rows(path, sheet, first_header):
    """Rows of a source sheet as dicts keyed by header (header row found under any title rows)."""
    ws = openpyxl.load_workbook(path, read_only=True, data_only=True)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    h = next(i for i, r in enumerate(rows) if r and r[0] == first_header)
    return [dict(zip(rows[h], r)) for r in rows[h + 1:] if any(v not in (None, "") for v in r)]


def _swe(text) -> str:
    return "SW" + str(int(re.sub(r"\D", "", str(text))))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Five LAs submitted and built, the DfE returns written by worker processes (as for 153 LAs)."""
    root = tmp_path_factory.mktemp("outputs")
    home = root / "home"
    files = generate(Q, root / "in", seed=11, la_codes=list(LAS))
    logger = logging.getLogger()
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda rec: records.append(rec.getMessage())
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        outcomes = [submit.submit_file(f, Q, home=home) for f in files]
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(build, "PARALLEL_MIN_LAS", 2)
            mp.setattr(pool, "spare_cores", lambda: 2.0)   # however busy the machine running the tests
            summary = build_quarter(Q, home=home)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    source = {}
    for f in files:
        code = f.name.split("_")[0]
        source[code] = {"assignments": _sheet_rows(f, "Assignments", "Assignment reference"),
                        "monthly": _sheet_rows(f, "MonthlyCosts", "Month")}
    return {"home": home, "files": files, "outcomes": outcomes, "summary": summary, "source": source,
            "out": home / "outputs" / str(Q), "logs": records}


def test_every_output_exists_and_opens(built):
    out = built["out"]
    assert all(o.status == "accepted" for o in built["outcomes"])
    for code in LAS:
        for suffix in (".xlsx", ".csv", "_la_level.csv"):
            assert (out / "dfe" / f"{code}_{Q}{suffix}").stat().st_size > 0
    regional = sorted(p.name for p in (out / "regional").glob("*.xlsx"))
    assert len(regional) == 9 and "East_of_England.xlsx" in regional and "London.xlsx" in regional
    for path in [*(out / "regional").glob("*.xlsx"), out / "national.xlsx", *(out / "dfe").glob("*.xlsx")]:
        openpyxl.load_workbook(path)
    with zipfile.ZipFile(out / "regional" / "London.xlsx") as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 2
    assert (out / "status.csv").exists() and len(list((out / "parquet").glob("*.parquet"))) == 15
    assert not list(out.parent.glob(".*building*"))


def test_totals_match_the_source_workbooks(built):
    src, out = built["source"], built["out"]
    by_region: dict[str, float] = {}
    for code, region in LAS.items():
        by_region[region] = by_region.get(region, 0) + sum(r["Total monthly cost"] for r in src[code]["monthly"])
    costs = pd.read_excel(out / "national.xlsx", sheet_name="Costs by region", header=1).set_index("Region")
    assert costs.at["London", "Total cost (£)"] == pytest.approx(by_region["London"], abs=0.01)
    assert costs.at["Yorkshire and The Humber", "Total cost (£)"] == pytest.approx(
        by_region["Yorkshire_and_The_Humber"], abs=0.01)
    assert costs.at["England", "Total cost (£)"] == pytest.approx(sum(by_region.values()), abs=0.01)
    assert costs.at["North East", "Total cost (£)"] == "x"          # no returns: DfE's 'not available'
    assert costs.at["England", "LAs with an accepted return"] == 5
    assert built["summary"].total_cost_by_region["London"] == pytest.approx(by_region["London"], abs=0.01)

    summary = pd.read_excel(out / "regional" / "London.xlsx", sheet_name="By LA and role", header=1,
                            dtype={"LA code": str}).rename(columns={m.header: m.name for m in products.measures().values()})
    for code in ("202", "203", "316"):
        rows = src[code]["assignments"]
        rates = [r["Hourly pay rate"] + (r["Holiday pay per hour"] or 0) + (r["Employer NI per hour"] or 0)
                 + (r["Apprenticeship levy per hour"] or 0) for r in rows]
        mine = summary[(summary["la_code"] == code) & (summary["role_category"] == "All roles")].iloc[0]
        assert mine["assignments"] == len(rows)
        assert mine["headcount"] == len({_swe(r["SWE registration number"]) for r in rows})
        assert mine["median_rate"] == pytest.approx(statistics.median(rates), abs=0.006)
        assert mine["mean_rate"] == pytest.approx(statistics.fmean(rates), abs=0.006)
        assert mine["fte"] == pytest.approx(sum((r["Hours per week"] or 0) / 37 for r in rows), abs=0.01)
        dfe = pd.read_csv(out / "dfe" / f"{code}_{Q}.csv")
        assert len(dfe) == len(rows)
        assert set(dfe["swe_number"]) == {_swe(r["SWE registration number"]) for r in rows}

    trend = pd.read_excel(out / "regional" / "London.xlsx", sheet_name="Cost trend", header=1)
    london_total = sum(r["Total monthly cost"] for c in ("202", "203", "316") for r in src[c]["monthly"])
    assert trend["Region total, LAs reporting (£)"].sum() == pytest.approx(london_total, abs=0.01)
    assert list(trend["LAs reporting"]) == [3, 3, 3]


def _texts(path) -> str:
    with zipfile.ZipFile(path) as z:
        return " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))


def test_no_swe_number_outside_the_dfe_return(built):
    out, home = built["out"], built["home"]
    numbers = {_swe(r["SWE registration number"]) for s in built["source"].values() for r in s["assignments"]}
    digits = {n[2:] for n in numbers if len(n) >= 6}
    published = [_texts(p) for p in [*(out / "regional").glob("*.xlsx"), out / "national.xlsx"]]
    published += [(out / "status.csv").read_text()]
    published += [pd.read_parquet(p).to_csv() for p in (out / "parquet").glob("*.parquet")]
    published += ["\n".join(built["logs"])]
    for text in published:
        assert not re.search(r"\bSW\d{1,7}\b", text, re.IGNORECASE)
        assert not any(n in text for n in numbers)
    store_bytes = (home / "data" / "warehouse.duckdb").read_bytes()
    assert not any(n.encode() in store_bytes for n in numbers)
    assert not any(f"SW{d}".encode() in store_bytes for d in digits)
    assert any(n in _texts(out / "dfe" / f"202_{Q}.xlsx") for n in numbers)   # DfE does get them


def test_cross_la_findings_reach_the_region_never_the_la(built):
    cross = pd.read_parquet(built["out"] / "parquet" / "cross_la.parquet")
    for region in ("E12000007", "E12000003"):
        codes = set(cross.loc[cross["region_code"] == region, "code"])
        assert {"X601", "X602"} <= codes
    regional = pd.read_excel(built["out"] / "regional" / "London.xlsx", sheet_name="Cross-LA findings", header=1)
    assert {"X601", "X602"} <= set(regional["Finding code"])
    for outcome, path in zip(built["outcomes"], built["files"]):
        assert not {f.code for f in outcome.result.findings} & {"X601", "X602"}
        assert not {f.code for f in validate_file(path, Q).findings} & {"X601", "X602"}


def test_national_figures_are_disclosure_controlled(built):
    ws = openpyxl.load_workbook(built["out"] / "national.xlsx")["Workforce by region"]
    cells = [c.value for row in ws.iter_rows() for c in row]
    numbers = [v for v in cells if isinstance(v, (int, float))]
    assert "c" in cells
    headcount = pd.read_excel(built["out"] / "national.xlsx", sheet_name="Workforce by region", skiprows=1,
                              nrows=10, index_col=0)
    shown = headcount.apply(pd.to_numeric, errors="coerce")
    assert not ((shown < 5) & shown.notna()).any().any()
    assert numbers


def test_formula_like_text_is_written_as_text(tmp_path, service_home):
    sheets = valid_sheets(Q)
    sheets["Agencies"].append(["@HYPERLINK(\"http://x\",\"click\")", "Price caps", "+cmd|' /C calc'!A0"])
    submit.submit_file(make_workbook(tmp_path / "inj.xlsx", sheets), Q, home=service_home)
    build_quarter(Q, home=service_home)
    out = service_home / "outputs" / str(Q)
    ws = openpyxl.load_workbook(out / "regional" / "London.xlsx")["Agencies"]
    cells = [c for row in ws.iter_rows() for c in row if str(c.value)[:1] in "@+"]
    assert len(cells) == 2 and all(c.data_type == "s" for c in cells)
    la_level = (out / "dfe" / f"316_{Q}_la_level.csv").read_text()
    assert "'@HYPERLINK" in la_level and "'+cmd" in la_level
    # a cell text starting with '=' (which openpyxl cannot put in a source workbook as text)
    book = products.Book(tmp_path / "t.xlsx")
    book.table("T", pd.DataFrame({"x": ["=1+2", "-3", "plain"]}))
    book.close()
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["T"]
    assert [(c.value, c.data_type) for c in ws["A"][1:]] == [("=1+2", "s"), ("-3", "s"), ("plain", "s")]


def test_a_failed_build_publishes_nothing(tmp_path, service_home, monkeypatch):
    submit.submit_file(make_workbook(tmp_path / "a.xlsx", valid_sheets(Q)), Q, home=service_home)
    first = build_quarter(Q, home=service_home)
    stamp = (first.out_dir / "national.xlsx").stat().st_mtime_ns

    def broken(*args, **kwargs):
        raise RuntimeError("chart engine failed")
    monkeypatch.setattr(products, "national", broken)
    with pytest.raises(RuntimeError):
        build_quarter(Q, home=service_home)
    assert (first.out_dir / "national.xlsx").stat().st_mtime_ns == stamp
    assert not list(first.out_dir.parent.glob(".*building*"))


def test_a_dfe_return_failing_in_a_worker_publishes_nothing(tmp_path, service_home, monkeypatch):
    files = generate(Q, tmp_path / "in", seed=12, la_codes=["202", "203"])
    outcomes = [submit.submit_file(f, Q, home=service_home) for f in files]
    (service_home / "data" / "raw" / f"{outcomes[1].sha256}.xlsx").unlink()   # its SWE numbers cannot be read
    monkeypatch.setattr(build, "PARALLEL_MIN_LAS", 2)
    monkeypatch.setattr(pool, "spare_cores", lambda: 2.0)
    with pytest.raises(OSError):
        build_quarter(Q, home=service_home)
    assert not (service_home / "outputs" / str(Q)).exists()
    assert not list((service_home / "outputs").glob(".*building*"))


def test_pull_gives_the_region_in_each_format(built, tmp_path):
    home = built["home"]
    xlsx = pull.pull(Q, "London", "xlsx", tmp_path / "x", home=home)
    assert [p.name for p in xlsx] == ["London.xlsx"]
    csvs = pull.pull(Q, "E12000003", "csv", tmp_path / "c", home=home)
    summary = pd.read_csv(next(p for p in csvs if p.name == "regional_summary.csv"))
    assert set(summary["region_code"]) == {"E12000003"}
    parquet = pull.pull(Q, None, "parquet", tmp_path / "p", home=home)
    assert len(parquet) == 15
    everything = pull.pull(Q, None, "xlsx", tmp_path / "all", home=home)
    assert len(everything) == 10


# --- readable like published statistics ---------------------------------------------------------

SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")
HEADER_FILL = "DDEBF7"


def _workbooks(out):
    return [*(out / "regional").glob("*.xlsx"), out / "national.xlsx", *(out / "dfe").glob("*.xlsx")]


def _width(ws, col: int) -> float:
    for dim in ws.column_dimensions.values():
        if dim.min and dim.max and dim.min <= col <= dim.max and dim.width:
            return dim.width
    return 8.43


def _headers(ws):
    return [c for row in ws.iter_rows() for c in row
            if c.value is not None and c.fill is not None and str(c.fill.fgColor.rgb).endswith(HEADER_FILL)]


def test_every_table_has_human_headers(built):
    for path in _workbooks(built["out"]):
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for cell in _headers(ws):
                assert not SNAKE.match(str(cell.value)), f"{path.name} {ws.title}!{cell.coordinate}: {cell.value}"
    names = {"regional_summary", "cap_breaches", "rates_vs_cap", "agencies", "cross_la", "regional_costs",
             "national_by_region", "data_quality", "monthly_costs", "dfe_assignments", "dfe_compliance"}
    tables = pd.read_parquet(built["out"] / "parquet" / "regional_summary.parquet")
    assert set(tables.columns) - {"region_code"} <= set(products.measures())
    for name in names:
        columns = set(pd.read_parquet(built["out"] / "parquet" / f"{name}.parquet").columns)
        assert columns <= set(products.measures()), f"{name}: {columns - set(products.measures())} have no header"


def test_money_and_counts_carry_number_formats(built):
    for path in _workbooks(built["out"]):
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if isinstance(c.value, (int, float)) and not isinstance(c.value, bool):
                        assert c.number_format != "General", f"{path.name} {ws.title}!{c.coordinate}"
    ws = openpyxl.load_workbook(built["out"] / "regional" / "London.xlsx")["By LA and role"]
    header = {c.value: c.column for c in ws[2]}
    assert ws.cell(row=3, column=header["Cost of assignments (£)"]).number_format.startswith("£#,##0")
    assert ws.cell(row=3, column=header["Agency workers (headcount)"]).number_format == "#,##0"
    assert ws.cell(row=3, column=header["Share above cap"]).number_format == "0.0%"


def test_every_text_cell_fits_its_width_or_wraps(built):
    for path in _workbooks(built["out"]):
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            merged = {c for r in ws.merged_cells.ranges for c in r.cells}
            for row in ws.iter_rows():
                for c in row:
                    if not isinstance(c.value, str) or c.alignment.wrap_text or (c.row, c.column) in merged:
                        continue
                    if ws.cell(row=c.row, column=c.column + 1).value is None:
                        continue   # shown in full over the empty cell beside it (a title, a note)
                    longest = max(len(line) for line in c.value.splitlines() or [""])
                    assert longest <= _width(ws, c.column), f"{path.name} {ws.title}!{c.coordinate}: {c.value!r}"


def test_tables_have_frozen_headers_and_filters(built):
    wb = openpyxl.load_workbook(built["out"] / "regional" / "London.xlsx")
    assert wb.sheetnames[0] == "Summary" and wb.sheetnames[-1] == "Cap table" and "Notes" in wb.sheetnames
    for name in ("By LA and role", "Cost trend", "Rates vs cap", "Cap breaches", "Agencies", "Cross-LA findings"):
        assert wb[name].freeze_panes and wb[name].auto_filter.ref, name
    dfe = openpyxl.load_workbook(built["out"] / "dfe" / f"202_{Q}.xlsx")
    for ws in dfe.worksheets[1:]:
        assert ws["A1"].font.i and ws["A1"].value, f"{ws.title}: a notes row first"
        assert ws.freeze_panes == "A3"


def test_the_regional_summary_gives_the_key_figures_and_charts(built):
    ws = openpyxl.load_workbook(built["out"] / "regional" / "London.xlsx")["Summary"]
    labels = {c.value: ws.cell(row=c.row, column=2).value for c in ws["A"] if c.value}
    assert labels["LAs with an accepted return"] == "3 of 33"
    assert labels["Agency workers (headcount)"] > 0 and labels["Total cost (£)"] > 0
    assert "Above cap, not signed off by DCS or Chief Executive" in labels
    assert "Median cap-basis rate against the cap, by role category" in labels
    assert ws._charts and len(ws._charts) == 2


def test_the_cost_trend_shows_coverage_and_a_like_for_like_line():
    months = pd.to_datetime(["2025-01-01", "2025-04-01"])
    trend = pd.DataFrame({
        "la_code": ["201", "202", "202"], "la_name": ["City of London", "Camden", "Camden"],
        "quarter": ["2025-Q1", "2025-Q1", "2025-Q2"], "month": [months[0], months[0], months[1]],
        "total_monthly_cost": [30.0, 100.0, 110.0], "every_quarter": [False, True, True]})
    frame, lfl = products.trend_table(trend, "London")
    assert lfl == ["Camden"]
    assert list(frame["las_reporting"]) == [2, 1]
    assert list(frame["region_total_cost"]) == [130.0, 110.0] and list(frame["like_for_like_cost"]) == [100.0, 110.0]
    assert [products.measure(c).header for c in frame.columns[:4]] == [
        "Month", "LAs reporting", "Region total, LAs reporting (£)", "Like-for-like total (£)"]


def test_the_national_workbook_has_a_cover_notes_and_dfe_symbols(built):
    wb = openpyxl.load_workbook(built["out"] / "national.xlsx")
    assert wb.sheetnames[0] == "Cover" and "Notes" in wb.sheetnames
    notes = [c.value for row in wb["Notes"].iter_rows() for c in row if c.value]
    for symbol in ("c", "x", "z", "low"):
        assert symbol in notes
    for header in ("Total cost (£)", "Cost of assignments (£)", "Agency workers (headcount)"):
        assert header in notes                                      # every cost defined, both named apart
    text = " ".join(str(v) for ws in wb.worksheets for row in ws.iter_rows() for v in (c.value for c in row) if v)
    assert "pipeline" not in text and ".py" not in text
    ws = wb["Workforce by region"]
    symbols = [c for row in ws.iter_rows() for c in row if c.value in ("c", "x", "z")]
    assert symbols and all(c.alignment.horizontal == "right" for c in symbols)
    north_east = next(r for r in ws.iter_rows() if r[0].value == "North East")
    assert [c.value for c in north_east[1:]] == ["x"] * 6       # no returns: not available


def test_fte_that_rounds_to_zero_is_shown_as_low():
    rows = [dict(region_name=region, role_category=role, headcount=10, fte=0.02 if role == "Team manager" else 9.0,
                 median_rate=40.0, p90_rate=45.0, breaches=6, assignment_cost=1000.0)
            for region in ("London", "England") for role in products.ROLES]
    headcount, fte = (frame for frame, _ in products.published_tables(pd.DataFrame(rows))[:2])
    assert fte.at["London", "Team manager"] == "low" and fte.at["London", "Social worker"] == 9.0
    assert fte.at["North East", "Social worker"] == "x" and headcount.at["London", "Team manager"] == 10
