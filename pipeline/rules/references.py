"""The references rule (DfE agency rules, rule 6), both halves: Q505 on references obtained, at least
`min_references` (2) practice-based references before engagement, and recorded ('Yes' is read as the
minimum met; legacy assignments are spared in the transition, transition.py); Q519 (contract 3, from
the rule set of 2026-Q4) on references provided, an assignment that ended in the quarter without a
practice-based reference given by the LA (Reference provided No or blank)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.config import threshold
from pipeline.read.parse import display_date
from pipeline.rules.breaches import breach, breaching
from pipeline.rules.cells import blank, texts_at, values_at
from pipeline.rules.columns import is_blank, one_of
from pipeline.rules.context import ReturnContext
from pipeline.rules.registry import rule


def references_short(ctx: ReturnContext, d: pd.DataFrame) -> np.ndarray:
    """Q505's variant per row, None where fine: 'No' (not_obtained), a count under `min_references`
    (too_few), or blank (not_recorded). 'Yes' is read as the minimum met."""
    return ctx.once(("references", id(d)), lambda: _references_short(ctx, d))


def _references_short(ctx: ReturnContext, d: pd.DataFrame) -> np.ndarray:
    ref = ctx.columns(d)["reference_obtained"]     # 'Yes', 'No', a whole count ('2') or blank
    count = np.array([np.nan if v is None or v in ("Yes", "No") else float(v) for v in ref], dtype="float64")
    out = np.full(len(ref), None, dtype=object)
    out[count < threshold("min_references")] = "too_few"
    out[one_of(ref, "No")] = "not_obtained"
    out[blank(ctx, d, "reference_obtained")] = "not_recorded"
    return out


@breach("Q505")
def references_missing(ctx: ReturnContext, d: pd.DataFrame) -> np.ndarray:
    return ~is_blank(references_short(ctx, d))


@rule("Q505")
def reference(ctx: ReturnContext):
    sheet, d, rows, pos = breaching(ctx, "Q505")
    if not rows:
        return
    for row, text, variant in zip(rows, texts_at(ctx, sheet, "reference_obtained", pos), references_short(ctx, d)[pos]):
        yield sheet.finding("Q505", "reference_obtained", row, variant, value=text, limit=threshold("min_references"))


def reference_not_provided(ctx: ReturnContext, d: pd.DataFrame) -> np.ndarray:
    """Q519's variant per row, None where fine: the assignment ended in the quarter (an end date on or
    before the quarter's last day and not before its first) and Reference provided is 'No' (no) or
    blank (not_recorded)."""
    out = np.full(len(d), None, dtype=object)
    if ctx.quarter is None:
        return out
    c = ctx.columns(d)
    end = c["end_date"]
    ended = (end >= np.datetime64(ctx.quarter.start, "us")) & (end <= np.datetime64(ctx.quarter.end, "us"))
    out[ended & blank(ctx, d, "reference_provided")] = "not_recorded"
    out[ended & one_of(c["reference_provided"], "No")] = "no"
    return out


@rule("Q519")
def reference_provided(ctx: ReturnContext):
    sheet = ctx.sheet("Assignments")
    if sheet is None or sheet.data.empty:
        return
    d = sheet.data
    variants = reference_not_provided(ctx, d)
    pos = np.flatnonzero(~is_blank(variants))
    rows = ctx.columns(d).rows[pos].tolist()
    for row, variant, end in zip(rows, variants[pos], values_at(ctx, d, "end_date", pos)):
        yield sheet.finding("Q519", "reference_provided", row, variant, end=display_date(end))
