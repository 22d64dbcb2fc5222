"""Disclosure control: small counts hidden, and no hidden count recoverable from the totals."""
import numpy as np
import pandas as pd

from pipeline.outputs import disclosure


def _table(rows, index, columns):
    """Interior counts with an 'All' column and an 'England' row of totals."""
    t = pd.DataFrame(rows, index=index, columns=columns, dtype=float)
    t["All"] = t.sum(axis=1)
    t.loc["England"] = t.sum(axis=0)
    return t


def _lines_safe(mask: pd.DataFrame) -> bool:
    """Every row and column hides either nothing or at least two cells."""
    m = mask.to_numpy()
    return all(s != 1 for s in m.sum(axis=1)) and all(s != 1 for s in m.sum(axis=0))


def test_counts_under_five_are_hidden_and_larger_ones_shown():
    t = pd.DataFrame({"a": [3, 10], "b": [0, 7]}, index=["x", "y"])
    mask = disclosure.suppression_mask(t)
    assert mask.to_numpy().tolist() == [[True, True], [False, False]]
    shown = disclosure.apply(t, mask)
    assert shown.loc["x", "a"] == "c" and shown.loc["y", "a"] == 10


def test_one_small_cell_forces_a_second_in_its_row_and_column():
    t = _table([[3, 20, 30], [40, 50, 60], [70, 80, 90]], ["r1", "r2", "r3"], ["a", "b", "c"])
    mask = disclosure.suppression_mask(t, total_row="England", total_col="All")
    assert mask.loc["r1", "a"]
    assert mask.loc["r1", "b"]          # smallest other cell of the row
    assert mask.loc["r2", "a"]          # smallest other cell of the column
    assert _lines_safe(mask)
    assert not mask.loc["England", "All"]


def test_hidden_cell_cannot_be_recovered_by_subtraction():
    rng = np.random.default_rng(7)
    for _ in range(200):
        rows = rng.integers(0, 30, size=(6, 5))
        t = _table(rows, [f"r{i}" for i in range(6)], [f"c{j}" for j in range(5)])
        mask = disclosure.suppression_mask(t, total_row="England", total_col="All")
        assert _lines_safe(mask)
        assert (mask | (t >= 5)).all().all()   # every small count is hidden


def test_totals_are_hidden_only_when_nothing_else_is_left():
    t = _table([[2, 30]], ["r1"], ["a", "b"])   # one row: its cells and total
    mask = disclosure.suppression_mask(t, total_row="England", total_col="All")
    assert _lines_safe(mask)
    assert mask.loc["r1", "a"] and mask.loc["r1", "b"]


def test_blank_cells_are_not_counts():
    t = pd.DataFrame({"a": [np.nan, 12.0], "b": [np.nan, 9.0]}, index=["none", "some"])
    mask = disclosure.suppression_mask(t)
    assert not mask.to_numpy().any()
