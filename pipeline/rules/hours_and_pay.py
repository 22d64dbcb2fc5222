"""Q507, Q508 on the hours and pay an assignment states: hours per week over `max_hours_per_week`
(48, the Working Time Regulations; Q507) and an hourly pay rate outside `pay_rate_range` (£15–£150,
an implausible rate; Q508). They test the data, so they apply in the transition too."""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.config import threshold
from pipeline.rules.breaches import breach, breaching
from pipeline.rules.cells import texts_at
from pipeline.rules.context import ReturnContext
from pipeline.rules.registry import rule


@breach("Q507")
def hours_over(ctx: ReturnContext, d: pd.DataFrame) -> np.ndarray:
    return ctx.columns(d)["hours_per_week"] > threshold("max_hours_per_week")


@breach("Q508")
def pay_out_of_range(ctx: ReturnContext, d: pd.DataFrame) -> np.ndarray:
    low, high = threshold("pay_rate_range")
    rate = ctx.columns(d)["hourly_pay_rate"]
    return (rate < low) | (rate > high)


@rule("Q507")
def hours(ctx: ReturnContext):
    sheet, _, rows, pos = breaching(ctx, "Q507")
    for row, text in zip(rows, texts_at(ctx, sheet, "hours_per_week", pos) if rows else ()):
        yield sheet.finding("Q507", "hours_per_week", row, value=text, limit=threshold("max_hours_per_week"))


@rule("Q508")
def pay_rate(ctx: ReturnContext):
    sheet, d, rows, pos = breaching(ctx, "Q508")
    low, high = threshold("pay_rate_range")
    if not rows:
        return
    for row, text, rate in zip(rows, texts_at(ctx, sheet, "hourly_pay_rate", pos), ctx.columns(d)["hourly_pay_rate"][pos]):
        yield sheet.finding("Q508", "hourly_pay_rate", row, value=text, rate=rate, low=low, high=high)
