"""Which Assignments rows breach each per-assignment agency rule (Q501–Q508, Q515, Q518).

Each rule's family registers its mask (`@breach`): a vectorised bool array over the Assignments
frame's rows, from columns converted once per return (`ReturnContext.columns`). The registered rule
turns the breaching rows into findings, and derived compliance (compliance.py) counts the same
masks, so the compliance table and the findings cannot disagree. Legacy rows, which the transition
spares (transition.py), are split out of a transitional rule's breaches.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from pipeline.read.workbook import SheetFrame
from pipeline.rules.context import ReturnContext
from pipeline.rules.transition import TRANSITIONAL, legacy

MASKS: dict[str, Callable[[ReturnContext, pd.DataFrame], np.ndarray]] = {}


def breach(code: str):
    """Register `fn(ctx, d)`, the rows of the Assignments frame `d` breaching rule `code` (a bool array
    over `d`'s rows, legacy rows included)."""
    def wrap(fn):
        MASKS[code] = fn
        return fn
    return wrap


def breaches(ctx: ReturnContext, d: pd.DataFrame, code: str) -> tuple[np.ndarray, np.ndarray]:
    """(rows breaching the rule, legacy rows that would breach it but are in transition), as bool
    arrays over `d`'s rows."""
    def compute():
        mask = np.asarray(MASKS[code](ctx, d), dtype=bool)
        if code not in TRANSITIONAL:
            return mask, np.zeros(len(d), dtype=bool)
        old = legacy(ctx, ctx.columns(d)["start_date"])
        return mask & ~old, mask & old
    return ctx.once(("breaches", code, id(d)), compute)


def assignments(ctx: ReturnContext) -> SheetFrame | None:
    """The Assignments sheet, if the return has one with rows."""
    sheet = ctx.sheet("Assignments")
    return sheet if sheet is not None and not sheet.data.empty else None


def breaching(ctx: ReturnContext, code: str):
    """(sheet, its typed frame, breaching Excel rows, their positions) for an Assignments rule."""
    sheet = assignments(ctx)
    if sheet is None:
        return None, None, [], np.zeros(0, dtype=np.int64)
    pos = np.flatnonzero(breaches(ctx, sheet.data, code)[0])
    return sheet, sheet.data, ctx.columns(sheet.data).rows[pos].tolist(), pos
