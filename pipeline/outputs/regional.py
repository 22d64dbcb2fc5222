"""The regional workbook, for each region's RIIA: regional/<Region>.xlsx with a Summary (key figures,
rates against the cap by role, the compliance picture, the cost-trend and rates charts), the tables
behind it (by LA and role, cost trend, rates vs cap, cap breaches, compliance grid, agencies,
cross-LA findings), the section 7 sheets (Benchmark, Workforce, Trends, Agencies, Tenure:
pipeline/outputs/insight.py) and Notes with the cap table."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.outputs import insight
from pipeline.outputs.kit import LINE_HEIGHT, Book, cap_rows, notes_sheet, without_swe, write_cell

COMPLIANCE_STATUSES = ("Fully compliant", "Partially compliant", "Not compliant", "No assignments")


def write(path: Path, region_code: str, region_name: str, tables: dict[str, pd.DataFrame],
          about: list[tuple[str, object]]) -> Path:
    """regional/<Region>.xlsx for the RIIA: a Summary sheet (key figures, rates against the cap by
    role, the compliance picture, two charts), then the tables behind it, and Notes (definitions,
    the cap table used)."""
    pick = {name: without_swe(t[t["region_code"] == region_code].drop(columns="region_code"))
            for name, t in tables.items() if "region_code" in t.columns and name not in insight.MARTS}
    quarter = next((v for k, v in about if k == "Quarter"), "")
    book = Book(path)
    summary = book.sheet("Summary")
    summary.fit_to_pages(1, 1)
    by_la = pick["regional_summary"]
    book.table("By LA and role", by_la, note=f"{region_name}, {quarter}: each LA's agency workforce by role "
               "category, with an 'All roles' row per LA and the region's rows (LA code ALL) at the end.")
    trend, lfl_las = trend_table(pick["cost_trend"], region_name)
    book.table("Cost trend", trend, kinds={c: "money" for c in trend.columns[4:]},
               note=_trend_note(pick["cost_trend"], lfl_las))
    trend_rows = book.table_rows
    rates = pick["rates_vs_cap"][["role_category", "assignments", "median_rate", "mean_rate", "p90_rate", "max_rate",
                                  "cap"]]
    book.table("Rates vs cap", rates, note="Cap-basis rates of the region's assignments by role category, against "
               f"the cap in force on the last day of the quarter (cap table {_cap_version(pick)}).")
    rates_rows = book.table_rows
    book.table("Cap breaches", pick["cap_breaches"].drop(columns=["quarter", "cap_table_version"]),
               note="Assignments paid above the price cap, with who approved each breach and why.")
    _compliance_sheet(book, pick["compliance_grid"])
    book.table("Agencies affecting compliance", pick["agencies"].drop(columns="quarter"),
               note="Agencies whose behaviour affected an LA's compliance with a rule, as the LA described it.")
    book.table("Cross-LA findings", pick["cross_la"].drop(columns="quarter"),
               note="X601 (the same worker engaged by two LAs over overlapping dates, across England) and X602 "
                    "(engaged within the cool-off period of leaving a permanent post at another LA of the region): "
                    "for the RIIA only, never shown to an LA.")
    section7 = insight.write_sheets(book, insight.region_rows(tables, region_code))
    _summary_sheet(book, summary, region_code, region_name, quarter, pick, tables["regional_costs"])
    _trend_chart(book, summary, trend, trend_rows, region_name)
    _rates_chart(book, summary, rates, rates_rows)
    notes_sheet(book, about, [by_la, trend, rates, pick["cap_breaches"], pick["compliance_grid"],
                              pick["cross_la"], *section7], caps=cap_rows(region_code))
    book.close()
    return path


def _cap_version(pick: dict[str, pd.DataFrame]) -> str:
    versions = pick["rates_vs_cap"]["cap_table_version"].dropna().unique()
    return ", ".join(map(str, versions)) or "none"


def trend_table(trend: pd.DataFrame, region_name: str) -> tuple[pd.DataFrame, list[str]]:
    """Month x (LAs reporting, region total, like-for-like total, each LA): the like-for-like line
    sums only the LAs that reported in every quarter shown. Returns the table and those LAs' names."""
    lfl = sorted(trend.loc[trend["every_quarter"].astype(bool), "la_name"].unique())
    wide = trend.pivot_table(index="month", columns="la_name", values="total_monthly_cost", aggfunc="sum")
    frame = pd.DataFrame({
        "month": pd.to_datetime(wide.index),
        "las_reporting": trend.groupby("month")["la_code"].nunique().reindex(wide.index).to_numpy(),
        "region_total_cost": wide.sum(axis=1, min_count=1).to_numpy(),
        "like_for_like_cost": wide[lfl].sum(axis=1, min_count=1).to_numpy() if lfl else np.nan,
    })
    for name in wide.columns:
        frame[name] = wide[name].to_numpy()
    frame.attrs["region"] = region_name
    return frame, lfl


def _trend_note(trend: pd.DataFrame, lfl: list[str]) -> str:
    quarters = sorted(trend["quarter"].unique())
    if not quarters:
        return "No accepted returns yet."
    shown = f"{quarters[0]} to {quarters[-1]}" if len(quarters) > 1 else quarters[0]
    return (f"Total monthly cost (£) of each LA's accepted returns, {shown}. A total rises or falls when an LA "
            f"starts or stops reporting: 'LAs reporting' says how many each month covers, and the like-for-like "
            f"total sums only the {len(lfl)} LAs that reported in every quarter shown"
            + (f" ({', '.join(lfl)})." if lfl else "."))


def _summary_sheet(book: Book, ws, region_code: str, region_name: str, quarter: str,
                   pick: dict[str, pd.DataFrame], costs: pd.DataFrame) -> None:
    """Key figures for the region and quarter, the median rate against the cap by role, and how
    many LAs each rule's assignments show as compliant."""
    write_cell(ws, 0, 0, f"Agency child and family social workers: {region_name}, {quarter}", book.title)
    write_cell(ws, 1, 0, "Key figures from the LAs' accepted returns; the tables behind them are on the following "
                     "sheets and the definitions on Notes.", book.fmt("note"))
    c = costs.set_index("region_code").loc[region_code]
    s = pick["regional_summary"]
    region = s[(s["la_code"] == "ALL") & (s["role_category"] == "All roles")]
    r = region.iloc[0] if len(region) else None

    def get(col):
        return None if r is None else r[col]
    figures = [
        ("LAs with an accepted return", f"{int(c['las_accepted'])} of {int(c['las_live'])}", "count"),
        ("Agency workers in the quarter (headcount)", get("headcount"), "count"),
        ("Agency FTE in the quarter", get("fte"), "fte"),
        ("Total cost (£)", float(c["total_cost"]) if c["las_accepted"] else None, "money"),
        ("Cost of assignments (£)", get("assignment_cost"), "money"),
        ("Median cap-basis rate, all roles (£ per hour)", get("median_rate"), "rate"),
        ("Share of assignments above cap", get("share_above_cap"), "share"),
        ("Assignments above cap", get("breaches"), "count"),
        ("Above cap, not signed off by DCS or Chief Executive", get("breaches_not_signed_off"), "count"),
        ("Above cap, reported to the RIIA", get("breaches_reported_riia"), "count"),
    ]
    ws.set_column(0, 0, 57)   # the longest role category and label
    ws.set_column(1, 5, 16)
    row = 3
    write_cell(ws, row, 0, "Measure", book.head)
    write_cell(ws, row, 1, "Value", book.head)
    for label, value, kind in figures:
        row += 1
        write_cell(ws, row, 0, label, book.fmt("text"))
        shown = "x" if value is None or (isinstance(value, float) and math.isnan(value)) else value
        write_cell(ws, row, 1, shown, book.fmt(kind, symbol=isinstance(shown, str), bold=True))
    row += 2
    rates = pick["rates_vs_cap"]
    write_cell(ws, row, 0, "Median cap-basis rate against the cap, by role category", book.subtitle)
    row += 1
    heads = ["Role category", "Assignments", "Median rate (£ per hour)", "Price cap (£ per hour)",
             "Median as share of cap"]
    for j, h in enumerate(heads):
        write_cell(ws, row, j, h, book.head)
    ws.set_row(row, LINE_HEIGHT * 2)
    missing = "x" if not c["las_accepted"] else "z"   # no returns at all / no assignment in the role
    for rec in rates.itertuples(index=False):
        row += 1
        share = rec.median_rate / rec.cap if pd.notna(rec.median_rate) and rec.cap else None
        count = rec.assignments if pd.notna(rec.assignments) else (0 if c["las_accepted"] else "x")
        cells = [(rec.role_category, "text"), (count, "count"),
                 (rec.median_rate if pd.notna(rec.median_rate) else missing, "rate"), (rec.cap, "rate"),
                 (share if share is not None else missing, "share")]
        for j, (value, kind) in enumerate(cells):
            write_cell(ws, row, j, value, book.fmt(kind, symbol=isinstance(value, str) and kind != "text"))
    row += 2
    write_cell(ws, row, 0, "Compliance: LAs by what their assignments show for each rule", book.subtitle)
    row += 1
    grid = pick["compliance_grid"]
    heads = ["Rule", *COMPLIANCE_STATUSES, "Declared differs"]
    for j, h in enumerate(heads):
        write_cell(ws, row, j, h, book.head)
    ws.set_row(row, LINE_HEIGHT * 2)
    if grid.empty:
        write_cell(ws, row + 1, 0, "No accepted returns yet.", book.fmt("note"))
    for rule, part in grid.groupby("rule", sort=False):
        row += 1
        write_cell(ws, row, 0, rule, book.fmt("text"))
        for j, status in enumerate(COMPLIANCE_STATUSES, start=1):
            write_cell(ws, row, j, int((part["derived_status"] == status).sum()), book.fmt("count"))
        differs = int((~part["agrees"].astype(bool)).sum())
        write_cell(ws, row, len(heads) - 1, differs, book.flag if differs else book.fmt("count"))


def _trend_chart(book: Book, ws, trend: pd.DataFrame, rows: tuple[int, int], region_name: str) -> None:
    """Region total and like-for-like total by month (£), with the LAs reporting on a second axis."""
    if trend.empty:
        return
    head, last = rows
    cats = ["Cost trend", head + 1, 0, last, 0]
    lines = book.wb.add_chart({"type": "line"})
    lines.add_series({"name": ["Cost trend", head, 2], "categories": cats, "values": ["Cost trend", head + 1, 2, last, 2],
                      "line": {"color": "#1F4E79", "width": 2.5}, "marker": {"type": "circle", "size": 5}})
    lines.add_series({"name": ["Cost trend", head, 3], "categories": cats, "values": ["Cost trend", head + 1, 3, last, 3],
                      "line": {"color": "#C55A11", "width": 2.0, "dash_type": "dash"}})
    count = book.wb.add_chart({"type": "column"})
    count.add_series({"name": ["Cost trend", head, 1], "categories": cats, "values": ["Cost trend", head + 1, 1, last, 1],
                      "fill": {"color": "#D9D9D9"}, "y2_axis": True, "gap": 150})
    lines.combine(count)
    lines.set_title({"name": f"Total monthly cost, {region_name}", "name_font": {"size": 12}})
    lines.set_y_axis({"name": "£ per month", "num_format": "£#,##0", "min": 0})
    count.set_y2_axis({"name": "LAs reporting", "min": 0, "major_unit": 1})
    lines.set_x_axis({"date_axis": True, "num_format": "mmm yy"})
    lines.set_legend({"position": "bottom"})
    lines.set_size({"width": 760, "height": 340})
    ws.insert_chart(3, 7, lines, {"x_offset": 10})


def _rates_chart(book: Book, ws, rates: pd.DataFrame, rows: tuple[int, int]) -> None:
    """Median and 90th percentile cap-basis rate by role, with the cap as a line."""
    if rates.empty:
        return
    head, last = rows
    cols = {name: j for j, name in enumerate(rates.columns)}
    cats = ["Rates vs cap", head + 1, 0, last, 0]
    bars = book.wb.add_chart({"type": "column"})
    for label, colour in (("median_rate", "#5B9BD5"), ("p90_rate", "#1F4E79")):
        j = cols[label]
        bars.add_series({"name": ["Rates vs cap", head, j], "categories": cats,
                         "values": ["Rates vs cap", head + 1, j, last, j], "fill": {"color": colour}})
    cap = book.wb.add_chart({"type": "line"})
    j = cols["cap"]
    cap.add_series({"name": ["Rates vs cap", head, j], "categories": cats, "values": ["Rates vs cap", head + 1, j, last, j],
                    "line": {"color": "#C00000", "width": 2.5}, "marker": {"type": "diamond", "size": 7}})
    bars.combine(cap)
    bars.set_title({"name": "Cap-basis rate against the price cap, by role", "name_font": {"size": 12}})
    bars.set_y_axis({"name": "£ per hour", "num_format": "£0", "min": 0})
    bars.set_legend({"position": "bottom"})
    bars.set_size({"width": 760, "height": 340})
    ws.insert_chart(21, 7, bars, {"x_offset": 10})


def _compliance_sheet(book: Book, grid: pd.DataFrame) -> None:
    """LA x rule: 'declared / shown by assignments', highlighted where they disagree."""
    ws = book.sheet("Compliance grid")
    rules = list(dict.fromkeys(grid["rule"]))
    las = list(dict.fromkeys(zip(grid["la_code"], grid["la_name"])))
    write_cell(ws, 0, 0, "Each cell: the LA's declared status for the rule (first line), then what its assignments "
                     "show (second line); shaded where they differ.", book.fmt("note"))
    heads = ["LA code", "Local authority", *rules]
    for c, h in enumerate(heads):
        write_cell(ws, 1, c, h, book.head)
    ws.set_row(1, LINE_HEIGHT * 2)
    ws.set_column(0, 0, 9)
    ws.set_column(1, 1, max([len(n) for _, n in las] + [16]) + 2)
    ws.set_column(2, 1 + max(len(rules), 1), 22)
    ws.freeze_panes(2, 2)
    cells = {(r.la_code, r.rule): r for r in grid.itertuples(index=False)}
    wrap_flag = book.wb.add_format({"bg_color": "#FCE4D6", "text_wrap": True, "valign": "top"})
    wrap = book.fmt("text", wrap=True)
    for r, (code, name) in enumerate(las, start=2):
        write_cell(ws, r, 0, code, book.fmt("code"))
        write_cell(ws, r, 1, name, book.fmt("text"))
        for c, rule in enumerate(rules, start=2):
            rec = cells.get((code, rule))
            if rec is not None:
                write_cell(ws, r, c, f"{rec.declared_status}\n{rec.derived_status}", wrap if rec.agrees else wrap_flag)
        ws.set_row(r, LINE_HEIGHT * 2)
    if las:
        ws.autofilter(1, 0, 1 + len(las), 1 + len(rules))
