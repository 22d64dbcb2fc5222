"""DfE disclosure control for published tables: small counts shown as 'c', with secondary suppression.

Primary: every count under the minimum (5; zero included, as the data contract says "counts
under 5") is suppressed. A blank cell (no returns at all) is not a count: it stays blank and is
never picked for secondary suppression. Secondary: a table with totals lets a reader recover one hidden cell by
subtraction, so every row and column (its total included) must hide none or at least two cells;
where a line hides exactly one, its smallest visible non-total cell is hidden too (the total only
if nothing else is left), repeated until every line is safe.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

SYMBOL = "c"
MINIMUM = 5


def suppression_mask(counts: pd.DataFrame, *, minimum: int = MINIMUM, total_row=None, total_col=None) -> pd.DataFrame:
    """True where a cell must be shown as 'c'. `total_row` / `total_col` name the margins, if any."""
    values = counts.to_numpy(dtype=float)
    blank = np.isnan(values)
    mask = ~blank & (np.nan_to_num(values, nan=0.0) < minimum)
    n_rows, n_cols = values.shape
    t_row = counts.index.get_loc(total_row) if total_row is not None else None
    t_col = counts.columns.get_loc(total_col) if total_col is not None else None
    lines = [[(i, j) for j in range(n_cols)] for i in range(n_rows)] if t_col is not None else []
    lines += [[(i, j) for i in range(n_rows)] for j in range(n_cols)] if t_row is not None else []
    changed = True
    while changed:
        changed = False
        for line in lines:
            hidden = [c for c in line if mask[c]]
            if len(hidden) != 1:
                continue
            visible = [c for c in line if not mask[c] and not blank[c]]
            inner = [c for c in visible if c[0] != t_row and c[1] != t_col] or visible
            if not inner:
                continue
            pick = min(inner, key=lambda c: (values[c], c))
            mask[pick] = True
            changed = True
    return pd.DataFrame(mask, index=counts.index, columns=counts.columns)


def apply(frame: pd.DataFrame, mask: pd.DataFrame, symbol: str = SYMBOL) -> pd.DataFrame:
    """The frame with masked cells replaced by the symbol (object dtype, for writing)."""
    hide = mask.reindex_like(frame).fillna(False).astype(bool)
    return frame.astype(object).mask(hide, symbol)
