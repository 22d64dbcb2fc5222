"""Queries about the file and its text rather than the agency rules: Q516 (an SWE number in free
text) and Q517 (the file name names another LA)."""
from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core.contract import RETURN, TEXT
from pipeline.core.findings import finding
from pipeline.core.redaction import find_swe_like, redact
from pipeline.core.reference import la_any
from pipeline.read.workbook import SheetFrame
from pipeline.rules.context import Submission
from pipeline.rules.registry import rule

# A 3-digit code standing on its own in a file name ('812_2025-Q1.xlsx', 'LA 812 return'), never a
# run of digits inside a longer one or inside a hash ('a812b').
_DIGIT = re.compile(r"\d")
_MAY_HOLD_S = re.compile(r"[sS]|[^\x00-\x7f]")   # an S, or anything not ASCII (it may normalise to one)
_MAY_HOLD_DIGIT_WIDE = r"[0-9]|[^\x00-\x7f]"     # _DIGIT's superset in any regex engine (\d may be Unicode)
_WHOLE_SHEET_LOOK = 2_000   # text cells from which one regex pass over them all beats looking at each
_NAMED_CODE = re.compile(r"(?<![0-9A-Za-z])(?:LA[\s_-]?)?(\d{3})(?![0-9A-Za-z])", re.IGNORECASE)


def _text_cells(frame: SheetFrame, keys: list[str]):
    """(key, Excel row, text) of the cells of columns `keys` that may hold an SWE number (any
    non-blank cell; of a large sheet, only those with a digit and an S or what may normalise to
    them), column by column. Their Arrow buffers are chained and read into Python in one go."""
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


@rule("Q516")
def swe_number_in_text(ctx: Submission):
    """Every free-text cell (text columns of every sheet, and the Return sheet's text values)."""
    for frame in ctx.wb.sheets.values():
        keys = [col.key for col in frame.sheet.columns
                if col.kind == TEXT and col.key in frame.raw.columns and col.key != "swe_number"]
        if not keys or frame.raw.empty:
            continue
        for key, row, value in _text_cells(frame, keys):
            # only text with a digit and an S (or what may normalise to one) can hold one: a cheap look first
            if _DIGIT.search(value) and _MAY_HOLD_S.search(value) and find_swe_like(value):
                yield frame.finding("Q516", key, row, value=redact(value))
    ret = ctx.wb.return_sheet
    if ret is None:
        return
    for col in RETURN.columns:
        value = ret.raw.get(col.key)
        if col.kind == TEXT and find_swe_like(value):
            row, cell = ret.cells.get(col.key, (None, None))
            yield finding("Q516", sheet="Return", row=row, column=col.header, cell=cell, value=redact(value))


def named_codes(file_name: str) -> list[str]:
    """The DfE LA codes a file name names, in order (3-digit codes on their own that are on las.csv)."""
    return [m.group(1) for m in _NAMED_CODE.finditer(file_name or "") if la_any(m.group(1)) is not None]


@rule("Q517")
def file_named_for_another_la(ctx: Submission):
    ret = ctx.wb.return_sheet
    code = ret.values.get("la_code") if ret is not None else None
    if not isinstance(code, str) or la_any(code) is None:
        return
    named = named_codes(ctx.file_name)
    if not named or code in named:
        return
    row, cell = ret.cells.get("la_code", (None, None))
    yield finding("Q517", sheet="Return", row=row, column="LA code", cell=cell, value=ret.raw.get("la_code"),
                  file_name=ctx.file_name, named=named[0], named_name=la_any(named[0]).name,
                  la_name=la_any(code).name)
