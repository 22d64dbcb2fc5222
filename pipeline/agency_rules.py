"""The agency-rules queries (Q501–Q511, Q513–Q515, Q518): does each assignment follow DfE's agency rules?

Each per-assignment rule is a vectorised mask over the Assignments frame (`BREACHES`). The
registered rule turns the breaching rows into findings, and derived compliance (compliance.py)
counts the same masks, so the compliance table and the findings cannot disagree.

Transition: an assignment that started before `rules_in_force` (31 Oct 2024) is *legacy* while
the quarter ends before `transition_end` (1 Oct 2025). The rules on the terms of engagement —
price caps (Q501, Q502), PQE (Q503), cool-off (Q504), references (Q505) and notice (Q506) — do not
bind it yet: it raises no query and is counted as legacy, not as a breach. A project team whose
contract started before 31 Oct 2024 is legacy the same way for identification and LA control
(Q510). Hours (Q507, Working Time Regulations), implausible rates (Q508), duplicate workers (Q509)
and the cost and benchmark checks (Q510 costs, Q511, Q513, Q514) test the data, not the rules, and
always apply. Once the transition is over, a legacy assignment is held to the cap in force on
`transition_end`, since no cap was in force on its start date.

Caps for existing arrangements: for a quarter ending after `caps_apply_to_existing_from` (default
1 Oct 2025), an assignment still active on that day is judged against the cap in force on the later
of its start date and that day (DfE: caps apply to existing arrangements "shortly thereafter").
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipeline.checks import team_ref
from pipeline.config import threshold
from pipeline.contract import COOL_OFF_EXCEPTIONS, PROJECT_MODELS
from pipeline.findings import finding
from pipeline.ingest import SheetFrame
from pipeline.parse import display_date
from pipeline.reference import la_any, latest_agency_headcount
from pipeline.registry import rule
from pipeline.submission import Submission

TRANSITIONAL = ("Q501", "Q502", "Q503", "Q504", "Q505", "Q506", "Q518")
# Cool-off exceptions that excuse a same-region move. "Different region" does not: the previous LA
# is in this region, so the exception recorded is wrong (data-contract Q504).
EXCUSING = tuple(e for e in COOL_OFF_EXCEPTIONS if e not in ("None", "Different region"))
# Leavers whose leaving reason is itself a cool-off exception (X602, and Q504 for an own leaver).
EXCEPTED_LEAVERS = ("Redundancy", "Probation")


def _day(name: str) -> pd.Timestamp:
    return pd.Timestamp(dt.date.fromisoformat(str(threshold(name))))


def one_of(series: pd.Series, *values: str) -> pd.Series:
    """Plain bool mask: the cell holds one of `values` (blank is False)."""
    return series.isin(values).astype(bool)


def legacy(ctx: Submission, starts: pd.Series) -> pd.Series:
    """Started before the rules came into force, in a quarter that ends inside the transition."""
    if ctx.quarter is None or pd.Timestamp(ctx.quarter.end) >= _day("transition_end"):
        return pd.Series(False, index=starts.index)
    return (starts < _day("rules_in_force")).astype(bool)


def cap_for(ctx: Submission, d: pd.DataFrame) -> pd.Series:
    """The cap (£/h) for each assignment: LA's region x role category x start date; NaN where none."""
    return ctx.once(("cap", id(d)), lambda: _caps(ctx, d))


def cap_day(ctx: Submission, d: pd.DataFrame) -> pd.Series:
    """The day whose cap applies to each assignment (datetime64; NaT where no start date).

    Its start date; a legacy start (before `rules_in_force`) -> `transition_end`, when caps were first
    in force; and, for a quarter ending after `caps_apply_to_existing_from`, an assignment still active
    on that day -> the later of its start and that day.
    """
    on = d["start_date"].mask(d["start_date"] < _day("rules_in_force"), _day("transition_end"))
    existing_from = _day("caps_apply_to_existing_from")
    if ctx.quarter is not None and pd.Timestamp(ctx.quarter.end) > existing_from:
        active = (d["end_date"].isna() | (d["end_date"] >= existing_from)).astype(bool)
        on = on.mask(active & (on < existing_from), existing_from)
    return on


def _caps(ctx: Submission, d: pd.DataFrame) -> pd.Series:
    if ctx.la is None:
        return pd.Series(np.nan, index=d.index)
    region = ctx.la.region_code
    values = [ctx.caps.cap(region, role, day.date()) if isinstance(role, str) and not pd.isna(day) else None
              for role, day in zip(d["role_category"].to_numpy(dtype=object, na_value=None), cap_day(ctx, d))]
    return pd.Series(values, index=d.index, dtype="float64")


def over_cap(ctx: Submission, d: pd.DataFrame) -> pd.Series:
    """Above the cap to the penny (so float noise in pay + on-costs never makes a breach); no cap, no breach."""
    return (d["cap_basis_rate"].round(2) > cap_for(ctx, d)).astype(bool)


def blank(ctx: Submission, d: pd.DataFrame, key: str) -> pd.Series:
    """The cell is empty as typed in (a value that did not parse is an error of its own, not blank)."""
    sheet = ctx.sheet("Assignments")
    if sheet is not None and sheet.data is d and key in sheet.raw.columns:
        return sheet.raw[key].isna().astype(bool)
    return d[key].isna().astype(bool)


def cool_off_variant(ctx: Submission, d: pd.DataFrame) -> pd.Series:
    """Q504's message variant for each breaching row, NA elsewhere (data-contract Q504):

    after_start / different_region / default - declared: left a permanent post at an LA of this
        region under `cool_off_months` before the start (or after it), and no exception excuses it;
    own_leaver - on this LA's own Leavers sheet, left under `cool_off_months` before the start (a
        leaver who went through redundancy or probation is excepted);
    unknown - 'Unknown' whether they left a permanent post: not checked.
    """
    return ctx.once(("cool_off", id(d)), lambda: _cool_off_variant(ctx, d))


def _cool_off_variant(ctx: Submission, d: pd.DataFrame) -> pd.Series:
    out = pd.Series(pd.NA, index=d.index, dtype="string")
    if ctx.la is None:
        return out
    months = pd.DateOffset(months=threshold("cool_off_months"))
    region = ctx.la.region_code
    excused = one_of(d["cool_off_exception"], *EXCUSING)
    same = [c for c in d["previous_la_code"].dropna().unique() if (la := la_any(c)) and la.region_code == region]
    left = d["date_left_permanent_post"]
    within = (d["start_date"] < left + months).astype(bool)
    declared = one_of(d["left_permanent_post"], "Yes") & one_of(d["previous_la_code"], *same) & within & ~excused
    left_after = declared & (left > d["start_date"]).astype(bool)
    out[one_of(d["left_permanent_post"], "Unknown") & ~excused] = "unknown"
    out[own_leaver(ctx, d).notna() & ~excused] = "own_leaver"
    out[declared] = "default"
    out[declared & one_of(d["cool_off_exception"], "Different region")] = "different_region"
    out[left_after] = "after_start"
    return out


def own_leaver(ctx: Submission, d: pd.DataFrame) -> pd.Series:
    """For each assignment whose worker is on this LA's Leavers sheet and started under
    `cool_off_months` after leaving (or before): that leaver's row; NA elsewhere. Leavers who went
    through redundancy or probation are exceptions, as in X602."""
    leavers = ctx.frame("Leavers")
    leavers = leavers[leavers["swe_number"].notna() & leavers["date_left"].notna()
                      & ~one_of(leavers["reason"], *EXCEPTED_LEAVERS)]
    out = pd.Series(pd.NA, index=d.index, dtype="Int64")
    if leavers.empty:
        return out
    a = d.loc[d["swe_number"].notna() & d["start_date"].notna(), ["swe_number", "start_date"]].rename_axis("row")
    pairs = a.reset_index().merge(leavers.rename_axis("leaver_row").reset_index(), on="swe_number")
    pairs = pairs[pairs["start_date"] < pairs["date_left"] + pd.DateOffset(months=threshold("cool_off_months"))]
    first = pairs.sort_values(["row", "date_left"], ascending=[True, False]).drop_duplicates("row")
    out[first["row"].to_numpy()] = first["leaver_row"].to_numpy()
    return out


def references_short(ctx: Submission, d: pd.DataFrame) -> pd.Series:
    """Q505's variant per row, NA where fine: 'No' (not_obtained), a count under `min_references`
    (too_few), or blank (not_recorded). 'Yes' is read as the minimum met."""
    ref = d["reference_obtained"]
    count = pd.to_numeric(ref.where(~ref.isin(["Yes", "No"])), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    out = pd.Series(pd.NA, index=d.index, dtype="string")
    out[count < threshold("min_references")] = "too_few"
    out[one_of(ref, "No")] = "not_obtained"
    out[blank(ctx, d, "reference_obtained")] = "not_recorded"
    return out


def notice_short(ctx: Submission, d: pd.DataFrame) -> pd.Series:
    """Q506: notice under `min_notice_weeks`, unless the permanent equivalent's notice is under that
    too and the assignment gives at least as much. A longer notice is never a breach."""
    notice, permanent, minimum = d["notice_period_weeks"], d["permanent_notice_weeks"], threshold("min_notice_weeks")
    permanent_rule = permanent.notna() & (permanent < minimum) & (notice >= permanent)
    return ((notice < minimum) & ~permanent_rule).astype(bool)


def missing_components(ctx: Submission, d: pd.DataFrame) -> pd.DataFrame:
    """Q515: for each cap-basis component, the rows whose payment route needs it and leave it blank
    (threshold cap_basis_components: payment route -> component columns)."""
    needs = threshold("cap_basis_components")
    keys = sorted({k for ks in needs.values() for k in ks}, key=list(d.columns).index)
    out = pd.DataFrame(False, index=d.index, columns=keys)
    for route, components in needs.items():
        on_route = one_of(d["payment_route"], route)
        for key in components:
            out[key] |= on_route & blank(ctx, d, key)
    return out


def _pay_out_of_range(ctx: Submission, d: pd.DataFrame) -> pd.Series:
    low, high = threshold("pay_rate_range")
    return ((d["hourly_pay_rate"] < low) | (d["hourly_pay_rate"] > high)).astype(bool)


def _approvers() -> tuple[str, ...]:
    return tuple(threshold("cap_breach_approvers"))


BREACHES = {
    "Q501": lambda ctx, d: over_cap(ctx, d) & d["cap_approved_by"].isna().astype(bool),
    "Q502": lambda ctx, d: over_cap(ctx, d) & d["cap_approved_by"].notna().astype(bool)
    & ~one_of(d["cap_approved_by"], *_approvers()),
    "Q503": lambda ctx, d: (d["pqe_years"] < threshold("min_pqe_years")).astype(bool),
    "Q504": lambda ctx, d: cool_off_variant(ctx, d).notna().astype(bool),
    "Q505": lambda ctx, d: references_short(ctx, d).notna().astype(bool),
    "Q506": notice_short,
    "Q507": lambda ctx, d: (d["hours_per_week"] > threshold("max_hours_per_week")).astype(bool),
    "Q508": _pay_out_of_range,
    "Q515": lambda ctx, d: missing_components(ctx, d).any(axis=1).astype(bool),
    "Q518": lambda ctx, d: over_cap(ctx, d) & ~one_of(d["cap_reported_to_riia"], "Yes"),
}


def breaches(ctx: Submission, d: pd.DataFrame, code: str) -> tuple[pd.Series, pd.Series]:
    """(rows breaching the rule, legacy rows that would breach it but are in transition)."""
    def compute():
        mask = BREACHES[code](ctx, d)
        old = legacy(ctx, d["start_date"]) if code in TRANSITIONAL else pd.Series(False, index=d.index)
        return mask & ~old, mask & old
    return ctx.once(("breaches", code, id(d)), compute)


def _assignments(ctx: Submission) -> SheetFrame | None:
    sheet = ctx.sheet("Assignments")
    return sheet if sheet is not None and not sheet.data.empty else None


def _breaching(ctx: Submission, code: str):
    sheet = _assignments(ctx)
    if sheet is None:
        return None, None, []
    return sheet, sheet.data, sheet.data.index[breaches(ctx, sheet.data, code)[0]]


def _cap_findings(ctx: Submission, code: str, column: str):
    """Q501, Q502, Q518: one finding per breaching row on `column` (on the pay rate if the sheet
    lacks it), naming the rate, the cap it was judged against (£/hour), region, role and start. The
    cap table's version is in the outputs' notes and JSON, not in the council's message."""
    sheet, d, rows = _breaching(ctx, code)
    if not len(rows):
        return
    caps = cap_for(ctx, d)
    key = column if column in sheet.positions else "hourly_pay_rate"
    for row in rows:
        yield sheet.finding(code, key, row, rate=d.at[row, "cap_basis_rate"], cap=caps[row], region=ctx.la.region,
                            role=d.at[row, "role_category"], start=display_date(d.at[row, "start_date"]))


@rule("Q501")
def cap_not_approved(ctx: Submission):
    yield from _cap_findings(ctx, "Q501", "cap_approved_by")


@rule("Q502")
def cap_approver(ctx: Submission):
    yield from _cap_findings(ctx, "Q502", "cap_approved_by")


@rule("Q503")
def pqe(ctx: Submission):
    sheet, _, rows = _breaching(ctx, "Q503")
    for row in rows:
        yield sheet.finding("Q503", "pqe_years", row, limit=threshold("min_pqe_years"))


@rule("Q504")
def cool_off_period(ctx: Submission):
    sheet, d, rows = _breaching(ctx, "Q504")
    if sheet is None:
        return
    variants = cool_off_variant(ctx, d)
    leaver_rows = own_leaver(ctx, d)
    leavers = ctx.frame("Leavers")
    limit = threshold("cool_off_months")
    for row in rows:
        variant = variants[row]
        start = display_date(d.at[row, "start_date"])
        if variant == "unknown":
            yield sheet.finding("Q504", "left_permanent_post", row, variant, limit=limit)
            continue
        key = "cool_off_exception" if "cool_off_exception" in sheet.positions else "start_date"
        if variant == "own_leaver":
            leaver = leaver_rows[row]
            reason = leavers.at[leaver, "reason"]
            yield sheet.finding("Q504", key, row, variant, start=start, limit=limit, leaver_row=int(leaver),
                                left=display_date(leavers.at[leaver, "date_left"]),
                                reason=reason if isinstance(reason, str) else "no reason given")
            continue
        previous = d.at[row, "previous_la_code"]
        yield sheet.finding("Q504", key, row, variant, previous_la=previous, previous_name=la_any(previous).name,
                            left=display_date(d.at[row, "date_left_permanent_post"]), start=start, limit=limit)


@rule("Q505")
def reference(ctx: Submission):
    sheet, d, rows = _breaching(ctx, "Q505")
    if not len(rows):
        return
    variants = references_short(ctx, d)
    for row in rows:
        yield sheet.finding("Q505", "reference_obtained", row, variants[row], limit=threshold("min_references"))


@rule("Q506")
def notice(ctx: Submission):
    sheet, d, rows = _breaching(ctx, "Q506")
    for row in rows:
        permanent = d.at[row, "permanent_notice_weeks"]
        below_permanent = pd.notna(permanent) and permanent < threshold("min_notice_weeks")
        yield sheet.finding("Q506", "notice_period_weeks", row, "permanent" if below_permanent else "default",
                            limit=threshold("min_notice_weeks"),
                            permanent=permanent if pd.notna(permanent) else None)


@rule("Q507")
def hours(ctx: Submission):
    sheet, _, rows = _breaching(ctx, "Q507")
    for row in rows:
        yield sheet.finding("Q507", "hours_per_week", row, limit=threshold("max_hours_per_week"))


@rule("Q508")
def pay_rate(ctx: Submission):
    sheet, d, rows = _breaching(ctx, "Q508")
    low, high = threshold("pay_rate_range")
    for row in rows:
        yield sheet.finding("Q508", "hourly_pay_rate", row, rate=d.at[row, "hourly_pay_rate"], low=low, high=high)


@rule("Q515")
def cap_basis_components(ctx: Submission):
    sheet, d, rows = _breaching(ctx, "Q515")
    if not len(rows):
        return
    missing = missing_components(ctx, d)
    needs = threshold("cap_basis_components")
    for row in rows:
        keys = [k for k in missing.columns if missing.at[row, k]]
        route = d.at[row, "payment_route"]
        headers = [sheet.header(k) for k in keys]
        yield sheet.finding("Q515", keys[0], row, route=route, missing=" and ".join(headers),
                            is_are="are" if len(headers) > 1 else "is",
                            needed=" and ".join(sheet.header(k) for k in needs[route]),
                            rate=d.at[row, "cap_basis_rate"])


@rule("Q518")
def cap_breach_reported(ctx: Submission):
    yield from _cap_findings(ctx, "Q518", "cap_reported_to_riia")


def overlapping_swe(d: pd.DataFrame) -> pd.DataFrame:
    """For each row sharing its SWE number with an overlapping assignment: the first such other row."""
    cols = ["swe_number", "start_date", "end_date", "assignment_ref"]
    x = d.loc[d["swe_number"].notna() & d["start_date"].notna(), cols]
    x = x[x["swe_number"].duplicated(keep=False)].rename_axis("row").reset_index()
    pairs = x.merge(x, on="swe_number", suffixes=("", "_other"))
    overlap = ((pairs["row"] != pairs["row_other"])
               & (pairs["end_date_other"].isna() | (pairs["start_date"] <= pairs["end_date_other"]))
               & (pairs["end_date"].isna() | (pairs["start_date_other"] <= pairs["end_date"])))
    return pairs[overlap.astype(bool)].sort_values(["row", "row_other"]).drop_duplicates("row").set_index("row")


@rule("Q509")
def same_worker_overlapping(ctx: Submission):
    sheet = _assignments(ctx)
    if sheet is None:
        return
    for row, other in overlapping_swe(sheet.data).iterrows():
        yield sheet.finding("Q509", "swe_number", row, other_ref=other["assignment_ref_other"], other_row=other["row_other"])


def team_breaches(ctx: Submission) -> tuple[pd.DataFrame, pd.Series]:
    """ProjectTeams rows: (not identified, no LA control) masks and the legacy mask (contract start)."""
    t = ctx.frame("ProjectTeams")
    flags = pd.DataFrame({"not_identified": one_of(t["all_workers_identified"], "No"),
                          "no_control": one_of(t["la_retains_control"], "No")}, index=t.index)
    return flags, legacy(ctx, t["start_date"])


def member_costs(ctx: Submission) -> pd.Series:
    """Sum of members' 'Cost in quarter' by team reference; NaN where no member has a cost."""
    a = ctx.frame("Assignments")
    return a["cost_in_quarter"].groupby(team_ref(a["project_team_ref"])).sum(min_count=1)


def members_without_cost(ctx: Submission, d: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Assignments in a project team or packaged model on ProjectTeams with no Cost in quarter of
    their own (costs must be disaggregated per worker): (breaching, legacy: their team is legacy)."""
    t = ctx.frame("ProjectTeams")
    _, old = team_breaches(ctx)
    refs = team_ref(t["project_team_ref"])
    member = team_ref(d["project_team_ref"])
    missing = (one_of(d["engagement_model"], *PROJECT_MODELS) & member.isin(set(refs.dropna())).astype(bool)
               & blank(ctx, d, "cost_in_quarter"))
    in_legacy = member.isin(set(refs[old].dropna())).astype(bool)
    return missing & ~in_legacy, missing & in_legacy


@rule("Q510")
def project_teams(ctx: Submission):
    assignments = _assignments(ctx)
    if assignments is not None:
        missing, _ = members_without_cost(ctx, assignments.data)
        for row in assignments.data.index[missing]:
            yield assignments.finding("Q510", "cost_in_quarter", row, "no_member_cost",
                                      ref=assignments.data.at[row, "project_team_ref"])
    sheet = ctx.sheet("ProjectTeams")
    if sheet is None or sheet.data.empty:
        return
    t = sheet.data
    flags, old = team_breaches(ctx)
    for variant, key in (("not_identified", "all_workers_identified"), ("no_control", "la_retains_control")):
        for row in t.index[flags[variant] & ~old]:
            yield sheet.finding("Q510", key, row, variant, ref=t.at[row, "project_team_ref"])
    members = team_ref(t["project_team_ref"]).map(member_costs(ctx)).astype("float64")
    tol = threshold("project_cost_tolerance")
    apart = ((t["worker_costs"] - members).abs() > tol * members) & (members > 0)
    for row in t.index[apart.astype(bool)]:
        yield sheet.finding("Q510", "worker_costs", row, "costs", ref=t.at[row, "project_team_ref"],
                            worker=t.at[row, "worker_costs"], members=members[row], pct=tol * 100)


def _first_row(sheet: SheetFrame, key: str) -> dict:
    """Where a quarter-level finding points: the first month's cell of `key` on MonthlyCosts."""
    row = int(sheet.data.index[0])
    return dict(sheet=sheet.sheet.name, row=row, column=sheet.header(key), cell=sheet.cell(key, row))


def _monthly(ctx: Submission) -> SheetFrame | None:
    sheet = ctx.sheet("MonthlyCosts")
    return sheet if sheet is not None and not sheet.data.empty else None


@rule("Q511")
def cost_reconciliation(ctx: Submission):
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


@rule("Q513")
def headcount_benchmark(ctx: Submission):
    """The latest month-end headcount, like for like with DfE's 30 September headcount."""
    sheet = _monthly(ctx)
    if sheet is None or ctx.la is None or ctx.quarter is None:
        return
    d = sheet.data.dropna(subset=["agency_headcount"]).sort_values("month", na_position="first")
    bench = latest_agency_headcount(ctx.la.code, ctx.quarter.start)
    if d.empty or bench is None or not bench[1] > 0:
        return
    row, (year, figure) = d.index[-1], bench
    headcount = d.at[row, "agency_headcount"]
    if abs(headcount - figure) > threshold("headcount_benchmark_tolerance") * figure:
        yield sheet.finding("Q513", "agency_headcount", row, diff_pct=abs(headcount - figure) / figure * 100,
                            benchmark=f"{figure:g}", year=year)


@rule("Q514")
def quarter_change(ctx: Submission):
    sheet = _monthly(ctx)
    previous = ctx.previous_total
    if sheet is None or previous is None or not previous > 0:
        return
    total = sheet.data["total_monthly_cost"].sum(min_count=1)
    if pd.notna(total) and abs(total - previous) > threshold("quarter_change_tolerance") * previous:
        yield finding("Q514", value=round(float(total), 2), previous=previous, diff_pct=abs(total - previous) / previous * 100,
                      previous_quarter=str(ctx.quarter.previous()) if ctx.quarter else "the previous quarter",
                      **_first_row(sheet, "total_monthly_cost"))
