"""The figures of data-contract section 7 as sheets: Benchmark, Workforce, Trends, Agencies (the supply
chain) and Tenure in each regional workbook, and one LA's benchmark, benchmark/<la_code>.xlsx, which
sets the LA beside its region and England and names no other LA.

Every figure comes from its mart as it is (pipeline/outputs/sql/marts/: benchmark, workforce, trends,
supply_chain, tenure), so a workbook, the Parquet extract, the region page and the API agree. A cell
that would show one or two workers' pay is empty in the mart (`suppressed`) and shown here as 'c'."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.outputs.disclosure import SYMBOL
from pipeline.outputs.kit import Book, cap_rows, fitted_widths, notes_sheet

ENGLAND = "E92000001"
# sheet -> (mart, what the sheet shows)
SECTIONS = {
    "Benchmark": ("benchmark", "Each LA beside its region and England, by role category: median cap-basis rate, "
                               "share above cap, agency FTE at quarter end, agency rate (All roles: the census has "
                               "no roles), cost per agency FTE; rank in the region (1 = the highest)."),
    "Workforce": ("workforce", "Agency headcount and FTE at quarter end and in the quarter, permanent FTE in post, "
                               "agency rate and vacancy rate from the latest DfE workforce census up to the "
                               "quarter's end, per LA, then the region and England (LA code ALL)."),
    "Trends": ("trends", "Every headline measure for every quarter held up to this one, and each financial year "
                         "(April-March) so far: per LA, the region and England (LA code ALL)."),
    "Agencies": ("supply_chain", "Each agency and managed service provider of the quarter's assignments: "
                                 "assignments, FTE, spend, median pay, charge rate, fee and mark-up, above-cap "
                                 "count, findings Q503-Q506 and the payment-route mix."),
    "Tenure": ("tenure", "Assignments at quarter end by tenure band, median tenure, and the assignments that "
                         "started and ended in the quarter, per LA, then the region and England (LA code ALL)."),
}
MARTS = tuple(mart for mart, _ in SECTIONS.values())
# the cells a suppressed row leaves out (mart columns that are NULL when `suppressed`)
PAY = {"benchmark": ("median_rate", "share_above_cap_pct", "cost_per_agency_fte"),
       "supply_chain": ("spend", "median_pay_rate", "median_charge_rate", "median_fee_per_hour", "median_mark_up_pct")}


def shown(mart: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A mart's rows as a table shows them: the suppressed cells as 'c', without the `suppressed` flag."""
    if "suppressed" not in frame.columns:
        return frame
    out = frame.drop(columns="suppressed").astype({c: object for c in PAY[mart]})
    hide = frame["suppressed"].fillna(False).astype(bool).to_numpy()
    for column in PAY[mart]:
        out.loc[hide, column] = SYMBOL
    return out


def region_rows(tables: dict[str, pd.DataFrame], region_code: str) -> dict[str, pd.DataFrame]:
    """Each section's rows for one region, with England's rows beside them where a mart has them."""
    out = {}
    for mart, _ in SECTIONS.values():
        t = tables[mart]
        out[mart] = t[t["region_code"].isin([region_code, ENGLAND])] if mart != "benchmark" else \
            t[t["region_code"] == region_code]
    return out


def write_sheets(book: Book, rows: dict[str, pd.DataFrame]) -> list[pd.DataFrame]:
    """The five sheets of section 7 into a regional workbook. Returns the tables written (for Notes).
    Their text passed the publish gate when the marts were made (`marts.materialise`)."""
    written = []
    for sheet, (mart, note) in SECTIONS.items():
        frame = shown(mart, rows[mart])
        book.table(sheet, frame, note=note)
        written.append(frame)
    return written


def la_parts(tables: dict[str, pd.DataFrame], regions: dict[str, str]) -> tuple[dict[str, dict], dict]:
    """Each LA's benchmark as `write_benchmark` takes it, for the LAs of `regions` (LA code -> region
    code): its rows, and its region's and England's (LA code ALL), of the Benchmark, Workforce, Trends
    and Tenure marts as shown ('c' where suppressed); never another LA's figures (ranks are the LA's
    own). Split once for every LA, with the widths each sheet's columns take over all of them.
    Returns (LA code -> mart -> rows, mart -> column widths)."""
    marts = [mart for mart, _ in SECTIONS.values() if mart != "supply_chain"]
    full = {mart: shown(mart, tables[mart]) for mart in marts}
    widths = {mart: fitted_widths(frame) for mart, frame in full.items()}
    by_la = {mart: dict(tuple(frame.groupby("la_code", sort=False))) for mart, frame in full.items()}
    totals = {mart: {region: frame[(frame["la_code"] == "ALL") & frame["region_code"].isin([region, ENGLAND])]
                     for region in set(regions.values())}
              for mart, frame in full.items() if mart != "benchmark"}
    empty = {mart: frame.iloc[:0] for mart, frame in full.items()}
    parts = {}
    for la_code, region in regions.items():
        own = {mart: by_la[mart].get(la_code, empty[mart]) for mart in marts}
        parts[la_code] = {mart: pd.concat([own[mart], totals[mart][region]]) if mart in totals else own[mart]
                          for mart in marts}
    return parts, widths


def write_benchmark(path: Path, region_code: str, rows: dict[str, pd.DataFrame], widths: dict[str, dict],
                    about: list[tuple[str, object]]) -> Path:
    """benchmark/<la_code>.xlsx from the LA's part of `la_parts`: the LA beside its region and England
    (Benchmark by role, Workforce, Trends, Tenure), then Notes (the terms of section 7, every
    measure's definition, the cap table)."""
    book = Book(path)
    written = []
    for sheet, (mart, note) in SECTIONS.items():
        if mart not in rows:
            continue
        frame = rows[mart]
        book.table(sheet, frame, note=note.replace("per LA, then", "this LA, then"), widths=widths[mart])
        written.append(frame)
    notes_sheet(book, about, written, caps=cap_rows(region_code))
    book.close()
    return path
