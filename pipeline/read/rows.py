"""The row reader: a sheet as python-calamine's rows from A1, the way every sheet but a large plain
table is read (and the oracle the Arrow reader is held to)."""
from __future__ import annotations

import pyarrow as pa

from pipeline.core.config import threshold
from pipeline.core.contract import DATE, MONTH, Sheet
from pipeline.core.findings import Finding, finding
from pipeline.read import parse
from pipeline.read.columns import column_text
from pipeline.read.header import HEADER_SEARCH_ROWS, field_matcher, find_header
from pipeline.read.ooxml import CellFacts, column_number


def read_rows(book, name: str, sheet: Sheet, findings: list[Finding], facts: CellFacts,
              date1904: bool, merged: list | None = None) -> list[list] | None:
    """All rows of a sheet from A1, with merged areas filled down from their top-left cell (each
    area over two or more rows, (first row, first column, last row, last column) from 0, into
    `merged`: a money or number field is not filled, `merged.merged_numbers`).

    Excel error values (read as blank by calamine) are put back as their text ('#N/A'), and in a
    workbook on the 1904 date system a date serial in a date column is turned into its date.
    """
    ws = book.get_sheet_by_name(name)
    max_rows, max_cols = threshold("max_rows"), threshold("max_columns")
    if ws.total_height > max_rows + HEADER_SEARCH_ROWS:
        findings.append(finding("E006", "rows", sheet=sheet.name, limit=max_rows))
        return None
    if ws.total_width > max_cols:
        findings.append(finding("E006", "columns", sheet=sheet.name, limit=max_cols))
        return None
    rows = ws.to_python(skip_empty_area=False)
    for (r0, c0), (r1, c1) in ws.merged_cell_ranges or ():
        if r0 >= len(rows):
            continue
        top_left = rows[r0][c0] if c0 < len(rows[r0]) else ""
        if merged is not None and r1 > r0:
            merged.append((r0, c0, r1, c1))
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            for c in range(c0, min(c1, len(rows[r]) - 1) + 1):
                if (r, c) != (r0, c0) and rows[r][c] == "" and r > r0:   # fill down, not across headers
                    rows[r][c] = top_left
    for (letters, row), text in facts.errors.items():
        r, c = row - 1, column_number(letters) - 1
        if r < len(rows) and c < max_cols:
            rows[r].extend([""] * (c + 1 - len(rows[r])))
            rows[r][c] = text
    if date1904:
        _dates_1904(sheet, rows)
    return rows


def _dates_1904(sheet: Sheet, rows: list[list]) -> None:
    """Date serials in date columns of a 1904-system workbook, as dates (in place)."""
    kinds = (DATE, MONTH)
    if sheet.key_value:
        field_of = field_matcher(sheet)
        for row in rows:
            key = field_of(row[0]) if row and row[0] != "" else None
            if key and sheet.column(key).kind in kinds:
                row[1:] = [parse.serial_date(v, True) for v in row[1:]]
        return
    found = find_header(sheet, rows)
    if found is None:
        return
    keys = {c: k for k, cs in found.repeated.items() for c in cs} | found.mapping
    cols = [c for c, key in keys.items() if sheet.column(key).kind in kinds]
    header_idx = found.row
    for row in rows[header_idx + 1:]:
        for c in cols:
            if c < len(row):
                row[c] = parse.serial_date(row[c], True)


class RowCells:
    """A sheet as python-calamine's rows from A1 (merged areas filled, error values put back)."""

    def __init__(self, rows: list[list], merged: list | None = None):
        self.rows = rows
        self.merged = merged or []          # areas filled down: `read_rows`
        self.height = len(rows)
        self.top = rows[:HEADER_SEARCH_ROWS + 1]

    def row(self, i: int) -> list:
        return self.rows[i]

    def release(self) -> None:
        self.rows = self.top = None

    def texts(self, wanted: list[int], start: int) -> dict[int, pa.Array]:
        """Each wanted column's cell text from row `start` down (null for blank)."""
        cells = _columns(self.rows[start:], wanted)
        return {c: pa.array(column_text(values), type=pa.large_string(), from_pandas=True) for c, values in cells.items()}


def _columns(body: list[list], wanted: list[int]) -> dict[int, list]:
    """The wanted columns of the body rows ('' past a row's end), transposed in one C pass."""
    width = max(wanted, default=-1) + 1
    if any(len(row) < width for row in body):
        body = [row + [""] * (width - len(row)) if len(row) < width else row for row in body]
    by_column = list(zip(*body)) if body else []
    return {c: list(by_column[c]) if body else [] for c in wanted}
