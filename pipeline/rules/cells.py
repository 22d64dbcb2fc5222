"""What the rules read of a sheet's cells: typed values and cell texts at given positions (for a
finding), and whether a cell was left empty as typed in."""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.read.workbook import SheetFrame
from pipeline.rules.columns import is_blank
from pipeline.rules.context import ReturnContext


def blank(ctx: ReturnContext, d: pd.DataFrame, key: str) -> np.ndarray:
    """The cell is empty as typed in (a value that did not parse is an error of its own, not blank)."""
    sheet = ctx.sheet("Assignments")
    if sheet is not None and sheet.data is d and key in sheet.raw.columns:
        return ctx.once(("blank", key), lambda: sheet.raw[key].isna().to_numpy(dtype=bool))
    return is_blank(ctx.columns(d)[key])


def values_at(ctx: ReturnContext, d: pd.DataFrame, key: str, pos: np.ndarray) -> np.ndarray:
    """Column `key`'s typed values at positions `pos` (numbers, datetime64, text; None for blank text)."""
    return ctx.columns(d)[key][pos]


def texts_at(ctx: ReturnContext, sheet: SheetFrame, key: str, pos: np.ndarray) -> np.ndarray | list:
    """The cell texts of column `key` at positions `pos`, as `SheetFrame.value` gives them for a
    finding (None for blank, or for a column the sheet lacks): read once for all breaching rows."""
    if key not in sheet.raw.columns:
        return [None] * len(pos)
    return ctx.columns(sheet.raw)[key][pos]
