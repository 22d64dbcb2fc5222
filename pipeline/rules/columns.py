"""Speed machinery for the rules: a typed frame's columns as numpy arrays, converted once, the
values several rules share, computed once per return (`Memo`), and the two tests every rule makes
on a column array (`one_of`, `is_blank`).

Rules over a few dozen rows are cheaper on arrays than on chains of pandas Series operations."""
from __future__ import annotations

import numpy as np
import pandas as pd


class Memo(dict):
    """Values several rules share (masks, typed columns), computed once per return: key -> value.

    A frame's values are keyed by the frame's `id()`, which means nothing, or could name another
    frame, in another process: a memo is pickled (inside a worker's verdict) empty."""

    def once(self, key, compute):
        """`compute()`'s value under `key`, computed on the first call only."""
        if key not in self:
            self[key] = compute()
        return self[key]

    def columns(self, frame: pd.DataFrame) -> Columns:
        """`frame`'s columns as numpy arrays, each converted once (see `Columns`)."""
        return self.once(("columns", id(frame)), lambda: Columns(frame))

    def __reduce__(self):
        return Memo, ()


class Columns:
    """A typed frame's columns as numpy arrays, converted on first use: numbers float64 (NaN for
    blank), dates datetime64 (NaT), booleans bool, text and choices object (None for blank)."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.index = frame.index
        self.rows = frame.index.to_numpy()      # Excel row of each position
        self._arrays: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._arrays:
            self._arrays[key] = as_array(self.frame[key])
        return self._arrays[key]


def as_array(series: pd.Series) -> np.ndarray:
    """A column as a numpy array: numeric, boolean and datetime columns as they are; any other
    (text, choices) as objects with None for blank."""
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "fbiuM":
        return series.to_numpy()
    return series.to_numpy(dtype=object, na_value=None)


def one_of(values: pd.Series | np.ndarray, *choices: str) -> np.ndarray:
    """Plain bool mask: the cell holds one of `choices` (blank is False)."""
    allowed = set(choices)
    if isinstance(values, pd.Series):
        values = as_array(values)
    return np.fromiter(map(allowed.__contains__, values), dtype=bool, count=len(values))


def is_blank(values: np.ndarray) -> np.ndarray:
    """Blank (None, NaN or NaT) cells of a column array."""
    return pd.isna(values)
