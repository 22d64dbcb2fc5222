"""Writing the outputs (data-contract §5) from the mart tables: pandas only shapes, DuckDB computed.

Every cell goes through `_write`: text is always written as text (never a formula, even if it
starts with = + - @), and CSV text starting with those characters gets a leading apostrophe
(the usual guard against spreadsheet formula injection). Outputs other than an LA's own DfE
return must never carry an SWE number; `without_swe` removes any that slipped past redaction at storing
(one LA's field never stops the build for every LA).
"""
from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import xlsxwriter

from pipeline import disclosure, warehouse
from pipeline.contract import ROLE_CATEGORIES
from pipeline.reference import REGIONS

_FORMULA_START = ("=", "+", "-", "@")
_MONEY = re.compile(r"(rate|cost|cap$|cap_by|pay|fees)")
ROLES = [*ROLE_CATEGORIES, "All roles"]


def without_swe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with anything that looks like an SWE number in its text removed
    (`pipeline.redaction`): the publish gate for every output but an LA's own DfE return."""
    return warehouse.redact_text(frame.copy())


# --- cell writing ------------------------------------------------------------------------------

class Book:
    """An xlsxwriter workbook with safe cell writing and a few shared formats."""

    def __init__(self, path: Path):
        # in_memory: the parts are zipped from memory, not from ~16 temporary files per workbook; the
        # 153 DfE returns take ~2.7 s instead of ~4.3 s (every output here is small)
        self.wb = xlsxwriter.Workbook(str(path), {"in_memory": True, "strings_to_formulas": False,
                                                  "strings_to_urls": False, "strings_to_numbers": False,
                                                  "nan_inf_to_errors": False})
        self.head = self.wb.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top"})
        self.money = self.wb.add_format({"num_format": "#,##0.00"})
        self.share = self.wb.add_format({"num_format": "0.0%"})
        self.date = self.wb.add_format({"num_format": "dd/mm/yyyy"})
        self.bold = self.wb.add_format({"bold": True})
        self.flag = self.wb.add_format({"bg_color": "#FCE4D6"})

    def close(self) -> None:
        self.wb.close()

    def about(self, name: str, rows: list[tuple[str, object]]):
        ws = self.wb.add_worksheet(name)
        ws.set_column(0, 0, 28)
        ws.set_column(1, 1, 90)
        for r, (k, v) in enumerate(rows):
            _write(ws, r, 0, k, self.bold)
            _write(ws, r, 1, v)
        return ws

    def table(self, name: str, frame: pd.DataFrame, *, title: str | None = None, start_row: int = 0,
              ws=None, start_col: int = 0):
        """Write a frame with a header row, frozen panes and an autofilter; returns the worksheet."""
        ws = ws or self.wb.add_worksheet(name)
        r0 = start_row
        if title:
            _write(ws, r0, start_col, title, self.bold)
            r0 += 1
        for c, col in enumerate(frame.columns):
            _write(ws, r0, start_col + c, str(col), self.head)
            ws.set_column(start_col + c, start_col + c, max(12, min(40, len(str(col)) + 2)))
        number_formats = [self._number_format(col) for col in frame.columns]   # decided once per column
        for r, row in enumerate(frame.itertuples(index=False), start=r0 + 1):
            for c, value in enumerate(row):
                fmt = self.date if isinstance(value, (dt.date, pd.Timestamp)) else \
                    number_formats[c] if isinstance(value, float) else None
                _write(ws, r, start_col + c, value, fmt)
        if start_row == 0 and not title:
            ws.freeze_panes(1, 0)
            if len(frame.columns):
                ws.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)
        return ws

    def _number_format(self, column: str):
        if "share" in str(column):
            return self.share
        if _MONEY.search(str(column)):
            return self.money
        return None


def _write(ws, row: int, col: int, value, fmt=None) -> None:
    """One cell: numbers as numbers, dates as dates, everything else as text (never a formula)."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, (bool, np.bool_)):
        ws.write_string(row, col, "Yes" if value else "No", fmt)
    elif isinstance(value, numbers.Number):
        ws.write_number(row, col, float(value), fmt)
    elif isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("Europe/London").tz_localize(None)
        ws.write_datetime(row, col, stamp.to_pydatetime(), fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells starting with = + - @ prefixed with an apostrophe so a spreadsheet shows them as text."""
    out = frame
    for col in frame.columns:
        if not (frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col])):
            continue
        values = frame[col].to_numpy(dtype=object)
        risky = [isinstance(v, str) and v.startswith(_FORMULA_START) for v in values]
        if any(risky):
            out = out.copy() if out is frame else out
            out[col] = pd.array(["'" + v if r else v for v, r in zip(values, risky)], dtype="string")
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    csv_safe(frame).to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


# --- the DfE return, per LA --------------------------------------------------------------------

DFE_TABLES = ("dfe_assignments", "dfe_compliance", "cap_breaches", "agencies", "monthly_costs")
DFE_ASSIGNMENT_COLUMNS = ["assignment_ref", "role_category", "hourly_pay_rate", "start_date", "end_date",
                          "swe_number", "engagement_model", "project_team_or_packaged", "project_team_ref"]


def by_la(tables: dict[str, pd.DataFrame]) -> dict[str, dict[str, pd.DataFrame]]:
    """LA code -> its rows of each DfE table (split once, not once per LA)."""
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for name in DFE_TABLES:
        for code, part in tables[name].groupby("la_code", sort=False):
            out.setdefault(code, {})[name] = part
    return out


def dfe_return(folder: Path, la_code: str, quarter: str, mine: dict[str, pd.DataFrame],
               swe_by_row: dict[int, str], about: list[tuple[str, object]]) -> list[Path]:
    """dfe/<la>_<quarter>.xlsx (assignment level + LA level sheets) and .csv (assignment level),
    with <la>_<quarter>_la_level.csv (LA level, long form). The only output with SWE numbers.
    `mine` holds the LA's rows of each DFE_TABLES table."""
    pick = mine
    assignments = pick["dfe_assignments"].copy()
    assignments["swe_number"] = assignments["excel_row"].map(swe_by_row)
    assignments = assignments[DFE_ASSIGNMENT_COLUMNS]
    compliance = pick["dfe_compliance"][["rule", "declared_status", "prevented_by_contract", "explanation",
                                         "derived_status", "breaches"]]
    breaches = pick["cap_breaches"][["assignment_ref", "role_category", "cap_basis_rate", "cap", "above_cap_by",
                                     "cap_approved_by", "cap_approval_date", "cap_breach_reason", "signed_off",
                                     "reported_to_riia"]]
    agencies = pick["agencies"][["agency", "rule_affected", "description"]]
    monthly = pick["monthly_costs"][["month", "agency_headcount", "worker_pay", "agency_fees", "msp_fees",
                                     "project_team_other_costs", "total_monthly_cost"]]
    stem = f"{la_code}_{quarter}"
    book = Book(folder / f"{stem}.xlsx")
    book.about("About", about)
    book.table("Assignments", assignments)
    book.table("Compliance", compliance)
    book.table("Cap breaches", breaches)
    book.table("Agencies", agencies)
    book.table("Monthly costs", monthly)
    book.close()
    write_csv(assignments, folder / f"{stem}.csv")
    write_csv(_long(la_code, quarter, {"compliance": compliance, "cap_breaches": breaches, "agencies": agencies,
                                       "monthly_costs": monthly}), folder / f"{stem}_la_level.csv")
    return [folder / f"{stem}.xlsx", folder / f"{stem}.csv", folder / f"{stem}_la_level.csv"]


def _long(la_code: str, quarter: str, sections: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """LA-level sheets as one CSV: section, item number, field, value."""
    rows = []
    for section, frame in sections.items():
        for i, rec in enumerate(frame.to_dict("records"), start=1):
            for field, value in rec.items():
                if isinstance(value, (pd.Timestamp, dt.date)):
                    value = pd.Timestamp(value).date().isoformat()
                rows.append((la_code, quarter, section, i, field, None if pd.isna(value) else value))
    return pd.DataFrame(rows, columns=["la_code", "quarter", "section", "item", "field", "value"])


# --- the regional workbook ---------------------------------------------------------------------

def regional(path: Path, region_code: str, region_name: str, tables: dict[str, pd.DataFrame],
             about: list[tuple[str, object]]) -> Path:
    """regional/<Region>.xlsx for the RIIA, with a cost-trend line chart and a rates-vs-cap chart."""
    pick = {name: without_swe(t[t["region_code"] == region_code].drop(columns="region_code"))
            for name, t in tables.items() if "region_code" in t.columns}
    book = Book(path)
    book.about("About", about)
    book.table("Summary", pick["regional_summary"])
    book.table("Cap breaches", pick["cap_breaches"].drop(columns=["quarter", "cap_table_version"]))
    _trend_sheet(book, pick["cost_trend"], region_name)
    _rates_sheet(book, pick["rates_vs_cap"])
    _compliance_sheet(book, pick["compliance_grid"])
    book.table("Agencies", pick["agencies"].drop(columns="quarter"))
    book.table("Cross-LA findings", pick["cross_la"].drop(columns="quarter"))
    book.close()
    return path


def _trend_sheet(book: Book, trend: pd.DataFrame, region_name: str) -> None:
    wide = trend.pivot_table(index="month", columns="la_name", values="total_monthly_cost", aggfunc="sum")
    wide.insert(0, f"{region_name} total", wide.sum(axis=1, min_count=1))
    frame = wide.reset_index()
    frame["month"] = pd.to_datetime(frame["month"])
    ws = book.table("Cost trend", frame)
    if frame.empty:
        return
    chart = book.wb.add_chart({"type": "line"})
    n = len(frame)
    for c in range(1, len(frame.columns)):
        chart.add_series({"name": ["Cost trend", 0, c], "categories": ["Cost trend", 1, 0, n, 0],
                          "values": ["Cost trend", 1, c, n, c], "line": {"width": 3.0 if c == 1 else 1.25}})
    chart.set_title({"name": f"Total monthly cost of agency social workers, {region_name}"})
    chart.set_y_axis({"name": "£ per month", "num_format": "£#,##0"})
    chart.set_x_axis({"date_axis": True, "num_format": "mmm yy"})
    chart.set_size({"width": 900, "height": 420})
    ws.insert_chart(1, len(frame.columns) + 1, chart)


def _rates_sheet(book: Book, rates: pd.DataFrame) -> None:
    frame = rates[["role_category", "assignments", "median_rate", "mean_rate", "p90_rate", "max_rate", "cap",
                   "cap_table_version"]]
    ws = book.table("Rates vs cap", frame)
    n = len(frame)
    if not n:
        return
    cols = {"median_rate": 2, "p90_rate": 4, "cap": 6}
    bars = book.wb.add_chart({"type": "column"})
    for label in ("median_rate", "p90_rate"):
        bars.add_series({"name": ["Rates vs cap", 0, cols[label]], "categories": ["Rates vs cap", 1, 0, n, 0],
                         "values": ["Rates vs cap", 1, cols[label], n, cols[label]]})
    cap = book.wb.add_chart({"type": "line"})
    cap.add_series({"name": ["Rates vs cap", 0, cols["cap"]], "categories": ["Rates vs cap", 1, 0, n, 0],
                    "values": ["Rates vs cap", 1, cols["cap"], n, cols["cap"]],
                    "line": {"color": "#C00000", "width": 2.5}, "marker": {"type": "diamond"}})
    bars.combine(cap)
    bars.set_title({"name": "Cap-basis hourly rate (median, 90th percentile) against the regional cap"})
    bars.set_y_axis({"name": "£ per hour", "num_format": "£0"})
    bars.set_size({"width": 900, "height": 420})
    ws.insert_chart(n + 3, 0, bars)


def _compliance_sheet(book: Book, grid: pd.DataFrame) -> None:
    """LA x rule: 'declared / shown by assignments', highlighted where they disagree."""
    ws = book.wb.add_worksheet("Compliance grid")
    rules = list(dict.fromkeys(grid["rule"]))
    las = list(dict.fromkeys(zip(grid["la_code"], grid["la_name"])))
    _write(ws, 0, 0, "LA code", book.head)
    _write(ws, 0, 1, "LA", book.head)
    for c, rule in enumerate(rules, start=2):
        _write(ws, 0, c, f"{rule}: declared / shown by assignments", book.head)
    ws.set_column(0, 0, 8)
    ws.set_column(1, 1, 28)
    ws.set_column(2, 1 + max(len(rules), 1), 30)
    ws.freeze_panes(1, 2)
    cells = {(r.la_code, r.rule): r for r in grid.itertuples(index=False)}
    for r, (code, name) in enumerate(las, start=1):
        _write(ws, r, 0, code)
        _write(ws, r, 1, name)
        for c, rule in enumerate(rules, start=2):
            rec = cells.get((code, rule))
            if rec is not None:
                _write(ws, r, c, f"{rec.declared_status} / {rec.derived_status}", None if rec.agrees else book.flag)


# --- national.xlsx -----------------------------------------------------------------------------

def national(path: Path, tables: dict[str, pd.DataFrame], about: list[tuple[str, object]]) -> Path:
    """England by region, published under disclosure control, and a data-quality sheet."""
    tables = {**tables, **{name: without_swe(tables[name])
                           for name in ("national_by_region", "regional_costs", "data_quality", "findings_by_code")}}
    book = Book(path)
    book.about("About", about)
    book.table("Costs by region", tables["regional_costs"])
    ws = book.wb.add_worksheet("Workforce by region")
    row = 0
    for measure, title in published_tables(tables["national_by_region"]):
        book.table("", measure.reset_index(), title=title, start_row=row, ws=ws)
        row += len(measure) + 3
    ws.set_column(0, 0, 26)
    dq = book.table("Data quality", tables["data_quality"])
    codes = tables["findings_by_code"].pivot_table(index="code", columns="region_code", values="findings",
                                                   aggfunc="sum", fill_value=0).reset_index()
    book.table("", codes, title="Findings by code and region (standing or latest return of each LA)",
               start_row=len(tables["data_quality"]) + 3, ws=dq)
    book.close()
    return path


def published_tables(by_region: pd.DataFrame) -> list[tuple[pd.DataFrame, str]]:
    """Region x role tables with disclosure control: headcount and breaches are suppressed in their
    own right; FTE, rates and cost follow the headcount suppression."""
    def wide(col):
        t = by_region.pivot_table(index="region_name", columns="role_category", values=col, aggfunc="first")
        return t.reindex(index=[*REGIONS.values(), "England"], columns=ROLES)
    headcount = wide("headcount")
    kept = disclosure.suppression_mask(headcount, total_row="England", total_col="All roles")
    breaches = wide("breaches")
    kept_b = disclosure.suppression_mask(breaches, total_row="England", total_col="All roles")
    note = f" ('{disclosure.SYMBOL}' = suppressed: under {disclosure.MINIMUM}, or to protect such a figure)"
    return [
        (disclosure.apply(headcount, kept), "Agency workers (headcount)" + note),
        (disclosure.apply(wide("fte"), kept), "FTE (hours per week / 37)" + note),
        (disclosure.apply(wide("median_rate"), kept), "Median cap-basis rate, £ per hour" + note),
        (disclosure.apply(wide("p90_rate"), kept), "90th percentile cap-basis rate, £ per hour" + note),
        (disclosure.apply(breaches, kept_b), "Assignments paid above the cap" + note),
        (disclosure.apply(wide("assignment_cost"), kept), "Cost of assignments in the quarter, £" + note),
    ]


# --- Parquet extracts and pull -----------------------------------------------------------------

def parquet(con: duckdb.DuckDBPyConnection, names: list[str], folder: Path) -> list[Path]:
    """Every output table as Parquet, written by DuckDB from the materialised marts."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name in names:
        target = folder / f"{name}.parquet"
        con.execute(f"COPY mart_{name} TO '{target}' (FORMAT parquet)")
        out.append(target)
    return out


def extract_tables(parquet_dir: Path, out: Path, fmt: str, *, region_code: str | None) -> list[Path]:
    """The Parquet extracts as CSV or Parquet, filtered to one region when asked."""
    written = []
    for source in sorted(parquet_dir.glob("*.parquet")):
        frame = pd.read_parquet(source)
        if region_code and "region_code" in frame.columns:
            frame = frame[frame["region_code"] == region_code]
        target = out / f"{source.stem}.{fmt}"
        if fmt == "csv":
            write_csv(frame, target)
        else:
            frame.to_parquet(target, index=False)
        written.append(target)
    return written
