"""What the rules see: one LA's return, read and typed, with its LA, quarter and cap table
(`ReturnContext`), and the Assignments sheet prepared for them (`prepare_assignments`)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.core.config import threshold
from pipeline.core.contract import ASSIGNMENTS, Quarter, normalise_header
from pipeline.core.reference import LA, CapTable, cap_table
from pipeline.read.workbook import SheetFrame, Workbook
from pipeline.rules.columns import Columns, Memo, as_array, one_of


@dataclass
class ReturnContext:
    """A council's return as the rules see it: `fn(ctx) -> Iterable[Finding]` for every rule."""

    wb: Workbook
    quarter: Quarter | None = None        # the quarter the return is for, once E005 passes
    la: LA | None = None                  # the LA, once E004 passes
    collecting: Quarter | None = None     # the quarter being collected (--quarter), if given
    caps: CapTable = field(default_factory=cap_table)
    previous_total: float | None = None   # the LA's previous accepted quarter's total cost (Q514)
    file_name: str = ""                   # the name the file was sent under (Q517)
    memo: Memo = field(default_factory=Memo, repr=False)   # masks several rules share, computed once

    def once(self, key, compute):
        """Compute a value shared by several rules once per return (`Memo.once`)."""
        return self.memo.once(key, compute)

    def columns(self, frame: pd.DataFrame) -> Columns:
        """`frame`'s columns as numpy arrays, each converted once per return (`Memo.columns`)."""
        return self.memo.columns(frame)

    def sheet_columns(self, name: str) -> Columns:
        """Sheet `name`'s typed columns as numpy arrays (no rows if the sheet is absent)."""
        return self.once(("columns", name), lambda: self.columns(self.frame(name)))

    def sheet(self, name: str) -> SheetFrame | None:
        return self.wb.sheets.get(name)

    def frame(self, name: str) -> pd.DataFrame:
        return self.wb.frame(name)

    def notes(self, name: str) -> pd.Series:
        """A row's note (NA if none), by Excel row: a note explains a query on its row."""
        sheet = self.sheet(name)
        key = "explanation" if name == "Compliance" else "notes"
        if sheet is None or key not in sheet.data.columns:
            return pd.Series(dtype="string")
        return sheet.data[key]


def prepare_assignments(wb: Workbook) -> None:
    """Fill role category from JobMapping and add the cap-basis rate and cap sign-off, in place."""
    sheet = wb.sheets.get(ASSIGNMENTS.name)
    if sheet is None:
        return
    data = sheet.data
    mapping = wb.frame("JobMapping")
    lookup = {normalise_header(t): r for t, r in zip(as_array(mapping["local_job_title"]), as_array(mapping["role_category"]))
              if t is not None and r is not None}
    raw_blank = sheet.raw["role_category"].isna().to_numpy(dtype=bool) if "role_category" in sheet.raw else True
    blank_role = data["role_category"].isna().to_numpy(dtype=bool) & raw_blank
    mapped = np.array([lookup.get(normalise_header(t)) if blank and isinstance(t, str) else None
                       for t, blank in zip(as_array(data["local_job_title"]), blank_role)], dtype=object)
    from_mapping = blank_role & (mapped != None)   # noqa: E711 - elementwise over an object array
    data["role_from_mapping"] = from_mapping
    if from_mapping.any():
        data.loc[from_mapping, "role_category"] = mapped[from_mapping]
    # signed off = approved by someone who may approve a cap breach (threshold cap_breach_approvers)
    data["cap_signed_off"] = one_of(data["cap_approved_by"], *threshold("cap_breach_approvers"))
    rate = data["hourly_pay_rate"].to_numpy()
    for key in ("holiday_pay_per_hour", "employer_ni_per_hour", "apprenticeship_levy_per_hour"):
        part = data[key].to_numpy()
        rate = rate + np.where(np.isnan(part), 0.0, part)
    data["cap_basis_rate"] = rate
