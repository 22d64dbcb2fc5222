"""Q506 on notice periods: at least `min_notice_weeks` (4 weeks), unless the permanent equivalent's
notice is shorter and the assignment gives at least that. Legacy assignments are spared in the
transition (transition.py)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.config import threshold
from pipeline.rules.breaches import breach, breaching
from pipeline.rules.cells import texts_at
from pipeline.rules.context import ReturnContext
from pipeline.rules.registry import rule


@breach("Q506")
def notice_short(ctx: ReturnContext, d: pd.DataFrame) -> np.ndarray:
    """Q506: notice under `min_notice_weeks`, unless the permanent equivalent's notice is under that
    too and the assignment gives at least as much. A longer notice is never a breach."""
    c = ctx.columns(d)
    notice, permanent, minimum = c["notice_period_weeks"], c["permanent_notice_weeks"], threshold("min_notice_weeks")
    permanent_rule = ~np.isnan(permanent) & (permanent < minimum) & (notice >= permanent)
    return (notice < minimum) & ~permanent_rule


@rule("Q506")
def notice(ctx: ReturnContext):
    sheet, d, rows, pos = breaching(ctx, "Q506")
    if not rows:
        return
    minimum = threshold("min_notice_weeks")
    for row, text, permanent in zip(rows, texts_at(ctx, sheet, "notice_period_weeks", pos),
                                    ctx.columns(d)["permanent_notice_weeks"][pos]):
        known = not np.isnan(permanent)
        yield sheet.finding("Q506", "notice_period_weeks", row, "permanent" if known and permanent < minimum else "default",
                            value=text, limit=minimum, permanent=permanent if known else None)
