"""The reader on workbooks a person could have made in Excel: which sheet is read, the Return sheet."""
from pathlib import Path

import pandas as pd
import pytest

from pipeline.read.workbook import read_workbook
from tests.workbooks import build_workbook


def test_visible_sheet_preferred_over_hidden_copy(tmp_path):
    def build(wb):
        old = wb.create_sheet("Assignments (old)")
        old.sheet_state = "hidden"
        hidden = wb.create_sheet("Assignments")
        hidden.sheet_state = "hidden"
        hidden.append(["Assignment reference", "SWE registration number"])
        hidden.append(["OLD", "SW1"])
        visible = wb.create_sheet("Agency assignments")
        visible.append(["Assignment reference", "SWE registration number"])
        visible.append(["NEW", "SW2"])
    wb = read_workbook(build_workbook(tmp_path / "h.xlsx", build))
    assert wb.sheets["Assignments"].data["assignment_ref"].tolist() == ["NEW"]


def test_return_sheet_key_values(tmp_path):
    def build(wb):
        ws = wb.create_sheet("Return")
        ws.append(["Quarterly return on agency social workers"])
        ws.append(["LA Code:", None, 812.0])
        ws.append(["quarter", "2025-q2"])
    wb = read_workbook(build_workbook(tmp_path / "r.xlsx", build))
    ret = wb.return_sheet
    assert ret.values["la_code"] == "812"
    assert ret.cells["la_code"] == (2, "C2")
    assert ret.values["quarter"] == "2025-Q2"


@pytest.mark.parametrize("folder, strings", [("data", "text/strings.xml"), ("xl", "strings/sst.xml"),
                                             ("content", "sharedStrings.xml")])
def test_parts_under_any_folder_are_found_through_the_relationships(tmp_path, folder, strings):
    """Sheets, shared strings and styles wherever the package keeps them (an exporter's own folder,
    shared strings under another name): read as the plain package is, never a false E001."""
    from pipeline.rules.validate import validate_file
    from tests import packages
    plain = Path(__file__).resolve().parents[2] / "sample_data" / "205_2025-Q2.xlsx"
    moved = packages.moved_folder(plain, tmp_path / "moved.xlsx", folder, strings)
    a, b = validate_file(plain), validate_file(moved)
    assert (b.status, [(f.code, f.cell) for f in b.findings]) == (a.status, [(f.code, f.cell) for f in a.findings])
    pd.testing.assert_frame_equal(a.submission.wb.sheets["Assignments"].data, b.submission.wb.sheets["Assignments"].data)
