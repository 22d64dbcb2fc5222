"""E004, E005, E104 on the Return sheet: the LA code (a DfE code, live during the quarter), the
quarter (well formed, and the one being collected) and the date prepared (a plausible date when given)."""
from __future__ import annotations

import pandas as pd

from pipeline.core.config import threshold
from pipeline.core.contract import Quarter
from pipeline.core.findings import finding
from pipeline.core.reference import la_any, la_for_quarter
from pipeline.read.parse import display_date
from pipeline.rules.context import ReturnContext
from pipeline.rules.registry import rule


@rule("E005")
def quarter_of_return(ctx: ReturnContext):
    ret = ctx.wb.return_sheet
    if ret is None:
        return
    row, cell = ret.cells.get("quarter", (None, None))
    raw = ret.raw.get("quarter")
    where = dict(sheet="Return", row=row, column="Quarter", cell=cell, value=raw)
    if raw is None:
        yield finding("E005", "missing", **where)
    elif Quarter.parse(raw) is None:
        yield finding("E005", "malformed", **where)
    elif ctx.collecting is not None and Quarter.parse(raw) != ctx.collecting:
        yield finding("E005", "wrong", expected=str(ctx.collecting), **where)


@rule("E104")
def date_prepared_of_return(ctx: ReturnContext):
    """The Return's Date prepared, when given, is a date inside `plausible_date_range` (E104, as every date
    of the return; contract §3). Blank is allowed: the field is optional."""
    ret = ctx.wb.return_sheet
    raw = ret.raw.get("date_prepared") if ret is not None else None
    if raw is None:
        return
    row, cell = ret.cells.get("date_prepared", (None, None))
    where = dict(sheet="Return", row=row, column="Date prepared", cell=cell, value=raw)
    value = ret.values.get("date_prepared")
    earliest, latest = (pd.Timestamp(d) for d in threshold("plausible_date_range"))
    if value is None or pd.isna(value):
        yield finding("E104", "invalid", **where)
    elif not earliest <= pd.Timestamp(value) <= latest:
        yield finding("E104", "out_of_range", earliest=display_date(earliest), latest=display_date(latest), **where)


@rule("E004")
def la_code_of_return(ctx: ReturnContext):
    ret = ctx.wb.return_sheet
    if ret is None:
        return
    row, cell = ret.cells.get("la_code", (None, None))
    raw = ret.raw.get("la_code")
    where = dict(sheet="Return", row=row, column="LA code", cell=cell, value=raw)
    code = ret.values.get("la_code")
    if raw is None:
        yield finding("E004", "missing", **where)
    elif pd.isna(code) or la_any(code) is None:
        yield finding("E004", "unknown", **where)
    elif ctx.quarter is not None and la_for_quarter(code, ctx.quarter) is None:
        yield finding("E004", "not_live", la_name=la_any(code).name, quarter=str(ctx.quarter), **where)
