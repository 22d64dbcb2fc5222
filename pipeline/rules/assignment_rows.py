"""E103, E105, E106, E108 on each Assignments row, across its fields: a role category once job
titles are mapped (E103), an end date not before the start (E105), dates overlapping the quarter
(E106), and a project team reference where the engagement model needs one, naming a team on
ProjectTeams (E108)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.contract import ENGAGEMENT_MODELS, ROLE_CATEGORIES
from pipeline.read.parse import display_date
from pipeline.rules.columns import is_blank, one_of
from pipeline.rules.context import ReturnContext
from pipeline.rules.registry import rule
from pipeline.rules.row_checks import ends_before_start
from pipeline.rules.team_refs import in_teams, team_refs


@rule("E103")
def role_after_mapping(ctx: ReturnContext):
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
def assignment_dates(ctx: ReturnContext):
    """End before start (E105) and outside the quarter (E106). Like every finding on a cell, `value` is
    the cell as the council typed it; the message gives the date as dd/mm/yyyy."""
    sheet = ctx.sheet("Assignments")
    if sheet is None:
        return
    c = ctx.columns(sheet.data)
    start, end = c["start_date"], c["end_date"]
    bad = ends_before_start(c)
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
def project_team_links(ctx: ReturnContext):
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
