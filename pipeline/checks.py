"""Cross-field and cross-sheet error rules (E0xx–E4xx) that a single column's schema cannot see."""
from __future__ import annotations

import pandas as pd

from pipeline.config import threshold
from pipeline.contract import COMPLIANCE_RULES, ENGAGEMENT_MODELS, ROLE_CATEGORIES, Quarter
from pipeline.findings import finding
from pipeline.parse import display_date
from pipeline.reference import la_any, la_for_quarter
from pipeline.registry import rule
from pipeline.submission import Submission


def team_ref(series: pd.Series) -> pd.Series:
    """Project team references as they are matched between sheets: trimmed, upper case."""
    return series.str.strip().str.upper()


def _ends_before_start(d: pd.DataFrame) -> pd.Index:
    return d.index[d["end_date"].notna() & d["start_date"].notna() & (d["end_date"] < d["start_date"])]


def _total_mismatches(total: pd.Series, expected: pd.Series) -> pd.Index:
    """Rows whose stated total is more than the tolerance (£1) away from the sum of its parts."""
    off = (total - expected).abs() > threshold("money_tolerance_gbp")
    return total.index[total.notna() & expected.notna() & off]


@rule("E005")
def quarter_of_return(ctx: Submission):
    ret = ctx.wb.return_sheet
    if ret is None:
        return
    row, cell = ret.cells.get("quarter", (None, None))
    raw = ret.raw.get("quarter")
    where = dict(sheet="Return", row=row, column="Quarter", cell=cell, value=raw)
    if raw is None:
        yield finding("E005", "missing", **where)
    elif Quarter.parse(raw) is None:
        yield finding("E005", "malformed", **where)
    elif ctx.collecting is not None and Quarter.parse(raw) != ctx.collecting:
        yield finding("E005", "wrong", expected=str(ctx.collecting), **where)


@rule("E004")
def la_code_of_return(ctx: Submission):
    ret = ctx.wb.return_sheet
    if ret is None:
        return
    row, cell = ret.cells.get("la_code", (None, None))
    raw = ret.raw.get("la_code")
    where = dict(sheet="Return", row=row, column="LA code", cell=cell, value=raw)
    code = ret.values.get("la_code")
    if raw is None:
        yield finding("E004", "missing", **where)
    elif pd.isna(code) or la_any(code) is None:
        yield finding("E004", "unknown", **where)
    elif ctx.quarter is not None and la_for_quarter(code, ctx.quarter) is None:
        yield finding("E004", "not_live", la_name=la_any(code).name, quarter=str(ctx.quarter), **where)


@rule("E103")
def role_after_mapping(ctx: Submission):
    sheet = ctx.sheet("Assignments")
    if sheet is None or "role_category" not in sheet.positions and "local_job_title" not in sheet.positions:
        return
    data = sheet.data
    raw = sheet.raw["role_category"] if "role_category" in sheet.raw else pd.Series(pd.NA, index=data.index)
    for row in data.index[data["role_category"].isna() & raw.isna()]:
        key = "role_category" if "role_category" in sheet.positions else "local_job_title"
        yield sheet.finding("E103", key, row, "missing", value=sheet.value("local_job_title", row),
                            choices=", ".join(ROLE_CATEGORIES))


@rule("E105", "E106")
def assignment_dates(ctx: Submission):
    """End before start (E105) and outside the quarter (E106). Like every finding on a cell, `value` is
    the cell as the council typed it; the message gives the date as dd/mm/yyyy."""
    sheet = ctx.sheet("Assignments")
    if sheet is None:
        return
    d = sheet.data
    bad = _ends_before_start(d)
    for row in bad:
        yield sheet.finding("E105", "end_date", row, date=display_date(d.at[row, "end_date"]),
                            start=display_date(d.at[row, "start_date"]))
    if ctx.quarter is None:
        return
    q0, q1 = pd.Timestamp(ctx.quarter.start), pd.Timestamp(ctx.quarter.end)
    ok = ~d.index.isin(bad)
    for row in d.index[ok & d["end_date"].notna() & (d["end_date"] < q0)]:
        yield sheet.finding("E106", "end_date", row, "before", date=display_date(d.at[row, "end_date"]),
                            quarter=str(ctx.quarter), quarter_start=display_date(q0))
    for row in d.index[ok & d["start_date"].notna() & (d["start_date"] > q1)]:
        yield sheet.finding("E106", "start_date", row, "after", date=display_date(d.at[row, "start_date"]),
                            quarter=str(ctx.quarter), quarter_end=display_date(q1))


@rule("E108")
def project_team_links(ctx: Submission):
    sheet = ctx.sheet("Assignments")
    if sheet is None:
        return
    d = sheet.data
    teams = set(team_ref(ctx.frame("ProjectTeams")["project_team_ref"].dropna()))
    in_team = d["engagement_model"].isin([m for m in ENGAGEMENT_MODELS if m != "Individual"])
    for row in d.index[in_team & d["project_team_ref"].isna()]:
        yield sheet.finding("E108", "project_team_ref", row, "missing_ref", model=d.at[row, "engagement_model"].lower())
    refs = team_ref(d["project_team_ref"])
    for row in d.index[d["project_team_ref"].notna() & ~refs.isin(teams)]:
        yield sheet.finding("E108", "project_team_ref", row, "unknown_ref")


@rule("E202", "E203")
def project_team_totals(ctx: Submission):
    sheet = ctx.sheet("ProjectTeams")
    if sheet is None:
        return
    d = sheet.data
    for row in _ends_before_start(d):
        yield sheet.finding("E202", "end_date", row, "end_before_start", date=display_date(d.at[row, "end_date"]),
                            start=display_date(d.at[row, "start_date"]))
    expected = d[["worker_costs", "other_costs"]].sum(axis=1, min_count=2)
    for row in _total_mismatches(d["total_cost"], expected):
        yield sheet.finding("E203", "total_cost", row, worker=f"£{d.at[row, 'worker_costs']:,.2f}",
                            other=f"£{d.at[row, 'other_costs']:,.2f}", expected=f"£{expected[row]:,.2f}")


@rule("E301", "E303")
def monthly_costs(ctx: Submission):
    sheet = ctx.sheet("MonthlyCosts")
    if sheet is None:
        return
    d = sheet.data
    if ctx.quarter is not None:
        months = [pd.Timestamp(m) for m in ctx.quarter.months]
        names = ", ".join(m.strftime("%B %Y") for m in months)
        seen = d["month"].dropna()
        for row in seen.index[~seen.isin(months)]:
            yield sheet.finding("E301", "month", row, "outside", month=seen[row].strftime("%B %Y"),
                                quarter=str(ctx.quarter), months=names)
        for row in seen.index[seen.isin(months) & seen.duplicated(keep="first")]:
            yield sheet.finding("E301", "month", row, "duplicate", month=seen[row].strftime("%B %Y"))
        unreadable = "month" in sheet.raw and (sheet.raw["month"].notna() & d["month"].isna()).any()
        if not unreadable:   # an unreadable month is already reported; don't guess which one it was
            for m in months:
                if m not in set(seen):
                    yield sheet.finding("E301", "month", None, "missing_month", value=m.strftime("%B %Y"),
                                        quarter=str(ctx.quarter))
    parts = ["worker_pay", "agency_fees", "msp_fees", "project_team_other_costs"]
    expected = d[parts].sum(axis=1, min_count=len(parts))
    for row in _total_mismatches(d["total_monthly_cost"], expected):
        yield sheet.finding("E303", "total_monthly_cost", row, expected=f"£{expected[row]:,.2f}")


@rule("E401", "E403")
def compliance_statement(ctx: Submission):
    sheet = ctx.sheet("Compliance")
    if sheet is None:
        return
    d = sheet.data
    rules = d["rule"].dropna()
    for row in rules.index[rules.duplicated(keep="first")]:
        yield sheet.finding("E401", "rule", row, "duplicate")
    for name in COMPLIANCE_RULES:
        if name not in set(rules):
            yield sheet.finding("E401", "rule", None, "missing", value=name)
    needs = d["status"].isin(["Partially compliant", "Not compliant"]) & d["explanation"].isna()
    for row in d.index[needs]:
        yield sheet.finding("E403", "explanation", row, rule=d.at[row, "rule"], status=d.at[row, "status"])
