"""The feedback workbook: readable Findings, bounded by Excel's limits, nothing that calls out, a
Findings-only workbook for heavy files, and Strict Open XML workbooks copied like any other."""
import io
import zipfile

import openpyxl
import pytest

from pipeline.rules import feedback
from pipeline.rules.validate import validate_file
from tests.workbooks import make_workbook, set_cell, valid_sheets


def _feedback(tmp_path, sheets, name="f.xlsx", *, edit=None):
    path = make_workbook(tmp_path / name, sheets)
    if edit:
        edit(path)
    out = feedback.write_report(validate_file(path, "2025-Q2"), path, tmp_path / f"fb_{name}")
    return path, openpyxl.load_workbook(out), out


def _strict(path):
    """Rewrite a Transitional package as Strict Open XML (what Excel's 'Strict Open XML Spreadsheet' saves)."""
    data = path.read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as z, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as w:
        for info in z.infolist():
            part = z.read(info)
            if info.filename.endswith((".xml", ".rels")):
                for strict, transitional in feedback.STRICT_TO_TRANSITIONAL:
                    part = part.replace(transitional, strict)
                part = part.replace(b"<workbook ", b'<workbook conformance="strict" ', 1)
            w.writestr(info, part)
    path.write_bytes(out.getvalue())


def test_findings_are_wrapped_and_readable(tmp_path):
    sheets = valid_sheets()
    set_cell(sheets, "Assignments", 3, "Payment route", "Cash")
    _, wb, _ = _feedback(tmp_path, sheets)
    ws = wb["Findings"]
    header = [c.value for c in ws[feedback.HEADER_ROW]]
    assert header == [h for h, _, _ in feedback.COLUMNS]
    message = ws.cell(row=feedback.HEADER_ROW + 1, column=header.index("Message") + 1)
    assert message.alignment.wrap_text and ws.column_dimensions[message.column_letter].width >= 60
    assert ws.cell(row=feedback.HEADER_ROW + 1, column=header.index("Note") + 1).alignment.wrap_text
    assert ws.freeze_panes == f"A{feedback.HEADER_ROW + 1}" and ws.auto_filter.ref
    assert ws.page_setup.orientation == "landscape"


def test_file_level_findings_come_first(tmp_path):
    sheets = valid_sheets()
    set_cell(sheets, "Assignments", 3, "Payment route", "Cash")
    set_cell(sheets, "Return", 0, "Quarter", None)
    _, wb, _ = _feedback(tmp_path, sheets)
    codes = [c.value for c in wb["Findings"]["A"][feedback.HEADER_ROW:]]
    assert codes[0] == "E005" and "E109" in codes


def test_texts_and_comments_stay_within_excel_limits(tmp_path):
    sheets = valid_sheets()
    set_cell(sheets, "Assignments", 3, "Payment route", "Cash " * 8000)     # 40,000 characters
    _, wb, _ = _feedback(tmp_path, sheets)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(len(c.value) <= feedback.EXCEL_TEXT_LIMIT for c in cells)
    comments = [c.comment.text for row in wb["Assignments"].iter_rows() for c in row if c.comment]
    assert comments and all(len(t) <= feedback.EXCEL_TEXT_LIMIT for t in comments)
    assert feedback.bounded("x" * 40_000).endswith("characters cut)")


def test_external_links_and_dde_are_not_carried_into_the_feedback(tmp_path):
    def add_outside_formulas(path):
        wb = openpyxl.load_workbook(path)
        extra = wb.create_sheet("Workings")
        extra["A1"] = "=cmd|' /C calc'!A0"
        extra["A2"] = "=[1]Rates!B2"
        extra["A3"] = "=SUM(1,2)"
        wb.defined_names["Outside"] = openpyxl.workbook.defined_name.DefinedName("Outside", attr_text="'[2]Caps'!$A$1")
        wb.save(path)
    _, wb, out = _feedback(tmp_path, valid_sheets(), edit=add_outside_formulas)
    ws = wb["Workings"]
    assert ws["A1"].data_type == "s" and ws["A2"].data_type == "s"       # kept as text, never run
    assert ws["A3"].data_type == "f"                                      # the council's own formulas stay
    assert "Outside" not in wb.defined_names
    with zipfile.ZipFile(out) as z:
        assert not [n for n in z.namelist() if "externalLink" in n]


def test_a_heavy_workbook_gets_findings_only_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(feedback, "threshold", lambda name: {"feedback_max_sheets": 20}.get(name, 10**9))

    def many_sheets(path):
        wb = openpyxl.load_workbook(path)
        for i in range(25):
            wb.create_sheet(f"Extra {i}")
        wb.save(path)
    sheets = valid_sheets()
    set_cell(sheets, "Assignments", 3, "Payment route", "Cash")
    _, wb, _ = _feedback(tmp_path, sheets, edit=many_sheets)
    assert wb.sheetnames == ["Findings"]
    ws = wb["Findings"]
    assert "too large" in ws["A3"].value and "sheets" in ws["A3"].value
    assert "E109" in [c.value for c in ws["A"]]


def test_weight_is_judged_from_the_package_directory(tmp_path):
    path = make_workbook(tmp_path / "w.xlsx", valid_sheets())
    assert feedback.too_heavy(path.read_bytes()) is None
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as w:
        for i in range(9_000):
            w.writestr(f"xl/worksheets/sheet{i + 1}.xml", "<worksheet/>")
    assert "9,000 sheets" in feedback.too_heavy(data.getvalue())


@pytest.mark.parametrize("broken_cell", ["H3"])
def test_a_strict_open_xml_workbook_gets_its_own_sheets_marked_and_linked(tmp_path, broken_cell):
    sheets = valid_sheets()
    set_cell(sheets, "Assignments", 3, "Payment route", "Cash")
    path = make_workbook(tmp_path / "strict.xlsx", sheets)
    _strict(path)
    with zipfile.ZipFile(path) as z:
        assert b"purl.oclc.org/ooxml/spreadsheetml/main" in z.read("xl/workbook.xml")
    result = validate_file(path, "2025-Q2")
    assert "E109" in {f.code for f in result.findings}
    out = feedback.write_report(result, path, tmp_path / "fb.xlsx")
    wb = openpyxl.load_workbook(out)
    assert {"Findings", "Assignments", "Return", "MonthlyCosts"} <= set(wb.sheetnames)
    cell = wb["Assignments"][broken_cell]
    assert cell.value == "Cash" and cell.fill.fgColor.rgb.endswith("FFC7CE") and cell.comment is not None
    links = {c.value: c.hyperlink.location for c in wb["Findings"]["E"] if c.hyperlink is not None}
    assert links[broken_cell] == f"'Assignments'!{broken_cell}"


def test_600k_shared_strings_give_a_quick_findings_only_feedback(tmp_path):
    """Issue 14 item 13: a legal but heavy workbook validated in 1.5 s but took 60 s and 490 MB to answer."""
    import time
    sheets = valid_sheets()
    set_cell(sheets, "Assignments", 3, "Payment route", "Cash")
    path = make_workbook(tmp_path / "heavy.xlsx", sheets)
    strings = b"".join(b"<si><t>s%d</t></si>" % i for i in range(600_000))
    sst = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/'
           b'spreadsheetml/2006/main" count="600000" uniqueCount="600000">' + strings + b"</sst>")
    data = io.BytesIO()
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as w:
        for info in z.infolist():
            part = z.read(info)
            if info.filename == "xl/_rels/workbook.xml.rels":
                part = part.replace(b"</Relationships>", b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/'
                                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                                    b"</Relationships>")
            elif info.filename == "[Content_Types].xml":
                part = part.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            w.writestr(info, part)
        w.writestr("xl/sharedStrings.xml", sst)
    path.write_bytes(data.getvalue())
    result = validate_file(path, "2025-Q2")
    assert "E109" in {f.code for f in result.findings}
    started = time.perf_counter()
    out = feedback.write_report(result, path, tmp_path / "fb.xlsx")
    assert time.perf_counter() - started < 5
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Findings"] and "distinct texts" in wb["Findings"]["A3"].value
    assert "E109" in [c.value for c in wb["Findings"]["A"]]


def test_a_cell_with_an_error_and_a_query_is_coloured_as_an_error(tmp_path):
    """A cell's colour is its most serious finding's: a negative pay rate is an error (E107) and a query
    (Q508) on the same cell, and it is red whichever finding comes last; a query alone is amber."""
    sheets = valid_sheets()
    both = set_cell(sheets, "Assignments", 3, "Hourly pay rate", -35)
    query = set_cell(sheets, "Assignments", 4, "Hours per week", 50)
    _, wb, _ = _feedback(tmp_path, sheets)
    ws = wb["Assignments"]
    codes = {r[0].value for r in wb["Findings"].iter_rows(min_row=feedback.HEADER_ROW + 1) if r[4].value == both}
    assert {"E107", "Q508"} <= codes
    assert ws[both].fill.fgColor.rgb.endswith("FFC7CE")
    assert ws[query].fill.fgColor.rgb.endswith("FFEB9C")


def test_a_regional_agreements_findings_have_their_own_sheet_and_leave_the_cells_alone(tmp_path):
    from pipeline.core.contract import Quarter
    sheets = valid_sheets(Quarter(2026, 4), "926")   # Norfolk, East of England: no self-employed (protocol 13)
    set_cell(sheets, "Return", 0, "LA name", "Norfolk")
    set_cell(sheets, "Assignments", 3, "Payment route", "Self-employed")
    source = make_workbook(tmp_path / "926.xlsx", sheets)
    result = validate_file(source)
    assert [f.code for f in result.agreement] == ["R702"] and result.status == "accepted"
    wb = openpyxl.load_workbook(feedback.write_report(result, source, tmp_path / "feedback.xlsx"))
    assert wb.sheetnames[:2] == ["Findings", "Regional agreement"]
    apart = wb["Regional agreement"]
    rows = [r for r in apart.iter_rows(min_row=feedback.HEADER_ROW + 1, values_only=True) if r[0]]
    assert [(r[0], r[4]) for r in rows] == [("R702", "H3")]
    assert "R702" not in [c.value for c in wb["Findings"]["A"]]
    assert wb["Assignments"]["H3"].comment is None
