"""Q516, Q517 on the file and its text rather than the agency rules: an SWE number in free text
(Q516: it is removed before storing) and a file name naming another LA than the Return sheet's (Q517)."""
from __future__ import annotations

import re

from pipeline.core.contract import RETURN, TEXT
from pipeline.core.findings import finding
from pipeline.core.redaction import find_swe_like, redact
from pipeline.core.reference import la_any
from pipeline.rules.context import ReturnContext
from pipeline.rules.registry import rule
from pipeline.rules.text_cells import swe_candidates

# A 3-digit code standing on its own in a file name ('812_2025-Q1.xlsx', 'LA 812 return'), never a
# run of digits inside a longer one or inside a hash ('a812b').
_NAMED_CODE = re.compile(r"(?<![0-9A-Za-z])(?:LA[\s_-]?)?(\d{3})(?![0-9A-Za-z])", re.IGNORECASE)


@rule("Q516")
def swe_number_in_text(ctx: ReturnContext):
    """Every free-text cell (text columns of every sheet, and the Return sheet's text values)."""
    for frame in ctx.wb.sheets.values():
        keys = [col.key for col in frame.sheet.columns
                if col.kind == TEXT and col.key in frame.raw.columns and col.key != "swe_number"]
        if not keys or frame.raw.empty:
            continue
        for key, row, value in swe_candidates(frame, keys):
            if find_swe_like(value):
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
def file_named_for_another_la(ctx: ReturnContext):
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
