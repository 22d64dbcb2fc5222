"""The row reader: merged areas filled down from their top-left cell."""
from pipeline.read.workbook import read_workbook
from tests.workbooks import build_workbook


def test_merged_cells_fill_down(tmp_path):
    def build(wb):
        ws = wb.create_sheet("Assignments")
        ws.append(["Assignment reference", "Agency", "SWE registration number"])
        ws.append(["A1", "Hays", "SW1"])
        ws.append(["A2", None, "SW2"])
        ws.merge_cells("B2:B3")
    wb = read_workbook(build_workbook(tmp_path / "mg.xlsx", build))
    assert wb.sheets["Assignments"].data["agency"].tolist() == ["Hays", "Hays"]
