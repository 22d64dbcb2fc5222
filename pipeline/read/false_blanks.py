"""Cells calamine reads as blank but are not: Excel error values (E112) and formulas never
calculated (their column's own code), reported on cells the return reads."""
from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.core.contract import Sheet
from pipeline.core.findings import finding
from pipeline.read.ooxml import ERROR_VALUES

if TYPE_CHECKING:
    from pipeline.read.workbook import SheetFrame, Workbook


def report_error_values(sheet: Sheet, wb: Workbook, frame: SheetFrame | None) -> None:
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
        wb.reported_cells.add((sheet.name, cell))


def report_formula_gaps(sheet: Sheet, wb: Workbook, cells: list[tuple[str, int]]) -> None:
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
        wb.reported_cells.add((sheet.name, ref))
