"""Q505 on references: at least `min_references` (2) practice-based references obtained before
engagement, and recorded ('Yes' is read as the minimum met). Legacy assignments are spared in the transition
(transition.py)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.config import threshold
from pipeline.rules.breaches import breach, breaching
from pipeline.rules.cells import blank, texts_at
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
