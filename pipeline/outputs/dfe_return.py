"""Each LA's DfE return, for DfE: dfe/<la>_<quarter>.xlsx (assignment-level and LA-level sheets) with
its CSVs, from the DfE marts; the only output that carries SWE registration numbers."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from pipeline.outputs.kit import Book, write_csv

DFE_TABLES = ("dfe_assignments", "dfe_compliance", "cap_breaches", "agencies", "monthly_costs")
DFE_ASSIGNMENT_COLUMNS = ["assignment_ref", "role_category", "hourly_pay_rate", "start_date", "end_date",
                          "swe_number", "engagement_model", "project_team_or_packaged", "project_team_ref",
                          "payment_route", "end_reason", "reference_provided"]   # the last three: contract 3


DFE_NOTES = {
    "Assignments": "One row per agency assignment active at any time in the quarter, as the LA returned it, "
                   "self-employed workers included (DfE's workforce census counts them as agency workers; their "
                   "rate is all-in, capped as a limited company's). Contains SWE registration numbers: personal "
                   "data, for DfE only.",
    "Compliance": "The LA's declared status for each of the seven agency rules, with its explanation, next to "
                  "what its assignments show (legacy assignments in their transition are not judged).",
    "Cap breaches": "Assignments whose cap-basis rate (pay + holiday pay + employer NI + apprenticeship levy, "
                    "£ per hour) is above the regional price cap, with who approved the breach.",
    "Agencies": "Agencies whose behaviour affected the LA's compliance with a rule, as the LA described it.",
    "Monthly costs": "The LA's spend on agency social workers in each month of the quarter, £.",
}


# the columns of each DfE table a return shows, in order; on Assignments the Excel row stands where the
# SWE number goes (`write` looks each row's number up in the LA's kept raw file)
DFE_COLUMNS = {
    "dfe_assignments": [c if c != "swe_number" else "excel_row" for c in DFE_ASSIGNMENT_COLUMNS],
    "dfe_compliance": ["rule", "declared_status", "prevented_by_contract", "explanation", "derived_status",
                       "breaches"],
    "cap_breaches": ["assignment_ref", "role_category", "cap_basis_rate", "cap", "above_cap_by", "cap_approved_by",
                     "cap_approval_date", "cap_breach_reason", "signed_off", "reported_to_riia"],
    "agencies": ["agency", "rule_affected", "description"],
    "monthly_costs": ["month", "agency_headcount", "worker_pay", "agency_fees", "msp_fees",
                      "project_team_other_costs", "total_monthly_cost"],
}


def by_la(tables: dict[str, pd.DataFrame], la_codes) -> dict[str, dict[str, pd.DataFrame]]:
    """LA code -> its rows of each DfE table, in the columns its return shows (DFE_COLUMNS), for each
    of `la_codes` (no rows: an empty table): selected and split once, not once per LA."""
    out: dict[str, dict[str, pd.DataFrame]] = {code: {} for code in la_codes}
    for name in DFE_TABLES:
        shown = tables[name][DFE_COLUMNS[name]]
        for code, part in shown.groupby(tables[name]["la_code"], sort=False):
            if code in out:
                out[code][name] = part
        for mine in out.values():
            mine.setdefault(name, shown.iloc[0:0])
    return out


def write(folder: Path, la_code: str, quarter: str, mine: dict[str, pd.DataFrame],
          swe_by_row: dict[int, str], about: list[tuple[str, object]]) -> list[Path]:
    """dfe/<la>_<quarter>.xlsx (assignment level + LA level sheets) and .csv (assignment level),
    with <la>_<quarter>_la_level.csv (LA level, long form). The only output with SWE numbers.
    `mine` holds the LA's rows of each DFE_TABLES table in its DFE_COLUMNS (`by_la`)."""
    assignments = mine["dfe_assignments"].rename(columns={"excel_row": "swe_number"})
    assignments["swe_number"] = assignments["swe_number"].map(swe_by_row)
    compliance, breaches, agencies, monthly = (mine[name] for name in DFE_TABLES[1:])
    stem = f"{la_code}_{quarter}"
    book = Book(folder / f"{stem}.xlsx")
    book.about("About", about)
    for name, frame in (("Assignments", assignments), ("Compliance", compliance), ("Cap breaches", breaches),
                        ("Agencies", agencies), ("Monthly costs", monthly)):
        # on Compliance, breaches are of the rule, not of the cap
        book.table(name, frame, note=DFE_NOTES[name], measures={"breaches": "rule_breaches"} if name == "Compliance" else None)
    book.close()
    write_csv(assignments, folder / f"{stem}.csv")
    write_csv(_long(la_code, quarter, {"compliance": compliance, "cap_breaches": breaches, "agencies": agencies,
                                       "monthly_costs": monthly}), folder / f"{stem}_la_level.csv")
    return [folder / f"{stem}.xlsx", folder / f"{stem}.csv", folder / f"{stem}_la_level.csv"]


def _long(la_code: str, quarter: str, sections: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """LA-level sheets as one CSV: section, item number, field, value."""
    rows = []
    for section, frame in sections.items():
        columns = [(field, column.to_numpy(dtype=object)) for field, column in frame.items()]
        for i in range(len(frame)):
            for field, values in columns:
                value = values[i]
                if isinstance(value, (pd.Timestamp, dt.date)):
                    value = pd.Timestamp(value).date().isoformat()
                rows.append((la_code, quarter, section, i + 1, field, None if pd.isna(value) else value))
    return pd.DataFrame(rows, columns=["la_code", "quarter", "section", "item", "field", "value"])
