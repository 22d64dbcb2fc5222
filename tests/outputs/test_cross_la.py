"""Cross-LA findings (X601, X602) reach the region's outputs, never the LA."""
import pandas as pd

from pipeline.core.contract import Quarter
from pipeline.rules.validate import validate_file

Q = Quarter(2025, 2)


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
