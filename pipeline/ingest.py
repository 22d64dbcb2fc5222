"""Reading a council's workbook tolerantly into typed frames that remember every cell's address.

Calamine (Rust) reads the cells; this module finds each contract sheet by name or alias, the
header row under any title rows, the columns by header or alias, and keeps the Excel row number
of every data row as the frame's index so every finding can name its cell.
"""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field

import pandas as pd
import python_calamine

from pipeline import parse
from pipeline.config import threshold
from pipeline.contract import SHEETS, Sheet, column_letter, header_lookup, normalise_header
from pipeline.findings import Finding, finding
from pipeline.guard import sheet_names_and_parts

HEADER_SEARCH_ROWS = 30
_TOTAL_WORDS = {"total", "totals", "grandtotal", "sum", "subtotal"}


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

    def header(self, key: str) -> str:
        return self.positions[key][0] if key in self.positions else self.sheet.column(key).header

    def cell(self, key: str, row: int | None) -> str | None:
        if key not in self.positions or row is None:
            return None
        return f"{self.positions[key][1]}{row}"

    def finding(self, code: str, key: str, row: int | None, variant: str = "default", **fields) -> Finding:
        """A finding on one cell of this sheet; its value is the cell text as found unless given."""
        fields.setdefault("value", self.value(key, row) if row is not None else None)
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
    cols = {c.key: (parse.typed(raw[c.key], c) if c.key in raw.columns else parse.empty_like(c, raw.index))
            for c in sheet.columns}
    return pd.DataFrame(cols, index=raw.index)


def read_workbook(path) -> Workbook:
    """Read every contract sheet that is present. Raises only on files calamine cannot open."""
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    wb = Workbook(sheet_names=list(book.sheet_names))
    meta = {m.name: str(m.visible).endswith("Visible") and not str(m.visible).endswith("Hidden")
            for m in book.sheets_metadata}
    chosen = _choose_sheets(book.sheets_metadata)
    formula_gaps = _formulas_without_values(path, set(chosen.values()))
    for sheet in SHEETS:
        name = chosen.get(sheet.name)
        if name is None:
            if sheet.required:
                wb.findings.append(finding("E002", sheet=sheet.name))
            continue
        rows = _rows(book, name, sheet, wb.findings)
        if rows is None:
            continue
        if sheet.key_value:
            wb.return_sheet = _read_key_values(sheet, name, rows)
        else:
            frame = _read_table(sheet, name, rows, wb.findings)
            if frame is not None:
                frame.hidden = not meta.get(name, True)
                wb.sheets[sheet.name] = frame
        _report_formula_gaps(sheet, wb, formula_gaps.get(name, []))
    return wb


def read_column(path, sheet: Sheet, key: str) -> pd.Series:
    """One column of one sheet as typed values by Excel row, read exactly as `read_workbook`
    reads it (the DfE return needs the real SWE numbers, which the warehouse holds only hashed)."""
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    name = _choose_sheets(book.sheets_metadata).get(sheet.name)
    rows = _rows(book, name, sheet, []) if name else None
    found = _find_header(sheet, rows) if rows else None
    col = next((c for c, k in found[1].items() if k == key), None) if found else None
    if col is None:
        return pd.Series(dtype="string")
    body = rows[found[0] + 1:]
    index = pd.RangeIndex(found[0] + 2, found[0] + 2 + len(body), name="row")
    text = _column_text([r[col] if col < len(r) else "" for r in body], index)
    return parse.typed(text, sheet.column(key)).dropna()


def _choose_sheets(metadata) -> dict[str, str]:
    """Contract sheet name -> workbook sheet name; a visible sheet beats a hidden one of the same name."""
    chosen: dict[str, tuple[bool, str]] = {}
    for meta in metadata:
        if "WorkSheet" not in str(meta.typ):
            continue
        norm = normalise_header(meta.name)
        visible = str(meta.visible).endswith(".Visible")
        for sheet in SHEETS:
            names = [normalise_header(sheet.name)] + [normalise_header(a) for a in sheet.aliases]
            if norm in names:
                exact = norm == names[0]
                rank = (visible, exact)
                if sheet.name not in chosen or rank > chosen[sheet.name][0]:
                    chosen[sheet.name] = (rank, meta.name)
                break
    return {k: v[1] for k, v in chosen.items()}


def _rows(book, name: str, sheet: Sheet, findings: list[Finding]) -> list[list] | None:
    """All rows of a sheet from A1, with merged areas filled from their top-left cell."""
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
    return rows


def _find_header(sheet: Sheet, rows: list[list]) -> tuple[int, dict[int, str]] | None:
    """The row (0-based) under any title rows that matches most contract headers, and its mapping."""
    lookup = header_lookup(sheet)
    best: tuple[int, int, dict[int, str]] | None = None
    for r, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        mapping: dict[int, str] = {}
        for c, value in enumerate(row):
            key = lookup.get(normalise_header(value)) if value != "" else None
            if key and key not in mapping.values():
                mapping[c] = key
        if mapping and (best is None or len(mapping) > best[1]):
            best = (r, len(mapping), mapping)
    needed = 1 if len(sheet.columns) <= 3 else 2
    if best is None or best[1] < needed:
        return None
    return best[0], best[2]


def _read_table(sheet: Sheet, name: str, rows: list[list], findings: list[Finding]) -> SheetFrame | None:
    found = _find_header(sheet, rows)
    if found is None:
        findings.append(finding("E003", "no_header", sheet=sheet.name))
        return None
    header_idx, mapping = found
    header_cells = rows[header_idx]
    frame = SheetFrame(sheet, name, header_row=header_idx + 1)
    frame.positions = {key: (str(header_cells[c]).strip(), column_letter(c)) for c, key in mapping.items()}
    frame.extra_columns = [str(v).strip() for c, v in enumerate(header_cells) if v != "" and c not in mapping]
    for col in sheet.columns:
        if col.required and col.key not in frame.positions:
            findings.append(finding("E003", sheet=sheet.name, row=header_idx + 1, column=col.header))

    body = rows[header_idx + 1:]
    index = pd.RangeIndex(header_idx + 2, header_idx + 2 + len(body), name="row")
    raw = pd.DataFrame({mapping[c]: _column_text([row[c] if c < len(row) else "" for row in body], index)
                        for c in sorted(mapping)}, index=index)
    raw = raw[raw.notna().any(axis=1)]          # blank rows are skipped, row numbers kept
    if len(raw) > threshold("max_rows"):
        findings.append(finding("E006", "rows", sheet=sheet.name, limit=threshold("max_rows")))
        return None
    raw.index = pd.Index(raw.index.to_numpy(), name="row")
    raw = _drop_total_row(raw)
    frame.raw = raw
    frame.data = typed_frame(sheet, raw)
    return frame


def _column_text(values: list, index: pd.Index) -> pd.Series:
    """One column's cells as text; long text-only columns take a vectorised path."""
    if len(values) > 2000 and all(type(v) is str for v in values):
        text = pd.Series(values, index=index, dtype="string").str.strip()
        return text.mask(text == "")
    return pd.Series([parse.cell_text(v) for v in values], index=index, dtype="string")


def _drop_total_row(raw: pd.DataFrame) -> pd.DataFrame:
    """A 'Total' row pasted under the data is not a data row."""
    if raw.empty:
        return raw
    last = raw.iloc[-1]
    first_text = next((v for v in last if isinstance(v, str)), None)
    if first_text and normalise_header(first_text) in _TOTAL_WORDS:
        return raw.iloc[:-1]
    return raw


def _read_key_values(sheet: Sheet, name: str, rows: list[list]) -> ReturnSheet:
    """Keys in a column (usually A), each value in the first non-blank cell to its right."""
    lookup = header_lookup(sheet)
    out = ReturnSheet(name)
    for r, row in enumerate(rows[:200]):
        for c, value in enumerate(row[:5]):
            key = lookup.get(normalise_header(value)) if value != "" else None
            if key is None or key in out.raw:
                continue
            vc = next((j for j in range(c + 1, len(row)) if parse.cell_text(row[j]) is not None), c + 1)
            text = parse.cell_text(row[vc]) if vc < len(row) else None
            out.raw[key] = text
            out.cells[key] = (r + 1, f"{column_letter(vc)}{r + 1}")
            break
    for col in sheet.columns:
        raw = pd.Series([out.raw.get(col.key)], dtype="string")
        out.values[col.key] = parse.typed(raw, col).iloc[0]
    return out


# --- formulas Excel never calculated -------------------------------------------------------------

_FORMULA_RE = re.compile(rb"<f[ >/]")
_VALUE_RE = re.compile(rb"<v>[^<]")
_REF_RE = re.compile(rb'\br="([A-Z]+)([0-9]+)"')


def _formulas_without_values(path, names: set[str]) -> dict[str, list[tuple[str, int]]]:
    """Sheet name -> [(column letter, row)] of formula cells with no cached value.

    Calamine reads such a cell as blank; a person would expect the formula's result, so it is
    reported instead of being silently read as empty.
    """
    out: dict[str, list[tuple[str, int]]] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for name, part, _ in sheet_names_and_parts(zf):
                if name not in names or part is None:
                    continue
                data = zf.read(part)
                end = data.find(b"</sheetData>")
                for m in _FORMULA_RE.finditer(data, data.find(b"<sheetData"), end if end >= 0 else len(data)):
                    # Only cells holding a formula are looked at: the cell around this <f>.
                    start, stop = data.rfind(b"<c ", 0, m.start()), data.find(b"</c>", m.end())
                    cell = data[start:stop]
                    if not _VALUE_RE.search(cell) and b"<is>" not in cell:
                        ref = _REF_RE.search(cell, 0, cell.find(b">"))
                        if ref:
                            out.setdefault(name, []).append((ref.group(1).decode(), int(ref.group(2))))
    except (zipfile.BadZipFile, KeyError, OSError):
        return out
    return out


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
