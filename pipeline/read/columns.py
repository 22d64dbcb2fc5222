"""Read cells into columns: one Arrow string array of cell text per column (null for blank), as
`parse.cell_text` shows each cell, and the typed frame built from those arrays in one go."""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core.contract import TEXT, Sheet
from pipeline.read import parse

LONG_COLUMN = 2000    # below this, one by one is quicker than the vectorised passes' fixed cost
_KIND = defaultdict(lambda: 2, {str: 0, float: 1, dt.date: 3})   # any other type of cell is turned into text one by one


def typed_from_texts(sheet: Sheet, texts: dict[str, pa.Array], index: pd.Index) -> pd.DataFrame:
    """The typed frame from each read column's cell text (null for blank), built in one go; a text
    column is its cell text, every other is parsed from it (`parse.typed_text`)."""
    blank = (None,) * len(index)
    columns = {}
    for c in sheet.columns:
        text = texts.get(c.key)
        if text is not None and c.kind == TEXT:
            columns[c.key] = pd.arrays.ArrowStringArray(text)
        else:
            columns[c.key] = parse.typed_values(c, blank) if text is None else parse.typed_text(c, text)
    return frame_of(columns, index)


def frame_of(columns: dict, index: pd.Index) -> pd.DataFrame:
    """A frame of these columns whose labels are plain Python strings (an object Index): pandas 3 would
    make them an Arrow string Index, whose every label lookup (pandera's per column and check, each
    rule's) costs ~10 µs more."""
    return pd.DataFrame(columns, index=index, columns=pd.Index(list(columns), dtype=object), copy=False)


def column_text(values: list) -> np.ndarray:
    """One column's cells as the text a person sees (`parse.cell_text`), an object array with None
    for blank, typed whole: text is stripped and whole numbers lose their '.0' in vectorised
    passes; only other kinds of cell (dates, durations, Yes/No) are turned into text one by one."""
    if len(values) < LONG_COLUMN:
        out = np.empty(len(values), dtype=object)
        out[:] = [parse.cell_text(v) for v in values]
        return out
    kinds = np.fromiter(map(_KIND.__getitem__, map(type, values)), dtype=np.int8, count=len(values))
    is_text, is_float, is_date = kinds == 0, kinds == 1, kinds == 3
    if is_text.all():
        return _stripped(values)
    cells = np.empty(len(values), dtype=object)
    cells[:] = values
    out = np.full(len(values), None, dtype=object)
    if is_text.any():
        out[is_text] = _stripped(cells[is_text].tolist())
    if is_float.any():
        out[is_float] = _number_text(cells[is_float].astype("float64"))
    if is_date.any():
        out[is_date] = [v.isoformat() for v in cells[is_date].tolist()]
    other = np.flatnonzero(kinds == 2)
    if len(other):
        out[other] = [parse.cell_text(values[i]) for i in other.tolist()]
    return out


def _stripped(texts: list[str]) -> np.ndarray:
    """Text cells stripped by Arrow (as pandas' `.str.strip` does), None where nothing is left."""
    return trimmed(pa.array(texts, type=pa.large_string())).to_numpy(zero_copy_only=False)


def trimmed(texts: pa.Array) -> pa.Array:
    """`_stripped` on an Arrow array of text."""
    text = pc.utf8_trim_whitespace(texts)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text)


def numbers_shown(numbers: np.ndarray, long: bool) -> np.ndarray:
    """Number cells' text as `column_text` shows them in a column of this length (long or not)."""
    if long:
        return _number_text(numbers)
    shown = np.empty(len(numbers), dtype=object)
    shown[:] = [parse.cell_text(v) for v in numbers.tolist()]
    return shown


def _number_text(numbers: np.ndarray) -> np.ndarray:
    """Numbers as `parse.cell_text` shows them ('10', '31.39'), cast by Arrow where its shortest
    round-trip text is Python's own (whole numbers below 1e15; others from 1e-4 to 1e9)."""
    shown = np.empty(len(numbers), dtype=object)
    size = np.abs(numbers)
    whole = (numbers == np.trunc(numbers)) & (size < 1e15)
    plain = ~whole & (size >= 1e-4) & (size < 1e9)
    shown[whole] = pa.array(numbers[whole].astype(np.int64)).cast(pa.string()).to_numpy(zero_copy_only=False)
    shown[plain] = pa.array(numbers[plain]).cast(pa.string()).to_numpy(zero_copy_only=False)
    rest = ~(whole | plain)
    shown[rest] = [repr(v) for v in numbers[rest].tolist()]
    return shown


def unread_positions(text: pa.Array, typed: pd.Series) -> np.ndarray:
    """Positions of a column's cells that hold text but no typed value (a number or date the
    parser would not read), in one pass over the Arrow validity and the typed values."""
    values = typed.to_numpy()
    missing = np.isnat(values) if values.dtype.kind == "M" else np.isnan(values.astype("float64", copy=False))
    return np.flatnonzero(text.is_valid().to_numpy(zero_copy_only=False) & missing)


def any_matches(text: pa.Array, pattern: re.Pattern) -> bool:
    """Whether any cell's text matches `pattern` (searched): the cheap test before a column is
    looked at cell by cell; one by one in a short column, by Arrow's regex engine in a long one."""
    if len(text) < LONG_COLUMN:
        search = pattern.search
        return any(search(t) for t in text.to_pylist() if t is not None)
    return bool(pc.any(pc.match_substring_regex(text, pattern.pattern)).as_py())
