"""Speed machinery for Q516: the free-text cells of a sheet that may hold an SWE number, found
without looking at every cell in Python (a cheap look for a digit and an S, over the whole sheet at
once in Arrow when it is large)."""
from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.read.workbook import SheetFrame

_DIGIT = re.compile(r"\d")
_MAY_HOLD_S = re.compile(r"[sS]|[^\x00-\x7f]")   # an S, or anything not ASCII (it may normalise to one)
_MAY_HOLD_DIGIT_WIDE = r"[0-9]|[^\x00-\x7f]"     # _DIGIT's superset in any regex engine (\d may be Unicode)
_WHOLE_SHEET_LOOK = 2_000   # text cells from which one regex pass over them all beats looking at each


def swe_candidates(frame: SheetFrame, keys: list[str]) -> Iterator[tuple[str, int, str]]:
    """(key, Excel row, text) of the cells of columns `keys` that may hold an SWE number (a digit and
    an S, or what may normalise to them), column by column: the only cells worth `find_swe_like`."""
    for key, row, value in _text_cells(frame, keys):
        if _DIGIT.search(value) and _MAY_HOLD_S.search(value):
            yield key, row, value


def _text_cells(frame: SheetFrame, keys: list[str]):
    """(key, Excel row, text) of the non-blank cells of columns `keys` (of a large sheet, only those
    with a digit and an S or what may normalise to them), column by column. Their Arrow buffers are
    chained and read into Python in one go."""
    chunks = [pa.array(frame.raw[k].array) for k in keys]
    if len({c.type for c in chunks}) > 1:
        chunks = [c.cast(pa.large_string()) for c in chunks]
    cells = pa.chunked_array(chunks, type=chunks[0].type)
    rows, n = frame.raw.index.tolist(), len(frame.raw)
    if len(cells) < _WHOLE_SHEET_LOOK:
        positions = range(len(cells))
        values = cells.to_pylist()
    else:   # a first look over every cell at once (each pattern is compiled per call: ~40 µs)
        may = pc.and_(pc.match_substring_regex(cells, _MAY_HOLD_DIGIT_WIDE),
                      pc.match_substring_regex(cells, _MAY_HOLD_S.pattern))
        positions = np.flatnonzero(pc.fill_null(may, False).to_numpy(zero_copy_only=False)).tolist()
        values = dict(zip(positions, cells.take(pa.array(positions, type=pa.int64())).to_pylist()))
    for k in positions:
        value = values[k]
        if value is not None:
            yield keys[k // n], rows[k % n], value
