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

from pipeline import build, outputs, store
from pipeline.build import build_quarter
from pipeline.contract import Quarter
from pipeline.sample import generate
from pipeline.validate import validate_file
from tests.workbooks import make_workbook, valid_sheets

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
        outcomes = [store.submit_file(f, Q, home=home) for f in files]
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(build, "PARALLEL_MIN_LAS", 2)
            mp.setattr(build, "spare_cores", lambda: 2.0)   # however busy the machine running the tests
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
    costs = pd.read_excel(out / "national.xlsx", sheet_name="Costs by region").set_index("region_name")
    assert costs.at["London", "total_cost"] == pytest.approx(by_region["London"], abs=0.01)
    assert costs.at["Yorkshire and The Humber", "total_cost"] == pytest.approx(by_region["Yorkshire_and_The_Humber"], abs=0.01)
    assert costs.at["England", "total_cost"] == pytest.approx(sum(by_region.values()), abs=0.01)
    assert costs.at["England", "las_accepted"] == 5
    assert built["summary"].total_cost_by_region["London"] == pytest.approx(by_region["London"], abs=0.01)

    summary = pd.read_excel(out / "regional" / "London.xlsx", sheet_name="Summary", dtype={"la_code": str})
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

    trend = pd.read_excel(out / "regional" / "London.xlsx", sheet_name="Cost trend")
    london_total = sum(r["Total monthly cost"] for c in ("202", "203", "316") for r in src[c]["monthly"])
    assert trend["London total"].sum() == pytest.approx(london_total, abs=0.01)


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
    regional = pd.read_excel(built["out"] / "regional" / "London.xlsx", sheet_name="Cross-LA findings")
    assert {"X601", "X602"} <= set(regional["code"])
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
    store.submit_file(make_workbook(tmp_path / "inj.xlsx", sheets), Q, home=service_home)
    build_quarter(Q, home=service_home)
    out = service_home / "outputs" / str(Q)
    ws = openpyxl.load_workbook(out / "regional" / "London.xlsx")["Agencies"]
    cells = [c for row in ws.iter_rows() for c in row if str(c.value)[:1] in "@+"]
    assert len(cells) == 2 and all(c.data_type == "s" for c in cells)
    la_level = (out / "dfe" / f"316_{Q}_la_level.csv").read_text()
    assert "'@HYPERLINK" in la_level and "'+cmd" in la_level
    # a cell text starting with '=' (which openpyxl cannot put in a source workbook as text)
    book = outputs.Book(tmp_path / "t.xlsx")
    book.table("T", pd.DataFrame({"x": ["=1+2", "-3", "plain"]}))
    book.close()
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["T"]
    assert [(c.value, c.data_type) for c in ws["A"][1:]] == [("=1+2", "s"), ("-3", "s"), ("plain", "s")]


def test_a_failed_build_publishes_nothing(tmp_path, service_home, monkeypatch):
    store.submit_file(make_workbook(tmp_path / "a.xlsx", valid_sheets(Q)), Q, home=service_home)
    first = build_quarter(Q, home=service_home)
    stamp = (first.out_dir / "national.xlsx").stat().st_mtime_ns

    def broken(*args, **kwargs):
        raise RuntimeError("chart engine failed")
    monkeypatch.setattr(outputs, "national", broken)
    with pytest.raises(RuntimeError):
        build_quarter(Q, home=service_home)
    assert (first.out_dir / "national.xlsx").stat().st_mtime_ns == stamp
    assert not list(first.out_dir.parent.glob(".*building*"))


def test_a_dfe_return_failing_in_a_worker_publishes_nothing(tmp_path, service_home, monkeypatch):
    files = generate(Q, tmp_path / "in", seed=12, la_codes=["202", "203"])
    outcomes = [store.submit_file(f, Q, home=service_home) for f in files]
    (service_home / "data" / "raw" / f"{outcomes[1].sha256}.xlsx").unlink()   # its SWE numbers cannot be read
    monkeypatch.setattr(build, "PARALLEL_MIN_LAS", 2)
    monkeypatch.setattr(build, "spare_cores", lambda: 2.0)
    with pytest.raises(OSError):
        build_quarter(Q, home=service_home)
    assert not (service_home / "outputs" / str(Q)).exists()
    assert not list((service_home / "outputs").glob(".*building*"))


def test_pull_gives_the_region_in_each_format(built, tmp_path):
    home = built["home"]
    xlsx = store.pull(Q, "London", "xlsx", tmp_path / "x", home=home)
    assert [p.name for p in xlsx] == ["London.xlsx"]
    csvs = store.pull(Q, "E12000003", "csv", tmp_path / "c", home=home)
    summary = pd.read_csv(next(p for p in csvs if p.name == "regional_summary.csv"))
    assert set(summary["region_code"]) == {"E12000003"}
    parquet = store.pull(Q, None, "parquet", tmp_path / "p", home=home)
    assert len(parquet) == 15
    everything = store.pull(Q, None, "xlsx", tmp_path / "all", home=home)
    assert len(everything) == 10
