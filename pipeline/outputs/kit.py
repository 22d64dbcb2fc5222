"""The kit every output writer shares: workbooks with safe cells (`Book`), the measures people read
(headers, kinds, definitions from measures.toml), number formats and widths, CSV writing, the
publish gate against SWE numbers, and the Notes sheet (definitions, DfE's symbols, the cap table).

Every cell goes through `write_cell`: text is always written as text (never a formula, even if it
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

import numpy as np
import pandas as pd
import xlsxwriter

from pipeline.core.reference import REGIONS, cap_table
from pipeline.warehouse import loads

_FORMULA_START = ("=", "+", "-", "@")


def without_swe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with anything that looks like an SWE number in its text removed
    (`pipeline.core.redaction`): the publish gate for every output but an LA's own DfE return."""
    return loads.redact_text(frame.copy())


# --- presentation: headers, formats, widths ----------------------------------------------------

@dataclass(frozen=True)
class Measure:
    """How a column is shown: the header people read (units in brackets), the kind of its cells
    (text, code, count, money, rate, fte, share, percent, weeks, year, date, month, flag) and its definition."""

    name: str
    header: str
    kind: str
    definition: str = ""


@lru_cache(maxsize=1)
def measures() -> dict[str, Measure]:
    """Column name -> Measure, from pipeline/outputs/measures.toml."""
    with open(Path(__file__).with_name("measures.toml"), "rb") as fh:
        raw = tomllib.load(fh)
    return {name: Measure(name, e["header"], e["kind"], e.get("definition", "")) for name, e in raw.items()}


def measure(column: str) -> Measure:
    """The Measure of a column; a column that is already a header (an LA's name in the trend) is shown
    as it is, as text unless the table gives its kind."""
    return measures().get(column) or Measure(column, column, "text")


NUMBER_FORMATS = {"money": "£#,##0.00", "rate": "£#,##0.00", "count": "#,##0", "fte": "#,##0.0",
                  "share": "0.0%", "percent": '0.0"%"', "weeks": "#,##0.0", "year": "0", "date": "dd/mm/yyyy",
                  "month": "mmm yyyy"}
NUMERIC = ("money", "rate", "count", "fte", "share", "percent", "weeks", "year")
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
        if kind in ("fte", "weeks"):
            return len(f"{value:,.1f}")
        if kind == "percent":
            return len(f"{value:.1f}%")
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


def fitted_widths(frame: pd.DataFrame) -> dict[int, float]:
    """Column position -> the width `Book.table` would fit to the frame: measured once over a whole
    table, it serves every part written from it (`widths=`), with no measuring per part."""
    return {j: fit_width(measure(str(c)).header, [_longest(column, measure(str(c)).kind)])
            for j, (c, column) in enumerate(frame.items())}


@lru_cache(maxsize=8192)
def lines_needed(text: str, width: float) -> int:
    """Lines a text takes when wrapped at word boundaries in a column of `width` characters (kept: the
    same notes, headers and definitions are wrapped in every LA's workbook)."""
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
            write_cell(ws, row, 0, k, label)
            write_cell(ws, row, 1, v, self.wrap)
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
            write_cell(ws, r, start_col, title, self.subtitle)
            r += 1
        if note:
            if span > 1:
                ws.merge_range(r, start_col, r, start_col + span - 1, None)
            write_cell(ws, r, start_col, note, self.note)
            ws.set_row(r, LINE_HEIGHT * lines_needed(note, sum(col_widths) or 60))
            r += 1
        header_row = r
        for j, m in enumerate(shown):
            write_cell(ws, r, start_col + j, m.header, self.head)
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
                write_cell(ws, r, start_col + j, value, fmt)
            if height > 1:
                ws.set_row(r, LINE_HEIGHT * height)
        if first:
            ws.freeze_panes(header_row + 1, 0)
            ws.repeat_rows(header_row)
            if columns:
                ws.autofilter(header_row, start_col, max(r, header_row + 1), start_col + len(columns) - 1)
        self.table_rows = (header_row, r)
        return ws


def write_cell(ws, row: int, col: int, value, fmt=None) -> None:
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


# --- the Notes sheet: definitions, DfE's symbols, the cap table ---------------------------------

SYMBOLS = {   # as DfE's statistics use them
    "c": "Confidential: suppressed to protect individuals (a count under 5, or a figure that would reveal one).",
    "x": "Not available: no returns were accepted for it, so there is no figure.",
    "z": "Not applicable: the measure does not apply (for example a rate where there are no assignments).",
    "low": "Rounds to zero, but is not zero.",
}

# The terms of data-contract section 7, in every workbook's Notes and on the pages; docs/outputs.md
# ("Definitions") quotes them word for word (tests/outputs/test_kit.py keeps it so).
TERMS = {
    "At quarter end": "Assignments active on the quarter's last day (the DfE workforce census is a snapshot on "
                      "30 September too).",
    "In the quarter": "Assignments active on any day of the quarter (what the Assignments sheet holds); headcount "
                      "and FTE in the quarter are higher than at quarter end and are not for setting against the "
                      "census.",
    "Agency FTE (section 7)": "Hours per week / 37, summed over assignments; blank hours count as 37.",
    "Agency rate": "Agency FTE at quarter end / (agency FTE at quarter end + permanent FTE in post from the latest "
                   "DfE workforce census up to the quarter's end), as the census defines its own agency rate; "
                   "in %.",
    "Vacancy rate": "The census's own: vacancies (FTE) / (vacancies + FTE in post), in %, from the same census.",
    "Tenure": "Days from the assignment's start to the quarter's last day (or its end date, if earlier) / 7, "
              "in weeks.",
    "£ above cap": "(Cap-basis rate - cap) x hours per week (blank: 37) x days active in the quarter / 7, summed "
                   "over assignments above the cap.",
}


def cap_rows(region_code: str | None) -> pd.DataFrame:
    """The cap table in force as a frame (one region's rows, or all), for the Notes sheets."""
    rows = [(REGIONS.get(r), role, start, end, value) for r, role, start, end, value, _ in cap_table().rows
            if region_code is None or r == region_code]
    return pd.DataFrame(rows, columns=["Region", "Role category", "In force from", "In force to",
                                       "Price cap (£ per hour)"])


def notes_sheet(book: Book, about: list[tuple[str, object]], frames: list[pd.DataFrame], *,
                caps: pd.DataFrame, symbols: bool = False) -> None:
    """About the workbook, the terms of section 7 (`TERMS`), the definition of every measure its tables
    show, DfE's symbols, the cap table."""
    ws = book.sheet("Notes")
    write_cell(ws, 0, 0, "Notes", book.title)
    row = book.key_values(ws, 2, about) + 1
    if symbols:
        write_cell(ws, row, 0, "Symbols", book.subtitle)
        row = book.key_values(ws, row + 1, list(SYMBOLS.items())) + 1
    write_cell(ws, row, 0, "Terms", book.subtitle)
    row = book.key_values(ws, row + 1, list(TERMS.items())) + 1
    write_cell(ws, row, 0, "Definitions", book.subtitle)
    seen = dict.fromkeys(str(c) for f in frames for c in f.columns)
    defined = [(measure(c).header, measure(c).definition) for c in seen if measure(c).definition]
    row = book.key_values(ws, row + 1, defined) + 1
    write_cell(ws, row, 0, "Cap table", book.bold)
    write_cell(ws, row, 1, f"The price caps used are on the Cap table sheet ({cap_table().version}).", book.wrap)
    book.table("Cap table", caps.assign(**{"In force to": caps["In force to"].map(lambda d: d if pd.notna(d) else "")}),
               kinds={"In force from": "date", "In force to": "date", "Price cap (£ per hour)": "rate"},
               note=f"The price-cap table in force: {cap_table().version}. Caps are ILLUSTRATIVE until DfE's published "
                    "table replaces this file (configuration, no code change).")
