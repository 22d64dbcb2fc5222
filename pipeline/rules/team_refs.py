"""Project team references as they are matched between the Assignments and ProjectTeams sheets:
trimmed, upper case."""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.rules.columns import as_array, one_of
from pipeline.rules.context import ReturnContext


def team_ref(series: pd.Series) -> pd.Series:
    """Project team references as they are matched between sheets: trimmed, upper case."""
    return series.str.strip().str.upper()


def team_refs(ctx: ReturnContext, d: pd.DataFrame) -> np.ndarray:
    """`d`'s project team references as matched between sheets (`team_ref`), None for blank."""
    return ctx.once(("team_refs", id(d)), lambda: as_array(team_ref(d["project_team_ref"])))


def in_teams(refs: np.ndarray, teams: np.ndarray) -> np.ndarray:
    """Rows whose team reference is one of `teams` (blank references are in none)."""
    return one_of(refs, *(t for t in teams if t is not None))
