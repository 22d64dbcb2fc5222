"""The guard's checked package handed to the reader: only for the very same file, and taken once."""
from pipeline.read import guard, handoff
from pipeline.read.workbook import read_workbook
from tests.workbooks import build_workbook


def test_the_reader_takes_the_guards_parts_only_for_the_same_file(tmp_path):
    def build(rate):
        def add(wb):
            ws = wb.create_sheet("Assignments")
            ws.append(["Assignment reference", "SWE registration number", "Hourly pay rate"])
            ws.append(["A1", "SW1", rate])
        return add
    path = build_workbook(tmp_path / "w.xlsx", build(30.0))
    assert guard.inspect_file(path) == []
    build_workbook(path, build(31.25))              # replaced after the guard, before the reader
    assert read_workbook(path).sheets["Assignments"].data["hourly_pay_rate"].tolist() == [31.25]
    assert guard.inspect_file(path) == []
    assert handoff.remembered(path) is not None     # kept for the reader of this very file ...
    assert handoff.remembered(path) is None         # ... and taken once
    assert guard.inspect_file(path) == []
    assert read_workbook(path).sheets["Assignments"].data["hourly_pay_rate"].tolist() == [31.25]
