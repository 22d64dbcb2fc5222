"""Q504 on the cool-off period: a worker who left a permanent post at an LA of the same region (as
declared on Assignments, or on this LA's own Leavers sheet) under `cool_off_months` (3 calendar
months) before starting, with no exception that excuses it; 'Unknown' is queried as not checked.
Legacy assignments are spared in the transition (transition.py). Source: data-contract Q504."""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.config import threshold
from pipeline.core.contract import COOL_OFF_EXCEPTIONS
from pipeline.core.reference import la_any
from pipeline.read.parse import display_date
from pipeline.rules.breaches import breach, breaching
from pipeline.rules.cells import texts_at, values_at
from pipeline.rules.columns import is_blank, one_of
from pipeline.rules.context import ReturnContext
from pipeline.rules.registry import rule

# Cool-off exceptions that excuse a same-region move. "Different region" does not: the previous LA
# is in this region, so the exception recorded is wrong (data-contract Q504).
EXCUSING = tuple(e for e in COOL_OFF_EXCEPTIONS if e not in ("None", "Different region"))
# Leavers whose leaving reason is itself a cool-off exception (X602, and Q504 for an own leaver).
EXCEPTED_LEAVERS = ("Redundancy", "Probation")


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


def cool_off_variant(ctx: ReturnContext, d: pd.DataFrame) -> np.ndarray:
    """Q504's message variant for each breaching row, None elsewhere (data-contract Q504):

    after_start / different_region / default - declared: left a permanent post at an LA of this
        region under `cool_off_months` before the start (or after it), and no exception excuses it;
    own_leaver - on this LA's own Leavers sheet, left under `cool_off_months` before the start (a
        leaver who went through redundancy or probation is excepted);
    unknown - 'Unknown' whether they left a permanent post: not checked.
    """
    return ctx.once(("cool_off", id(d)), lambda: _cool_off_variant(ctx, d))


def _cool_off_variant(ctx: ReturnContext, d: pd.DataFrame) -> np.ndarray:
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


def own_leaver(ctx: ReturnContext, d: pd.DataFrame) -> np.ndarray:
    """For each assignment whose worker is on this LA's Leavers sheet and started under
    `cool_off_months` after leaving (or before): that leaver's Excel row; -1 elsewhere. The latest
    leaving date counts (the first such leaver on a tie). Leavers who went through redundancy or
    probation are exceptions, as in X602."""
    return ctx.once(("own_leaver", id(d)), lambda: _own_leaver(ctx, d))


def _own_leaver(ctx: ReturnContext, d: pd.DataFrame) -> np.ndarray:
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


@breach("Q504")
def cool_off_broken(ctx: ReturnContext, d: pd.DataFrame) -> np.ndarray:
    return ~is_blank(cool_off_variant(ctx, d))


@rule("Q504")
def cool_off_period(ctx: ReturnContext):
    sheet, d, rows, pos = breaching(ctx, "Q504")
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
