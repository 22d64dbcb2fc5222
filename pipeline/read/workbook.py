"""Reading a council's workbook tolerantly into typed frames that remember every cell's address.

The model of what is read (`Workbook`, `SheetFrame`, `ReturnSheet`) and the reader's spine, top to
bottom: open the package and choose the contract sheets (`opening`), read each sheet's cells
(`rows`, or `arrow` for a large plain table), find the header and match the columns (`header`),
drop total and footnote rows (`totals`), build the cell text and typed frames (`columns`) indexed
by Excel row so every finding can name its cell, and report the cells calamine reads as blank
but are not (`false_blanks`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import python_calamine

from pipeline.core.config import threshold
from pipeline.core.contract import SHEETS, Sheet, column_letter
from pipeline.core.findings import Finding, finding
from pipeline.read import parse
from pipeline.read.arrow import ArrowCells, read_large_sheet
from pipeline.read.columns import LONG_COLUMN, column_text, frame_of, typed_from_texts
from pipeline.read.date_order import month_first_columns
from pipeline.read.false_blanks import report_error_values, report_formula_gaps
from pipeline.read.header import (
    columns_to_read,
    field_matcher,
    find_header,
    repeated_column,
    unread_look_alikes,
)
from pipeline.read.merged import merged_numbers
from pipeline.read.ooxml import ERROR_VALUES, CellFacts
from pipeline.read.opening import calamine_workbook, open_file
from pipeline.read.resemblance import header_unit
from pipeline.read.rows import RowCells, read_rows
from pipeline.read.totals import total_rows
from pipeline.read.units import decimal_commas, percentages

# Arrow allocates from the system allocator, as the Rust parsers do: memory calamine frees after a large
# sheet is read is then reused for its frames (with pyarrow's own mimalloc pool, both stayed: +50 MB at 50k rows).
pa.set_memory_pool(pa.system_memory_pool())


@dataclass
class SheetFrame:
    """One contract sheet as read: raw cell text and typed values, both indexed by Excel row."""

    sheet: Sheet
    found_name: str
    header_row: int | None = None                               # Excel row number of the headers
    positions: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (header as found, column letter)
    raw: pd.DataFrame = field(default_factory=pd.DataFrame)     # cleaned text, NA for blank
    data: pd.DataFrame = field(default_factory=pd.DataFrame)    # typed; every contract column present
    extra_columns: list[str] = field(default_factory=list)
    hidden: bool = False
    error_columns: set[str] = field(default_factory=set)           # keys of columns holding an Excel error value

    def header(self, key: str) -> str:
        return self.positions[key][0] if key in self.positions else self.sheet.column(key).header

    def cell(self, key: str, row: int | None) -> str | None:
        if key not in self.positions or row is None:
            return None
        return f"{self.positions[key][1]}{row}"

    def finding(self, code: str, key: str, row: int | None, variant: str = "default", **fields) -> Finding:
        """A finding on one cell of this sheet; its value is the cell text as found unless given."""
        if "value" not in fields:   # (not setdefault: its default would look the cell up every time)
            fields["value"] = self.value(key, row) if row is not None else None
        return finding(code, variant, sheet=self.sheet.name, row=row, column=self.header(key),
                       cell=self.cell(key, row), **fields)

    def value(self, key: str, row: int):
        """The cell text as found (for findings)."""
        if key in self.raw.columns and row in self.raw.index:
            v = self.raw.at[row, key]
            return None if pd.isna(v) else v
        return None


@dataclass
class ReturnSheet:
    """The key/value Return sheet: typed values and the cells they came from."""

    found_name: str
    values: dict[str, object] = field(default_factory=dict)
    raw: dict[str, str | None] = field(default_factory=dict)
    cells: dict[str, tuple[int, str]] = field(default_factory=dict)   # key -> (row, cell)


@dataclass
class Workbook:
    """Everything read from one file, plus the findings reading it produced (E002/E003/E006...)."""

    sheets: dict[str, SheetFrame] = field(default_factory=dict)
    return_sheet: ReturnSheet | None = None
    findings: list[Finding] = field(default_factory=list)
    sheet_names: list[str] = field(default_factory=list)
    # (sheet, cell) the reader has reported, whose finding stands for any other on the cell: read as
    # blank (a formula never calculated), or left unread (a decimal comma, a percentage under a £ field)
    reported_cells: set[tuple[str, str]] = field(default_factory=set)

    def frame(self, name: str) -> pd.DataFrame:
        """Typed data of a sheet; an empty frame with every contract column if the sheet is absent."""
        if name in self.sheets:
            return self.sheets[name].data
        sheet = next(s for s in SHEETS if s.name == name)
        return typed_frame(sheet, pd.DataFrame(index=pd.Index([], dtype="int64", name="row")))


def typed_frame(sheet: Sheet, raw: pd.DataFrame) -> pd.DataFrame:
    """Every contract column of a sheet typed from its raw cell text (all NA where the sheet lacks it)."""
    texts = {key: pa.array(raw[key].array, type=pa.large_string()) for key in raw.columns}
    return typed_from_texts(sheet, texts, raw.index)


def read_workbook(path) -> Workbook:
    """Read every contract sheet that is present. Raises only on files calamine cannot open.

    Sheets are found through the package's relationships (`ooxml`); two visible sheets
    that could both be a contract sheet are E008 and neither is read. Excel error values are
    E112 on their cell and never read as blank; uncalculated formulas get their column's code.
    """
    opened = open_file(path, defer_large=True)
    book = calamine_workbook(opened)
    wb = Workbook(sheet_names=list(book.sheet_names))
    for sheet in SHEETS:
        name = opened.choice.chosen.get(sheet.name)
        if sheet.name in opened.choice.ambiguous:
            names = opened.choice.ambiguous[sheet.name]
            wb.findings.append(finding("E008", sheet=sheet.name, value=", ".join(names),
                                       sheets=" and ".join(f"'{n}'" for n in names)))
            continue
        if name is None:
            if sheet.required:
                wb.findings.append(finding("E002", sheet=sheet.name))
            continue
        cells, sheet_book, merged = None, book, []
        if name in opened.arrow:
            cells, opened.facts[name], repaired = read_large_sheet(opened.source, opened.arrow[name], name, sheet)
            sheet_book = book if repaired is None else python_calamine.CalamineWorkbook.from_filelike(repaired)
        facts = opened.facts.get(name, CellFacts())
        if cells is None:
            rows = read_rows(sheet_book, name, sheet, wb.findings, facts, opened.date1904, merged)
            if rows is None:
                continue
            cells, rows = RowCells(rows, merged), None
        if sheet.key_value:
            wb.return_sheet = _read_key_values(sheet, name, cells.rows)
            report_error_values(sheet, wb, None)
        else:
            frame = _read_table(sheet, name, cells, wb.findings, facts, wb.reported_cells)
            if frame is not None:
                frame.hidden = not opened.visible.get(name, True)
                wb.sheets[sheet.name] = frame
                report_error_values(sheet, wb, frame)
        report_formula_gaps(sheet, wb, facts.uncalculated)
    return wb


def read_column(path, sheet: Sheet, key: str) -> pd.Series:
    """One column of one sheet as typed values by Excel row, read exactly as `read_workbook`
    reads it (the DfE return needs the real SWE numbers, which the warehouse holds only hashed)."""
    opened = open_file(path)
    name = opened.choice.chosen.get(sheet.name)
    rows = read_rows(calamine_workbook(opened), name, sheet, [], CellFacts(), opened.date1904) if name else None
    found = find_header(sheet, rows) if rows else None
    if found is None:
        return pd.Series(dtype="string")
    header_idx, mapping = found.row, found.mapping
    col = next((c for c, k in mapping.items() if k == key), None)
    if col is None:
        return pd.Series(dtype="string")
    body = rows[header_idx + 1:]
    index = pd.RangeIndex(header_idx + 2, header_idx + 2 + len(body), name="row")
    text = column_text([r[col] if col < len(r) else "" for r in body])
    return pd.Series(parse.typed_values(sheet.column(key), tuple(text)), index=index).dropna()


_ERRORS = frozenset(ERROR_VALUES)


def _read_table(sheet: Sheet, name: str, cells: RowCells | ArrowCells, findings: list[Finding],
                facts: CellFacts, reported: set[tuple[str, str]]) -> SheetFrame | None:
    header = find_header(sheet, cells.top)
    if header is None:
        findings.append(finding("E003", "no_header", sheet=sheet.name))
        return None
    header_idx, mapping = header.row, header.mapping
    body_rows = cells.height - header_idx - 1
    arrays = cells.texts(columns_to_read(header), header_idx + 1)
    findings += merged_numbers(sheet, cells.merged, header_idx, header.mapping, header.cells, arrays)
    with_errors = {c for c, text in arrays.items()       # one test per column: few columns ever hold one
                   if (pc.any(pc.starts_with(text, "#")).as_py() if len(text) >= LONG_COLUMN
                       else any(t in _ERRORS for t in text.to_pylist()))}
    for key, cols in header.repeated.items():        # read the copy that holds values; E007 names every copy
        chosen = max(cols, key=lambda c: (len(arrays[c]) - arrays[c].null_count, -c))
        mapping = {c: k for c, k in mapping.items() if k != key} | {chosen: key}
        findings.append(repeated_column(sheet, header, key, cols))
    frame = SheetFrame(sheet, name, header_row=header_idx + 1)
    frame.positions = {key: (header.cells[c], column_letter(c)) for c, key in mapping.items()}
    frame.error_columns = {mapping[c] for c in with_errors if c in mapping}
    repeated = {c for cols in header.repeated.values() for c in cols}
    frame.extra_columns = [t for c, t in enumerate(header.cells) if t and c not in mapping and c not in repeated]
    findings += unread_look_alikes(sheet, header, set(mapping.values()) | set(header.repeated), cells)
    for col in sheet.columns:
        if col.required and col.key not in frame.positions:
            findings.append(finding("E003", sheet=sheet.name, row=header_idx + 1, column=col.header))

    read = sorted(mapping)
    valid = {c: arrays[c].is_valid().to_numpy(zero_copy_only=False) for c in read}
    kept = np.flatnonzero(np.logical_or.reduce([valid[c] for c in read]))   # blank rows skipped, row numbers kept
    if len(kept) > threshold("max_rows"):
        findings.append(finding("E006", "rows", sheet=sheet.name, limit=threshold("max_rows")))
        return None
    totals = total_rows(sheet, cells, (kept + header_idx + 2).tolist(), header_idx + 2, arrays, mapping)
    cells.release()                                 # the cells as read go before the frames are built
    if totals:
        kept = kept[~np.isin(kept + header_idx + 2, totals)]
    index = pd.Index(kept + header_idx + 2, name="row")
    arrays = {mapping[c]: arrays[c] if len(kept) == body_rows else arrays[c].take(kept) for c in read}
    frame.raw = frame_of({key: pd.arrays.ArrowStringArray(text) for key, text in arrays.items()}, index)
    frame.data = typed_from_texts(sheet, arrays, index)
    findings += decimal_commas(sheet, frame, arrays, reported)
    percent_headers = {key for c, key in mapping.items() if header_unit(header.cells[c]) == "percent"}
    findings += percentages(sheet, frame, arrays, facts.percent, percent_headers, reported)
    findings += month_first_columns(sheet, frame, arrays)
    return frame


def _read_key_values(sheet: Sheet, name: str, rows: list[list]) -> ReturnSheet:
    """Keys in a column (usually A), each value in the first non-blank cell to its right."""
    field_of = field_matcher(sheet)
    out = ReturnSheet(name)
    for r, row in enumerate(rows[:200]):
        for c, value in enumerate(row[:5]):
            key = field_of(value) if value != "" else None
            if key is None or key in out.raw:
                continue
            vc = next((j for j in range(c + 1, len(row)) if parse.cell_text(row[j]) is not None), c + 1)
            text = parse.cell_text(row[vc]) if vc < len(row) else None
            out.raw[key] = text
            out.cells[key] = (r + 1, f"{column_letter(vc)}{r + 1}")
            break
    for col in sheet.columns:
        out.values[col.key] = parse.typed_values(col, (out.raw.get(col.key),))[0]
    return out
