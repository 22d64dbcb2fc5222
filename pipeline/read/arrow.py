"""The Arrow reader, speed machinery for large sheets: a large plain table sheet read by fastexcel
straight into Arrow, only where that provably gives the cells the row reader (`rows`) gives."""
from __future__ import annotations

import logging
import re
import zipfile

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core.config import threshold
from pipeline.core.contract import Sheet, column_letter
from pipeline.read import parse
from pipeline.read.columns import LONG_COLUMN, numbers_shown, trimmed
from pipeline.read.header import HEADER_SEARCH_ROWS, find_header
from pipeline.read.ooxml import (
    CALAMINE_ERRORS,
    CellFacts,
    Package,
    calamine_safe,
    cell_facts,
    column_cells,
    column_number,
    has_booleans,
    plain_grid,
    values_held,
)

# How fastexcel shows a number cell and a date cell in a column it reads as text.
_NUMBER_SHOWN = r"^-?(?:[0-9]+(?:\.[0-9]+)?|inf|NaN)$"
_DATE_SHOWN = r"^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}"     # (also an ISO date cell's own text)
_SUFFIXED = re.compile(r"(.*)_[0-9]+")           # fastexcel's name for a repeated header: 'Agency_1'


class ArrowCells:
    """A table sheet whose header is its first row, read by fastexcel into one Arrow array per
    column (`_arrow_cells` has checked that every cell reads as python-calamine reads it).

    A column of one kind of cell is typed by fastexcel (float64, or timestamps of whole days); a
    column of text may also hold numbers, which fastexcel shows rounded to nine decimals, so those
    cells' own numbers are taken from the sheet XML (`numbers`). Rows are counted from 0, the
    header; `row(i)` gives a row's cells as python-calamine gives them, for the few rows a
    reader looks at one by one (title and total rows).
    """

    def __init__(self, header: list[str], columns: list[pa.Array], numbers: dict[int, dict[int, float]],
                 errors: dict[tuple[int, int], str]):
        self.header = header
        self.columns = columns
        self.numbers = numbers                     # column -> {row: number} in columns read as text
        self.errors = errors                       # (row, column) -> Excel error value
        self.merged: list = []                     # no cells merged (`ooxml.plain_grid`)
        self.height = 1 + (len(columns[0]) if columns else 0)
        self._top: dict[int, list] = {}             # each column's first rows as Python values
        self.top = [self.row(i) for i in range(min(self.height, HEADER_SEARCH_ROWS + 1))]

    def release(self) -> None:
        self.columns, self._top = [], {}

    def row(self, i: int) -> list:
        if i == 0:
            return list(self.header)
        return [self._cell(c, i) for c in range(len(self.columns))]

    def _cell(self, c: int, i: int):
        if (i, c) in self.errors:
            return self.errors[i, c]
        if i in self.numbers.get(c, ()):
            return self.numbers[c][i]
        if i <= HEADER_SEARCH_ROWS:
            if c not in self._top:
                self._top[c] = self.columns[c].slice(0, HEADER_SEARCH_ROWS).to_pylist()
            v = self._top[c][i - 1]
        else:
            v = self.columns[c][i - 1].as_py()
        return "" if v is None else v

    def texts(self, wanted: list[int], start: int) -> dict[int, pa.Array]:
        """Each wanted column's cell text from row `start` (always 1: the header is the first row)
        down, as `column_text` gives it from python-calamine's cells."""
        return {c: self._text(c) for c in wanted}

    def _text(self, c: int) -> pa.Array:
        column = self.columns[c]
        long = len(column) >= LONG_COLUMN
        kind = column.type
        if pa.types.is_floating(kind):
            valid = column.is_valid().to_numpy(zero_copy_only=False)
            shown = np.full(len(column), None, dtype=object)
            shown[valid] = numbers_shown(column.drop_null().to_numpy(), long)
            text = pa.array(shown, type=pa.large_string())
        elif pa.types.is_timestamp(kind):
            text = pc.cast(pc.cast(column, pa.date32(), safe=False), pa.large_string())
        elif pa.types.is_null(kind):
            text = pa.nulls(len(column), pa.large_string())
        elif long:
            text = trimmed(column.cast(pa.large_string()))
        else:
            text = pa.array([parse.cell_text(v) for v in column.to_pylist()], type=pa.large_string())
        numbers = self.numbers.get(c, {})
        errors = {i: value for (i, col), value in self.errors.items() if col == c}
        if not numbers and not errors:
            return text
        out = text.to_numpy(zero_copy_only=False).astype(object)
        if numbers:
            rows = np.fromiter(numbers, dtype=np.int64, count=len(numbers)) - 1
            out[rows] = numbers_shown(np.fromiter(numbers.values(), dtype="float64", count=len(numbers)), long)
        for i, value in errors.items():
            out[i - 1] = parse.cell_text(value)
        return pa.array(out, type=pa.large_string())


def read_large_sheet(path: str, part: str, name: str,
                     sheet: Sheet) -> tuple[ArrowCells | None, CellFacts, object | None]:
    """A large table sheet: its cells read by fastexcel, then its XML unpacked once, after
    calamine's cells have gone, for the cell facts and the checks of `_arrow_cells`.

    Returns the cells read into Arrow (None: read the sheet the usual way), the cell facts, and
    for the usual way a copy of the file calamine can open if the sheet holds newer error values
    (`ooxml.calamine_safe`; None: the file itself).
    """
    loaded = _fastexcel_columns(path, name)
    with zipfile.ZipFile(path) as zf:
        pkg = Package.of(zf)
        data = pkg.read(part)
        facts = cell_facts(data, pkg.percent_styles())
        if any(e not in CALAMINE_ERRORS for e in facts.errors.values()):
            return None, facts, pkg.for_calamine(path, {part: calamine_safe(data)})
    if loaded is None or not plain_grid(data):
        return None, facts, None
    return _arrow_cells(loaded, data, sheet, facts), facts, None


def _fastexcel_columns(path: str, name: str) -> pa.RecordBatch | None:
    """fastexcel's reading of a sheet whose first row is its header, as an Arrow record batch
    named by the header cells, or None if it refuses the sheet. Read eagerly: the cells go
    straight into Arrow, never held as calamine's cells beside it (0.07 s less at 50k rows)."""
    import fastexcel  # (only large sheets need it: not imported for a usual file)
    logging.getLogger("fastexcel").setLevel(logging.ERROR)   # its notes on all-blank columns are not ours
    try:
        reader = fastexcel.read_excel(path)
        return reader.load_sheet(name, header_row=0, schema_sample_rows=None, dtype_coercion="coerce", eager=True)
    except Exception:  # noqa: BLE001 - whatever fastexcel refuses is read the usual way, which reports it
        return None


def _header_cells(names: list[str]) -> list[str]:
    """The header cells' text from fastexcel's column names: its name for a blank header cell in
    column c is '__UNNAMED__c', read as blank. A header cell that holds such a text itself is then
    one value fewer than the XML holds, which `_arrow_cells`' count of values turns away."""
    return ["" if text == f"__UNNAMED__{c}" else text for c, text in enumerate(names)]


def _arrow_cells(batch: pa.RecordBatch, xml: bytes, sheet: Sheet, facts: CellFacts) -> ArrowCells | None:
    """A large table sheet read by fastexcel straight into Arrow, when every cell of it provably
    reads as python-calamine reads it; None when one might not (the sheet is then read the usual
    way). `ooxml.plain_grid` has already vouched for the sheet's grid (`xml`): it starts at A1, no
    cells merged. Here: the header is the first row and all its cells are text; no column
    mixes kinds of cell other than text with numbers (whose numbers come from the XML, every one
    found there); no Boolean reads as a number or as 'true'; no number column holds text fastexcel
    reads as NaN ('nan'); dates are whole days, never text; and every cell holding a value in the
    XML holds one in Arrow, error values aside (so none was read as blank: 'NA' in a number column,
    a date out of range).
    Read with the same calamine, cell for cell (tests/read/test_arrow.py holds both to it).
    """
    header = _header_cells(batch.schema.names)
    if batch.num_rows + 1 > threshold("max_rows") + HEADER_SEARCH_ROWS or batch.num_columns > threshold("max_columns"):
        return None                                 # E006: the usual way says so
    errors = {(row - 1, column_number(letters) - 1): text for (letters, row), text in facts.errors.items()}
    if any(i == 0 or c >= batch.num_columns for i, c in errors):
        return None
    held = sum(len(column) - column.null_count for column in batch.columns) + len(errors) + \
        sum(text != "" for text in header)
    if held != values_held(xml):
        return None
    seen = set()
    for text in header:
        suffixed = _SUFFIXED.fullmatch(text)
        if text in ("true", "false") or re.match(_NUMBER_SHOWN, text) or re.match(_DATE_SHOWN, text) \
                or suffixed and suffixed.group(1) in seen or text.startswith("__UNNAMED__"):
            return None                             # a header cell that may not have been text
        seen.add(text)
    shown_rows: dict[int, list[int]] = {}           # text columns -> rows showing a number
    maybe_booleans = False                          # 1.0 or 0.0 may be a Boolean cell, 'true' is one
    for c, column in enumerate(batch.columns):
        kind = column.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            if pc.any(pc.match_substring_regex(column, _DATE_SHOWN)).as_py():
                return None
            maybe_booleans = maybe_booleans or pc.any(pc.is_in(column, pa.array(["true", "false"]))).as_py()
            shown = pc.fill_null(pc.match_substring_regex(column, _NUMBER_SHOWN), False)
            if pc.any(shown).as_py():
                shown_rows[c] = (np.flatnonzero(shown.to_numpy(zero_copy_only=False)) + 1).tolist()
        elif pa.types.is_floating(kind):
            if pc.any(pc.is_nan(column)).as_py():
                return None
            maybe_booleans = maybe_booleans or pc.any(pc.is_in(column, pa.array([0.0, 1.0]))).as_py()
        elif pa.types.is_timestamp(kind):
            if pc.any(pc.not_equal(pc.floor_temporal(column, unit="day"), column)).as_py():
                return None
        elif not pa.types.is_null(kind):
            return None
    if maybe_booleans and has_booleans(xml):
        return None
    in_xml = column_cells(xml, [column_letter(c) for c in shown_rows])    # all these columns in one pass
    numbers: dict[int, dict[int, float]] = {}
    for c, rows in shown_rows.items():
        found = in_xml[column_letter(c)]
        if any(i + 1 not in found for i in rows):
            return None                             # a cell in another form: not proven
        numbers[c] = {i: found[i + 1] for i in rows if found[i + 1] is not None}
    cells = ArrowCells(header, list(batch.columns), numbers, errors)
    found = find_header(sheet, cells.top)          # the header search must land on the first row
    return cells if found is not None and found.row == 0 and found.first_row is None else None
