"""Q501, Q502, Q518 on price caps: an assignment whose cap-basis rate (£/hour: pay + holiday pay +
employer NI + apprenticeship levy) is above the cap for its LA's region, role category and start
date needs approval (Q501), by the DCS and/or Chief Executive (Q502), and must be reported to the
RIIA (Q518). Legacy assignments are spared in the transition (transition.py).

The cap that applies (`cap_for`, `cap_day`): the one in force on the start date; a legacy start ->
the one in force on `transition_end`, when caps were first in force. Caps for existing
arrangements: for a quarter ending after `caps_apply_to_existing_from` (default 1 Oct 2025), an
assignment still active on that day is judged against the cap in force on the later of its start
date and that day (DfE: caps apply to existing arrangements "shortly thereafter").
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipeline.core.config import threshold
from pipeline.read.parse import display_date
from pipeline.rules.breaches import breach, breaching
from pipeline.rules.cells import texts_at, values_at
from pipeline.rules.columns import is_blank, one_of
from pipeline.rules.context import ReturnContext
from pipeline.rules.registry import rule
from pipeline.rules.transition import threshold_day

_EPOCH = dt.date(1970, 1, 1)


def cap_for(ctx: ReturnContext, d: pd.DataFrame) -> pd.Series:
    """The cap (£/h) for each assignment: LA's region x role category x start date; NaN where none."""
    return ctx.once(("cap", id(d)), lambda: _caps(ctx, d))


def cap_day(ctx: ReturnContext, d: pd.DataFrame) -> np.ndarray:
    """The day whose cap applies to each assignment (datetime64; NaT where no start date).

    Its start date; a legacy start (before `rules_in_force`) -> `transition_end`, when caps were first
    in force; and, for a quarter ending after `caps_apply_to_existing_from`, an assignment still active
    on that day -> the later of its start and that day.
    """
    c = ctx.columns(d)
    start = c["start_date"]
    on = np.where(start < threshold_day("rules_in_force"), threshold_day("transition_end"), start)
    existing_from = threshold_day("caps_apply_to_existing_from")
    if ctx.quarter is not None and np.datetime64(ctx.quarter.end, "us") > existing_from:
        end = c["end_date"]
        active = np.isnat(end) | (end >= existing_from)
        on = np.where(active & (on < existing_from), existing_from, on)
    return on


def _caps(ctx: ReturnContext, d: pd.DataFrame) -> pd.Series:
    if ctx.la is None:
        return pd.Series(np.nan, index=d.index)
    region, caps, seen = ctx.la.region_code, ctx.caps, {}
    days = cap_day(ctx, d).astype("datetime64[D]")
    known = ~np.isnat(days)
    values = []
    for role, day, ok in zip(ctx.columns(d)["role_category"], days.view("int64").tolist(), known.tolist()):
        if not isinstance(role, str) or not ok:
            values.append(None)
        else:   # each (role, day) looked up once: days since 1970-01-01
            if (role, day) not in seen:
                seen[role, day] = caps.cap(region, role, _EPOCH + dt.timedelta(days=day))
            values.append(seen[role, day])
    return pd.Series(values, index=d.index, dtype="float64")


def over_cap(ctx: ReturnContext, d: pd.DataFrame) -> np.ndarray:
    """Above the cap to the penny (so float noise in pay + on-costs never makes a breach); no cap, no breach."""
    return ctx.once(("over_cap", id(d)),
                    lambda: np.round(ctx.columns(d)["cap_basis_rate"], 2) > cap_for(ctx, d).to_numpy())


def _approvers() -> tuple[str, ...]:
    return tuple(threshold("cap_breach_approvers"))


@breach("Q501")
def over_cap_unapproved(ctx: ReturnContext, d: pd.DataFrame) -> np.ndarray:
    return over_cap(ctx, d) & is_blank(ctx.columns(d)["cap_approved_by"])


@breach("Q502")
def over_cap_approved_by_another(ctx: ReturnContext, d: pd.DataFrame) -> np.ndarray:
    approved_by = ctx.columns(d)["cap_approved_by"]
    return over_cap(ctx, d) & ~is_blank(approved_by) & ~one_of(approved_by, *_approvers())


@breach("Q518")
def over_cap_unreported(ctx: ReturnContext, d: pd.DataFrame) -> np.ndarray:
    return over_cap(ctx, d) & ~one_of(ctx.columns(d)["cap_reported_to_riia"], "Yes")


def _cap_findings(ctx: ReturnContext, code: str, column: str):
    """Q501, Q502, Q518: one finding per breaching row on `column` (on the pay rate if the sheet
    lacks it), naming the rate, the cap it was judged against (£/hour), region, role and start. The
    cap table's version is in the outputs' notes and JSON, not in the council's message."""
    sheet, d, rows, pos = breaching(ctx, code)
    if not rows:
        return
    caps = cap_for(ctx, d).to_numpy()[pos]
    key = column if column in sheet.positions else "hourly_pay_rate"
    for row, text, rate, cap, role, start in zip(rows, texts_at(ctx, sheet, key, pos), values_at(ctx, d, "cap_basis_rate", pos),
                                                 caps, values_at(ctx, d, "role_category", pos), values_at(ctx, d, "start_date", pos)):
        yield sheet.finding(code, key, row, value=text, rate=rate, cap=cap, region=ctx.la.region, role=role,
                            start=display_date(start))


@rule("Q501")
def cap_not_approved(ctx: ReturnContext):
    yield from _cap_findings(ctx, "Q501", "cap_approved_by")


@rule("Q502")
def cap_approver(ctx: ReturnContext):
    yield from _cap_findings(ctx, "Q502", "cap_approved_by")


@rule("Q518")
def cap_breach_reported(ctx: ReturnContext):
    yield from _cap_findings(ctx, "Q518", "cap_reported_to_riia")
