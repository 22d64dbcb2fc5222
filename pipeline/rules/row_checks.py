"""Checks several sheets make on each row: an end date before the start date (Assignments E105,
ProjectTeams E202) and a stated total against the sum of its parts (ProjectTeams E203,
MonthlyCosts E303)."""
from __future__ import annotations

import numpy as np

from pipeline.core.config import threshold
from pipeline.rules.columns import Columns


def ends_before_start(c: Columns) -> np.ndarray:
    """Positions of rows whose end date is before their start date."""
    return np.flatnonzero(c["end_date"] < c["start_date"])


def total_mismatches(total: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Positions of rows whose stated total is more than the tolerance (£1) away from the sum of its parts."""
    return np.flatnonzero(np.abs(total - expected) > threshold("money_tolerance_gbp"))


def sum_all(c: Columns, keys: list[str]) -> np.ndarray:
    """Row sums of the columns `keys`, NaN where any is blank."""
    total = c[keys[0]]
    for key in keys[1:]:
        total = total + c[key]
    return total
