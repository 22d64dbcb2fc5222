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
import textwrap
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import xlsxwriter

from pipeline.core.config import DATA_DIR
from pipeline.core.contract import ROLE_CATEGORIES
from pipeline.core.reference import REGIONS
from pipeline.outputs import disclosure
from pipeline.warehouse import loads

_FORMULA_START = ("=", "+", "-", "@")
ROLES = [*ROLE_CATEGORIES, "All roles"]


def without_swe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with anything that looks like an SWE number in its text removed
    (`pipeline.redaction`): the publish gate for every output but an LA's own DfE return."""
    return loads.redact_text(frame.copy())


# --- presentation: headers, formats, widths ----------------------------------------------------

@dataclass(frozen=True)
class Measure:
    """How a column is shown: the header people read (units in brackets), the kind of its cells
    (text, code, count, money, rate, fte, share, date, month, flag) and its definition."""

    name: str
    header: str
    kind: str
    definition: str = ""


@lru_cache(maxsize=1)
def measures() -> dict[str, Measure]:
    """Column name -> Measure, from pipeline/core/data/measures.toml."""
    with open(DATA_DIR / "measures.toml", "rb") as fh:
        raw = tomllib.load(fh)
    return {name: Measure(name, e["header"], e["kind"], e.get("definition", "")) for name, e in raw.items()}


def measure(column: str) -> Measure:
    """The Measure of a column; a column that is already a header (an LA's name in the trend) is shown
    as it is, as text unless the table gives its kind."""
    return measures().get(column) or Measure(column, column, "text")


NUMBER_FORMATS = {"money": "£#,##0.00", "rate": "£#,##0.00", "count": "#,##0", "fte": "#,##0.0",
                  "share": "0.0%", "date": "dd/mm/yyyy", "month": "mmm yyyy"}
NUMERIC = ("money", "rate", "count", "fte", "share")
MAX_WIDTH = 60          # characters; longer text wraps
LINE_HEIGHT = 15        # points per line of wrapped text


def _shown_length(value, kind: str) -> int:
    """Roughly how many characters a cell shows."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 0
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        if kind in ("money", "rate"):
            return len(f"£{value:,.2f}")
        if kind == "share":
            return len(f"{value * 100:.1f}%")
        if kind == "fte":
            return len(f"{value:,.1f}")
        return len(f"{value:,.0f}") if float(value).is_integer() else len(f"{value:,.2f}")
    if isinstance(value, (dt.date, pd.Timestamp)):
        return 10
    return max((len(line) for line in str(value).splitlines()), default=0)


def _longest(column: pd.Series, kind: str) -> int:
    """Roughly how many characters the longest cell of a column shows."""
    if kind in ("date", "month"):
        return 10
    plain = isinstance(column.dtype, np.dtype)
    if kind in NUMERIC:
        if plain and column.dtype.kind in "fiu":   # numbers only: no pandas conversion needed
            numbers_ = np.abs(column.to_numpy()[~np.isnan(column.to_numpy(dtype=float))])
            biggest = numbers_.max() if len(numbers_) else np.nan
        else:
            biggest = pd.to_numeric(column, errors="coerce").abs().max()
        return max(_shown_length(float(biggest), kind) if pd.notna(biggest) else 0, 3)   # 3: a symbol ('low')
    if (plain and column.dtype == object) or isinstance(column.dtype, pd.StringDtype):
        values = column.to_numpy(dtype=object)   # each cell as str() shows it, as astype(str) would
        return max((len(str(v)) for v in values[~pd.isna(values)]), default=0)
    text = column.dropna()
    return int(text.astype(str).str.len().max()) if len(text) else 0


def fit_width(header: str, lengths) -> float:
    """A column width (characters) that shows every value (and the indent of a number) and the
    header on at most two lines."""
    words = max((len(w) for w in header.split()), default=4)
    head = max(words, math.ceil(len(header) / 2)) + 2
    return float(min(MAX_WIDTH, max(8, head, max(lengths, default=0) + 3)))


def lines_needed(text: str, width: float) -> int:
    """Lines a text takes when wrapped at word boundaries in a column of `width` characters."""
    usable = max(4, int(width * 1.1) - 2)   # widths count '0's; running text is a little narrower
    return sum(len(textwrap.wrap(line, usable)) or 1 for line in str(text).splitlines() or [""])


class Book:
    """An xlsxwriter workbook with safe cell writing and the formats every table shares: human
    headers, number formats by kind, widths that fit, wrapped long text, frozen headers, filters."""

    def __init__(self, path: Path):
        # in_memory: the parts are zipped from memory, not from ~16 temporary files per workbook; the
        # 153 DfE returns take ~2.7 s instead of ~4.3 s (every output here is small)
        self.wb = xlsxwriter.Workbook(str(path), {"in_memory": True, "strings_to_formulas": False,
                                                  "strings_to_urls": False, "strings_to_numbers": False,
                                                  "nan_inf_to_errors": False})
        self.head = self.wb.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top",
                                        "border": 1, "border_color": "#9BC2E6"})
        self.title = self.wb.add_format({"bold": True, "font_size": 14})
        self.subtitle = self.wb.add_format({"bold": True, "font_size": 11})
        self.note = self.wb.add_format({"italic": True, "text_wrap": True, "valign": "top", "font_color": "#404040"})
        self.wrap = self.wb.add_format({"text_wrap": True, "valign": "top"})
        self.bold = self.wb.add_format({"bold": True, "valign": "top"})
        self.flag = self.wb.add_format({"bg_color": "#FCE4D6", "valign": "top"})
        self._formats: dict[tuple, object] = {}
        self._widths: dict[tuple[str, int], float] = {}   # (sheet, column) -> width: tables sharing a sheet widen it

    def close(self) -> None:
        self.wb.close()

    def fmt(self, kind: str, *, wrap: bool = False, symbol: bool = False, bold: bool = False):
        """The cell format for a kind of value; symbols (c, x, z, low) sit right-aligned like numbers."""
        key = (kind, wrap, symbol, bold)
        if key not in self._formats:
            spec = {"valign": "top"}
            if kind in NUMBER_FORMATS:
                spec["num_format"] = NUMBER_FORMATS[kind]
            if symbol or kind in NUMERIC:
                spec.update(align="right", indent=1)   # a gap before the text of the next column
            elif kind in ("date", "month", "code"):
                spec["align"] = "center"   # never read as one with a right-aligned number beside it
            if wrap:
                spec["text_wrap"] = True
            if bold:
                spec["bold"] = True
            if kind == "note":
                spec.update(italic=True, font_color="#404040")
            self._formats[key] = self.wb.add_format(spec)
        return self._formats[key]

    def sheet(self, name: str):
        """A new worksheet set up to print: landscape, one page wide."""
        ws = self.wb.add_worksheet(name)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.hide_gridlines(2)
        return ws

    def about(self, name: str, rows: list[tuple[str, object]]):
        ws = self.sheet(name)
        self.key_values(ws, 0, rows)
        return ws

    def key_values(self, ws, row: int, rows: list[tuple[str, object]], *, widths=(36, 100)) -> int:
        """Label / text pairs, both wrapped; returns the next free row."""
        ws.set_column(0, 0, widths[0])
        ws.set_column(1, 1, widths[1])
        label = self.fmt("text", wrap=True, bold=True)
        for k, v in rows:
            _write(ws, row, 0, k, label)
            _write(ws, row, 1, v, self.wrap)
            ws.set_row(row, LINE_HEIGHT * max(lines_needed(str(k), widths[0] - 2), lines_needed(str(v), widths[1])))
            row += 1
        return row

    def table(self, name: str, frame: pd.DataFrame, *, title: str | None = None, note: str | None = None,
              start_row: int = 0, ws=None, start_col: int = 0, kinds: dict[str, str] | None = None,
              widths: dict[int, float] | None = None, measures: dict[str, str] | None = None) -> object:
        """Write a frame under an optional title and note row: human headers (measures.toml), number
        formats by kind, symbols right-aligned, widths that fit (long text wrapped), and, for a sheet's
        first table, frozen headers and an autofilter. `kinds` overrides a column's kind, `measures`
        the measure it is shown as, `widths` a column's width by position. Returns the worksheet;
        `table_rows` holds the header row and the last row written."""
        first = ws is None
        ws = ws or self.sheet(name)
        r = start_row
        columns = list(frame.columns)
        shown = [measure((measures or {}).get(str(c), str(c))) for c in columns]
        if kinds:
            shown = [Measure(m.name, m.header, kinds.get(str(c), m.kind), m.definition) for m, c in zip(shown, columns)]
        values = frame.to_numpy(dtype=object) if len(frame) else np.empty((0, len(columns)), dtype=object)
        col_widths = []
        for j, (m, (_, column)) in enumerate(zip(shown, frame.items())):
            given = (widths or {}).get(j)
            wanted = given or fit_width(m.header, [_longest(column, m.kind)])
            key = (ws.name, start_col + j)
            self._widths[key] = max(self._widths.get(key, 0), wanted)
            col_widths.append(self._widths[key])
            ws.set_column(start_col + j, start_col + j, col_widths[-1])
        span = max(len(columns), 1)
        if title:
            _write(ws, r, start_col, title, self.subtitle)
            r += 1
        if note:
            if span > 1:
                ws.merge_range(r, start_col, r, start_col + span - 1, None)
            _write(ws, r, start_col, note, self.note)
            ws.set_row(r, LINE_HEIGHT * lines_needed(note, sum(col_widths) or 60))
            r += 1
        header_row = r
        for j, m in enumerate(shown):
            _write(ws, r, start_col + j, m.header, self.head)
        ws.set_row(r, LINE_HEIGHT * max((lines_needed(m.header, w) for m, w in zip(shown, col_widths)), default=1))
        # per column: (format, format for a symbol or wrapped text, width a text may take unwrapped)
        plans = [(self.fmt(m.kind), self.fmt(m.kind, symbol=m.kind in NUMERIC, wrap=m.kind not in NUMERIC),
                  m.kind in NUMERIC, w - 1) for m, w in zip(shown, col_widths)]
        for i in range(len(values)):
            r += 1
            height = 1
            for j, (base, special, numeric, fits) in enumerate(plans):
                value = values[i, j]
                fmt = base
                if type(value) is str and (numeric or len(value) > fits):
                    fmt = special   # a symbol (c, x, z) right-aligned, or long text wrapped
                    if not numeric:
                        height = max(height, lines_needed(value, col_widths[j]))
                _write(ws, r, start_col + j, value, fmt)
            if height > 1:
                ws.set_row(r, LINE_HEIGHT * height)
        if first:
            ws.freeze_panes(header_row + 1, 0)
            ws.repeat_rows(header_row)
            if columns:
                ws.autofilter(header_row, start_col, max(r, header_row + 1), start_col + len(columns) - 1)
        self.table_rows = (header_row, r)
        return ws


def _write(ws, row: int, col: int, value, fmt=None) -> None:
    """One cell: numbers as numbers, dates as dates, everything else as text (never a formula)."""
    kind = type(value)
    if kind is float:   # most cells are a float or a str: decided without the checks below
        if value != value:
            ws.write_blank(row, col, None, fmt)
        else:
            ws.write_number(row, col, value, fmt)
    elif kind is str:
        ws.write_string(row, col, value, fmt)
    elif value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
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
    for col, column in frame.items():
        if not (column.dtype == object or pd.api.types.is_string_dtype(column)):
            continue
        values = column.to_numpy(dtype=object)
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


DFE_NOTES = {
    "Assignments": "One row per agency assignment active at any time in the quarter, as the LA returned it. "
                   "Contains SWE registration numbers: personal data, for DfE only.",
    "Compliance": "The LA's declared status for each of the seven agency rules, with its explanation, next to "
                  "what its assignments show (legacy assignments in their transition are not judged).",
    "Cap breaches": "Assignments whose cap-basis rate (pay + holiday pay + employer NI + apprenticeship levy, "
                    "£ per hour) is above the regional price cap, with who approved the breach.",
    "Agencies": "Agencies whose behaviour affected the LA's compliance with a rule, as the LA described it.",
    "Monthly costs": "The LA's spend on agency social workers in each month of the quarter, £.",
}


# the columns of each DfE table a return shows, in order; on Assignments the Excel row stands where the
# SWE number goes (`dfe_return` looks each row's number up in the LA's kept raw file)
DFE_COLUMNS = {
    "dfe_assignments": [c if c != "swe_number" else "excel_row" for c in DFE_ASSIGNMENT_COLUMNS],
    "dfe_compliance": ["rule", "declared_status", "prevented_by_contract", "explanation", "derived_status",
                       "breaches"],
    "cap_breaches": ["assignment_ref", "role_category", "cap_basis_rate", "cap", "above_cap_by", "cap_approved_by",
                     "cap_approval_date", "cap_breach_reason", "signed_off", "reported_to_riia"],
    "agencies": ["agency", "rule_affected", "description"],
    "monthly_costs": ["month", "agency_headcount", "worker_pay", "agency_fees", "msp_fees",
                      "project_team_other_costs", "total_monthly_cost"],
}


def by_la(tables: dict[str, pd.DataFrame], la_codes) -> dict[str, dict[str, pd.DataFrame]]:
    """LA code -> its rows of each DfE table, in the columns its return shows (DFE_COLUMNS), for each
    of `la_codes` (no rows: an empty table): selected and split once, not once per LA."""
    out: dict[str, dict[str, pd.DataFrame]] = {code: {} for code in la_codes}
    for name in DFE_TABLES:
        shown = tables[name][DFE_COLUMNS[name]]
        for code, part in shown.groupby(tables[name]["la_code"], sort=False):
            if code in out:
                out[code][name] = part
        for mine in out.values():
            mine.setdefault(name, shown.iloc[0:0])
    return out


def dfe_return(folder: Path, la_code: str, quarter: str, mine: dict[str, pd.DataFrame],
               swe_by_row: dict[int, str], about: list[tuple[str, object]]) -> list[Path]:
    """dfe/<la>_<quarter>.xlsx (assignment level + LA level sheets) and .csv (assignment level),
    with <la>_<quarter>_la_level.csv (LA level, long form). The only output with SWE numbers.
    `mine` holds the LA's rows of each DFE_TABLES table in its DFE_COLUMNS (`by_la`)."""
    assignments = mine["dfe_assignments"].rename(columns={"excel_row": "swe_number"})
    assignments["swe_number"] = assignments["swe_number"].map(swe_by_row)
    compliance, breaches, agencies, monthly = (mine[name] for name in DFE_TABLES[1:])
    stem = f"{la_code}_{quarter}"
    book = Book(folder / f"{stem}.xlsx")
    book.about("About", about)
    for name, frame in (("Assignments", assignments), ("Compliance", compliance), ("Cap breaches", breaches),
                        ("Agencies", agencies), ("Monthly costs", monthly)):
        # on Compliance, breaches are of the rule, not of the cap
        book.table(name, frame, note=DFE_NOTES[name], measures={"breaches": "rule_breaches"} if name == "Compliance" else None)
    book.close()
    write_csv(assignments, folder / f"{stem}.csv")
    write_csv(_long(la_code, quarter, {"compliance": compliance, "cap_breaches": breaches, "agencies": agencies,
                                       "monthly_costs": monthly}), folder / f"{stem}_la_level.csv")
    return [folder / f"{stem}.xlsx", folder / f"{stem}.csv", folder / f"{stem}_la_level.csv"]


def _long(la_code: str, quarter: str, sections: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """LA-level sheets as one CSV: section, item number, field, value."""
    rows = []
    for section, frame in sections.items():
        columns = [(field, column.to_numpy(dtype=object)) for field, column in frame.items()]
        for i in range(len(frame)):
            for field, values in columns:
                value = values[i]
                if isinstance(value, (pd.Timestamp, dt.date)):
                    value = pd.Timestamp(value).date().isoformat()
                rows.append((la_code, quarter, section, i + 1, field, None if pd.isna(value) else value))
    return pd.DataFrame(rows, columns=["la_code", "quarter", "section", "item", "field", "value"])


# --- the regional workbook ---------------------------------------------------------------------

SYMBOLS = {   # as DfE's statistics use them
    "c": "Confidential: suppressed to protect individuals (a count under 5, or a figure that would reveal one).",
    "x": "Not available: no returns were accepted for it, so there is no figure.",
    "z": "Not applicable: the measure does not apply (for example a rate where there are no assignments).",
    "low": "Rounds to zero, but is not zero.",
}
COMPLIANCE_STATUSES = ("Fully compliant", "Partially compliant", "Not compliant", "No assignments")


def regional(path: Path, region_code: str, region_name: str, tables: dict[str, pd.DataFrame],
             about: list[tuple[str, object]]) -> Path:
    """regional/<Region>.xlsx for the RIIA: a Summary sheet (key figures, rates against the cap by
    role, the compliance picture, two charts), then the tables behind it, and Notes (definitions,
    the cap table used)."""
    pick = {name: without_swe(t[t["region_code"] == region_code].drop(columns="region_code"))
            for name, t in tables.items() if "region_code" in t.columns}
    quarter = next((v for k, v in about if k == "Quarter"), "")
    book = Book(path)
    summary = book.sheet("Summary")
    summary.fit_to_pages(1, 1)
    by_la = pick["regional_summary"]
    book.table("By LA and role", by_la, note=f"{region_name}, {quarter}: each LA's agency workforce by role "
               "category, with an 'All roles' row per LA and the region's rows (LA code ALL) at the end.")
    trend, lfl_las = trend_table(pick["cost_trend"], region_name)
    book.table("Cost trend", trend, kinds={c: "money" for c in trend.columns[4:]},
               note=_trend_note(pick["cost_trend"], lfl_las))
    trend_rows = book.table_rows
    rates = pick["rates_vs_cap"][["role_category", "assignments", "median_rate", "mean_rate", "p90_rate", "max_rate",
                                  "cap"]]
    book.table("Rates vs cap", rates, note="Cap-basis rates of the region's assignments by role category, against "
               f"the cap in force on the last day of the quarter (cap table {_cap_version(pick)}).")
    rates_rows = book.table_rows
    book.table("Cap breaches", pick["cap_breaches"].drop(columns=["quarter", "cap_table_version"]),
               note="Assignments paid above the price cap, with who approved each breach and why.")
    _compliance_sheet(book, pick["compliance_grid"])
    book.table("Agencies", pick["agencies"].drop(columns="quarter"),
               note="Agencies whose behaviour affected an LA's compliance with a rule, as the LA described it.")
    book.table("Cross-LA findings", pick["cross_la"].drop(columns="quarter"),
               note="X601 (the same worker engaged by two LAs over overlapping dates, across England) and X602 "
                    "(engaged within the cool-off period of leaving a permanent post at another LA of the region): "
                    "for the RIIA only, never shown to an LA.")
    _summary_sheet(book, summary, region_code, region_name, quarter, pick, tables["regional_costs"])
    _trend_chart(book, summary, trend, trend_rows, region_name)
    _rates_chart(book, summary, rates, rates_rows)
    _notes_sheet(book, about, [by_la, trend, rates, pick["cap_breaches"], pick["compliance_grid"],
                               pick["cross_la"]], caps=cap_rows(region_code))
    book.close()
    return path


def _cap_version(pick: dict[str, pd.DataFrame]) -> str:
    versions = pick["rates_vs_cap"]["cap_table_version"].dropna().unique()
    return ", ".join(map(str, versions)) or "none"


def trend_table(trend: pd.DataFrame, region_name: str) -> tuple[pd.DataFrame, list[str]]:
    """Month x (LAs reporting, region total, like-for-like total, each LA): the like-for-like line
    sums only the LAs that reported in every quarter shown. Returns the table and those LAs' names."""
    lfl = sorted(trend.loc[trend["every_quarter"].astype(bool), "la_name"].unique())
    wide = trend.pivot_table(index="month", columns="la_name", values="total_monthly_cost", aggfunc="sum")
    frame = pd.DataFrame({
        "month": pd.to_datetime(wide.index),
        "las_reporting": trend.groupby("month")["la_code"].nunique().reindex(wide.index).to_numpy(),
        "region_total_cost": wide.sum(axis=1, min_count=1).to_numpy(),
        "like_for_like_cost": wide[lfl].sum(axis=1, min_count=1).to_numpy() if lfl else np.nan,
    })
    for name in wide.columns:
        frame[name] = wide[name].to_numpy()
    frame.attrs["region"] = region_name
    return frame, lfl


def _trend_note(trend: pd.DataFrame, lfl: list[str]) -> str:
    quarters = sorted(trend["quarter"].unique())
    if not quarters:
        return "No accepted returns yet."
    shown = f"{quarters[0]} to {quarters[-1]}" if len(quarters) > 1 else quarters[0]
    return (f"Total monthly cost (£) of each LA's accepted returns, {shown}. A total rises or falls when an LA "
            f"starts or stops reporting: 'LAs reporting' says how many each month covers, and the like-for-like "
            f"total sums only the {len(lfl)} LAs that reported in every quarter shown"
            + (f" ({', '.join(lfl)})." if lfl else "."))


def _summary_sheet(book: Book, ws, region_code: str, region_name: str, quarter: str,
                   pick: dict[str, pd.DataFrame], costs: pd.DataFrame) -> None:
    """Key figures for the region and quarter, the median rate against the cap by role, and how
    many LAs each rule's assignments show as compliant."""
    _write(ws, 0, 0, f"Agency child and family social workers: {region_name}, {quarter}", book.title)
    _write(ws, 1, 0, "Key figures from the LAs' accepted returns; the tables behind them are on the following "
                     "sheets and the definitions on Notes.", book.fmt("note"))
    c = costs.set_index("region_code").loc[region_code]
    s = pick["regional_summary"]
    region = s[(s["la_code"] == "ALL") & (s["role_category"] == "All roles")]
    r = region.iloc[0] if len(region) else None

    def get(col):
        return None if r is None else r[col]
    figures = [
        ("LAs with an accepted return", f"{int(c['las_accepted'])} of {int(c['las_live'])}", "count"),
        ("Agency workers (headcount)", get("headcount"), "count"),
        ("Agency FTE", get("fte"), "fte"),
        ("Total cost (£)", float(c["total_cost"]) if c["las_accepted"] else None, "money"),
        ("Cost of assignments (£)", get("assignment_cost"), "money"),
        ("Median cap-basis rate, all roles (£ per hour)", get("median_rate"), "rate"),
        ("Share of assignments above cap", get("share_above_cap"), "share"),
        ("Assignments above cap", get("breaches"), "count"),
        ("Above cap, not signed off by DCS or Chief Executive", get("breaches_not_signed_off"), "count"),
        ("Above cap, reported to the RIIA", get("breaches_reported_riia"), "count"),
    ]
    ws.set_column(0, 0, 57)   # the longest role category and label
    ws.set_column(1, 5, 16)
    row = 3
    _write(ws, row, 0, "Measure", book.head)
    _write(ws, row, 1, "Value", book.head)
    for label, value, kind in figures:
        row += 1
        _write(ws, row, 0, label, book.fmt("text"))
        shown = "x" if value is None or (isinstance(value, float) and math.isnan(value)) else value
        _write(ws, row, 1, shown, book.fmt(kind, symbol=isinstance(shown, str), bold=True))
    row += 2
    rates = pick["rates_vs_cap"]
    _write(ws, row, 0, "Median cap-basis rate against the cap, by role category", book.subtitle)
    row += 1
    heads = ["Role category", "Assignments", "Median rate (£ per hour)", "Price cap (£ per hour)",
             "Median as share of cap"]
    for j, h in enumerate(heads):
        _write(ws, row, j, h, book.head)
    ws.set_row(row, LINE_HEIGHT * 2)
    missing = "x" if not c["las_accepted"] else "z"   # no returns at all / no assignment in the role
    for rec in rates.itertuples(index=False):
        row += 1
        share = rec.median_rate / rec.cap if pd.notna(rec.median_rate) and rec.cap else None
        count = rec.assignments if pd.notna(rec.assignments) else (0 if c["las_accepted"] else "x")
        cells = [(rec.role_category, "text"), (count, "count"),
                 (rec.median_rate if pd.notna(rec.median_rate) else missing, "rate"), (rec.cap, "rate"),
                 (share if share is not None else missing, "share")]
        for j, (value, kind) in enumerate(cells):
            _write(ws, row, j, value, book.fmt(kind, symbol=isinstance(value, str) and kind != "text"))
    row += 2
    _write(ws, row, 0, "Compliance: LAs by what their assignments show for each rule", book.subtitle)
    row += 1
    grid = pick["compliance_grid"]
    heads = ["Rule", *COMPLIANCE_STATUSES, "Declared differs"]
    for j, h in enumerate(heads):
        _write(ws, row, j, h, book.head)
    ws.set_row(row, LINE_HEIGHT * 2)
    if grid.empty:
        _write(ws, row + 1, 0, "No accepted returns yet.", book.fmt("note"))
    for rule, part in grid.groupby("rule", sort=False):
        row += 1
        _write(ws, row, 0, rule, book.fmt("text"))
        for j, status in enumerate(COMPLIANCE_STATUSES, start=1):
            _write(ws, row, j, int((part["derived_status"] == status).sum()), book.fmt("count"))
        differs = int((~part["agrees"].astype(bool)).sum())
        _write(ws, row, len(heads) - 1, differs, book.flag if differs else book.fmt("count"))


def _trend_chart(book: Book, ws, trend: pd.DataFrame, rows: tuple[int, int], region_name: str) -> None:
    """Region total and like-for-like total by month (£), with the LAs reporting on a second axis."""
    if trend.empty:
        return
    head, last = rows
    cats = ["Cost trend", head + 1, 0, last, 0]
    lines = book.wb.add_chart({"type": "line"})
    lines.add_series({"name": ["Cost trend", head, 2], "categories": cats, "values": ["Cost trend", head + 1, 2, last, 2],
                      "line": {"color": "#1F4E79", "width": 2.5}, "marker": {"type": "circle", "size": 5}})
    lines.add_series({"name": ["Cost trend", head, 3], "categories": cats, "values": ["Cost trend", head + 1, 3, last, 3],
                      "line": {"color": "#C55A11", "width": 2.0, "dash_type": "dash"}})
    count = book.wb.add_chart({"type": "column"})
    count.add_series({"name": ["Cost trend", head, 1], "categories": cats, "values": ["Cost trend", head + 1, 1, last, 1],
                      "fill": {"color": "#D9D9D9"}, "y2_axis": True, "gap": 150})
    lines.combine(count)
    lines.set_title({"name": f"Total monthly cost, {region_name}", "name_font": {"size": 12}})
    lines.set_y_axis({"name": "£ per month", "num_format": "£#,##0", "min": 0})
    count.set_y2_axis({"name": "LAs reporting", "min": 0, "major_unit": 1})
    lines.set_x_axis({"date_axis": True, "num_format": "mmm yy"})
    lines.set_legend({"position": "bottom"})
    lines.set_size({"width": 760, "height": 340})
    ws.insert_chart(3, 7, lines, {"x_offset": 10})


def _rates_chart(book: Book, ws, rates: pd.DataFrame, rows: tuple[int, int]) -> None:
    """Median and 90th percentile cap-basis rate by role, with the cap as a line."""
    if rates.empty:
        return
    head, last = rows
    cols = {name: j for j, name in enumerate(rates.columns)}
    cats = ["Rates vs cap", head + 1, 0, last, 0]
    bars = book.wb.add_chart({"type": "column"})
    for label, colour in (("median_rate", "#5B9BD5"), ("p90_rate", "#1F4E79")):
        j = cols[label]
        bars.add_series({"name": ["Rates vs cap", head, j], "categories": cats,
                         "values": ["Rates vs cap", head + 1, j, last, j], "fill": {"color": colour}})
    cap = book.wb.add_chart({"type": "line"})
    j = cols["cap"]
    cap.add_series({"name": ["Rates vs cap", head, j], "categories": cats, "values": ["Rates vs cap", head + 1, j, last, j],
                    "line": {"color": "#C00000", "width": 2.5}, "marker": {"type": "diamond", "size": 7}})
    bars.combine(cap)
    bars.set_title({"name": "Cap-basis rate against the price cap, by role", "name_font": {"size": 12}})
    bars.set_y_axis({"name": "£ per hour", "num_format": "£0", "min": 0})
    bars.set_legend({"position": "bottom"})
    bars.set_size({"width": 760, "height": 340})
    ws.insert_chart(21, 7, bars, {"x_offset": 10})


def _compliance_sheet(book: Book, grid: pd.DataFrame) -> None:
    """LA x rule: 'declared / shown by assignments', highlighted where they disagree."""
    ws = book.sheet("Compliance grid")
    rules = list(dict.fromkeys(grid["rule"]))
    las = list(dict.fromkeys(zip(grid["la_code"], grid["la_name"])))
    _write(ws, 0, 0, "Each cell: the LA's declared status for the rule (first line), then what its assignments "
                     "show (second line); shaded where they differ.", book.fmt("note"))
    heads = ["LA code", "Local authority", *rules]
    for c, h in enumerate(heads):
        _write(ws, 1, c, h, book.head)
    ws.set_row(1, LINE_HEIGHT * 2)
    ws.set_column(0, 0, 9)
    ws.set_column(1, 1, max([len(n) for _, n in las] + [16]) + 2)
    ws.set_column(2, 1 + max(len(rules), 1), 22)
    ws.freeze_panes(2, 2)
    cells = {(r.la_code, r.rule): r for r in grid.itertuples(index=False)}
    wrap_flag = book.wb.add_format({"bg_color": "#FCE4D6", "text_wrap": True, "valign": "top"})
    wrap = book.fmt("text", wrap=True)
    for r, (code, name) in enumerate(las, start=2):
        _write(ws, r, 0, code, book.fmt("code"))
        _write(ws, r, 1, name, book.fmt("text"))
        for c, rule in enumerate(rules, start=2):
            rec = cells.get((code, rule))
            if rec is not None:
                _write(ws, r, c, f"{rec.declared_status}\n{rec.derived_status}", wrap if rec.agrees else wrap_flag)
        ws.set_row(r, LINE_HEIGHT * 2)
    if las:
        ws.autofilter(1, 0, 1 + len(las), 1 + len(rules))


def cap_rows(region_code: str | None) -> pd.DataFrame:
    """The cap table in force as a frame (one region's rows, or all), for the Notes sheets."""
    from pipeline.core.reference import cap_table
    rows = [(REGIONS.get(r), role, start, end, value) for r, role, start, end, value, _ in cap_table().rows
            if region_code is None or r == region_code]
    return pd.DataFrame(rows, columns=["Region", "Role category", "In force from", "In force to",
                                       "Price cap (£ per hour)"])


def _notes_sheet(book: Book, about: list[tuple[str, object]], frames: list[pd.DataFrame], *,
                 caps: pd.DataFrame, symbols: bool = False) -> None:
    """About the workbook, the definition of every measure its tables show, DfE's symbols, the cap table."""
    from pipeline.core.reference import cap_table
    ws = book.sheet("Notes")
    _write(ws, 0, 0, "Notes", book.title)
    row = book.key_values(ws, 2, about) + 1
    if symbols:
        _write(ws, row, 0, "Symbols", book.subtitle)
        row = book.key_values(ws, row + 1, list(SYMBOLS.items())) + 1
    _write(ws, row, 0, "Definitions", book.subtitle)
    seen = dict.fromkeys(str(c) for f in frames for c in f.columns)
    defined = [(measure(c).header, measure(c).definition) for c in seen if measure(c).definition]
    row = book.key_values(ws, row + 1, defined) + 1
    _write(ws, row, 0, "Cap table", book.bold)
    _write(ws, row, 1, f"The price caps used are on the Cap table sheet ({cap_table().version}).", book.wrap)
    book.table("Cap table", caps.assign(**{"In force to": caps["In force to"].map(lambda d: d if pd.notna(d) else "")}),
               kinds={"In force from": "date", "In force to": "date", "Price cap (£ per hour)": "rate"},
               note=f"The price-cap table in force: {cap_table().version}. Caps are ILLUSTRATIVE until DfE's published "
                    "table replaces this file (configuration, no code change).")


# --- national.xlsx -----------------------------------------------------------------------------

def national(path: Path, tables: dict[str, pd.DataFrame], about: list[tuple[str, object]]) -> Path:
    """England by region in the style of DfE's statistics: a cover, the tables under disclosure
    control (symbols right-aligned with the numbers, `x` where a region has no accepted return),
    data quality, and Notes (sources, definitions, symbols, the cap table)."""
    tables = {**tables, **{name: without_swe(tables[name])
                           for name in ("national_by_region", "regional_costs", "data_quality", "findings_by_code")}}
    quarter = next((v for k, v in about if k == "Quarter"), "")
    book = Book(path)
    cover = book.sheet("Cover")
    costs = tables["regional_costs"].copy()
    none = costs["las_accepted"] == 0
    costs["total_cost"] = costs["total_cost"].astype(object).mask(none, "x")
    book.table("Costs by region", costs.drop(columns="region_code"),
               note=f"Total cost of agency child and family social workers by region, {quarter}: the LAs' MonthlyCosts "
                    "totals for the quarter's three months (£). x: no accepted return in the region.")
    ws = book.sheet("Workforce by region")
    row = 0
    for measure_frame, title in published_tables(tables["national_by_region"]):
        frame = measure_frame.reset_index().rename(columns={"region_name": "Region"})
        kinds = {c: title[1] for c in frame.columns[1:]}
        book.table("", frame, title=title[0], start_row=row, ws=ws, kinds=kinds,
                   widths={0: 26, **{j: 18 for j in range(1, len(frame.columns))}})
        row += len(frame) + 3
    ws.freeze_panes(0, 1)
    dq = book.table("Data quality", tables["data_quality"].drop(columns="region_code"),
                    note="Where each region's returns stand: LAs that sent a file, accepted, rejected, unreadable, "
                         "missing or late, and the findings raised.")
    codes = tables["findings_by_code"].pivot_table(index="code", columns="region_code", values="findings",
                                                   aggfunc="sum", fill_value=0)
    codes = codes.rename(columns=REGIONS).reset_index()
    book.table("", codes, title="Findings by code and region (standing or latest return of each LA)",
               start_row=len(tables["data_quality"]) + 4, ws=dq, kinds={c: "count" for c in codes.columns[1:]})
    _notes_sheet(book, [*about, ("Sources", "LAs' quarterly returns on agency child and family social workers, "
                                 "as accepted when the outputs were built; DfE's LA list for LAs and regions.")],
                 [tables["regional_costs"], tables["national_by_region"], tables["data_quality"]],
                 caps=cap_rows(None), symbols=True)
    _cover(book, cover, quarter, costs)
    book.close()
    return path


def _cover(book: Book, ws, quarter: str, costs: pd.DataFrame) -> None:
    england = costs[costs["region_code"] == "E92000001"].iloc[0]
    _write(ws, 0, 0, f"Agency child and family social workers in England, {quarter}", book.title)
    rows = [
        ("What this is", "Figures from the quarterly returns English local authorities send DfE on their use and "
                         "cost of agency child and family social workers, by region and role category."),
        ("Coverage", f"{int(england['las_accepted'])} of {int(england['las_live'])} local authorities had an "
                     "accepted return when the figures were built."),
        ("Contents", "Costs by region: total cost (£).\nWorkforce by region: headcount, FTE, rates against the cap, "
                     "assignments above the cap and their cost, by region and role category.\nData quality: where "
                     "the returns stand and the findings raised.\nNotes: sources, definitions, symbols, the cap table."),
        ("Disclosure control", "Counts under 5 are shown as c, and further cells are suppressed so that totals "
                               "cannot reveal them; FTE, rates and costs follow the headcount."),
        ("Symbols", "c confidential · x not available · z not applicable · low rounds to zero (see Notes)."),
    ]
    book.key_values(ws, 2, rows, widths=(22, 100))


def published_tables(by_region: pd.DataFrame) -> list[tuple[pd.DataFrame, tuple[str, str]]]:
    """Region x role tables with disclosure control: headcount and breaches are suppressed in their
    own right; FTE, rates and cost follow the headcount suppression. Regions with no returns show
    'x'. Each comes with its title and the kind of its cells."""
    def wide(col):
        t = by_region.pivot_table(index="region_name", columns="role_category", values=col, aggfunc="first")
        return t.reindex(index=[*REGIONS.values(), "England"], columns=ROLES)
    headcount = wide("headcount")
    no_returns = headcount.isna().all(axis=1).to_numpy()[:, None]

    def counted(frame):   # a role with no assignments in a region that has returns counts 0 (and is suppressed)
        return frame.where(frame.notna() | no_returns, 0)
    headcount, breaches = counted(headcount), counted(wide("breaches"))
    kept = disclosure.suppression_mask(headcount, total_row="England", total_col="All roles")
    kept_b = disclosure.suppression_mask(breaches, total_row="England", total_col="All roles")

    def shown(frame, mask, *, low_below: float | None = None):
        out = disclosure.apply(frame, mask)
        if low_below is not None:   # shown as 0.0 but not zero: DfE's 'low'
            out = out.map(lambda v: "low" if isinstance(v, float) and 0 < v < low_below else v)
        return out.mask(np.broadcast_to(no_returns, out.shape), "x").where(out.notna() | no_returns, "z")
    return [
        (shown(headcount, kept), ("Agency workers (headcount)", "count")),
        (shown(wide("fte"), kept, low_below=0.05), ("Agency FTE (hours per week / 37)", "fte")),
        (shown(wide("median_rate"), kept), ("Median cap-basis rate (£ per hour)", "rate")),
        (shown(wide("p90_rate"), kept), ("90th percentile cap-basis rate (£ per hour)", "rate")),
        (shown(breaches, kept_b), ("Assignments above the cap", "count")),
        (shown(wide("assignment_cost"), kept), ("Cost of assignments in the quarter (£)", "money")),
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
