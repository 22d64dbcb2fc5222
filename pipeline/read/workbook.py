"""Reading a council's workbook tolerantly into typed frames that remember every cell's address.

Calamine (Rust) reads the cells; this module finds each contract sheet by name, alias or copy
name, the header row under any title rows (also a header split over two rows), the columns by
header or alias, and keeps the Excel row number of every data row as the frame's index so every
finding can name its cell. What calamine reads as blank but is not (an Excel error value, a
formula never calculated) comes from `pipeline.ooxml` and is reported on its cell.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import python_calamine

from pipeline.core.config import threshold
from pipeline.core.contract import (
    DATE,
    MONTH,
    SHEETS,
    SHEETS_BY_NAME,
    SWE,
    TEXT,
    Sheet,
    column_letter,
    header_lookup,
    normalise_header,
)
from pipeline.core.findings import Finding, finding
from pipeline.read import parse
from pipeline.read.handoff import remembered
from pipeline.read.ooxml import (
    CALAMINE_ERRORS,
    ERROR_VALUES,
    CellFacts,
    Package,
    SheetChoice,
    calamine_safe,
    cell_facts,
    choose_sheets,
    column_cells,
    column_number,
    has_booleans,
    part_name,
    plain_grid,
    values_held,
)

# Arrow allocates from the system allocator, as the Rust parsers do: memory calamine frees after a large
# sheet is read is then reused for its frames (with pyarrow's own mimalloc pool, both stayed: +50 MB at 50k rows).
pa.set_memory_pool(pa.system_memory_pool())

HEADER_SEARCH_ROWS = 30
ARROW_FROM_BYTES = 1 << 20    # a table sheet whose XML is this large is read by fastexcel straight into Arrow
# A total or footnote row under the data: 'Total', 'Total (12 workers)', 'Grand Total', 'TOTAL:', 'Sub-total'.
_TOTAL = re.compile(r"^(?:grand\s*|sub[\s-]*)?totals?(?:\s*[:(].*|\s+\D.*)?$|^sum$", re.IGNORECASE)
# A note under a header on how to fill the column in, not data.
_UNITS = re.compile(r"^[(\[].*[)\]]$|^(?:£|%|gbp|hours?|weeks?|years?|dd/mm/yy(?:yy)?|yyyy-mm(?:-dd)?|yes\s*/\s*no|"
                    r"y\s*/\s*n|(?:£\s*)?(?:/|per)\s*h(?:ou)?r|optional|required|mandatory)$", re.IGNORECASE)
_TOTAL_INITIALS = frozenset("gGsStT")     # a cheap first look before the pattern
# A footnote's text: a label with a colon ('Source: ...'), a note mark, or a sentence of four words or more.
_FOOTNOTE = re.compile(r":|^\*|^(?:notes?|source|n\.?b\.?)\b|^\S+\s+\S+\s+\S+\s+\S+", re.IGNORECASE)


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
    formula_cells: set[tuple[str, str]] = field(default_factory=set)   # (sheet, cell) read as blank

    def frame(self, name: str) -> pd.DataFrame:
        """Typed data of a sheet; an empty frame with every contract column if the sheet is absent."""
        if name in self.sheets:
            return self.sheets[name].data
        sheet = next(s for s in SHEETS if s.name == name)
        return typed_frame(sheet, pd.DataFrame(index=pd.Index([], dtype="int64", name="row")))


def typed_frame(sheet: Sheet, raw: pd.DataFrame) -> pd.DataFrame:
    """Every contract column of a sheet typed from its raw cell text (all NA where the sheet lacks it)."""
    return _typed(sheet, {key: pa.array(raw[key].array, type=pa.large_string()) for key in raw.columns}, raw.index)


def _typed(sheet: Sheet, texts: dict[str, pa.Array], index: pd.Index) -> pd.DataFrame:
    """The typed frame from each read column's cell text (null for blank), built in one go; a text
    column is its cell text, every other is parsed from it (`parse.typed_text`)."""
    blank = (None,) * len(index)
    columns = {}
    for c in sheet.columns:
        text = texts.get(c.key)
        if text is not None and c.kind == TEXT:
            columns[c.key] = pd.arrays.ArrowStringArray(text)
        else:
            columns[c.key] = parse.typed_values(c, blank) if text is None else parse.typed_text(c, text)
    return _frame(columns, index)


def _frame(columns: dict, index: pd.Index) -> pd.DataFrame:
    """A frame of these columns whose labels are plain Python strings (an object Index): pandas 3 would
    make them an Arrow string Index, whose every label lookup (pandera's per column and check, each
    rule's) costs ~10 µs more."""
    return pd.DataFrame(columns, index=index, columns=pd.Index(list(columns), dtype=object), copy=False)


@dataclass
class _Opened:
    """What the package itself says, read once before calamine reads the cells."""

    choice: SheetChoice
    visible: dict[str, bool]
    facts: dict[str, CellFacts]
    date1904: bool
    source: object            # what calamine opens: the path, or a repaired copy in memory
    arrow: dict[str, str] = field(default_factory=dict)   # large table sheet -> its part, read by `_large_sheet`


def _open(path, defer_large: bool = False) -> _Opened:
    checked = remembered(path)       # the parts the guard has just unpacked and checked, if it has
    if checked is not None:
        return _opened(checked, path, defer_large)
    with zipfile.ZipFile(path) as zf:
        return _opened(Package.of(zf), path, defer_large)


def _opened(pkg: Package, path, defer_large: bool) -> _Opened:
    """The sheets chosen and the facts of their XML. With `defer_large`, a large table sheet's XML
    is left to be read once, after fastexcel has read its cells (`_large_sheet`), when calamine can
    open the file itself."""
    sheets = pkg.sheets()
    choice = choose_sheets(sheets)
    parts = {sp.name: sp.part for sp in sheets}
    date1904 = pkg.date1904()
    found, repaired, deferred = {}, {}, {}
    for contract, name in choice.chosen.items():
        if not parts.get(name):
            continue
        if defer_large and pkg.unpacked is None and not date1904 and not SHEETS_BY_NAME[contract].key_value \
                and pkg.entries[part_name(parts[name])].file_size >= ARROW_FROM_BYTES:
            deferred[name] = parts[name]
            continue
        _facts(pkg, name, parts[name], found, repaired)
    source = pkg.for_calamine(path, repaired)
    if deferred and not isinstance(source, str):      # calamine reads a copy: every sheet's facts now
        for name, part in deferred.items():
            _facts(pkg, name, part, found, repaired)
        deferred, source = {}, pkg.for_calamine(path, repaired)
    return _Opened(choice, {sp.name: sp.visible for sp in sheets}, found, date1904, source, deferred)


def _facts(pkg: Package, name: str, part: str, found: dict, repaired: dict) -> None:
    """A sheet's cell facts into `found`, and into `repaired` its XML made safe for calamine if needed."""
    data = pkg.read(part)
    found[name] = cell_facts(data)
    if any(e not in CALAMINE_ERRORS for e in found[name].errors.values()):
        repaired[part] = calamine_safe(data)


def _calamine(opened: _Opened):
    if isinstance(opened.source, str):
        return python_calamine.CalamineWorkbook.from_path(opened.source)
    return python_calamine.CalamineWorkbook.from_filelike(opened.source)


def read_workbook(path) -> Workbook:
    """Read every contract sheet that is present. Raises only on files calamine cannot open.

    Sheets are found through the package's relationships (pipeline.ooxml); two visible sheets
    that could both be a contract sheet are E008 and neither is read. Excel error values are
    E112 on their cell and never read as blank; uncalculated formulas get their column's code.
    """
    opened = _open(path, defer_large=True)
    book = _calamine(opened)
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
        cells, sheet_book = None, book
        if name in opened.arrow:
            cells, opened.facts[name], repaired = _large_sheet(opened.source, opened.arrow[name], name, sheet)
            sheet_book = book if repaired is None else python_calamine.CalamineWorkbook.from_filelike(repaired)
        facts = opened.facts.get(name, CellFacts())
        if cells is None:
            rows = _rows(sheet_book, name, sheet, wb.findings, facts, opened.date1904)
            if rows is None:
                continue
            cells, rows = _RowCells(rows), None
        if sheet.key_value:
            wb.return_sheet = _read_key_values(sheet, name, cells.rows)
            _report_error_values(sheet, wb, None)
        else:
            frame = _read_table(sheet, name, cells, wb.findings)
            if frame is not None:
                frame.hidden = not opened.visible.get(name, True)
                wb.sheets[sheet.name] = frame
                _report_error_values(sheet, wb, frame)
        _report_formula_gaps(sheet, wb, facts.uncalculated)
    return wb


def read_column(path, sheet: Sheet, key: str) -> pd.Series:
    """One column of one sheet as typed values by Excel row, read exactly as `read_workbook`
    reads it (the DfE return needs the real SWE numbers, which the warehouse holds only hashed)."""
    opened = _open(path)
    name = opened.choice.chosen.get(sheet.name)
    rows = _rows(_calamine(opened), name, sheet, [], CellFacts(), opened.date1904) if name else None
    found = _find_header(sheet, rows) if rows else None
    if found is None:
        return pd.Series(dtype="string")
    header_idx, mapping = found.row, found.mapping
    col = next((c for c, k in mapping.items() if k == key), None)
    if col is None:
        return pd.Series(dtype="string")
    body = rows[header_idx + 1:]
    index = pd.RangeIndex(header_idx + 2, header_idx + 2 + len(body), name="row")
    text = _column_text([r[col] if col < len(r) else "" for r in body])
    return pd.Series(parse.typed_values(sheet.column(key), tuple(text)), index=index).dropna()


def _rows(book, name: str, sheet: Sheet, findings: list[Finding], facts: CellFacts,
          date1904: bool) -> list[list] | None:
    """All rows of a sheet from A1, with merged areas filled from their top-left cell.

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
        field_of = _fields(sheet)
        for row in rows:
            key = field_of(row[0]) if row and row[0] != "" else None
            if key and sheet.column(key).kind in kinds:
                row[1:] = [parse.serial_date(v, True) for v in row[1:]]
        return
    found = _find_header(sheet, rows)
    if found is None:
        return
    keys = {c: k for k, cs in found.repeated.items() for c in cs} | found.mapping
    cols = [c for c, key in keys.items() if sheet.column(key).kind in kinds]
    header_idx = found.row
    for row in rows[header_idx + 1:]:
        for c in cols:
            if c < len(row):
                row[c] = parse.serial_date(row[c], True)


@lru_cache(maxsize=None)
def _fields(sheet: Sheet):
    """The field a header cell names (by header or alias; None if none), remembered per cell value:
    a quarter's files repeat the same few hundred header and label texts."""
    lookup = header_lookup(sheet)

    @lru_cache(maxsize=4096, typed=True)      # typed: True and 1 are different cells
    def field_of(value) -> str | None:
        return lookup.get(normalise_header(value))
    return field_of


@dataclass
class _Header:
    """Where a table's header is: its last row (0-based), the columns matched, and repeated fields."""

    row: int
    mapping: dict[int, str]                    # column index -> field key (the copy that is read)
    cells: list[str]                           # the header text of every column, as found
    repeated: dict[str, list[int]] = field(default_factory=dict)   # field key -> every column matching it
    first_row: int | None = None               # the row above, when the header is split over two rows


def _find_header(sheet: Sheet, rows: list[list]) -> _Header | None:
    """The header row under any title rows that matches most contract fields, and its mapping.

    A header split over two rows ('Hourly pay' above 'rate') is read as one when joining the two
    rows matches more fields than either row alone. A field matched by several columns (a repeated
    header, or a header and its alias) is recorded in `repeated`.
    """
    field_of = _fields(sheet)
    top = [_texts(row) for row in rows[:HEADER_SEARCH_ROWS]]
    keys = [[field_of(t) if t else None for t in cells] for cells in top]
    loose = [any(t and k is None for t, k in zip(cells, ks)) for cells, ks in zip(top, keys)]   # unmatched text
    best: tuple[int, _Header] | None = None
    for r in range(len(top)):
        candidates = [(top[r], keys[r], None)]
        if r and loose[r - 1] and loose[r]:           # only rows with unmatched text can be halves of a header
            joined = _joined(top[r - 1], top[r])
            if joined is not None:
                candidates.append((joined, [field_of(t) if t else None for t in joined], r - 1))
        for cells, found, first in candidates:
            matches: dict[str, list[int]] = {}
            for c, key in enumerate(found):
                if key:
                    matches.setdefault(key, []).append(c)
            if matches and (best is None or len(matches) > best[0]):
                best = (len(matches), _Header(r, {cols[0]: key for key, cols in matches.items()}, cells,
                                              {k: v for k, v in matches.items() if len(v) > 1}, first))
    needed = 1 if len(sheet.columns) <= 3 else 2
    if best is None or best[0] < needed:
        return None
    header = best[1]
    below = rows[header.row + 1] if header.row + 1 < len(rows) else []
    if header.first_row is None and _continues_header(sheet, header, below):
        header.first_row, header.row = header.row, header.row + 1
        header.cells = _joined(_texts(rows[header.first_row]), _texts(below))
    return header


def _continues_header(sheet: Sheet, header: _Header, below: list) -> bool:
    """Whether the row under a header is more header: the cells of headers merged down two rows,
    or notes on units ('(£ per hour)', 'dd/mm/yyyy', 'Yes/No'); any other cell makes it data."""
    cells = _texts(below)
    if not any(cells) or any(v != "" and not isinstance(v, str) for v in below):
        return False
    return all(not text or text == (header.cells[c] if c < len(header.cells) else None) or _UNITS.match(text)
               for c, text in enumerate(cells))


def _texts(row: list) -> list[str]:
    return [str(v).strip() if v != "" and v is not None else "" for v in row]


def _joined(a: list[str], b: list[str]) -> list[str] | None:
    """Two header rows' texts as one ('Hourly pay' + 'rate'); a cell merged down both rows counts once."""
    a, b = list(a), list(b)
    if not any(a) or not any(b):
        return None
    a += [""] * (len(b) - len(a))
    b += [""] * (len(a) - len(b))
    return [x if x == y or not y else y if not x else f"{x} {y}" for x, y in zip(a, b)]


def _read_table(sheet: Sheet, name: str, cells: _RowCells | _ArrowCells, findings: list[Finding]) -> SheetFrame | None:
    header = _find_header(sheet, cells.top)
    if header is None:
        findings.append(finding("E003", "no_header", sheet=sheet.name))
        return None
    header_idx, mapping = header.row, header.mapping
    body_rows = cells.height - header_idx - 1
    arrays = cells.texts(_read_columns(header), header_idx + 1)
    with_errors = {c for c, text in arrays.items()       # one test per column: few columns ever hold one
                   if (pc.any(pc.starts_with(text, "#")).as_py() if len(text) >= _LONG
                       else any(t in _ERRORS for t in text.to_pylist()))}
    for key, cols in header.repeated.items():        # read the copy that holds values; E007 names every copy
        chosen = max(cols, key=lambda c: (len(arrays[c]) - arrays[c].null_count, -c))
        mapping = {c: k for c, k in mapping.items() if k != key} | {chosen: key}
        findings.append(_repeated_column(sheet, header, key, cols))
    frame = SheetFrame(sheet, name, header_row=header_idx + 1)
    frame.positions = {key: (header.cells[c], column_letter(c)) for c, key in mapping.items()}
    frame.error_columns = {mapping[c] for c in with_errors if c in mapping}
    repeated = {c for cols in header.repeated.values() for c in cols}
    frame.extra_columns = [t for c, t in enumerate(header.cells) if t and c not in mapping and c not in repeated]
    for col in sheet.columns:
        if col.required and col.key not in frame.positions:
            findings.append(finding("E003", sheet=sheet.name, row=header_idx + 1, column=col.header))

    read = sorted(mapping)
    valid = {c: arrays[c].is_valid().to_numpy(zero_copy_only=False) for c in read}
    kept = np.flatnonzero(np.logical_or.reduce([valid[c] for c in read]))   # blank rows skipped, row numbers kept
    if len(kept) > threshold("max_rows"):
        findings.append(finding("E006", "rows", sheet=sheet.name, limit=threshold("max_rows")))
        return None
    totals = _total_rows(sheet, cells, (kept + header_idx + 2).tolist(), header_idx + 2, arrays, mapping)
    cells.release()                                 # the cells as read go before the frames are built
    if totals:
        kept = kept[~np.isin(kept + header_idx + 2, totals)]
    index = pd.Index(kept + header_idx + 2, name="row")
    arrays = {mapping[c]: arrays[c] if len(kept) == body_rows else arrays[c].take(kept) for c in read}
    frame.raw = _frame({key: pd.arrays.ArrowStringArray(text) for key, text in arrays.items()}, index)
    frame.data = _typed(sheet, arrays, index)
    return frame


class _RowCells:
    """A sheet as python-calamine's rows from A1 (merged areas filled, error values put back)."""

    def __init__(self, rows: list[list]):
        self.rows = rows
        self.height = len(rows)
        self.top = rows[:HEADER_SEARCH_ROWS + 1]

    def row(self, i: int) -> list:
        return self.rows[i]

    def release(self) -> None:
        self.rows = self.top = None

    def texts(self, wanted: list[int], start: int) -> dict[int, pa.Array]:
        """Each wanted column's cell text from row `start` down (null for blank)."""
        cells = _columns(self.rows[start:], wanted)
        return {c: pa.array(_column_text(values), type=pa.large_string(), from_pandas=True) for c, values in cells.items()}


# How fastexcel shows a number cell and a date cell in a column it reads as text.
_NUMBER_SHOWN = r"^-?(?:[0-9]+(?:\.[0-9]+)?|inf|NaN)$"
_DATE_SHOWN = r"^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}"     # (also an ISO date cell's own text)
_SUFFIXED = re.compile(r"(.*)_[0-9]+")           # fastexcel's name for a repeated header: 'Agency_1'


class _ArrowCells:
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
        down, as `_column_text` gives it from python-calamine's cells."""
        return {c: self._text(c) for c in wanted}

    def _text(self, c: int) -> pa.Array:
        column = self.columns[c]
        long = len(column) >= _LONG
        kind = column.type
        if pa.types.is_floating(kind):
            valid = column.is_valid().to_numpy(zero_copy_only=False)
            shown = np.full(len(column), None, dtype=object)
            shown[valid] = _numbers_shown(column.drop_null().to_numpy(), long)
            text = pa.array(shown, type=pa.large_string())
        elif pa.types.is_timestamp(kind):
            text = pc.cast(pc.cast(column, pa.date32(), safe=False), pa.large_string())
        elif pa.types.is_null(kind):
            text = pa.nulls(len(column), pa.large_string())
        elif long:
            text = _trimmed(column.cast(pa.large_string()))
        else:
            text = pa.array([parse.cell_text(v) for v in column.to_pylist()], type=pa.large_string())
        numbers = self.numbers.get(c, {})
        errors = {i: value for (i, col), value in self.errors.items() if col == c}
        if not numbers and not errors:
            return text
        out = text.to_numpy(zero_copy_only=False).astype(object)
        if numbers:
            rows = np.fromiter(numbers, dtype=np.int64, count=len(numbers)) - 1
            out[rows] = _numbers_shown(np.fromiter(numbers.values(), dtype="float64", count=len(numbers)), long)
        for i, value in errors.items():
            out[i - 1] = parse.cell_text(value)
        return pa.array(out, type=pa.large_string())


def _large_sheet(path: str, part: str, name: str, sheet: Sheet) -> tuple[_ArrowCells | None, CellFacts, object | None]:
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
        facts = cell_facts(data)
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


def _arrow_cells(batch: pa.RecordBatch, xml: bytes, sheet: Sheet, facts: CellFacts) -> _ArrowCells | None:
    """A large table sheet read by fastexcel straight into Arrow, when every cell of it provably
    reads as python-calamine reads it; None when one might not (the sheet is then read the usual
    way). `ooxml.plain_grid` has already vouched for the sheet's grid (`xml`): it starts at A1, no
    cells merged. Here: the header is the first row and all its cells are text; no column
    mixes kinds of cell other than text with numbers (whose numbers come from the XML, every one
    found there); no Boolean reads as a number or as 'true'; no number column holds text fastexcel
    reads as NaN ('nan'); dates are whole days, never text; and every cell holding a value in the
    XML holds one in Arrow, error values aside (so none was read as blank: 'NA' in a number column,
    a date out of range).
    Read with the same calamine, cell for cell (tests/test_reading_arrow.py holds both to it).
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
    cells = _ArrowCells(header, list(batch.columns), numbers, errors)
    found = _find_header(sheet, cells.top)          # the header search must land on the first row
    return cells if found is not None and found.row == 0 and found.first_row is None else None


def _columns(body: list[list], wanted: list[int]) -> dict[int, list]:
    """The wanted columns of the body rows ('' past a row's end), transposed in one C pass."""
    width = max(wanted, default=-1) + 1
    if any(len(row) < width for row in body):
        body = [row + [""] * (width - len(row)) if len(row) < width else row for row in body]
    by_column = list(zip(*body)) if body else []
    return {c: list(by_column[c]) if body else [] for c in wanted}


def _read_columns(header: _Header) -> list[int]:
    return sorted(set(header.mapping) | {c for cols in header.repeated.values() for c in cols})


def _repeated_column(sheet: Sheet, header: _Header, key: str, cols: list[int]) -> Finding:
    """E007: a field matched by two or more columns; the finding names every header cell."""
    row = header.row + 1
    first = header.first_row + 1 if header.first_row is not None else row
    cells = [f"{column_letter(c)}{first}" if first == row else f"{column_letter(c)}{first}:{column_letter(c)}{row}"
             for c in cols]
    shown = [f"{cell} ('{header.cells[c]}')" for cell, c in zip(cells, cols)]
    return finding("E007", sheet=sheet.name, row=row, column=sheet.column(key).header, cell=cells[0],
                   value=", ".join(cells), cells=", ".join(shown[:-1]) + " and " + shown[-1])


def _column_text(values: list) -> np.ndarray:
    """One column's cells as the text a person sees (`parse.cell_text`), an object array with None
    for blank, typed whole: text is stripped and whole numbers lose their '.0' in vectorised
    passes; only other kinds of cell (dates, durations, Yes/No) are turned into text one by one."""
    if len(values) < _LONG:
        out = np.empty(len(values), dtype=object)
        out[:] = [parse.cell_text(v) for v in values]
        return out
    kinds = np.fromiter(map(_KIND.__getitem__, map(type, values)), dtype=np.int8, count=len(values))
    is_text, is_float, is_date = kinds == 0, kinds == 1, kinds == 3
    if is_text.all():
        return _stripped(values)
    cells = np.empty(len(values), dtype=object)
    cells[:] = values
    out = np.full(len(values), None, dtype=object)
    if is_text.any():
        out[is_text] = _stripped(cells[is_text].tolist())
    if is_float.any():
        out[is_float] = _number_text(cells[is_float].astype("float64"))
    if is_date.any():
        out[is_date] = [v.isoformat() for v in cells[is_date].tolist()]
    other = np.flatnonzero(kinds == 2)
    if len(other):
        out[other] = [parse.cell_text(values[i]) for i in other.tolist()]
    return out


def _stripped(texts: list[str]) -> np.ndarray:
    """Text cells stripped by Arrow (as pandas' `.str.strip` does), None where nothing is left."""
    return _trimmed(pa.array(texts, type=pa.large_string())).to_numpy(zero_copy_only=False)


def _trimmed(texts: pa.Array) -> pa.Array:
    """`_stripped` on an Arrow array of text."""
    text = pc.utf8_trim_whitespace(texts)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text)


def _numbers_shown(numbers: np.ndarray, long: bool) -> np.ndarray:
    """Number cells' text as `_column_text` shows them in a column of this length (long or not)."""
    if long:
        return _number_text(numbers)
    shown = np.empty(len(numbers), dtype=object)
    shown[:] = [parse.cell_text(v) for v in numbers.tolist()]
    return shown


_ERRORS = frozenset(ERROR_VALUES)
_KIND = defaultdict(lambda: 2, {str: 0, float: 1, dt.date: 3})   # any other type of cell is turned into text one by one
_LONG = 2000    # below this, one by one is quicker than the vectorised passes' fixed cost


def _number_text(numbers: np.ndarray) -> np.ndarray:
    """Numbers as `parse.cell_text` shows them ('10', '31.39'), cast by Arrow where its shortest
    round-trip text is Python's own (whole numbers below 1e15; others from 1e-4 to 1e9)."""
    shown = np.empty(len(numbers), dtype=object)
    size = np.abs(numbers)
    whole = (numbers == np.trunc(numbers)) & (size < 1e15)
    plain = ~whole & (size >= 1e-4) & (size < 1e9)
    shown[whole] = pa.array(numbers[whole].astype(np.int64)).cast(pa.string()).to_numpy(zero_copy_only=False)
    shown[plain] = pa.array(numbers[plain]).cast(pa.string()).to_numpy(zero_copy_only=False)
    rest = ~(whole | plain)
    shown[rest] = [repr(v) for v in numbers[rest].tolist()]
    return shown


def _total_rows(sheet: Sheet, cells: _RowCells | _ArrowCells, rows: list[int], first: int, texts: dict[int, pa.Array],
                mapping: dict[int, str]) -> list[int]:
    """Excel rows that are totals or footnotes, not data: never read as assignments.

    `rows` are the Excel rows holding a value in a read column, `first` the Excel row under the
    header and `texts` each read column's cell text from there. A total row is labelled in its
    first filled cell ('Total', 'Total (12 workers)', 'Grand Total', 'TOTAL:', 'Sub-total') and, on
    a sheet with SWE numbers, has none. A footnote is a single text cell with words ('Source: MSP
    extract ...') after the data: below a total row or a blank row.
    """
    swe_cols = [c for c, k in mapping.items() if sheet.column(k).kind == SWE]
    drop = []
    if swe_cols:     # only rows with no SWE number, or with the label itself in the SWE column
        labelled = np.logical_or.reduce([texts[c].is_valid().to_numpy(zero_copy_only=False) for c in swe_cols])
        # a label has 'total' or 'sum' in it: only those cells are looked at one by one
        worded = np.logical_or.reduce([pc.fill_null(pc.match_substring_regex(texts[c], "tot|sum", ignore_case=True),
                                                    False).to_numpy(zero_copy_only=False) for c in swe_cols])
        candidates = [r for r in rows if not labelled[r - first] or worded[r - first] and any(
            c < len(row) and _is_total_label(row[c]) for row in [cells.row(r - 1)] for c in swe_cols)]
    else:
        candidates = rows
    for excel_row in candidates:
        row = cells.row(excel_row - 1)
        at = next((i for i, v in enumerate(row) if v != "" and v is not None), None)
        if at is not None and _is_total_label(row[at]) and \
                not any(c < len(row) and c != at and row[c] not in ("", None) for c in swe_cols):
            drop.append(excel_row)
    # footnotes: from the bottom, single-text-cell rows separated from the data by a gap or a total
    for i in range(len(rows) - 1, 0, -1):
        filled = [v for v in cells.row(rows[i] - 1) if v != "" and v is not None]
        after_gap = rows[i] - rows[i - 1] > 1 or rows[i - 1] in drop
        if len(filled) == 1 and isinstance(filled[0], str) and _FOOTNOTE.search(filled[0].strip()) and after_gap:
            drop.append(rows[i])
        elif rows[i] not in drop:
            break
    return sorted(set(drop))


def _is_total_label(value) -> bool:
    """'Total', 'Total (12 workers)', 'Grand Total', 'TOTAL:', 'Sub-total' (a cheap first look, then the pattern)."""
    return type(value) is str and value.lstrip()[:1] in _TOTAL_INITIALS and _TOTAL.match(value.strip()) is not None


def _read_key_values(sheet: Sheet, name: str, rows: list[list]) -> ReturnSheet:
    """Keys in a column (usually A), each value in the first non-blank cell to its right."""
    field_of = _fields(sheet)
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


# --- cells calamine reads as blank but are not ------------------------------------------------

def _report_error_values(sheet: Sheet, wb: Workbook, frame: SheetFrame | None) -> None:
    """E112 on every cell the return reads that holds an Excel error value ('#N/A', '#REF!'...).

    The error's text is kept as the cell's value, so it is never read as blank (an End date of
    #N/A is not 'ongoing'); other findings on the same cell are dropped, as for formulas.
    """
    if frame is None:
        ret = wb.return_sheet
        found = [(key, row, cell, text) for key, text in (ret.raw.items() if ret else ())
                 if text in ERROR_VALUES for row, cell in [ret.cells[key]]]
        headers = {key: sheet.column(key).header for key, *_ in found}
    else:
        found = []
        for key in frame.error_columns:
            col = frame.raw[key]
            bad = col[col.isin(ERROR_VALUES).fillna(False)]
            found += [(key, int(row), frame.cell(key, int(row)), text) for row, text in bad.items()]
        headers = {key: frame.header(key) for key, *_ in found}
    for key, row, cell, text in found:
        wb.findings.append(finding("E112", sheet=sheet.name, row=row, column=headers[key], cell=cell, value=text))
        wb.formula_cells.add((sheet.name, cell))


def _report_formula_gaps(sheet: Sheet, wb: Workbook, cells: list[tuple[str, int]]) -> None:
    """Report uncalculated formulas in cells that feed the return, under the column's own rule code.

    Cells outside the return (a dropped Total row, an ignored column, free text) are left alone.
    """
    if sheet.key_value:
        keys = {cell: key for key, (_, cell) in wb.return_sheet.cells.items()} if wb.return_sheet else {}
        headers = {key: sheet.column(key).header for key in keys.values()}
    else:
        frame = wb.sheets.get(sheet.name)
        if frame is None:
            return
        letters = {letter: key for key, (_, letter) in frame.positions.items()}
        keys = {f"{letter}{row}": letters[letter] for letter, row in cells
                if letter in letters and row in frame.raw.index}
        headers = {key: frame.header(key) for key in keys.values()}
    for letter, row in cells:
        ref = f"{letter}{row}"
        key = keys.get(ref)
        if key is None or not sheet.column(key).code:
            continue
        wb.findings.append(finding(sheet.column(key).code, "formula", sheet=sheet.name, row=row,
                                   column=headers[key], cell=ref))
        wb.formula_cells.add((sheet.name, ref))
