"""Cross-field and cross-sheet error rules (E0xx–E4xx) that a single column's schema cannot see."""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.config import threshold
from pipeline.core.contract import (
    COMPLIANCE_RULES,
    ENGAGEMENT_MODELS,
    ROLE_CATEGORIES,
    Quarter,
)
from pipeline.core.findings import finding
from pipeline.core.reference import la_any, la_for_quarter
from pipeline.read.parse import display_date
from pipeline.rules.context import Columns, Submission, as_array, is_blank, one_of
from pipeline.rules.registry import rule


def team_ref(series: pd.Series) -> pd.Series:
    """Project team references as they are matched between sheets: trimmed, upper case."""
    return series.str.strip().str.upper()


def team_refs(ctx: Submission, d: pd.DataFrame) -> np.ndarray:
    """`d`'s project team references as matched between sheets (`team_ref`), None for blank."""
    return ctx.once(("team_refs", id(d)), lambda: as_array(team_ref(d["project_team_ref"])))


def in_teams(refs: np.ndarray, teams: np.ndarray) -> np.ndarray:
    """Rows whose team reference is one of `teams` (blank references are in none)."""
    return one_of(refs, *(t for t in teams if t is not None))


def _ends_before_start(c: Columns) -> np.ndarray:
    """Positions of rows whose end date is before their start date."""
    return np.flatnonzero(c["end_date"] < c["start_date"])


def _total_mismatches(total: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Positions of rows whose stated total is more than the tolerance (£1) away from the sum of its parts."""
    return np.flatnonzero(np.abs(total - expected) > threshold("money_tolerance_gbp"))


def _sum_all(c: Columns, keys: list[str]) -> np.ndarray:
    """Row sums of the columns `keys`, NaN where any is blank."""
    total = c[keys[0]]
    for key in keys[1:]:
        total = total + c[key]
    return total


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


@rule("E104")
def date_prepared_of_return(ctx: Submission):
    """The Return's Date prepared, when given, is a date inside `plausible_date_range` (E104, as every date
    of the return; contract §3). Blank is allowed: the field is optional."""
    ret = ctx.wb.return_sheet
    raw = ret.raw.get("date_prepared") if ret is not None else None
    if raw is None:
        return
    row, cell = ret.cells.get("date_prepared", (None, None))
    where = dict(sheet="Return", row=row, column="Date prepared", cell=cell, value=raw)
    value = ret.values.get("date_prepared")
    earliest, latest = (pd.Timestamp(d) for d in threshold("plausible_date_range"))
    if value is None or pd.isna(value):
        yield finding("E104", "invalid", **where)
    elif not earliest <= pd.Timestamp(value) <= latest:
        yield finding("E104", "out_of_range", earliest=display_date(earliest), latest=display_date(latest), **where)


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
    raw_blank = sheet.raw["role_category"].isna().to_numpy(dtype=bool) if "role_category" in sheet.raw else True
    for row in ctx.columns(data).rows[is_blank(ctx.columns(data)["role_category"]) & raw_blank].tolist():
        key = "role_category" if "role_category" in sheet.positions else "local_job_title"
        title = sheet.value("local_job_title", row)   # named in the message; the value is the cell's own
        yield sheet.finding("E103", key, row, "missing" if title else "missing_no_title", title=title,
                            choices=", ".join(ROLE_CATEGORIES))


@rule("E105", "E106")
def assignment_dates(ctx: Submission):
    """End before start (E105) and outside the quarter (E106). Like every finding on a cell, `value` is
    the cell as the council typed it; the message gives the date as dd/mm/yyyy."""
    sheet = ctx.sheet("Assignments")
    if sheet is None:
        return
    c = ctx.columns(sheet.data)
    start, end = c["start_date"], c["end_date"]
    bad = _ends_before_start(c)
    for i in bad:
        yield sheet.finding("E105", "end_date", int(c.rows[i]), date=display_date(end[i]), start=display_date(start[i]))
    if ctx.quarter is None:
        return
    q0, q1 = pd.Timestamp(ctx.quarter.start), pd.Timestamp(ctx.quarter.end)
    ok = np.ones(len(c), dtype=bool)
    ok[bad] = False
    for i in np.flatnonzero(ok & (end < q0.to_datetime64())):
        yield sheet.finding("E106", "end_date", int(c.rows[i]), "before", date=display_date(end[i]),
                            quarter=str(ctx.quarter), quarter_start=display_date(q0))
    for i in np.flatnonzero(ok & (start > q1.to_datetime64())):
        yield sheet.finding("E106", "start_date", int(c.rows[i]), "after", date=display_date(start[i]),
                            quarter=str(ctx.quarter), quarter_end=display_date(q1))


@rule("E108")
def project_team_links(ctx: Submission):
    sheet = ctx.sheet("Assignments")
    if sheet is None:
        return
    c = ctx.columns(sheet.data)
    model, ref = c["engagement_model"], c["project_team_ref"]
    for i in np.flatnonzero(one_of(model, *(m for m in ENGAGEMENT_MODELS if m != "Individual")) & is_blank(ref)):
        yield sheet.finding("E108", "project_team_ref", int(c.rows[i]), "missing_ref", model=model[i].lower())
    teams = team_refs(ctx, ctx.sheet_columns("ProjectTeams").frame)
    for i in np.flatnonzero(~is_blank(ref) & ~in_teams(team_refs(ctx, sheet.data), teams)):
        yield sheet.finding("E108", "project_team_ref", int(c.rows[i]), "unknown_ref")


@rule("E202", "E203")
def project_team_totals(ctx: Submission):
    sheet = ctx.sheet("ProjectTeams")
    if sheet is None or sheet.data.empty:
        return
    c = ctx.columns(sheet.data)
    for i in _ends_before_start(c):
        yield sheet.finding("E202", "end_date", int(c.rows[i]), "end_before_start", date=display_date(c["end_date"][i]),
                            start=display_date(c["start_date"][i]))
    expected = _sum_all(c, ["worker_costs", "other_costs"])
    for i in _total_mismatches(c["total_cost"], expected):
        yield sheet.finding("E203", "total_cost", int(c.rows[i]), worker=f"£{c['worker_costs'][i]:,.2f}",
                            other=f"£{c['other_costs'][i]:,.2f}", expected=f"£{expected[i]:,.2f}")


@rule("E301", "E303")
def monthly_costs(ctx: Submission):
    sheet = ctx.sheet("MonthlyCosts")
    if sheet is None:
        return
    c = ctx.columns(sheet.data)
    if ctx.quarter is not None:
        months = [pd.Timestamp(m) for m in ctx.quarter.months]
        names = ", ".join(m.strftime("%B %Y") for m in months)
        seen = [(int(row), pd.Timestamp(m)) for row, m in zip(c.rows, c["month"]) if not np.isnat(m)]
        for row, month in seen:
            if month not in months:
                yield sheet.finding("E301", "month", row, "outside", month=month.strftime("%B %Y"),
                                    quarter=str(ctx.quarter), months=names)
        earlier = set()
        for row, month in seen:
            if month in earlier and month in months:
                yield sheet.finding("E301", "month", row, "duplicate", month=month.strftime("%B %Y"))
            earlier.add(month)
        unreadable = "month" in sheet.raw and (sheet.raw["month"].notna().to_numpy(dtype=bool) & np.isnat(c["month"])).any()
        if not unreadable:   # an unreadable month is already reported; don't guess which one it was
            for m in months:
                if m not in earlier:
                    yield sheet.finding("E301", "month", None, "missing_month", value=m.strftime("%B %Y"),
                                        quarter=str(ctx.quarter))
    expected = _sum_all(c, ["worker_pay", "agency_fees", "msp_fees", "project_team_other_costs"])
    for i in _total_mismatches(c["total_monthly_cost"], expected):
        yield sheet.finding("E303", "total_monthly_cost", int(c.rows[i]), expected=f"£{expected[i]:,.2f}")


@rule("E401", "E403")
def compliance_statement(ctx: Submission):
    sheet = ctx.sheet("Compliance")
    if sheet is None:
        return
    c = ctx.columns(sheet.data)
    named = set()
    for row, name in zip(c.rows.tolist(), c["rule"]):
        if name is not None:
            if name in named:
                yield sheet.finding("E401", "rule", row, "duplicate")
            named.add(name)
    for name in COMPLIANCE_RULES:
        if name not in named:
            yield sheet.finding("E401", "rule", None, "missing", value=name)
    needs = one_of(c["status"], "Partially compliant", "Not compliant") & is_blank(c["explanation"])
    for row in c.rows[needs].tolist():
        yield sheet.finding("E403", "explanation", row, rule=sheet.data.at[row, "rule"], status=sheet.data.at[row, "status"])
