"""E202, E203, Q510 on project teams (the ProjectTeams sheet and the assignments engaged through
one): a team's end date not before its start (E202) and its total the sum of worker and other costs
(E203); and the agency rules' demands of a team (Q510): all its workers identified and approved, the
LA in control of practice (legacy teams excepted, transition.py), its worker costs matching its
members' own costs, and each member with a Cost in quarter of its own."""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.config import threshold
from pipeline.core.contract import PROJECT_MODELS
from pipeline.read.parse import display_date
from pipeline.rules.breaches import assignments
from pipeline.rules.cells import blank, values_at
from pipeline.rules.columns import one_of
from pipeline.rules.context import ReturnContext
from pipeline.rules.registry import rule
from pipeline.rules.row_checks import ends_before_start, sum_all, total_mismatches
from pipeline.rules.team_refs import in_teams, team_refs
from pipeline.rules.transition import legacy


@rule("E202", "E203")
def project_team_totals(ctx: ReturnContext):
    sheet = ctx.sheet("ProjectTeams")
    if sheet is None or sheet.data.empty:
        return
    c = ctx.columns(sheet.data)
    for i in ends_before_start(c):
        yield sheet.finding("E202", "end_date", int(c.rows[i]), "end_before_start", date=display_date(c["end_date"][i]),
                            start=display_date(c["start_date"][i]))
    expected = sum_all(c, ["worker_costs", "other_costs"])
    for i in total_mismatches(c["total_cost"], expected):
        yield sheet.finding("E203", "total_cost", int(c.rows[i]), worker=f"£{c['worker_costs'][i]:,.2f}",
                            other=f"£{c['other_costs'][i]:,.2f}", expected=f"£{expected[i]:,.2f}")


def team_breaches(ctx: ReturnContext) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """ProjectTeams rows: {'not_identified', 'no_control'} masks and the legacy mask (contract start)."""
    def compute():
        t = ctx.sheet_columns("ProjectTeams")
        flags = {"not_identified": one_of(t["all_workers_identified"], "No"),
                 "no_control": one_of(t["la_retains_control"], "No")}
        return flags, legacy(ctx, t["start_date"])
    return ctx.once(("team_breaches",), compute)


def member_costs(ctx: ReturnContext) -> dict[str, float]:
    """Sum of members' 'Cost in quarter' (£) by team reference (trimmed, upper case: `team_refs.team_ref`);
    NaN where no member has a cost. Summed in row order with the compensated (Kahan) sum pandas'
    groupby uses, so the sums are the same to the last bit."""
    a = ctx.sheet_columns("Assignments")
    sums: dict[str, list[float]] = {}   # ref -> [sum, compensation, costs counted]
    for ref, cost in zip(team_refs(ctx, a.frame).tolist(), a["cost_in_quarter"].tolist()):
        if ref is None:
            continue
        acc = sums.setdefault(ref, [0.0, 0.0, 0])
        if cost == cost:   # not NaN
            y = cost - acc[1]
            t = acc[0] + y
            acc[1] = t - acc[0] - y
            if acc[1] != acc[1]:   # an infinite cost: no compensation
                acc[1] = 0.0
            acc[0], acc[2] = t, acc[2] + 1
    return {ref: total if counted else np.nan for ref, (total, _, counted) in sums.items()}


def members_without_cost(ctx: ReturnContext, d: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Assignments in a project team or packaged model on ProjectTeams with no Cost in quarter of
    their own (costs must be disaggregated per worker): (breaching, legacy: their team is legacy)."""
    t = ctx.sheet_columns("ProjectTeams")
    if d.empty or not len(t):
        return np.zeros(len(d), dtype=bool), np.zeros(len(d), dtype=bool)
    _, old = team_breaches(ctx)
    refs = team_refs(ctx, t.frame)
    member = team_refs(ctx, d)
    missing = (one_of(ctx.columns(d)["engagement_model"], *PROJECT_MODELS) & in_teams(member, refs)
               & blank(ctx, d, "cost_in_quarter"))
    in_legacy = in_teams(member, refs[old])
    return missing & ~in_legacy, missing & in_legacy


@rule("Q510")
def project_teams(ctx: ReturnContext):
    members_sheet = assignments(ctx)
    if members_sheet is not None:
        d = members_sheet.data
        pos = np.flatnonzero(members_without_cost(ctx, d)[0])
        for row, ref in zip(ctx.columns(d).rows[pos].tolist(), values_at(ctx, d, "project_team_ref", pos)):
            yield members_sheet.finding("Q510", "cost_in_quarter", row, "no_member_cost", ref=ref)
    sheet = ctx.sheet("ProjectTeams")
    if sheet is None or sheet.data.empty:
        return
    t = sheet.data
    flags, old = team_breaches(ctx)
    for variant, key in (("not_identified", "all_workers_identified"), ("no_control", "la_retains_control")):
        for row in t.index[flags[variant] & ~old]:
            yield sheet.finding("Q510", key, row, variant, ref=t.at[row, "project_team_ref"])
    costs = member_costs(ctx)
    members = np.array([costs.get(ref, np.nan) if ref is not None else np.nan for ref in team_refs(ctx, t)],
                       dtype="float64")
    tol = threshold("project_cost_tolerance")
    worker = ctx.columns(t)["worker_costs"]
    for i in np.flatnonzero((np.abs(worker - members) > tol * members) & (members > 0)):
        row = int(t.index[i])
        yield sheet.finding("Q510", "worker_costs", row, "costs", ref=t.at[row, "project_team_ref"],
                            worker=worker[i], members=members[i], pct=tol * 100)
