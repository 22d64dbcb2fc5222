"""The blank upload workbook (data-contract §2), written from contract.SHEETS with xlsxwriter.

Dropdowns, notes and formats come from the contract, so the template cannot drift from what the
reader accepts. `write_workbook` also writes a filled workbook: the sample generator fills the
template exactly as a council would.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter

from pipeline.core import calendar, reference, rulesets
from pipeline.core.config import threshold
from pipeline.core.contract import (
    CHOICE,
    COMPLIANCE,
    DATE,
    LA_CODE,
    MONEY,
    MONTH,
    MONTHLY_COSTS,
    REFERENCES,
    RETURN,
    SHEETS,
    Column,
    Quarter,
    Sheet,
    column_letter,
)
from pipeline.read.parse import display_date

MAX_ROW = 5000                  # dropdowns and formats reach this Excel row
INLINE_LIST_LIMIT = 255         # Excel's limit on an inline list's text
LISTS = "Lists"
REFERENCE_COUNTS = tuple(str(n) for n in range(6))   # 'Reference obtained' dropdown: Yes, No, 0–5
FORMATS = {MONEY: "£#,##0.00", DATE: "dd/mm/yyyy", MONTH: "mmm yyyy", LA_CODE: "@"}  # codes as text: 812 matches "812"

INSTRUCTIONS = (
    ("How to fill it in", (
        "One workbook per local authority per quarter. Quarters are calendar quarters written YYYY-Qn "
        "(2025-Q1 is January to March).",
        "Return: your LA code, the quarter and who prepared the return. Assignments: one row per agency "
        "assignment active at any time in the quarter, including workers in project teams and packaged models.",
        "Keep the sheet names and the header row of each sheet. You may add columns (they are kept and ignored) "
        "and paste MSP or agency extracts under the headers.",
        "Dates as dd/mm/yyyy. Money in £ (per hour for rates). Leave a cell blank when it does not apply.",
        "Hover over a header to read its note. Cells with a dropdown only accept the listed values.",
    )),
    ("The checks", (
        "Errors (codes E...) must be corrected before the return is accepted: for example a missing or duplicated "
        "assignment reference, an SWE number that is not SW followed by digits, a role category outside the five, "
        "an end date before the start date, totals that do not add up.",
        "Queries (codes Q...) do not block acceptance but stay outstanding until explained: write the explanation "
        "in the Notes column of that assignment's row.",
        "Price caps: the cap-basis rate is hourly pay rate + holiday pay + employer NI + apprenticeship levy "
        "(agency and MSP fees are outside the cap), compared with your region's cap for the role category on the "
        "assignment's start date; an assignment still running on {existing} is held to the cap in force then. "
        "PAYE and umbrella rows fill in holiday pay and employer NI; a limited-company rate is all-in. "
        "A breach needs the approval of the DCS and/or Chief Executive and is reported to your RIIA "
        "('Cap reported to RIIA'). Cap table: {caps}.",
        "Notice periods: at least 4 weeks, or the notice of a permanent social worker in the equivalent role where "
        "that is shorter (enter it in 'Permanent notice weeks'). A longer notice is fine.",
        "References: enter the number of practice-based references obtained (at least {references}), or Yes when "
        "the minimum was met. A blank cell means not recorded and is queried.",
        "Post-qualifying experience (PQE years): years in direct employment by a UK local authority; the ASYE "
        "counts, agency time does not.",
        "Cool-off: a worker who left a permanent post at an LA in your region (including yours: list your own "
        "leavers on the Leavers sheet) less than 3 months before starting needs an exception. 'Different region' "
        "does not excuse a move within your region; 'Unknown' is queried as not checked.",
        "Do not type SWE numbers in Notes or other free text: they are removed before the return is stored.",
    )),
)
INSTRUCTION_CHARS_PER_LINE = 110   # what a 120-wide column shows per line in Excel and LibreOffice
LINE_HEIGHT = 15                   # points per line of 11-point text


def write_template(path: str | Path, quarter: Quarter | None = None, la_code: str | None = None) -> Path:
    """Write the blank upload workbook; with a quarter/LA code, those cells are pre-filled."""
    return write_workbook(path, quarter, la_code)


def write_workbook(path: str | Path, quarter: Quarter | None = None, la_code: str | None = None, *,
                   values: dict[str, object] | None = None, rows: dict[str, list[dict]] | None = None,
                   created: dt.datetime | None = None) -> Path:
    """The template, optionally filled: `values` for Return (by column key), `rows` per table sheet.

    `created` fixes the document date so the same content gives the same bytes.
    """
    with rulesets.using(rulesets.for_quarter(quarter)):   # the Instructions quote that quarter's thresholds
        return _write_workbook(Path(path), quarter, la_code, values, rows, created)


def _write_workbook(path: Path, quarter, la_code, values, rows, created) -> Path:
    lives = reference.live_las(quarter or Quarter.containing(calendar.today()))   # the LAs live today in England
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"title": "Agency child and family social workers: quarterly return",
                       "created": created or dt.datetime.now()})
    fmt = _formats(wb)
    lists = _Lists()
    _instructions(wb.add_worksheet("Instructions"), fmt)
    for sheet in SHEETS:
        ws = wb.add_worksheet(sheet.name)
        if sheet.key_value:
            _return_sheet(ws, fmt, lists, quarter, la_code, lives, values or {})
        else:
            _table_sheet(ws, sheet, fmt, lists, (rows or {}).get(sheet.name, _prefill(sheet, quarter)))
    lists.write(wb)
    wb.close()
    return path


def _formats(wb) -> dict:
    fmt = {kind: wb.add_format({"num_format": code}) for kind, code in FORMATS.items()}
    # Headers stay on one row (the column is as wide as its header); the explanation is the cell note.
    fmt["header"] = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "valign": "top"})
    fmt["title"] = wb.add_format({"bold": True, "font_size": 14})
    fmt["bold"] = wb.add_format({"bold": True})
    fmt["wrap"] = wb.add_format({"text_wrap": True, "valign": "top"})
    return fmt


class _Lists:
    """The hidden Lists sheet, written last: one column per dropdown list too long to write inline."""

    def __init__(self):
        self.columns: list[tuple[str, list[str]]] = []
        self.ranges: dict[tuple, str] = {}

    def add(self, header: str, values: list[str], beside: list[str] | None = None) -> str:
        """Queue a list (and an optional description column beside it); return its absolute range."""
        key = tuple(values)
        if key not in self.ranges:
            letter = column_letter(len(self.columns))
            self.columns.append((header, values))
            if beside is not None:
                self.columns.append((f"{header} (name)", beside))
            self.ranges[key] = f"={LISTS}!${letter}$2:${letter}${len(values) + 1}"
        return self.ranges[key]

    def write(self, wb) -> None:
        ws = wb.add_worksheet(LISTS)
        for col, (header, values) in enumerate(self.columns):
            ws.write_string(0, col, header)
            for row, value in enumerate(values, start=1):
                ws.write_string(row, col, value)
        ws.hide()


def _dropdown(ws, lists: _Lists, first_row: int, last_row: int, col: int, header: str, choices, beside=None) -> None:
    choices = list(choices)
    source = choices if beside is None and len(",".join(choices)) <= INLINE_LIST_LIMIT else lists.add(header, choices, beside)
    ws.data_validation(first_row, col, last_row, col, {
        "validate": "list", "source": source,
        "error_title": header[:32], "error_message": f"Choose a value from the list for {header}."})


def _instructions(ws, fmt) -> None:
    """One paragraph per row, each row as tall as its wrapped text, so no row overprints the next
    (neither Excel nor LibreOffice grows a row for wrapped text written by a library)."""
    ws.set_column(0, 0, 120, fmt["wrap"])
    ws.fit_to_pages(1, 0)   # printed (and rendered by LibreOffice) as wide as one page, as long as it takes
    ws.set_row(0, 24)
    ws.write(0, 0, "Agency child and family social workers: quarterly return to DfE", fmt["title"])
    row = 1
    sections = INSTRUCTIONS + (("The sheets", tuple(
        f"{s.name} ({'required' if s.required else 'optional'}): {s.purpose}" for s in SHEETS)),)
    fill = {"caps": reference.cap_table().version, "existing": display_date(threshold("caps_apply_to_existing_from")),
            "references": threshold("min_references")}
    for title, lines in sections:
        row += 1
        ws.write(row, 0, title, fmt["bold"])
        for line in lines:
            row += 1
            text = line.format(**fill)
            ws.set_row(row, LINE_HEIGHT * -(-len(text) // INSTRUCTION_CHARS_PER_LINE) + 3)
            ws.write_string(row, 0, text, fmt["wrap"])
        row += 1


def _return_sheet(ws, fmt, lists, quarter, la_code, lives, values) -> None:
    ws.set_column(0, 0, 22, fmt["bold"])
    ws.set_column(1, 1, 40)
    la = next((x for x in lives if x.code == la_code), None)
    defaults = {"la_code": la_code, "la_name": la.name if la else None, "quarter": str(quarter) if quarter else None}
    for row, col in enumerate(RETURN.columns):
        ws.write(row, 0, col.header, fmt["header"])
        ws.write_comment(row, 0, header_note(col))
        value = values.get(col.key, defaults.get(col.key))
        if value is not None:
            _write(ws, row, 1, value, fmt.get(col.kind))
        elif col.kind in FORMATS:
            ws.write_blank(row, 1, None, fmt[col.kind])
        if col.kind == LA_CODE:
            _dropdown(ws, lists, row, row, 1, col.header, [x.code for x in lives], [x.name for x in lives])


def _table_sheet(ws, sheet: Sheet, fmt, lists, rows: list[dict]) -> None:
    ws.freeze_panes(1, 0)
    for i, col in enumerate(sheet.columns):
        ws.set_column(i, i, column_width(col), fmt.get(col.kind))
        ws.write(0, i, col.header, fmt["header"])
        ws.write_comment(0, i, header_note(col), {"x_scale": 2, "y_scale": 2})
        if col.kind == CHOICE:
            _dropdown(ws, lists, 1, MAX_ROW - 1, i, col.header, col.choices)
        elif col.kind == REFERENCES:
            _dropdown(ws, lists, 1, MAX_ROW - 1, i, col.header, (*col.choices, *REFERENCE_COUNTS))
    for r, row in enumerate(rows, start=1):
        for i, col in enumerate(sheet.columns):
            value = row.get(col.key)
            if value is not None and value != "":
                _write(ws, r, i, value, fmt.get(col.kind))


def column_width(col: Column) -> int:
    """Wide enough for the header on one line (characters)."""
    return max(col.width, len(col.header) + 3)


def header_note(col: Column) -> str:
    """The column's note; for columns the contract gives none, what it requires."""
    if col.note:
        return col.note
    need = "Required." if col.required else "Optional."
    return f"{need} One of: {', '.join(col.choices)}." if col.choices else need


def _write(ws, row: int, col: int, value, cell_format=None) -> None:
    """Dates as dates; text as text even when it looks like a formula (data-contract §5)."""
    if isinstance(value, dt.date):
        ws.write_datetime(row, col, dt.datetime(value.year, value.month, value.day), cell_format)
    elif isinstance(value, str):
        ws.write_string(row, col, value, cell_format)
    else:
        ws.write(row, col, value, cell_format)


def _prefill(sheet: Sheet, quarter: Quarter | None) -> list[dict]:
    if sheet is COMPLIANCE:
        return [{"rule": rule} for rule in COMPLIANCE.column("rule").choices]
    if sheet is MONTHLY_COSTS and quarter:
        return [{"month": m} for m in quarter.months]
    return []
