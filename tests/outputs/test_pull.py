"""`pull`: a region's workbook, or every output table as CSV or Parquet filtered to the region."""
import pandas as pd

from pipeline.core.contract import Quarter
from pipeline.outputs import pull

Q = Quarter(2025, 2)


def test_pull_gives_the_region_in_each_format(built, tmp_path):
    home = built["home"]
    xlsx = pull.pull(Q, "London", "xlsx", tmp_path / "x", home=home)
    assert [p.name for p in xlsx] == ["London.xlsx"]
    csvs = pull.pull(Q, "E12000003", "csv", tmp_path / "c", home=home)
    summary = pd.read_csv(next(p for p in csvs if p.name == "regional_summary.csv"))
    assert set(summary["region_code"]) == {"E12000003"}
    parquet = pull.pull(Q, None, "parquet", tmp_path / "p", home=home)
    assert len(parquet) == 20
    everything = pull.pull(Q, None, "xlsx", tmp_path / "all", home=home)
    assert len(everything) == 10
