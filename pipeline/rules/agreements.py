"""R701–R703, a regional agreement's findings (data-contract §3): the rules of the return's region's
agreement in force (pipeline/core/agreements.py, data/agreements.toml), judged apart from the
statutory rules (`registry.AGREEMENT_RULES`), so they never change a statutory finding, the derived
compliance or the DfE return. Always queries; a region with no agreement on file gets none.

R701: started within the region's own no-rehire period (`no_rehire_months`, London 6) after leaving
    a permanent post at an LA of the region (declared on Assignments: Previous LA code and Date left
    permanent post, whatever the 3-month Yes/No says; or on this LA's own Leavers sheet), but not
    within the statutory `cool_off_months` (Q504's), with no cool-off exception that excuses it.
    The rule in force on the assignment's start date applies.
R702: a Self-employed payment route where the agreement in force on the quarter's last day ends
    contracting with self-employed workers (`self_employed_allowed = false`).
R703: tenure (days from the start to the quarter's last day, or the end date if earlier, ÷ 7, in
    weeks: contract 3 §7) longer than `tenure_limit_weeks` in force on the quarter's last day.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.agreements import AgreementRule, for_region, rule_in_force
from pipeline.core.config import threshold
from pipeline.core.reference import la_any
from pipeline.read.parse import display_date
from pipeline.rules.breaches import assignments
from pipeline.rules.cells import texts_at, values_at
from pipeline.rules.columns import is_blank, one_of
from pipeline.rules.context import ReturnContext
from pipeline.rules.cool_off import EXCEPTED_LEAVERS, EXCUSING, add_months
from pipeline.rules.registry import agreement_rule


def _no_rehire_months(region: str, start: np.ndarray, statutory: int) -> tuple[np.ndarray, np.ndarray]:
    """For each start date: the region's no-rehire months in force on it where longer than the statutory
    cool-off (else 0), and that rule (else None); vectorised over the agreement's few rules."""
    months = np.zeros(len(start), dtype=np.int64)
    rules = np.full(len(start), None, dtype=object)
    agreement = for_region(region)
    for rule in agreement.rules if agreement is not None else ():
        if rule.name != "no_rehire_months" or rule.value <= statutory:
            continue
        on = start >= np.datetime64(rule.start, "us")
        if rule.until is not None:
            on &= start <= np.datetime64(rule.until, "us")
        on &= months == 0   # the first rule in force on a day wins, as `rule_in_force` has it
        months[on], rules[on] = rule.value, rule
    return months, rules


def _plus_months(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Each day plus its own number of calendar months (`add_months`); NaT where months is 0."""
    out = np.full(len(days), np.datetime64("NaT"), dtype=days.dtype)
    for m in set(months.tolist()) - {0}:
        chosen = months == m
        out[chosen] = add_months(days[chosen], m)
    return out


def no_rehire(ctx: ReturnContext, d: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list]:
    """R701 per row: (variant 'default' / 'own_leaver' / None, the own leaver's Excel row or -1,
    the rule applied or None)."""
    n = len(d)
    variant, leaver_row = np.full(n, None, dtype=object), np.full(n, -1, dtype=np.int64)
    applied: list = [None] * n
    if ctx.la is None:
        return variant, leaver_row, applied
    c = ctx.columns(d)
    region, statutory = ctx.la.region_code, threshold("cool_off_months")
    start = c["start_date"]
    months, rules = _no_rehire_months(region, start, statutory)
    if not months.any():
        return variant, leaver_row, applied
    excused = one_of(c["cool_off_exception"], *EXCUSING)

    def window(left: np.ndarray, starts: np.ndarray, limit: np.ndarray) -> np.ndarray:
        """Started on or after the statutory period ended and before the agreement's did."""
        return (starts >= add_months(left, statutory)) & (starts < _plus_months(left, limit))

    same = [p for p in dict.fromkeys(c["previous_la_code"]) if p is not None and (la := la_any(p))
            and la.region_code == region]
    left = c["date_left_permanent_post"]
    declared = one_of(c["previous_la_code"], *same) & ~np.isnat(left) & window(left, start, months) & ~excused
    leavers = ctx.sheet_columns("Leavers")
    keep = ~is_blank(leavers["swe_number"]) & ~np.isnat(leavers["date_left"]) & ~one_of(leavers["reason"], *EXCEPTED_LEAVERS)
    by_swe: dict[str, list] = {}
    for number, day, row in zip(leavers["swe_number"][keep], leavers["date_left"][keep], leavers.rows[keep]):
        by_swe.setdefault(number, []).append((day, int(row)))
    for i, number in enumerate(c["swe_number"]):
        if months[i] and not excused[i] and number in by_swe:
            hits = [(day, row) for day, row in by_swe[number]
                    if window(np.array([day], dtype=left.dtype), start[i:i + 1], months[i:i + 1])[0]]
            if hits:
                leaver_row[i] = max(hits)[1]
                variant[i] = "own_leaver"
    variant[declared] = "default"
    for i in np.flatnonzero(~is_blank(variant)):
        applied[i] = rules[i]
    return variant, leaver_row, applied


@agreement_rule("R701")
def no_rehire_period(ctx: ReturnContext):
    sheet = assignments(ctx)
    if sheet is None:
        return
    d = sheet.data
    variant, leaver_row, applied = no_rehire(ctx, d)
    pos = np.flatnonzero(~is_blank(variant))
    rows = ctx.columns(d).rows[pos].tolist()
    leavers = ctx.frame("Leavers")
    statutory = threshold("cool_off_months")
    for row, i, start, previous, left, text in zip(
            rows, pos, values_at(ctx, d, "start_date", pos), values_at(ctx, d, "previous_la_code", pos),
            values_at(ctx, d, "date_left_permanent_post", pos), texts_at(ctx, sheet, "date_left_permanent_post", pos)):
        rule: AgreementRule = applied[i]
        common = {"start": display_date(start), "limit": rule.value, "statutory": statutory, "agreement": rule.agreement}
        if variant[i] == "own_leaver":
            yield sheet.finding("R701", "start_date", row, "own_leaver", leaver_row=int(leaver_row[i]),
                                left=display_date(leavers.at[leaver_row[i], "date_left"]), **common)
        else:
            yield sheet.finding("R701", "date_left_permanent_post", row, value=text, previous_la=previous,
                                previous_name=la_any(previous).name, left=display_date(left), **common)


@agreement_rule("R702")
def self_employed(ctx: ReturnContext):
    sheet = assignments(ctx)
    rule = _in_force_at_quarter_end(ctx, "self_employed_allowed")
    if sheet is None or rule is None or rule.value:
        return
    d = sheet.data
    pos = np.flatnonzero(one_of(ctx.columns(d)["payment_route"], "Self-employed"))
    for row, text in zip(ctx.columns(d).rows[pos].tolist(), texts_at(ctx, sheet, "payment_route", pos)):
        yield sheet.finding("R702", "payment_route", row, value=text, agreement=rule.agreement,
                            since=display_date(rule.start))


def tenure_weeks(ctx: ReturnContext, d: pd.DataFrame) -> np.ndarray:
    """Tenure in weeks (contract 3 §7): days from the start to the quarter's last day, or the end date
    if earlier, ÷ 7; NaN where the start is not a date or the quarter unknown."""
    c = ctx.columns(d)
    if ctx.quarter is None:
        return np.full(len(d), np.nan)
    last = np.datetime64(ctx.quarter.end, "us")
    until = np.where(np.isnat(c["end_date"]) | (c["end_date"] > last), last, c["end_date"])
    return (until - c["start_date"]) / np.timedelta64(7, "D")


@agreement_rule("R703")
def tenure_limit(ctx: ReturnContext):
    sheet = assignments(ctx)
    rule = _in_force_at_quarter_end(ctx, "tenure_limit_weeks")
    if sheet is None or rule is None:
        return
    d = sheet.data
    weeks = tenure_weeks(ctx, d)
    with np.errstate(invalid="ignore"):
        pos = np.flatnonzero(weeks > rule.value)
    last = np.datetime64(ctx.quarter.end, "us")
    for row, i, start, end in zip(ctx.columns(d).rows[pos].tolist(), pos, values_at(ctx, d, "start_date", pos),
                                  values_at(ctx, d, "end_date", pos)):
        until = last if np.isnat(end) or end > last else end
        yield sheet.finding("R703", "start_date", row, start=display_date(start), weeks=round(float(weeks[i]), 1),
                            until=display_date(until), limit=rule.value, agreement=rule.agreement)


def _in_force_at_quarter_end(ctx: ReturnContext, name: str) -> AgreementRule | None:
    if ctx.la is None or ctx.quarter is None:
        return None
    return rule_in_force(ctx.la.region_code, name, ctx.quarter.end)
