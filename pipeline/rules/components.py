"""Q515 on the cap-basis rate's components: each component the payment route needs
(`cap_basis_components`: holiday pay and employer NI through PAYE or an umbrella company, none for a
limited company) must be filled in, or the rate judged against the cap is short. It tests the data,
so it applies in the transition too."""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.config import threshold
from pipeline.rules.breaches import breach, breaching
from pipeline.rules.cells import blank, values_at
from pipeline.rules.columns import one_of
from pipeline.rules.context import ReturnContext
from pipeline.rules.registry import rule


def missing_components(ctx: ReturnContext, d: pd.DataFrame) -> dict[str, np.ndarray]:
    """Q515: for each cap-basis component (in column order), the rows whose payment route needs it
    and leave it blank (threshold cap_basis_components: payment route -> component columns)."""
    return ctx.once(("components", id(d)), lambda: _missing_components(ctx, d))


def _missing_components(ctx: ReturnContext, d: pd.DataFrame) -> dict[str, np.ndarray]:
    needs = threshold("cap_basis_components")
    keys = sorted({k for ks in needs.values() for k in ks}, key=list(d.columns).index)
    out = {key: np.zeros(len(d), dtype=bool) for key in keys}
    route = ctx.columns(d)["payment_route"]
    for name, components in needs.items():
        on_route = one_of(route, name)
        for key in components:
            out[key] |= on_route & blank(ctx, d, key)
    return out


@breach("Q515")
def components_missing(ctx: ReturnContext, d: pd.DataFrame) -> np.ndarray:
    return np.logical_or.reduce([np.zeros(len(d), dtype=bool), *missing_components(ctx, d).values()])


@rule("Q515")
def cap_basis_components(ctx: ReturnContext):
    sheet, d, rows, pos = breaching(ctx, "Q515")
    if not rows:
        return
    missing = missing_components(ctx, d)
    needs = threshold("cap_basis_components")
    for row, i, route, rate in zip(rows, pos, values_at(ctx, d, "payment_route", pos), values_at(ctx, d, "cap_basis_rate", pos)):
        keys = [k for k, blanks in missing.items() if blanks[i]]
        headers = [sheet.header(k) for k in keys]
        # on the first blank component's cell; where the sheet has no such column, on the payment route's
        key = next((k for k in keys if k in sheet.positions), "payment_route")
        yield sheet.finding("Q515", key, row, "default" if pd.notna(rate) else "no_rate", route=route,
                            missing=" and ".join(headers), is_are="are" if len(headers) > 1 else "is",
                            needed=" and ".join(sheet.header(k) for k in needs[route]), rate=rate)
