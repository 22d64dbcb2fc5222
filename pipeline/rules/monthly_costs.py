"""E301, E303, Q511, Q513, Q514 on the MonthlyCosts sheet: exactly the quarter's three months (E301)
and each month's total the sum of its components (E303); and the quarter's figures against others:
the assignments' costs (Q511), DfE's latest agency headcount for the LA (Q513) and the LA's previous
accepted quarter (Q514)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.config import threshold
from pipeline.core.findings import finding
from pipeline.core.reference import latest_agency_headcount
from pipeline.read.workbook import SheetFrame
from pipeline.rules.context import ReturnContext
from pipeline.rules.registry import rule
from pipeline.rules.row_checks import sum_all, total_mismatches


@rule("E301", "E303")
def monthly_costs(ctx: ReturnContext):
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
        unknown = any((sheet.sheet.name, sheet.cell("month", int(row))) in ctx.wb.reported_cells for row in c.rows)
        if not (unreadable or unknown):   # an unreadable or uncalculated month is already reported: don't guess which
            for m in months:
                if m not in earlier:
                    yield sheet.finding("E301", "month", None, "missing_month", value=m.strftime("%B %Y"),
                                        quarter=str(ctx.quarter))
    expected = sum_all(c, ["worker_pay", "agency_fees", "msp_fees", "project_team_other_costs"])
    for i in total_mismatches(c["total_monthly_cost"], expected):
        yield sheet.finding("E303", "total_monthly_cost", int(c.rows[i]), expected=f"£{expected[i]:,.2f}")


def _first_row(sheet: SheetFrame, key: str) -> dict:
    """Where a quarter-level finding points: the first month's cell of `key` on MonthlyCosts."""
    row = int(sheet.data.index[0])
    return dict(sheet=sheet.sheet.name, row=row, column=sheet.header(key), cell=sheet.cell(key, row))


def _monthly(ctx: ReturnContext) -> SheetFrame | None:
    sheet = ctx.sheet("MonthlyCosts")
    return sheet if sheet is not None and not sheet.data.empty else None


@rule("Q511")
def cost_reconciliation(ctx: ReturnContext):
    """Compared against the larger of the two totals, so a zero on either side still shows."""
    sheet = _monthly(ctx)
    assignments = ctx.frame("Assignments")["cost_in_quarter"].sum(min_count=1)
    if sheet is None or pd.isna(assignments):
        return
    monthly = sheet.data["total_monthly_cost"].sum(min_count=1)
    base = max(assignments, monthly) if pd.notna(monthly) else 0
    tol = threshold("cost_reconciliation_tolerance")
    if base > 0 and abs(assignments - monthly) > tol * base:
        yield finding("Q511", value=round(float(monthly), 2), assignments=assignments, monthly=monthly,
                      diff_pct=abs(assignments - monthly) / base * 100, pct=tol * 100,
                      **_first_row(sheet, "total_monthly_cost"))


def _latest(months: np.ndarray, positions: np.ndarray):
    """The position of the latest month, as pandas' sort_values(na_position='first') puts last."""
    dated = ~np.isnat(months)
    if not dated.any():
        return positions[-1]
    return positions[dated][months[dated].argsort(kind="quicksort")[-1]]


@rule("Q513")
def headcount_benchmark(ctx: ReturnContext):
    """The latest month-end headcount, like for like with DfE's 30 September headcount."""
    sheet = _monthly(ctx)
    if sheet is None or ctx.la is None or ctx.quarter is None:
        return
    c = ctx.columns(sheet.data)
    counted = np.flatnonzero(~np.isnan(c["agency_headcount"]))
    bench = latest_agency_headcount(ctx.la.code, ctx.quarter.start)
    if not len(counted) or bench is None or not bench[1] > 0:
        return
    i, (year, figure) = _latest(c["month"][counted], counted), bench
    row, headcount = c.rows[i], c["agency_headcount"][i]
    if abs(headcount - figure) > threshold("headcount_benchmark_tolerance") * figure:
        yield sheet.finding("Q513", "agency_headcount", row, diff_pct=abs(headcount - figure) / figure * 100,
                            benchmark=f"{figure:g}", year=year)


@rule("Q514")
def quarter_change(ctx: ReturnContext):
    sheet = _monthly(ctx)
    previous = ctx.previous_total
    if sheet is None or previous is None or not previous > 0:
        return
    total = sheet.data["total_monthly_cost"].sum(min_count=1)
    if pd.notna(total) and abs(total - previous) > threshold("quarter_change_tolerance") * previous:
        yield finding("Q514", value=round(float(total), 2), previous=previous, diff_pct=abs(total - previous) / previous * 100,
                      previous_quarter=str(ctx.quarter.previous()) if ctx.quarter else "the previous quarter",
                      **_first_row(sheet, "total_monthly_cost"))
