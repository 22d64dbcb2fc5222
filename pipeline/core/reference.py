"""Reference data: DfE's LA list, regions, the price-cap table and DfE workforce figures."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from pipeline.core.config import (
    DATA_DIR,
    reference_path,
    threshold,
)
from pipeline.core.contract import Quarter

REGIONS = {
    "E12000001": "North East",
    "E12000002": "North West",
    "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands",
    "E12000005": "West Midlands",
    "E12000006": "East of England",
    "E12000007": "London",
    "E12000008": "South East",
    "E12000009": "South West",
}


@dataclass(frozen=True)
class LA:
    """One row of DfE's LA list: an LA code with the GSS code and region it had over a period."""

    code: str          # 3-digit DfE code (old_la_code)
    gss_code: str      # new_la_code
    name: str
    region_code: str
    start: dt.date | None
    end: dt.date | None

    @property
    def region(self) -> str:
        return REGIONS.get(self.region_code, self.region_code)

    def live_during(self, start: dt.date, end: dt.date) -> bool:
        return (self.start is None or self.start <= end) and (self.end is None or self.end >= start)


def _date(text: str) -> dt.date | None:
    return dt.datetime.strptime(text, "%d/%m/%Y").date() if text else None


@lru_cache(maxsize=1)
def la_rows() -> tuple[LA, ...]:
    """Every dated row of las.csv for an English LA (composite ' / ' rows and non-LA codes ignored)."""
    rows = []
    with open(DATA_DIR / "las.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            code = r["old_la_code"].strip()
            if " / " in code or not code.isdigit() or r["parent_geography_code"] not in REGIONS:
                continue
            rows.append(LA(code, r["new_la_code"], r["la_name"], r["parent_geography_code"],
                           _date(r["date_of_operation"]), _date(r["date_of_termination"])))
    return tuple(rows)


def la_for_quarter(code: str, quarter: Quarter) -> LA | None:
    """The LA row live during the quarter (the latest, if the GSS code changed mid-quarter)."""
    live = [la for la in la_rows() if la.code == code and la.live_during(quarter.start, quarter.end)]
    return max(live, key=lambda la: la.start or dt.date.min) if live else None


def la_any(code: str) -> LA | None:
    """The latest row for a code, live or not (for naming a code in messages)."""
    rows = [la for la in la_rows() if la.code == code]
    return max(rows, key=lambda la: la.start or dt.date.min) if rows else None


def live_las(quarter: Quarter) -> list[LA]:
    """The LAs live during a quarter, one per code, ordered by code."""
    codes = sorted({la.code for la in la_rows()})
    return [la for la in (la_for_quarter(c, quarter) for c in codes) if la is not None]


@dataclass(frozen=True)
class CapTable:
    """A price-cap table: rows of region x role x effective dates -> £/hour, with its identity."""

    name: str
    sha256: str
    rows: tuple[tuple[str, str, dt.date, dt.date | None, float, str], ...]

    @property
    def version(self) -> str:
        """What every output that used the caps records: file name and content hash."""
        return f"{self.name}@{self.sha256[:12]}"

    def cap(self, region_code: str, role: str, on: dt.date) -> float | None:
        for start, end, value in self._index.get((region_code, role), ()):
            if start <= on and (end is None or on <= end):
                return value
        return None

    @cached_property
    def _index(self) -> dict[tuple[str, str], list[tuple[dt.date, dt.date | None, float]]]:
        index: dict = {}
        for region, role, start, end, value, _ in self.rows:
            index.setdefault((region, role), []).append((start, end, value))
        return index


@lru_cache(maxsize=4)
def _load_caps(path: str) -> CapTable:
    raw = Path(path).read_bytes()
    rows = []
    for r in csv.DictReader(raw.decode("utf-8-sig").splitlines()):
        rows.append((r["region_code"], r["role_category"], dt.date.fromisoformat(r["effective_from"]),
                     dt.date.fromisoformat(r["effective_to"]) if r.get("effective_to") else None,
                     float(r["cap_gbp_per_hour"]), r.get("basis", "")))
    return CapTable(Path(path).name, hashlib.sha256(raw).hexdigest(), tuple(rows))


def cap_table() -> CapTable:
    """The cap table in force (threshold price_cap_table)."""
    return _load_caps(str(reference_path(str(threshold("price_cap_table")))))


def _num(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None   # x, z, c, low: not a usable figure


@lru_cache(maxsize=1)
def workforce() -> dict[str, dict[int, dict[str, float | None]]]:
    """DfE CSWW figures by LA code -> year (the census of 30 September) -> measure: agency FTE and
    headcount, permanent FTE in post (inpost_fte), vacancies (FTE) and the vacancy rate (% of FTE)."""
    out: dict[str, dict[int, dict[str, float | None]]] = {}
    with open(DATA_DIR / "csww_indicators_2023_to_2025.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["geographic_level"] != "Local authority" or not r["old_la_code"].isdigit():
                continue
            out.setdefault(r["old_la_code"], {})[int(r["time_period"])] = {
                k: _num(r[k]) for k in ("agency_fte", "agency_headcount", "inpost_fte", "vacancy_fte",
                                        "vacancy_rate_fte")}
    return out


@lru_cache(maxsize=1)
def census_agency_rates() -> dict[tuple[int, str, str], tuple[str, float | None]]:
    """The census's own agency rate (agency_rate_fte, % of FTE, at 30 September of the year) for England
    and each region: (year, 'National' or 'Regional', region code or '') -> (name, rate or None)."""
    out: dict[tuple[int, str, str], tuple[str, float | None]] = {}
    with open(DATA_DIR / "csww_indicators_2023_to_2025.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["geographic_level"] in ("National", "Regional"):
                out[int(r["time_period"]), r["geographic_level"], r["region_code"]] = (
                    r["region_name"] or r["country_name"], _num(r["agency_rate_fte"]))
    return out


def latest_agency_headcount(code: str, before: dt.date) -> tuple[int, float] | None:
    """The LA's latest DfE agency headcount published for a 30 September before `before`."""
    years = workforce().get(code, {})
    for year in sorted(years, reverse=True):
        if dt.date(year, 9, 30) < before and years[year]["agency_headcount"] is not None:
            return year, years[year]["agency_headcount"]
    return None


def file_stem(region_name: str) -> str:
    """A region name as a file name: 'East of England' -> 'East_of_England'."""
    return re.sub(r"[^A-Za-z0-9]+", "_", region_name).strip("_")
