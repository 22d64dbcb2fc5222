"""Section 7's figures as the web shows them (region page sections, "How you compare", the view of
several regions, the API): read from the built Parquet extracts (outputs/<quarter>/parquet/), so a
page, the API, the workbooks and `pull` show the same figures. A suppressed cell (one or two
workers' pay) is null in the extract and 'c' on a page."""
from __future__ import annotations

import json

import pandas as pd

from pipeline.core.contract import Quarter
from pipeline.core.reference import REGIONS
from pipeline.outputs.insight import shown
from pipeline.warehouse import connection
from web import charts
from web.filters import number, rate

ENGLAND = "E92000001"
# API and page name -> the extract it reads
SECTIONS = {"benchmark": "benchmark", "workforce": "workforce", "trends": "trends", "agencies": "supply_chain",
            "tenure": "tenure"}


def _table(quarter: Quarter | str, name: str) -> pd.DataFrame:
    path = connection.paths().outputs / str(quarter) / "parquet" / f"{SECTIONS[name]}.parquet"
    if not path.exists():
        raise FileNotFoundError(f"no {name} built for {quarter}")
    return pd.read_parquet(path)


def section(quarter: Quarter | str, name: str, regions: list[str]) -> pd.DataFrame:
    """One section's rows for the regions given (each a region code the caller may see), and England's
    rows beside them (but for the benchmark, whose rows carry England's figures). Raises KeyError for
    an unknown section, FileNotFoundError when the quarter has not been built."""
    frame = _table(quarter, name)
    keep = frame["region_code"].isin(regions if name == "benchmark" else [*regions, ENGLAND])
    return frame[keep].reset_index(drop=True)


def compare_la(quarter: Quarter | str, la_code: str) -> dict[str, pd.DataFrame]:
    """One LA beside its region and England ("How you compare"): its benchmark rows by role, and its,
    its region's and England's workforce, trends and tenure rows; no other LA's figures."""
    out = {"benchmark": _table(quarter, "benchmark").query("la_code == @la_code").reset_index(drop=True)}
    region = out["benchmark"]["region_code"].iloc[0] if len(out["benchmark"]) else None
    for name in ("workforce", "trends", "tenure"):
        t = _table(quarter, name)
        out[name] = t[(t["la_code"] == la_code) | ((t["la_code"] == "ALL") & t["region_code"].isin([region, ENGLAND]))
                      ].reset_index(drop=True)
    return out


def together(quarter: Quarter | str, regions: list[str]) -> pd.DataFrame:
    """The regions side by side and together: each region's workforce row (LA code ALL), then one row
    'Together' whose agency rate counts the LAs of all of them that have a census figure."""
    w = _table(quarter, "workforce")
    rows = w[(w["la_code"] == "ALL") & w["region_code"].isin(regions)]
    las = w[(w["la_code"] != "ALL") & w["region_code"].isin(regions)]
    census = las[las["permanent_fte"].notna()]
    fte, permanent = census["agency_fte_quarter_end"].sum(), census["permanent_fte"].sum()
    total = {"region_code": ",".join(regions), "la_code": "ALL", "la_name": "Together",
             "agency_headcount_quarter_end": int(las["agency_headcount_quarter_end"].sum()),
             "agency_fte_quarter_end": round(float(las["agency_fte_quarter_end"].sum()), 2),
             "permanent_fte": round(float(permanent), 1),
             "agency_rate": round(100 * fte / (fte + permanent), 1) if fte + permanent else None,
             "las": int(len(las))}
    return pd.concat([rows, pd.DataFrame([total])], ignore_index=True)


def as_records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready records (missing and suppressed values null)."""
    return json.loads(frame.to_json(orient="records", date_format="iso"))


# --- the page: each section's table (columns, headers, formats) and chart ---------------------------

def pct(value) -> str:
    """A percentage already in % (21.5 -> '21.5%'); 'c' as it is."""
    if isinstance(value, str):
        return value
    return "" if value is None or pd.isna(value) else f"{float(value):.1f}%"


def pounds(value) -> str:
    """£ to the penny (the figure in the extract), 'c' as it is."""
    return value if isinstance(value, str) else rate(value)


def count(value) -> str:
    return value if isinstance(value, str) else number(value)


def fte(value) -> str:
    return number(value, 2)


TABLES = {   # section -> [(column, header, format)]
    "benchmark": [("la_name", "LA", str), ("role_category", "Role category", str),
                  ("median_rate", "Median rate", pounds), ("region_median_rate", "Region", pounds),
                  ("england_median_rate", "England", pounds), ("share_above_cap_pct", "Above cap", pct),
                  ("agency_fte_quarter_end", "FTE at quarter end", fte), ("agency_rate", "Agency rate", pct),
                  ("region_agency_rate", "Region agency rate", pct), ("cost_per_agency_fte", "Cost per FTE", pounds),
                  ("median_rate_rank", "Rank (rate)", count), ("las_ranked", "Of", count)],
    "workforce": [("la_name", "LA", str), ("agency_headcount_quarter_end", "Agency headcount at quarter end", count),
                  ("agency_fte_quarter_end", "Agency FTE at quarter end", fte),
                  ("agency_fte_in_quarter", "Agency FTE in the quarter", fte),
                  ("permanent_fte", "Permanent FTE (census)", fte), ("agency_rate", "Agency rate", pct),
                  ("vacancy_rate", "Vacancy rate", pct), ("census_year", "Census", count)],
    "trends": [("la_name", "Area", str), ("period", "Period", str), ("cost", "Cost", pounds),
               ("agency_fte_quarter_end", "FTE at quarter end", fte), ("agency_rate", "Agency rate", pct),
               ("share_above_cap_pct", "Above cap", pct), ("breaches", "Breaches", count),
               ("compliance_pct", "Compliance", pct), ("project_team_cost_share_pct", "Project-team cost", pct)],
    "agencies": [("supplier_type", "Type", str), ("supplier", "Supplier", str), ("assignments", "Assignments", count),
                 ("fte", "FTE", fte), ("spend", "Spend", pounds), ("median_pay_rate", "Median pay", pounds),
                 ("median_charge_rate", "Median charge", pounds), ("median_fee_per_hour", "Median fee", pounds),
                 ("median_mark_up_pct", "Mark-up", pct), ("assignments_above_cap", "Above cap", count),
                 ("findings_q503_q506", "Q503-Q506", count), ("paye_pct", "PAYE", pct), ("umbrella_pct", "Umbrella", pct),
                 ("limited_company_pct", "Limited company", pct), ("self_employed_pct", "Self-employed", pct)],
    "tenure": [("la_name", "Area", str), ("assignments_quarter_end", "At quarter end", count),
               ("tenure_under_12_weeks", "Under 12 weeks", count), ("tenure_12_to_26_weeks", "12 to 26 weeks", count),
               ("tenure_26_to_52_weeks", "26 to 52 weeks", count), ("tenure_1_to_2_years", "1 to 2 years", count),
               ("tenure_over_2_years", "2 years and over", count),
               ("median_tenure_weeks", "Median (weeks)", lambda v: number(v, 1)),
               ("starts_in_quarter", "Started", count), ("ends_in_quarter", "Ended", count)],
}
FIRST_TEXT = {"benchmark": 2, "workforce": 1, "trends": 2, "agencies": 2, "tenure": 1}   # columns before the numbers


def page_table(name: str, frame: pd.DataFrame) -> dict:
    """A section as a page table: headers, rows of formatted cells ('c' where suppressed), and which
    columns are numeric."""
    frame = shown(SECTIONS[name], frame)
    if name == "agencies":
        frame = frame[frame["region_code"] != ENGLAND]
    columns = TABLES[name]
    rows = [[fmt(v) if not (v is None or (not isinstance(v, str) and pd.isna(v))) else "" for (_, _, fmt), v in
             zip(columns, values)] for values in frame[[c for c, _, _ in columns]].itertuples(index=False)]
    return {"headers": [h for _, h, _ in columns], "rows": rows,
            "numeric": tuple(range(FIRST_TEXT[name], len(columns)))}


def section_charts(tables: dict[str, pd.DataFrame], region: str) -> dict:
    """Each section's chart geometry (the table beside it has the same figures)."""
    w = tables["workforce"]
    las = w[(w["region_code"] == region) & (w["la_code"] != "ALL")]
    b = tables["benchmark"]
    b = b[(b["role_category"] == "All roles") & (b["region_code"] == region)]
    t = tables["trends"]
    t = t[(t["region_code"] == region) & (t["la_code"] == "ALL") & (t["period_type"] == "Quarter")]
    a = tables["agencies"]
    a = a[(a["region_code"] == region) & (a["supplier_type"] == "Agency")].head(10)
    ten = tables["tenure"]
    ten = ten[(ten["region_code"] == region) & (ten["la_code"] == "ALL")]
    bands = ["tenure_under_12_weeks", "tenure_12_to_26_weeks", "tenure_26_to_52_weeks", "tenure_1_to_2_years",
             "tenure_over_2_years"]
    return {
        "benchmark": charts.bars(b["la_name"].tolist(), b["median_rate"].tolist(), fmt=pounds,
                                 empty="c (one or two workers)"),
        "workforce": charts.bars(las["la_name"].tolist(), las["agency_rate"].tolist(), fmt=pct, empty="no census (x)"),
        "trends": charts.line(t["period"].tolist(), t["cost"].tolist(), fmt=pounds),
        "agencies": charts.bars(a["supplier"].tolist(), a["assignments"].tolist(), fmt=count),
        "tenure": charts.bars(["Under 12 weeks", "12 to 26 weeks", "26 to 52 weeks", "1 to 2 years", "2 years and over"],
                              [int(ten[c].iloc[0]) if len(ten) else None for c in bands], fmt=count),
    }


def region_sections(quarter: Quarter | str, region: str) -> dict:
    """Everything the region page's section 7 partial needs: each section's table and chart."""
    tables = {name: section(quarter, name, [region]) for name in SECTIONS}
    return {"insight_tables": {name: page_table(name, t) for name, t in tables.items()},
            "insight_charts": section_charts(tables, region), "region_name": REGIONS[region]}

