"""The transition to DfE's agency rules: which assignments and project teams are legacy.

An assignment that started before `rules_in_force` (31 Oct 2024) is *legacy* while the quarter ends
before `transition_end` (1 Oct 2025). The rules on the terms of engagement (`TRANSITIONAL`: price
caps Q501, Q502, Q518; PQE Q503; cool-off Q504; references Q505; notice Q506) do not bind it yet: it
raises no query and is counted as legacy, not as a breach. A project team whose contract started
before 31 Oct 2024 is legacy the same way for identification and LA control (Q510). Hours (Q507,
Working Time Regulations), implausible rates (Q508), cap-basis components (Q515), duplicate workers
(Q509) and the cost and benchmark checks (Q510 costs, Q511, Q513, Q514) test the data, not the
rules, and always apply. Once the transition is over, a legacy assignment is held to the cap in
force on `transition_end`, since no cap was in force on its start date (caps.py).
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipeline.core.config import threshold
from pipeline.rules.context import ReturnContext

TRANSITIONAL = ("Q501", "Q502", "Q503", "Q504", "Q505", "Q506", "Q518")


def threshold_day(name: str) -> np.datetime64:
    """The date threshold `name` (thresholds.toml, an ISO date) as datetime64[us]."""
    return np.datetime64(dt.date.fromisoformat(str(threshold(name))), "us")


def legacy(ctx: ReturnContext, starts: pd.Series | np.ndarray) -> np.ndarray:
    """Started before the rules came into force, in a quarter that ends inside the transition."""
    starts = starts.to_numpy() if isinstance(starts, pd.Series) else starts
    if ctx.quarter is None or np.datetime64(ctx.quarter.end, "us") >= threshold_day("transition_end"):
        return np.zeros(len(starts), dtype=bool)
    return starts < threshold_day("rules_in_force")
