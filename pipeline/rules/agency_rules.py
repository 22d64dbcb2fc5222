"""The agency-rules queries (Q501–Q511, Q513–Q515, Q518): does each assignment follow DfE's agency rules?

Each per-assignment rule is a vectorised mask over the Assignments frame (`BREACHES`: a bool array
over its rows, from columns converted once per submission, `Submission.columns`). The
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
from collections import Counter

import numpy as np
import pandas as pd

from pipeline.core.config import threshold
from pipeline.core.contract import COOL_OFF_EXCEPTIONS, PROJECT_MODELS
from pipeline.core.findings import finding
from pipeline.core.reference import la_any, latest_agency_headcount
from pipeline.read.parse import display_date
from pipeline.read.workbook import SheetFrame
from pipeline.rules.context import Columns, Submission, is_blank, one_of
from pipeline.rules.registry import rule
from pipeline.rules.sheet_rules import in_teams, team_refs

TRANSITIONAL = ("Q501", "Q502", "Q503", "Q504", "Q505", "Q506", "Q518")
# Cool-off exceptions that excuse a same-region move. "Different region" does not: the previous LA
# is in this region, so the exception recorded is wrong (data-contract Q504).
EXCUSING = tuple(e for e in COOL_OFF_EXCEPTIONS if e not in ("None", "Different region"))
# Leavers whose leaving reason is itself a cool-off exception (X602, and Q504 for an own leaver).
EXCEPTED_LEAVERS = ("Redundancy", "Probation")


_EPOCH = dt.date(1970, 1, 1)


def _day(name: str) -> np.datetime64:
    return np.datetime64(dt.date.fromisoformat(str(threshold(name))), "us")


def add_months(days: np.ndarray, months: int) -> np.ndarray:
    """`days` (datetime64) plus whole calendar months, as pandas' DateOffset(months=) does: a day past
    the end of the target month becomes its last day (31 Jan + 1 month = 28/29 Feb); NaT stays NaT."""
    unit = np.datetime_data(days.dtype)[0]
    month = days.astype("datetime64[M]")
    into = days - month.astype(days.dtype)                   # time since the 1st of its month
    clock = into % np.timedelta64(1, "D").astype(f"timedelta64[{unit}]")
    moved = (month + months).astype(days.dtype) + into
    last = (month + months + 1).astype(days.dtype) - np.timedelta64(1, "D") + clock
    return np.where(moved > last, last, moved)


def legacy(ctx: Submission, starts: pd.Series | np.ndarray) -> np.ndarray:
    """Started before the rules came into force, in a quarter that ends inside the transition."""
    starts = starts.to_numpy() if isinstance(starts, pd.Series) else starts
    if ctx.quarter is None or np.datetime64(ctx.quarter.end, "us") >= _day("transition_end"):
        return np.zeros(len(starts), dtype=bool)
    return starts < _day("rules_in_force")


def cap_for(ctx: Submission, d: pd.DataFrame) -> pd.Series:
    """The cap (£/h) for each assignment: LA's region x role category x start date; NaN where none."""
    return ctx.once(("cap", id(d)), lambda: _caps(ctx, d))


def cap_day(ctx: Submission, d: pd.DataFrame) -> np.ndarray:
    """The day whose cap applies to each assignment (datetime64; NaT where no start date).

    Its start date; a legacy start (before `rules_in_force`) -> `transition_end`, when caps were first
    in force; and, for a quarter ending after `caps_apply_to_existing_from`, an assignment still active
    on that day -> the later of its start and that day.
    """
    c = ctx.columns(d)
    start = c["start_date"]
    on = np.where(start < _day("rules_in_force"), _day("transition_end"), start)
    existing_from = _day("caps_apply_to_existing_from")
    if ctx.quarter is not None and np.datetime64(ctx.quarter.end, "us") > existing_from:
        end = c["end_date"]
        active = np.isnat(end) | (end >= existing_from)
        on = np.where(active & (on < existing_from), existing_from, on)
    return on


def _caps(ctx: Submission, d: pd.DataFrame) -> pd.Series:
    if ctx.la is None:
        return pd.Series(np.nan, index=d.index)
    region, caps, seen = ctx.la.region_code, ctx.caps, {}
    days = cap_day(ctx, d).astype("datetime64[D]")
    known = ~np.isnat(days)
    values = []
    for role, day, ok in zip(ctx.columns(d)["role_category"], days.view("int64").tolist(), known.tolist()):
        if not isinstance(role, str) or not ok:
            values.append(None)
        else:   # each (role, day) looked up once: days since 1970-01-01
            if (role, day) not in seen:
                seen[role, day] = caps.cap(region, role, _EPOCH + dt.timedelta(days=day))
            values.append(seen[role, day])
    return pd.Series(values, index=d.index, dtype="float64")


def over_cap(ctx: Submission, d: pd.DataFrame) -> np.ndarray:
    """Above the cap to the penny (so float noise in pay + on-costs never makes a breach); no cap, no breach."""
    return ctx.once(("over_cap", id(d)),
                    lambda: np.round(ctx.columns(d)["cap_basis_rate"], 2) > cap_for(ctx, d).to_numpy())


def blank(ctx: Submission, d: pd.DataFrame, key: str) -> np.ndarray:
    """The cell is empty as typed in (a value that did not parse is an error of its own, not blank)."""
    sheet = ctx.sheet("Assignments")
    if sheet is not None and sheet.data is d and key in sheet.raw.columns:
        return ctx.once(("blank", key), lambda: sheet.raw[key].isna().to_numpy(dtype=bool))
    return is_blank(ctx.columns(d)[key])


def cool_off_variant(ctx: Submission, d: pd.DataFrame) -> np.ndarray:
    """Q504's message variant for each breaching row, None elsewhere (data-contract Q504):

    after_start / different_region / default - declared: left a permanent post at an LA of this
        region under `cool_off_months` before the start (or after it), and no exception excuses it;
    own_leaver - on this LA's own Leavers sheet, left under `cool_off_months` before the start (a
        leaver who went through redundancy or probation is excepted);
    unknown - 'Unknown' whether they left a permanent post: not checked.
    """
    return ctx.once(("cool_off", id(d)), lambda: _cool_off_variant(ctx, d))


def _cool_off_variant(ctx: Submission, d: pd.DataFrame) -> np.ndarray:
    out = np.full(len(d), None, dtype=object)
    if ctx.la is None:
        return out
    c = ctx.columns(d)
    region = ctx.la.region_code
    excused = one_of(c["cool_off_exception"], *EXCUSING)
    same = [p for p in dict.fromkeys(c["previous_la_code"]) if p is not None and (la := la_any(p))
            and la.region_code == region]
    left, start = c["date_left_permanent_post"], c["start_date"]
    within = start < add_months(left, threshold("cool_off_months"))
    declared = one_of(c["left_permanent_post"], "Yes") & one_of(c["previous_la_code"], *same) & within & ~excused
    out[one_of(c["left_permanent_post"], "Unknown") & ~excused] = "unknown"
    out[(own_leaver(ctx, d) >= 0) & ~excused] = "own_leaver"
    out[declared] = "default"
    out[declared & one_of(c["cool_off_exception"], "Different region")] = "different_region"
    out[declared & (left > start)] = "after_start"
    return out


def own_leaver(ctx: Submission, d: pd.DataFrame) -> np.ndarray:
    """For each assignment whose worker is on this LA's Leavers sheet and started under
    `cool_off_months` after leaving (or before): that leaver's Excel row; -1 elsewhere. The latest
    leaving date counts (the first such leaver on a tie). Leavers who went through redundancy or
    probation are exceptions, as in X602."""
    return ctx.once(("own_leaver", id(d)), lambda: _own_leaver(ctx, d))


def _own_leaver(ctx: Submission, d: pd.DataFrame) -> np.ndarray:
    out = np.full(len(d), -1, dtype=np.int64)
    leavers = ctx.sheet_columns("Leavers")
    swe, left = leavers["swe_number"], leavers["date_left"]
    keep = ~is_blank(swe) & ~np.isnat(left) & ~one_of(leavers["reason"], *EXCEPTED_LEAVERS)
    if not keep.any():
        return out
    by_swe: dict[str, list] = {}       # SWE number -> [(date left, limit, leaver row)] in sheet order
    limits = add_months(left, threshold("cool_off_months"))
    for number, day, limit, row in zip(swe[keep], left[keep], limits[keep], leavers.rows[keep]):
        by_swe.setdefault(number, []).append((day, limit, int(row)))
    c = ctx.columns(d)
    for i, (number, start) in enumerate(zip(c["swe_number"], c["start_date"])):
        if number in by_swe and not np.isnat(start):
            best = None
            for day, limit, row in by_swe[number]:
                if start < limit and (best is None or day > best[0]):
                    best = (day, row)
            if best is not None:
                out[i] = best[1]
    return out


def references_short(ctx: Submission, d: pd.DataFrame) -> np.ndarray:
    """Q505's variant per row, None where fine: 'No' (not_obtained), a count under `min_references`
    (too_few), or blank (not_recorded). 'Yes' is read as the minimum met."""
    return ctx.once(("references", id(d)), lambda: _references_short(ctx, d))


def _references_short(ctx: Submission, d: pd.DataFrame) -> np.ndarray:
    ref = ctx.columns(d)["reference_obtained"]     # 'Yes', 'No', a whole count ('2') or blank
    count = np.array([np.nan if v is None or v in ("Yes", "No") else float(v) for v in ref], dtype="float64")
    out = np.full(len(ref), None, dtype=object)
    out[count < threshold("min_references")] = "too_few"
    out[one_of(ref, "No")] = "not_obtained"
    out[blank(ctx, d, "reference_obtained")] = "not_recorded"
    return out


def notice_short(ctx: Submission, d: pd.DataFrame) -> np.ndarray:
    """Q506: notice under `min_notice_weeks`, unless the permanent equivalent's notice is under that
    too and the assignment gives at least as much. A longer notice is never a breach."""
    c = ctx.columns(d)
    notice, permanent, minimum = c["notice_period_weeks"], c["permanent_notice_weeks"], threshold("min_notice_weeks")
    permanent_rule = ~np.isnan(permanent) & (permanent < minimum) & (notice >= permanent)
    return (notice < minimum) & ~permanent_rule


def missing_components(ctx: Submission, d: pd.DataFrame) -> dict[str, np.ndarray]:
    """Q515: for each cap-basis component (in column order), the rows whose payment route needs it
    and leave it blank (threshold cap_basis_components: payment route -> component columns)."""
    return ctx.once(("components", id(d)), lambda: _missing_components(ctx, d))


def _missing_components(ctx: Submission, d: pd.DataFrame) -> dict[str, np.ndarray]:
    needs = threshold("cap_basis_components")
    keys = sorted({k for ks in needs.values() for k in ks}, key=list(d.columns).index)
    out = {key: np.zeros(len(d), dtype=bool) for key in keys}
    route = ctx.columns(d)["payment_route"]
    for name, components in needs.items():
        on_route = one_of(route, name)
        for key in components:
            out[key] |= on_route & blank(ctx, d, key)
    return out


def _pay_out_of_range(ctx: Submission, d: pd.DataFrame) -> np.ndarray:
    low, high = threshold("pay_rate_range")
    rate = ctx.columns(d)["hourly_pay_rate"]
    return (rate < low) | (rate > high)


def _approvers() -> tuple[str, ...]:
    return tuple(threshold("cap_breach_approvers"))


def _col(ctx: Submission, d: pd.DataFrame, key: str) -> np.ndarray:
    return ctx.columns(d)[key]


BREACHES = {
    "Q501": lambda ctx, d: over_cap(ctx, d) & is_blank(_col(ctx, d, "cap_approved_by")),
    "Q502": lambda ctx, d: over_cap(ctx, d) & ~is_blank(_col(ctx, d, "cap_approved_by"))
    & ~one_of(_col(ctx, d, "cap_approved_by"), *_approvers()),
    "Q503": lambda ctx, d: _col(ctx, d, "pqe_years") < threshold("min_pqe_years"),
    "Q504": lambda ctx, d: ~is_blank(cool_off_variant(ctx, d)),
    "Q505": lambda ctx, d: ~is_blank(references_short(ctx, d)),
    "Q506": notice_short,
    "Q507": lambda ctx, d: _col(ctx, d, "hours_per_week") > threshold("max_hours_per_week"),
    "Q508": _pay_out_of_range,
    "Q515": lambda ctx, d: np.logical_or.reduce([np.zeros(len(d), dtype=bool), *missing_components(ctx, d).values()]),
    "Q518": lambda ctx, d: over_cap(ctx, d) & ~one_of(_col(ctx, d, "cap_reported_to_riia"), "Yes"),
}


def breaches(ctx: Submission, d: pd.DataFrame, code: str) -> tuple[np.ndarray, np.ndarray]:
    """(rows breaching the rule, legacy rows that would breach it but are in transition), as bool
    arrays over `d`'s rows."""
    def compute():
        mask = np.asarray(BREACHES[code](ctx, d), dtype=bool)
        if code not in TRANSITIONAL:
            return mask, np.zeros(len(d), dtype=bool)
        old = legacy(ctx, ctx.columns(d)["start_date"])
        return mask & ~old, mask & old
    return ctx.once(("breaches", code, id(d)), compute)


def _assignments(ctx: Submission) -> SheetFrame | None:
    sheet = ctx.sheet("Assignments")
    return sheet if sheet is not None and not sheet.data.empty else None


def _breaching(ctx: Submission, code: str):
    """(sheet, its typed frame, breaching Excel rows, their positions) for an Assignments rule."""
    sheet = _assignments(ctx)
    if sheet is None:
        return None, None, [], np.zeros(0, dtype=np.int64)
    pos = np.flatnonzero(breaches(ctx, sheet.data, code)[0])
    return sheet, sheet.data, ctx.columns(sheet.data).rows[pos].tolist(), pos


def values_at(ctx: Submission, d: pd.DataFrame, key: str, pos: np.ndarray) -> np.ndarray:
    """Column `key`'s typed values at positions `pos` (numbers, datetime64, text; None for blank text)."""
    return _col(ctx, d, key)[pos]


def texts_at(ctx: Submission, sheet: SheetFrame, key: str, pos: np.ndarray) -> np.ndarray | list:
    """The cell texts of column `key` at positions `pos`, as `SheetFrame.value` gives them for a
    finding (None for blank, or for a column the sheet lacks): read once for all breaching rows."""
    if key not in sheet.raw.columns:
        return [None] * len(pos)
    return ctx.columns(sheet.raw)[key][pos]


def _cap_findings(ctx: Submission, code: str, column: str):
    """Q501, Q502, Q518: one finding per breaching row on `column` (on the pay rate if the sheet
    lacks it), naming the rate, the cap it was judged against (£/hour), region, role and start. The
    cap table's version is in the outputs' notes and JSON, not in the council's message."""
    sheet, d, rows, pos = _breaching(ctx, code)
    if not rows:
        return
    caps = cap_for(ctx, d).to_numpy()[pos]
    key = column if column in sheet.positions else "hourly_pay_rate"
    for row, text, rate, cap, role, start in zip(rows, texts_at(ctx, sheet, key, pos), values_at(ctx, d, "cap_basis_rate", pos),
                                                 caps, values_at(ctx, d, "role_category", pos), values_at(ctx, d, "start_date", pos)):
        yield sheet.finding(code, key, row, value=text, rate=rate, cap=cap, region=ctx.la.region, role=role,
                            start=display_date(start))


@rule("Q501")
def cap_not_approved(ctx: Submission):
    yield from _cap_findings(ctx, "Q501", "cap_approved_by")


@rule("Q502")
def cap_approver(ctx: Submission):
    yield from _cap_findings(ctx, "Q502", "cap_approved_by")


@rule("Q503")
def pqe(ctx: Submission):
    sheet, _, rows, pos = _breaching(ctx, "Q503")
    for row, text in zip(rows, texts_at(ctx, sheet, "pqe_years", pos) if rows else ()):
        yield sheet.finding("Q503", "pqe_years", row, value=text, limit=threshold("min_pqe_years"))


@rule("Q504")
def cool_off_period(ctx: Submission):
    sheet, d, rows, pos = _breaching(ctx, "Q504")
    if not rows:
        return
    variants = cool_off_variant(ctx, d)[pos]
    leaver_rows = own_leaver(ctx, d)[pos]
    leavers = ctx.frame("Leavers")
    limit = threshold("cool_off_months")
    key = "cool_off_exception" if "cool_off_exception" in sheet.positions else "start_date"
    for row, variant, leaver, start, previous, left, text, left_text in zip(
            rows, variants, leaver_rows, values_at(ctx, d, "start_date", pos), values_at(ctx, d, "previous_la_code", pos),
            values_at(ctx, d, "date_left_permanent_post", pos), texts_at(ctx, sheet, key, pos),
            texts_at(ctx, sheet, "left_permanent_post", pos)):
        if variant == "unknown":
            yield sheet.finding("Q504", "left_permanent_post", row, variant, value=left_text, limit=limit)
        elif variant == "own_leaver":
            reason = leavers.at[leaver, "reason"]
            yield sheet.finding("Q504", key, row, variant, value=text, start=display_date(start), limit=limit,
                                leaver_row=int(leaver), left=display_date(leavers.at[leaver, "date_left"]),
                                reason=reason if isinstance(reason, str) else "no reason given")
        else:
            yield sheet.finding("Q504", key, row, variant, value=text, previous_la=previous,
                                previous_name=la_any(previous).name,
                                left=display_date(left), start=display_date(start), limit=limit)


@rule("Q505")
def reference(ctx: Submission):
    sheet, d, rows, pos = _breaching(ctx, "Q505")
    if not rows:
        return
    for row, text, variant in zip(rows, texts_at(ctx, sheet, "reference_obtained", pos), references_short(ctx, d)[pos]):
        yield sheet.finding("Q505", "reference_obtained", row, variant, value=text, limit=threshold("min_references"))


@rule("Q506")
def notice(ctx: Submission):
    sheet, d, rows, pos = _breaching(ctx, "Q506")
    if not rows:
        return
    minimum = threshold("min_notice_weeks")
    for row, text, permanent in zip(rows, texts_at(ctx, sheet, "notice_period_weeks", pos),
                                    ctx.columns(d)["permanent_notice_weeks"][pos]):
        known = not np.isnan(permanent)
        yield sheet.finding("Q506", "notice_period_weeks", row, "permanent" if known and permanent < minimum else "default",
                            value=text, limit=minimum, permanent=permanent if known else None)


@rule("Q507")
def hours(ctx: Submission):
    sheet, _, rows, pos = _breaching(ctx, "Q507")
    for row, text in zip(rows, texts_at(ctx, sheet, "hours_per_week", pos) if rows else ()):
        yield sheet.finding("Q507", "hours_per_week", row, value=text, limit=threshold("max_hours_per_week"))


@rule("Q508")
def pay_rate(ctx: Submission):
    sheet, d, rows, pos = _breaching(ctx, "Q508")
    low, high = threshold("pay_rate_range")
    if not rows:
        return
    for row, text, rate in zip(rows, texts_at(ctx, sheet, "hourly_pay_rate", pos), ctx.columns(d)["hourly_pay_rate"][pos]):
        yield sheet.finding("Q508", "hourly_pay_rate", row, value=text, rate=rate, low=low, high=high)


@rule("Q515")
def cap_basis_components(ctx: Submission):
    sheet, d, rows, pos = _breaching(ctx, "Q515")
    if not rows:
        return
    missing = missing_components(ctx, d)
    needs = threshold("cap_basis_components")
    for row, i, route, rate in zip(rows, pos, values_at(ctx, d, "payment_route", pos), values_at(ctx, d, "cap_basis_rate", pos)):
        keys = [k for k, blanks in missing.items() if blanks[i]]
        headers = [sheet.header(k) for k in keys]
        yield sheet.finding("Q515", keys[0], row, route=route, missing=" and ".join(headers),
                            is_are="are" if len(headers) > 1 else "is",
                            needed=" and ".join(sheet.header(k) for k in needs[route]), rate=rate)


@rule("Q518")
def cap_breach_reported(ctx: Submission):
    yield from _cap_findings(ctx, "Q518", "cap_reported_to_riia")


def overlapping_swe(c: Columns) -> dict[int, int]:
    """For each row sharing its SWE number with an overlapping assignment: the first such other row
    (Excel rows, in row order). `c`: the Assignments sheet's typed columns."""
    swe, start, end = c["swe_number"], c["start_date"], c["end_date"]
    seen = Counter(n for n in swe.tolist() if n is not None)
    if not any(count > 1 for count in seen.values()):
        return {}
    shared = np.array([n is not None and seen[n] > 1 for n in swe.tolist()], dtype=bool) & ~np.isnat(start)
    if not shared.any():   # a number shared with a row without a start date is not a pair: checked below
        return {}
    pos = np.flatnonzero(shared)
    by_swe: dict[str, list] = {}
    for row, number, first, last in zip(c.rows[pos].tolist(), swe[pos].tolist(), start[pos], end[pos]):
        by_swe.setdefault(number, []).append((row, first, last))
    out = {}
    for group in by_swe.values():
        group.sort(key=lambda g: g[0])
        for row, start, end in group:
            for other, start_other, end_other in group:
                if other != row and (np.isnat(end_other) or start <= end_other) and (np.isnat(end) or start_other <= end):
                    out[row] = other
                    break
    return dict(sorted(out.items()))


@rule("Q509")
def same_worker_overlapping(ctx: Submission):
    sheet = _assignments(ctx)
    if sheet is None:
        return
    pairs = overlapping_swe(ctx.columns(sheet.data))
    refs = dict(zip(sheet.data.index, sheet.data["assignment_ref"].tolist())) if pairs else {}
    for row, other in pairs.items():
        yield sheet.finding("Q509", "swe_number", row, other_ref=refs[other], other_row=other)


def team_breaches(ctx: Submission) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """ProjectTeams rows: {'not_identified', 'no_control'} masks and the legacy mask (contract start)."""
    def compute():
        t = ctx.sheet_columns("ProjectTeams")
        flags = {"not_identified": one_of(t["all_workers_identified"], "No"),
                 "no_control": one_of(t["la_retains_control"], "No")}
        return flags, legacy(ctx, t["start_date"])
    return ctx.once(("team_breaches",), compute)


def member_costs(ctx: Submission) -> dict[str, float]:
    """Sum of members' 'Cost in quarter' (£) by team reference (trimmed, upper case: `checks.team_ref`);
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


def members_without_cost(ctx: Submission, d: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
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
def project_teams(ctx: Submission):
    assignments = _assignments(ctx)
    if assignments is not None:
        d = assignments.data
        pos = np.flatnonzero(members_without_cost(ctx, d)[0])
        for row, ref in zip(ctx.columns(d).rows[pos].tolist(), values_at(ctx, d, "project_team_ref", pos)):
            yield assignments.finding("Q510", "cost_in_quarter", row, "no_member_cost", ref=ref)
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


def _latest(months: np.ndarray, positions: np.ndarray):
    """The position of the latest month, as pandas' sort_values(na_position='first') puts last."""
    dated = ~np.isnat(months)
    if not dated.any():
        return positions[-1]
    return positions[dated][months[dated].argsort(kind="quicksort")[-1]]


@rule("Q513")
def headcount_benchmark(ctx: Submission):
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
