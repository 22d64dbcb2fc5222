"""The national workbook, for DfE's published statistics: national.xlsx with England by region (a
cover, costs by region, the workforce tables under disclosure control, this return's agency rate at
30 September beside the census's, data quality and the findings by code, the figures revised since
first published, Notes with every definition, DfE's symbols and the cap table)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.core.contract import ROLE_CATEGORIES
from pipeline.core.reference import REGIONS
from pipeline.outputs import disclosure, ees
from pipeline.outputs.kit import Book, cap_rows, notes_sheet, without_swe, write_cell
from pipeline.outputs.publication import Publication

ROLES = [*ROLE_CATEGORIES, "All roles"]


def write(path: Path, tables: dict[str, pd.DataFrame], about: list[tuple[str, object]],
          published: Publication) -> Path:
    """England by region in the style of DfE's statistics: a cover, the tables under disclosure
    control (symbols right-aligned with the numbers, `x` where a region has no accepted return),
    the agency rate beside the census's (`published.census`), data quality, the England and region
    figures revised since first published (`published.revisions`; LAs' in revisions.csv), and Notes
    (sources, the terms, every figure's definition, the open data's indicators, revisions, symbols,
    the cap table)."""
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
    _census_sheet(book, published.census)
    dq = book.table("Data quality", tables["data_quality"].drop(columns="region_code"),
                    note="Where each region's returns stand: LAs that sent a file, accepted, rejected, unreadable, "
                         "missing or late, and the findings raised.")
    codes = tables["findings_by_code"].pivot_table(index="code", columns="region_code", values="findings",
                                                   aggfunc="sum", fill_value=0)
    codes = codes.rename(columns=REGIONS).reset_index()
    book.table("", codes, title="Findings by code and region (standing or latest return of each LA)",
               start_row=len(tables["data_quality"]) + 4, ws=dq, kinds={c: "count" for c in codes.columns[1:]})
    revised = _revisions_sheet(book, published.revisions)
    notes_sheet(book, [*about, ("Sources", "LAs' quarterly returns on agency child and family social workers, "
                                "as accepted when the outputs were built; DfE's LA list for LAs and regions; "
                                "DfE's children's social work workforce census for permanent FTE in post and "
                                "the census's own agency rate."),
                       ("Workforce by region", "Headcount, FTE, rates and cost on that sheet count every assignment "
                                               "active in the quarter (in the quarter), not a snapshot: see Terms. "
                                               "The figures at quarter end, the agency rate included, are in the "
                                               "open data (ees/agency_workforce.csv) and on 'Agency rate and census'."),
                       ("Revisions", revised),
                       ("Open data (ees/)", "agency_workforce.csv in DfE's Explore Education Statistics format: every "
                                            "quarter built so far, England, regions and LAs, by role category, as "
                                            "financial-year quarters (2025-Q2, April to June 2025, is time_period "
                                            "202526, 'Financial year Q1'). Its indicators:"),
                       *((f"{i.name} ({i.grouping.lower()})", i.definition) for i in ees.INDICATORS)],
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
                     "assignments above the cap and their cost, by region and role category (in the quarter).\n"
                     "Agency rate and census: this return's agency rate at 30 September beside the census's.\n"
                     "Data quality: where the returns stand and the findings raised.\nRevisions: England's and the "
                     "regions' figures changed since first published.\nNotes: sources, terms, definitions, "
                     "revisions, symbols, the cap table."),
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


def _census_sheet(book: Book, census: pd.DataFrame) -> None:
    """This return's agency rate at 30 September beside the census's own, by census year and place."""
    frame = census.drop(columns=["geographic_level"]).assign(
        census_year=[f"30 September {y}" for y in census["census_year"]]).rename(columns={
        "census_year": "Census day", "region_code": "Code", "geography": "Area",
        "return_agency_rate": "Agency rate, this return (%)", "census_agency_rate": "Agency rate, census (%)",
        "difference": "Difference (percentage points)"})
    book.table("Agency rate and census", frame,
               kinds={"Census day": "text", "Agency rate, this return (%)": "fte",
                      "Agency rate, census (%)": "fte", "Difference (percentage points)": "fte"},
               note="Agency rate = agency FTE / (agency FTE + permanent FTE in post), as DfE's children's social "
                    "work workforce census defines its own. This return's: agency FTE at quarter end of the quarter "
                    "ending on the census day (YYYY-Q3, July to September), as published, over the LAs with an "
                    "accepted return, with permanent FTE from the latest census up to that day. The census's: its "
                    "own published rate for all LAs. x: that quarter not built, or no figure.")


def _revisions_sheet(book: Book, revisions: pd.DataFrame) -> str:
    """England's and the regions' figures revised since first published on a Revisions sheet; returns
    the sentence for Notes saying how many moved and where every one is listed."""
    upper = revisions[revisions["geographic_level"] != "Local authority"]
    frame = upper.drop(columns=["quarter", "measure", "region_code", "old_la_code"]).rename(columns={
        "label": "Figure", "geographic_level": "Level", "geography": "Area", "role_category": "Role category",
        "old": "Was", "new": "Now", "published_at": "Published", "revised_at": "Revised", "why": "Why"})
    book.table("Revisions", frame, kinds={"Was": "text", "Now": "text"},
               note="Figures of the open data for England and the regions that a later build of this quarter "
                    "changed (a late or replaced return): from what to what, when and why. Every revised figure, "
                    "LAs' included, is in revisions.csv.")
    if revisions.empty:
        return "No figure has changed since it was first published."
    return (f"{len(revisions)} figures of the open data changed since first published ({len(upper)} for England "
            "or a region, on the Revisions sheet); revisions.csv lists every one, with the return that moved it.")
