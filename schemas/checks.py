"""Building blocks for the sheet schemas: the contract's column rules as vectorised pandera checks."""
from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa

from pipeline import parse
from pipeline.config import threshold
from pipeline.contract import DATE, LA_CODE, MONEY, MONTH, NUMBER, Column, Sheet
from pipeline.reference import la_any


_NUMBER = Column("number", "number", NUMBER)   # money and numbers parse alike


# Within `parsing_once()`: the reader's typed frame and the columns parsed so far, so the several
# checks of one column parse its cells once per validation (parse.typed's own memo still hashes
# every cell on each call).
_PARSED: contextvars.ContextVar[_Parsing | None] = contextvars.ContextVar("parsed_columns", default=None)


@dataclass
class _Parsing:
    data: pd.DataFrame | None
    columns: dict[str, Column]                   # the sheet's columns by key
    memo: dict = field(default_factory=dict)     # (cell array's id, kind, choices) -> (cell array, typed)


@contextlib.contextmanager
def parsing_once(data: pd.DataFrame | None = None, sheet: Sheet | None = None):
    """Inside the block, each column's cells are parsed once however many checks read them. Given
    `data`, the sheet's columns as the reader typed them (ingest.typed_frame: `parse.typed(raw[key],
    column)`), validating that `raw` in place reuses them instead of parsing again."""
    token = _PARSED.set(_Parsing(data, {c.key: c for c in sheet.columns} if sheet is not None else {}))
    try:
        yield
    finally:
        _PARSED.reset(token)


def typed(s: pd.Series, column: Column) -> pd.Series:
    """parse.typed(s, column), remembered for the same cells within `parsing_once()`."""
    parsing = _PARSED.get()
    if parsing is None:
        return parse.typed(s, column)
    key = (id(s.array), column.kind, column.choices)
    if key not in parsing.memo or parsing.memo[key][0] is not s.array:
        parsing.memo[key] = (s.array, _reuse_or_parse(parsing, s, column))
    return parsing.memo[key][1]


def _reuse_or_parse(parsing: _Parsing, s: pd.Series, column: Column) -> pd.Series:
    read = parsing.columns.get(s.name)
    if read is not None and parsing.data is not None and s.name in parsing.data.columns \
            and s.index.equals(parsing.data.index):
        if (read.kind, read.choices) == (column.kind, column.choices):
            return parsing.data[s.name]
        if read.kind == MONEY and column.kind == NUMBER:   # its minimum is checked on the cells read as numbers
            return _as_number(s, parsing.data[s.name])
    return parse.typed(s, column)


def _as_number(raw: pd.Series, money: pd.Series) -> pd.Series:
    """A money column's cells parsed as a number column's (parse.number with durations): the same
    wherever they read as money; only the other cells are parsed again ('37:30' is 37.5 hours)."""
    todo = np.isnan(money.to_numpy(dtype="float64", na_value=np.nan)) & ~blank(raw)
    if not todo.any():
        return money
    out = money.copy()
    out[todo] = parse.typed(raw[todo], _NUMBER).to_numpy(dtype="float64", na_value=np.nan)
    return out


def error(code: str, variant: str) -> str:
    return f"{code}|{variant}"


def passes(s: pd.Series, fails: np.ndarray) -> pd.Series:
    """A check's outcome over column `s`: True where the cell passes (`fails`: a bool array)."""
    return pd.Series(~fails, index=s.index, copy=False)


def blank(s: pd.Series) -> np.ndarray:
    return np.asarray(s.array.isna(), dtype=bool)


def required(code: str) -> pa.Check:
    return pa.Check(lambda s: passes(s, blank(s)), ignore_na=False, error=error(code, "missing"))


def parses(column: Column, code: str | None = None) -> pa.Check:
    """The text parses as the column's kind (number, date, choice, SWE number...)."""
    variant = {DATE: "invalid_date", MONTH: "invalid_date", LA_CODE: "invalid_la"}.get(column.kind, "invalid")

    def check(s: pd.Series) -> pd.Series:   # parse.invalid: text that did not parse
        return passes(s, ~blank(s) & np.asarray(typed(s, column).array.isna(), dtype=bool))
    return pa.Check(check, ignore_na=False, error=error(code or column.code, variant))


def _number(s: pd.Series) -> np.ndarray:
    return typed(s, _NUMBER).to_numpy(dtype="float64", na_value=np.nan)


def at_least(minimum: float, code: str, variant: str = "negative") -> pa.Check:
    return pa.Check(lambda s: passes(s, _number(s) < minimum), ignore_na=False, error=error(code, variant))


def above(minimum: float, code: str, variant: str) -> pa.Check:
    return pa.Check(lambda s: passes(s, _number(s) <= minimum), ignore_na=False, error=error(code, variant))


def known_la(column: Column) -> pa.Check:
    """An LA code (3 digits) that is on DfE's list of local authorities (reference/las.csv), live or not:
    a previous LA may since have been reorganised."""
    def check(s: pd.Series) -> pd.Series:
        codes = typed(s, column).to_numpy(dtype=object, na_value=None)
        unknown = {c for c in set(codes.tolist()) if c is not None and la_any(c) is None}   # each code looked up once
        return passes(s, np.array([c in unknown for c in codes.tolist()], dtype=bool))
    return pa.Check(check, ignore_na=False, error=error(column.code, "invalid_la"))


def plausible_size(code: str) -> pa.Check:
    """A money or number cell at most `max_plausible_amount` (threshold, read when checked): beyond it
    the value is a pasted reference or a typing slip, never a real figure (and would swamp every total)."""
    return pa.Check(lambda s: passes(s, _number(s) > threshold("max_plausible_amount")), ignore_na=False,
                    error=error(code, "too_large"))


def between(low: float, high: float, code: str, variant: str) -> pa.Check:
    """low < value <= high."""
    def check(s: pd.Series) -> pd.Series:
        n = _number(s)
        return passes(s, (n <= low) | (n > high))
    return pa.Check(check, ignore_na=False, error=error(code, variant))


def in_date_range(column: Column) -> pa.Check:
    """A date inside the plausible range (threshold plausible_date_range, read when checked)."""
    def check(s: pd.Series) -> pd.Series:
        earliest, latest = (np.datetime64(pd.Timestamp(d)) for d in threshold("plausible_date_range"))
        days = typed(s, column).to_numpy()
        return passes(s, (days < earliest) | (days > latest))
    return pa.Check(check, ignore_na=False, error=error(column.code, "out_of_range"))


def unique(code: str) -> pa.Check:
    return pa.Check(lambda s: ~(s.notna() & s.str.strip().str.upper().duplicated(keep=False)), ignore_na=False,
                    error=error(code, "duplicate"))


def column_checks(column: Column, bounded: tuple[str, ...] = ()) -> list[pa.Check]:
    """The checks every column of its kind gets from the contract. `bounded` columns have their own
    upper bound among the sheet's checks (hours per week: at most 168), so no plausibility check."""
    checks = []
    if column.required:
        checks.append(required(column.code))
    if column.kind != "text":
        checks.append(parses(column))
    if column.kind in (MONEY, NUMBER) and column.minimum is not None:
        checks.append(at_least(column.minimum, column.code))
    if column.kind in (MONEY, NUMBER) and column.key not in bounded:
        checks.append(plausible_size(column.code))
    if column.kind == DATE:
        checks.append(in_date_range(column))
    if column.kind == LA_CODE:
        checks.append(known_la(column))
    return checks


def sheet_schema(sheet: Sheet, extra: dict[str, list[pa.Check]] | None = None,
                 skip_default: tuple[str, ...] = (), bounded: tuple[str, ...] = ()) -> pa.DataFrameSchema:
    """A schema for a sheet: the contract's column rules plus sheet-specific checks.

    Columns are optional in the schema (a missing required column is E003, found when reading). A
    column with nothing to check (free text) is left out: pandera's fixed cost per column is spent
    only where a cell can fail.
    """
    extra = extra or {}
    columns = {}
    for col in sheet.columns:
        checks = [] if col.key in skip_default else column_checks(col, bounded)
        checks += extra.get(col.key, [])
        if checks:
            columns[col.key] = pa.Column(None, checks=checks, nullable=True, required=False)
    return pa.DataFrameSchema(columns, name=sheet.name, strict=False)


