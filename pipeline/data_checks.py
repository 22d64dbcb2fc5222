"""Queries about the file and its text rather than the agency rules: Q516 (an SWE number in free
text) and Q517 (the file name names another LA)."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from pipeline.contract import RETURN, TEXT
from pipeline.findings import finding
from pipeline.redaction import find_swe_like, redact
from pipeline.reference import la_any
from pipeline.registry import rule
from pipeline.submission import Submission

# A 3-digit code standing on its own in a file name ('812_2025-Q1.xlsx', 'LA 812 return'), never a
# run of digits inside a longer one or inside a hash ('a812b').
_DIGIT = re.compile(r"\d")
_MAY_HOLD_S = re.compile(r"[sS]|[^\x00-\x7f]")   # an S, or anything not ASCII (it may normalise to one)
_MAY_HOLD_DIGIT_WIDE = r"[0-9]|[^\x00-\x7f]"     # _DIGIT's superset in any regex engine (\d may be Unicode)
_WHOLE_COLUMN_LOOK = 1_000   # rows from which a column-wide first look beats looking at each cell
_NAMED_CODE = re.compile(r"(?<![0-9A-Za-z])(?:LA[\s_-]?)?(\d{3})(?![0-9A-Za-z])", re.IGNORECASE)


def _may_hold_swe(column: pd.Series) -> np.ndarray:
    """Cells that may hold an SWE number (a superset of the per-cell look in swe_number_in_text)."""
    digit = column.str.contains(_MAY_HOLD_DIGIT_WIDE, regex=True)
    s = column.str.contains(_MAY_HOLD_S.pattern, regex=True)
    return (digit & s).to_numpy(dtype=bool, na_value=False)


@rule("Q516")
def swe_number_in_text(ctx: Submission):
    """Every free-text cell (text columns of every sheet, and the Return sheet's text values)."""
    for frame in ctx.wb.sheets.values():
        for col in frame.sheet.columns:
            if col.kind != TEXT or col.key not in frame.raw.columns or col.key == "swe_number":
                continue
            column = frame.raw[col.key]
            if len(column) >= _WHOLE_COLUMN_LOOK:   # a first look over the whole column in one pass
                column = column[_may_hold_swe(column)]
            for row, value in zip(column.index.tolist(), column.to_numpy(dtype=object, na_value=None)):
                # only text with a digit and an S (or what may normalise to one) can hold one: a cheap look first
                if isinstance(value, str) and _DIGIT.search(value) and _MAY_HOLD_S.search(value) \
                        and find_swe_like(value):
                    yield frame.finding("Q516", col.key, row, value=redact(value))
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
