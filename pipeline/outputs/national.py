"""The national workbook, for DfE's published statistics: national.xlsx with England by region (a
cover, costs by region, the workforce tables under disclosure control, data quality and the
findings by code, Notes with DfE's symbols and the cap table)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.core.contract import ROLE_CATEGORIES
from pipeline.core.reference import REGIONS
from pipeline.outputs import disclosure
from pipeline.outputs.kit import Book, cap_rows, notes_sheet, without_swe, write_cell

ROLES = [*ROLE_CATEGORIES, "All roles"]


def write(path: Path, tables: dict[str, pd.DataFrame], about: list[tuple[str, object]]) -> Path:
    """England by region in the style of DfE's statistics: a cover, the tables under disclosure
    control (symbols right-aligned with the numbers, `x` where a region has no accepted return),
    data quality, and Notes (sources, definitions, symbols, the cap table)."""
    tables = {**tables, **{name: without_swe(tables[name])
                           for name in ("national_by_region", "regional_costs", "data_quality", "findings_by_code")}}
    quarter = next((v for k, v in about if k == "Quarter"), "")
    book = Book(path)
    cover = book.sheet("Cover")
    costs = tables["regional_costs"].copy()
    none = costs["las_accepted"] == 0
    costs["total_cost"] = costs["total_cost"].astype(object).mask(none, "x")
    book.table("Costs by region", costs.drop(columns="region_code"),
               note=f"Total cost of agency child and family social workers by region, {quarter}: the LAs' MonthlyCosts "
                    "totals for the quarter's three months (£). x: no accepted return in the region.")
    ws = book.sheet("Workforce by region")
    row = 0
    for measure_frame, title in published_tables(tables["national_by_region"]):
        frame = measure_frame.reset_index().rename(columns={"region_name": "Region"})
        kinds = {c: title[1] for c in frame.columns[1:]}
        book.table("", frame, title=title[0], start_row=row, ws=ws, kinds=kinds,
                   widths={0: 26, **{j: 18 for j in range(1, len(frame.columns))}})
        row += len(frame) + 3
    ws.freeze_panes(0, 1)
    dq = book.table("Data quality", tables["data_quality"].drop(columns="region_code"),
                    note="Where each region's returns stand: LAs that sent a file, accepted, rejected, unreadable, "
                         "missing or late, and the findings raised.")
    codes = tables["findings_by_code"].pivot_table(index="code", columns="region_code", values="findings",
                                                   aggfunc="sum", fill_value=0)
    codes = codes.rename(columns=REGIONS).reset_index()
    book.table("", codes, title="Findings by code and region (standing or latest return of each LA)",
               start_row=len(tables["data_quality"]) + 4, ws=dq, kinds={c: "count" for c in codes.columns[1:]})
    notes_sheet(book, [*about, ("Sources", "LAs' quarterly returns on agency child and family social workers, "
                                "as accepted when the outputs were built; DfE's LA list for LAs and regions.")],
                [tables["regional_costs"], tables["national_by_region"], tables["data_quality"]],
                caps=cap_rows(None), symbols=True)
    _cover(book, cover, quarter, costs)
    book.close()
    return path


def _cover(book: Book, ws, quarter: str, costs: pd.DataFrame) -> None:
    england = costs[costs["region_code"] == "E92000001"].iloc[0]
    write_cell(ws, 0, 0, f"Agency child and family social workers in England, {quarter}", book.title)
    rows = [
        ("What this is", "Figures from the quarterly returns English local authorities send DfE on their use and "
                         "cost of agency child and family social workers, by region and role category."),
        ("Coverage", f"{int(england['las_accepted'])} of {int(england['las_live'])} local authorities had an "
                     "accepted return when the figures were built."),
        ("Contents", "Costs by region: total cost (£).\nWorkforce by region: headcount, FTE, rates against the cap, "
                     "assignments above the cap and their cost, by region and role category.\nData quality: where "
                     "the returns stand and the findings raised.\nNotes: sources, definitions, symbols, the cap table."),
        ("Disclosure control", "Counts under 5 are shown as c, and further cells are suppressed so that totals "
                               "cannot reveal them; FTE, rates and costs follow the headcount."),
        ("Symbols", "c confidential · x not available · z not applicable · low rounds to zero (see Notes)."),
    ]
    book.key_values(ws, 2, rows, widths=(22, 100))


def published_tables(by_region: pd.DataFrame) -> list[tuple[pd.DataFrame, tuple[str, str]]]:
    """Region x role tables with disclosure control: headcount and breaches are suppressed in their
    own right; FTE, rates and cost follow the headcount suppression. Regions with no returns show
    'x'. Each comes with its title and the kind of its cells."""
    def wide(col):
        t = by_region.pivot_table(index="region_name", columns="role_category", values=col, aggfunc="first")
        return t.reindex(index=[*REGIONS.values(), "England"], columns=ROLES)
    headcount = wide("headcount")
    no_returns = headcount.isna().all(axis=1).to_numpy()[:, None]

    def counted(frame):   # a role with no assignments in a region that has returns counts 0 (and is suppressed)
        return frame.where(frame.notna() | no_returns, 0)
    headcount, breaches = counted(headcount), counted(wide("breaches"))
    kept = disclosure.suppression_mask(headcount, total_row="England", total_col="All roles")
    kept_b = disclosure.suppression_mask(breaches, total_row="England", total_col="All roles")

    def shown(frame, mask, *, low_below: float | None = None):
        out = disclosure.apply(frame, mask)
        if low_below is not None:   # shown as 0.0 but not zero: DfE's 'low'
            out = out.map(lambda v: "low" if isinstance(v, float) and 0 < v < low_below else v)
        return out.mask(np.broadcast_to(no_returns, out.shape), "x").where(out.notna() | no_returns, "z")
    return [
        (shown(headcount, kept), ("Agency workers in the quarter (headcount)", "count")),
        (shown(wide("fte"), kept, low_below=0.05), ("Agency FTE (hours per week / 37)", "fte")),
        (shown(wide("median_rate"), kept), ("Median cap-basis rate (£ per hour)", "rate")),
        (shown(wide("p90_rate"), kept), ("90th percentile cap-basis rate (£ per hour)", "rate")),
        (shown(breaches, kept_b), ("Assignments above the cap", "count")),
        (shown(wide("assignment_cost"), kept), ("Cost of assignments in the quarter (£)", "money")),
    ]
