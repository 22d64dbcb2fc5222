"""The council's feedback workbook: their own data, failing cells highlighted with a comment each,
and a Findings sheet whose rows link to the cells (data-contract §4, `validate --report`)."""
from __future__ import annotations

import warnings
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.hyperlink import Hyperlink

from pipeline.findings import ERROR

FILLS = {"error": PatternFill("solid", fgColor="FFC7CE"), "query": PatternFill("solid", fgColor="FFEB9C"),
         "explained": PatternFill("solid", fgColor="E2EFDA")}
_HEADERS = ("Code", "Severity", "Explained", "Sheet", "Cell", "Column", "Value", "Message", "Note")


def text(cell, value) -> None:
    """Write a value as plain text, never as a formula (cells starting = + - @ stay text)."""
    cell.value = None if value is None else str(value)
    if cell.value is not None:
        cell.data_type = "s"


def write_report(result, source_path, out_path) -> Path:
    """Write the feedback workbook for one validated file."""
    out_path = Path(out_path)
    wb = _open_source(result, source_path)
    names = _sheet_names(result)
    ws = wb.create_sheet("Findings", 0)
    _summary(ws, result)
    ws.append([])
    ws.append(list(_HEADERS))
    for c in ws[3]:
        c.font = Font(bold=True)
    ws.freeze_panes = "A4"
    for f in result.findings:
        kind = "explained" if f.explained else f.severity
        target = wb[names[f.sheet]] if f.sheet in names and names[f.sheet] in wb.sheetnames else None
        if target is not None and f.cell:
            cell = target[f.cell]
            cell.fill = FILLS[kind]
            note = f"{f.code} ({f.severity}): {f.message}"
            cell.comment = Comment(note if cell.comment is None else f"{cell.comment.text}\n\n{note}", "agency-return",
                                   width=320, height=140)
        row = ws.max_row + 1
        values = (f.code, f.severity, "Yes" if f.explained else "", f.sheet, f.cell, f.column, f.value, f.message, f.note)
        for col, value in enumerate(values, start=1):
            text(ws.cell(row=row, column=col), value)
        ws.cell(row=row, column=1).fill = FILLS[kind]
        if target is not None:
            link = ws.cell(row=row, column=5 if f.cell else 4)
            quoted = target.title.replace("'", "''")
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{quoted}'!{f.cell or 'A1'}")
            link.font = Font(color="0563C1", underline="single")
    for letter, width in zip("ABCDEFGHI", (7, 9, 9, 14, 7, 24, 18, 90, 30)):
        ws.column_dimensions[letter].width = width
    wb.active = 0
    out_path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out_path)
    return out_path


def _open_source(result, source_path) -> Workbook:
    """The council's own workbook when it can be read; otherwise a new one (findings only)."""
    if result.submission is None:
        wb = Workbook()
        wb.remove(wb.active)
        return wb
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # openpyxl warns about data validation extensions it drops
        return load_workbook(source_path)


def _sheet_names(result) -> dict[str, str]:
    """Contract sheet name -> the sheet's name in the council's workbook."""
    if result.submission is None:
        return {}
    wb = result.submission.wb
    names = {name: frame.found_name for name, frame in wb.sheets.items()}
    if wb.return_sheet is not None:
        names["Return"] = wb.return_sheet.found_name
    return names


def _summary(ws, result) -> None:
    errors = sum(f.severity == ERROR for f in result.findings)
    text(ws["A1"], f"{Path(result.file).name}: {result.status.upper()} — {errors} errors, "
                   f"{result.queries_outstanding} queries outstanding. Click a cell reference to go to the cell; "
                   "errors are red, queries amber, explained queries green.")
    ws["A1"].font = Font(bold=True)
