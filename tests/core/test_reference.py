"""The reference data as the code reads it, against the files themselves."""
import csv

from pipeline.core import reference


def test_the_census_agency_rates_are_the_census_files_own():
    rates = reference.census_agency_rates()
    assert rates[2025, "National", ""] == ("England", 13.0)
    assert rates[2025, "Regional", "E12000001"] == ("North East", 8.2)
    with open(reference.DATA_DIR / "csww_indicators_2023_to_2025.csv", newline="", encoding="utf-8") as fh:
        upper = [r for r in csv.DictReader(fh) if r["geographic_level"] in ("National", "Regional")]
    assert len(rates) == len(upper)
    for r in upper:
        name = r["region_name"] or r["country_name"]
        assert rates[int(r["time_period"]), r["geographic_level"], r["region_code"]] == (name, float(r["agency_rate_fte"]))
