"""The valid return of tests/workbooks.py validated with a few cells edited, and what it raised.

The return is Newham (316, London), 2025-Q2 unless a test says otherwise; Assignments rows 2–4 are
A001 (Social worker, started 20/02/2025), A002 (Senior social worker, 11/04/2025–10/06/2025) and
A003 (project team PT1, ProjectTeams row 2); Compliance rows 2–8 in contract order.
"""
from __future__ import annotations

import datetime as dt

from pipeline.core.contract import LEAVERS, Quarter
from pipeline.rules.validate import Result, validate_file
from tests.workbooks import make_workbook, set_cell, valid_sheets

A = "Assignments"
D = dt.datetime


def check(tmp_path, edits=(), quarter: Quarter | None = None, previous_total=None, name="return.xlsx",
          sheets=None) -> Result:
    """Write the valid return (for `quarter`, or `sheets`) with `edits` ((sheet, row, header, value), ...)
    under `name` and validate it."""
    sheets = sheets or (valid_sheets(quarter) if quarter else valid_sheets())
    for sheet, row, header, value in edits:
        set_cell(sheets, sheet, row, header, value)
    path = make_workbook(tmp_path / name, sheets)
    return validate_file(path, previous_total=previous_total)


def fired(result, prefix="Q"):
    """(code, cell) of the findings whose code starts with `prefix`, sorted."""
    return sorted((f.code, f.cell) for f in result.findings if f.code.startswith(prefix))


def assert_fires_only(tmp_path, edits, expected) -> None:
    """The return with `edits` raises no error and exactly the agency-rule findings `expected`
    ((code, cell), sorted), leaving aside Q512 (the compliance it derives)."""
    result = check(tmp_path, edits)
    assert fired(result, "E") == []
    assert [c for c in fired(result) if c[0] != "Q512"] == expected


def run(tmp_path, edit=None, quarter=None, **kw) -> Result:
    """Write the valid return changed by `edit(sheets)` and validate it, `quarter` being collected."""
    sheets = valid_sheets()
    if edit:
        edit(sheets)
    return validate_file(make_workbook(tmp_path / "return.xlsx", sheets, **kw), quarter)


def found(result, code):
    """The findings of `code`, in the result's order."""
    return [f for f in result.findings if f.code == code]


def leavers(*rows):
    """A Leavers sheet: its headers, then `rows`."""
    return [[c.header for c in LEAVERS.columns], *rows]
