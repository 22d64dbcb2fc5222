"""The build: every file exists and opens; totals match a recomputation from the source workbooks
(read here with openpyxl, not through the warehouse); no SWE number outside the DfE return; a failed
build publishes nothing."""
import re
import statistics
import zipfile

import openpyxl
import pandas as pd
import pytest

from pipeline.core.contract import Quarter
from pipeline.outputs import build, kit, national
from pipeline.outputs.build import build_quarter
from pipeline.outputs.sample import generate
from pipeline.warehouse import submit
from pipeline.workers import pool
from tests.workbooks import make_workbook, valid_sheets

Q = Quarter(2025, 2)


def _swe(text) -> str:
    return "SW" + str(int(re.sub(r"\D", "", str(text))))


def test_every_output_exists_and_opens(built):
    out = built["out"]
    assert all(o.status == "accepted" for o in built["outcomes"])
    for code in built["las"]:
        for suffix in (".xlsx", ".csv", "_la_level.csv"):
            assert (out / "dfe" / f"{code}_{Q}{suffix}").stat().st_size > 0
        assert (out / "benchmark" / f"{code}.xlsx").stat().st_size > 0
    regional = sorted(p.name for p in (out / "regional").glob("*.xlsx"))
    assert len(regional) == 9 and "East_of_England.xlsx" in regional and "London.xlsx" in regional
    for path in [*(out / "regional").glob("*.xlsx"), out / "national.xlsx", *(out / "dfe").glob("*.xlsx"),
                 *(out / "benchmark").glob("*.xlsx")]:
        openpyxl.load_workbook(path)
    with zipfile.ZipFile(out / "regional" / "London.xlsx") as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 2
    assert (out / "status.csv").exists() and len(list((out / "parquet").glob("*.parquet"))) == 20
    assert not list(out.parent.glob(".*building*"))


def test_totals_match_the_source_workbooks(built):
    src, out = built["source"], built["out"]
    by_region: dict[str, float] = {}
    for code, region in built["las"].items():
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
                            dtype={"LA code": str}).rename(columns={m.header: m.name for m in kit.measures().values()})
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


def test_a_failed_build_publishes_nothing(tmp_path, service_home, monkeypatch):
    submit.submit_file(make_workbook(tmp_path / "a.xlsx", valid_sheets(Q)), Q, home=service_home)
    first = build_quarter(Q, home=service_home)
    stamp = (first.out_dir / "national.xlsx").stat().st_mtime_ns

    def broken(*args, **kwargs):
        raise RuntimeError("chart engine failed")
    monkeypatch.setattr(national, "write", broken)
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
