"""Q503 on post-qualifying experience: an agency social worker needs at least `min_pqe_years`
(3 years) of PQE. Legacy assignments are spared in the transition (transition.py)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.config import threshold
from pipeline.rules.breaches import breach, breaching
from pipeline.rules.cells import texts_at
from pipeline.rules.context import ReturnContext
from pipeline.rules.registry import rule


@breach("Q503")
def pqe_short(ctx: ReturnContext, d: pd.DataFrame) -> np.ndarray:
    return ctx.columns(d)["pqe_years"] < threshold("min_pqe_years")


@rule("Q503")
def pqe(ctx: ReturnContext):
    sheet, _, rows, pos = breaching(ctx, "Q503")
    for row, text in zip(rows, texts_at(ctx, sheet, "pqe_years", pos) if rows else ()):
        yield sheet.finding("Q503", "pqe_years", row, value=text, limit=threshold("min_pqe_years"))
