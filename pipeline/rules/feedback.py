"""The council's feedback workbook: their own data, failing cells highlighted with a comment each,
and a Findings sheet whose rows link to the cells (data-contract §4, `validate --report`).

Bounded whatever the council sends: every text within Excel's 32,767 characters per cell and
comment; the council's external links and DDE formulas are not carried into the copy (formulas
that reach outside the workbook are kept as text); a Strict Open XML workbook is read by
translating its namespaces to Transitional in memory; a workbook too heavy to copy in reasonable
time and memory (thresholds feedback_max_*) gets a Findings-only workbook that says why.
"""
from __future__ import annotations

import io
import re
import textwrap
import warnings
import zipfile
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.hyperlink import Hyperlink

from pipeline.core.config import threshold
from pipeline.core.findings import ERROR, counts, display_order, plural

FILLS = {"error": PatternFill("solid", fgColor="FFC7CE"), "query": PatternFill("solid", fgColor="FFEB9C"),
         "explained": PatternFill("solid", fgColor="E2EFDA")}
SEVERITY_ORDER = ("error", "query", "explained")   # a cell with findings of several kinds takes the first's fill
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
# (header, width in characters, wrapped)
COLUMNS = (("Code", 7, False), ("Severity", 9, False), ("Explained", 10, False), ("Sheet", 15, False),
           ("Cell", 8, False), ("Column", 22, True), ("Value", 22, True), ("Message", 80, True), ("Note", 36, True))
EXCEL_TEXT_LIMIT = 32_767          # characters in a cell or a comment (Excel's specification and limits)
_TOP_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")
LINE_HEIGHT = 15                   # points per line of wrapped text
HEADER_ROW = 5

# Strict Open XML (ISO/IEC 29500 Strict) namespace -> its Transitional equivalent, longest first
STRICT_TO_TRANSITIONAL = (
    (b"http://purl.oclc.org/ooxml/officeDocument/relationships/extendedProperties",
     b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties"),
    (b"http://purl.oclc.org/ooxml/officeDocument/relationships/customProperties",
     b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"),
    (b"http://purl.oclc.org/ooxml/officeDocument/extendedProperties",
     b"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"),
    (b"http://purl.oclc.org/ooxml/officeDocument/customProperties",
     b"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"),
    (b"http://purl.oclc.org/ooxml/officeDocument/docPropsVTypes",
     b"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"),
    (b"http://purl.oclc.org/ooxml/officeDocument/relationships",
     b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"),
    (b"http://purl.oclc.org/ooxml/spreadsheetml/main", b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"),
    (b"http://purl.oclc.org/ooxml/drawingml/spreadsheetDrawing",
     b"http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"),
    (b"http://purl.oclc.org/ooxml/drawingml/chart", b"http://schemas.openxmlformats.org/drawingml/2006/chart"),
    (b"http://purl.oclc.org/ooxml/drawingml/main", b"http://schemas.openxmlformats.org/drawingml/2006/main"),
)
_STRICT = b"http://purl.oclc.org/ooxml/"
# a formula that reaches outside the workbook: an external workbook [1]Sheet!A1 / '[book.xlsx]Sheet'!A1,
# or DDE: application|'topic'!item (=cmd|' /C calc'!A0)
_OUTSIDE = re.compile(r"\[(?:\d+|[^\]]*\.xl\w*)\][^!]*!|[A-Za-z0-9_.]+\|'?[^'!]*'?!", re.IGNORECASE)


def bounded(value, limit: int = EXCEL_TEXT_LIMIT) -> str | None:
    """Text cut to fit an Excel cell or comment (32,767 characters), saying so when cut."""
    if value is None:
        return None
    value = str(value)
    if len(value) <= limit:
        return value
    tail = f" … ({len(value) - limit + 60:,} characters cut)"
    return value[:limit - len(tail)] + tail


def text(cell, value) -> None:
    """Write a value as plain text, never as a formula (cells starting = + - @ stay text)."""
    cell.value = bounded(value)
    if cell.value is not None:
        cell.data_type = "s"


def write_report(result, source_path, out_path) -> Path:
    """Write the feedback workbook for one validated file; returns `out_path`."""
    out_path = Path(out_path)
    wb, why_not = _open_source(result, source_path)
    names = _sheet_names(result) if why_not is None else {}
    ws = wb.create_sheet("Findings", 0)
    _summary(ws, result, why_not)
    notes: dict[tuple[str, str], list[str]] = {}
    fills: dict[tuple[str, str], str] = {}   # a cell's colour: its most serious finding's
    _findings_table(ws, result.findings, wb, names, notes, fills)
    if result.agreement:   # a regional agreement's findings (R7xx): their own sheet, no colour or comment on cells
        apart = wb.create_sheet("Regional agreement", 1)
        text(apart["A1"], f"Your region's agreement: {plural(len(result.agreement), 'query', 'queries')}")
        apart["A1"].font = Font(bold=True, size=13)
        text(apart["A2"], "These come from the agreement your region's councils made together (beyond DfE's agency "
                          "rules): they are not counted in the return's errors or queries and never stop it being "
                          "accepted. Explain one in the row's Notes, as for a query.")
        _findings_table(apart, result.agreement, wb, names, {}, {})
    for (sheet, ref), kind in fills.items():
        wb[sheet][ref].fill = FILLS[kind]
    for (sheet, ref), texts in notes.items():
        cell = wb[sheet][ref]
        if cell.comment is not None:
            texts = [cell.comment.text, *texts]
        cell.comment = Comment(_comment_text(texts), "agency-return", width=360, height=160)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    wb.active = 0
    for other in wb.worksheets[1:]:
        other.sheet_view.tabSelected = False
    out_path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out_path)
    return out_path


def _findings_table(ws, findings, wb: Workbook, names: dict[str, str], notes: dict, fills: dict) -> None:
    """The findings as a table under HEADER_ROW on `ws`, each linked to its cell; `notes` and `fills`
    gather each cell's comment texts and colour (pass throwaway dicts to leave the cells as they are)."""
    for col, (header, width, _) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=HEADER_ROW, column=col)
        text(cell, header)
        cell.font, cell.fill, cell.alignment = Font(bold=True), HEAD_FILL, _TOP
        ws.column_dimensions[cell.column_letter].width = width
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    row = ws.max_row   # counted here: openpyxl's max_row looks at every cell, each time it is asked
    for f in display_order(findings):
        kind = "explained" if f.explained else f.severity
        target = wb[names[f.sheet]] if f.sheet in names and names[f.sheet] in wb.sheetnames else None
        if target is not None and f.cell:
            held = fills.get((target.title, f.cell))
            if held is None or SEVERITY_ORDER.index(kind) < SEVERITY_ORDER.index(held):
                fills[(target.title, f.cell)] = kind
            notes.setdefault((target.title, f.cell), []).append(f"{f.code} ({f.severity}): {f.message}")
        row += 1
        values = (f.code, f.severity, "Yes" if f.explained else "", f.sheet, f.cell, f.column, f.value, f.message, f.note)
        lines = 1
        for col, (value, (_, width, wrap)) in enumerate(zip(values, COLUMNS), start=1):
            cell = ws.cell(row=row, column=col)
            text(cell, value)
            cell.alignment = _TOP_WRAP if wrap else _TOP
            if wrap and cell.value:
                lines = max(lines, _lines(cell.value, width))
        ws.row_dimensions[row].height = LINE_HEIGHT * min(lines, 30)
        ws.cell(row=row, column=1).fill = FILLS[kind]
        if target is not None:
            link = ws.cell(row=row, column=5 if f.cell else 4)
            quoted = target.title.replace("'", "''")
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{quoted}'!{f.cell or 'A1'}")
            link.font = Font(color="0563C1", underline="single")
    ws.auto_filter.ref = f"A{HEADER_ROW}:I{max(ws.max_row, HEADER_ROW + 1)}"


def _lines(value: str, width: int) -> int:
    usable = max(int(width * 1.1) - 2, 4)   # widths count '0's; running text is a little narrower
    return sum(len(textwrap.wrap(part, usable)) or 1 for part in str(value).splitlines() or [""])


def _comment_text(texts: list[str]) -> str:
    """The findings on one cell as one comment, within Excel's limit: later findings are counted,
    not cut mid-sentence, when they do not fit."""
    shown, size = [], 0
    for i, t in enumerate(texts):
        t = bounded(t, EXCEL_TEXT_LIMIT - 200)
        if size + len(t) + 2 > EXCEL_TEXT_LIMIT - 200:
            shown.append(f"… and {len(texts) - i} more: see the Findings sheet.")
            break
        shown.append(t)
        size += len(t) + 2
    return "\n\n".join(shown)


def _open_source(result, source_path) -> tuple[Workbook, str | None]:
    """The council's own workbook when it can be copied, else a new one and the reason why not."""
    if result.submission is None:
        wb = Workbook()
        wb.remove(wb.active)
        return wb, None
    try:
        data = Path(source_path).read_bytes()
        heavy = too_heavy(data)
        if heavy is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")   # openpyxl warns about data validation extensions it drops
                wb = load_workbook(io.BytesIO(_transitional(data)), keep_links=False)
            _neutralise_outside_formulas(wb, cells=_formulas_may_reach_outside(data))
            return wb, None
        why = heavy
    except Exception as exc:   # a file validation could read but openpyxl cannot: the findings still go back
        why = f"your workbook could not be copied into this feedback ({type(exc).__name__})"
    wb = Workbook()
    wb.remove(wb.active)
    return wb, why


def too_heavy(data: bytes) -> str | None:
    """Why a workbook is too heavy to copy into the feedback (sheets, shared strings, unpacked size
    over the thresholds feedback_max_*), or None. Reads only the zip directory and the first bytes
    of the shared strings part."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        infos = z.infolist()
        sheets = sum(1 for i in infos if "/worksheets/" in i.filename.replace("\\", "/") and i.filename.endswith(".xml"))
        unpacked = sum(i.file_size for i in infos)
        strings = 0
        sst = next((i for i in infos if i.filename.lower().replace("\\", "/").endswith("sharedstrings.xml")), None)
        if sst is not None:
            with z.open(sst) as fh:
                head = fh.read(2048)
            m = re.search(rb'uniqueCount="(\d+)"', head) or re.search(rb'count="(\d+)"', head)
            strings = int(m.group(1)) if m else 0
    limits = (("sheets", sheets, threshold("feedback_max_sheets")),
              ("distinct texts", strings, threshold("feedback_max_shared_strings")),
              ("MB unpacked", unpacked // 1_000_000, threshold("feedback_max_unpacked_mb")))
    over = [f"{n:,} {what} (limit {limit:,})" for what, n, limit in limits if n > limit]
    if not over:
        return None
    return f"your workbook is too large to copy into this feedback ({', '.join(over)})"


def _transitional(data: bytes) -> bytes:
    """A Strict Open XML package rewritten with Transitional namespaces (what openpyxl reads); any
    other package unchanged."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        probe = next((n for n in names if n.lower().replace("\\", "/").endswith("_rels/.rels")), None)
        if probe is None or _STRICT not in z.read(probe):
            return data
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as w:
            for info in z.infolist():
                part = z.read(info)
                if info.filename.endswith((".xml", ".rels", ".vml")):
                    for strict, transitional in STRICT_TO_TRANSITIONAL:
                        part = part.replace(strict, transitional)
                    part = part.replace(b' conformance="strict"', b"")
                w.writestr(info, part)
    return out.getvalue()


_FORMULA_OUTSIDE = re.compile(rb"<(?:\w+:)?f\b[^>]*>[^<]*[\[|]")


def _formulas_may_reach_outside(data: bytes) -> bool:
    """Whether any worksheet holds a formula with '[' or '|' (a cheap look at the XML, so that
    ordinary workbooks are not walked cell by cell)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return any(_FORMULA_OUTSIDE.search(z.read(i)) for i in z.infolist()
                   if "/worksheets/" in i.filename.replace("\\", "/") and i.filename.endswith(".xml"))


def _neutralise_outside_formulas(wb: Workbook, *, cells: bool) -> None:
    """Formulas that reach outside the workbook (external workbooks, DDE) kept as text (cells
    walked only when `cells`), and defined names that do so dropped, so opening the feedback
    never calls out."""
    for ws in wb.worksheets if cells else ():
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f" and isinstance(cell.value, str) and _OUTSIDE.search(cell.value):
                    text(cell, cell.value)
    for names in (wb.defined_names, *(ws.defined_names for ws in wb.worksheets)):
        for name in [n for n, d in names.items() if _OUTSIDE.search(d.value or "")]:
            del names[name]


def _sheet_names(result) -> dict[str, str]:
    """Contract sheet name -> the sheet's name in the council's workbook."""
    if result.submission is None:
        return {}
    wb = result.submission.wb
    names = {name: frame.found_name for name, frame in wb.sheets.items()}
    if wb.return_sheet is not None:
        names["Return"] = wb.return_sheet.found_name
    return names


def _summary(ws, result, why_not: str | None) -> None:
    errors = sum(f.severity == ERROR for f in result.findings)
    text(ws["A1"], f"{Path(result.file).name}: {result.status.upper()} — "
                   f"{counts(errors, result.queries, result.queries_outstanding)}")
    ws["A1"].font = Font(bold=True, size=13)
    text(ws["A2"], "Click a cell reference to go to the cell. Errors are red and must be fixed; queries are amber "
                   "until the row's Notes explain them (then green).")
    if why_not:
        text(ws["A3"], f"Only the findings are here: {why_not}. Each finding names the sheet and cell; open your "
                       "own file beside this one to find them.")
        ws["A3"].font = Font(bold=True, color="9C0006")
