"""Turning cell text into typed values, the same way wherever a kind of value appears.

Every parser takes a Series of cleaned cell text (NA for blank) and returns typed values with NA
where the text is blank *or* unreadable; `invalid(raw, typed)` tells the two apart.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipeline.contract import (CHOICE, DATE, LA_CODE, MONEY, MONTH, NUMBER, QUARTER, SWE, TEXT, Column,
                               Quarter, normalise_header)

# Patterns as plain strings so pandas hands them to pyarrow's vectorised regex engine.
_MONEY_JUNK = r"[£,\s]|GBP|gbp"
_SWE = r"^SW0*([1-9][0-9]{0,6})$"
_DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d-%b-%y",
                 "%Y/%m/%d", "%b %d, %Y", "%B %d, %Y")
_MONTH_FORMATS = ("%Y-%m", "%Y/%m", "%b %Y", "%B %Y", "%b-%Y", "%b-%y", "%m/%Y", "%m-%Y")
_TRUE = {"yes", "y", "true"}
_FALSE = {"no", "n", "false"}
EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def cell_text(value) -> str | None:
    """One calamine cell value as the text a person sees: dates ISO, 10.0 -> '10', blanks None."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip() or None


def number(raw: pd.Series) -> pd.Series:
    """Money or numbers: '£1,234.50' -> 1234.5; '(12)' -> -12; anything else NaN."""
    text = raw.astype("string").str.replace(_MONEY_JUNK, "", regex=True)
    text = text.str.replace(r"^\((.*)\)$", r"-\1", regex=True)
    return pd.to_numeric(text, errors="coerce").astype("float64")


def date(raw: pd.Series) -> pd.Series:
    """Excel dates (read as ISO), ISO text, dd/mm/yyyy text and other day-first spellings -> datetime64."""
    text = raw.astype("string")
    out = pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    todo = out.isna() & text.notna()
    for fmt in _DATE_FORMATS:
        if not todo.any():
            break
        out[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        todo = out.isna() & text.notna()
    if todo.any():   # an Excel serial number in a cell not formatted as a date
        serial = pd.to_numeric(text[todo], errors="coerce")
        serial = serial.where((serial > 20000) & (serial < 80000))
        out[todo] = EXCEL_EPOCH + pd.to_timedelta(serial, unit="D")
    return out.astype("datetime64[us]")


def month(raw: pd.Series) -> pd.Series:
    """A month as its first day: a date in the month, '2025-01', 'Jan 2025'."""
    text = raw.astype("string")
    out = date(raw)
    todo = out.isna() & text.notna()
    for fmt in _MONTH_FORMATS:
        if not todo.any():
            break
        out[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        todo = out.isna() & text.notna()
    return out.dt.to_period("M").dt.to_timestamp().astype("datetime64[us]")


def choice(raw: pd.Series, choices: tuple[str, ...]) -> pd.Series:
    """Spelling-tolerant match to the canonical choice ('umbrella  COMPANY' -> 'Umbrella company')."""
    lookup = {normalise_header(c): c for c in choices}
    if "Yes" in choices:
        lookup.update({k: "Yes" for k in _TRUE})
    if "No" in choices:
        lookup.update({k: "No" for k in _FALSE})
    text = raw.astype("string")
    uniques = text.dropna().unique()
    matched = {v: lookup.get(normalise_header(v)) for v in uniques}   # few distinct values: map once each
    return text.map(matched).astype("string")


def swe(raw: pd.Series) -> pd.Series:
    """SWE numbers normalised: case and spaces ignored, leading zeros dropped ('sw 000123' -> 'SW123')."""
    text = raw.astype("string").str.upper().str.replace(r"[\s\-]", "", regex=True)
    return text.str.replace(_SWE, r"SW\1", regex=True).where(text.str.match(_SWE), None).astype("string")


def la_code(raw: pd.Series) -> pd.Series:
    text = raw.astype("string").str.strip()
    return text.where(text.str.fullmatch(r"\d{3}"), None).astype("string")


def quarter(raw: pd.Series) -> pd.Series:
    return raw.astype("string").map(lambda v: str(q) if (q := Quarter.parse(v)) else None, na_action="ignore").astype("string")


def typed(raw: pd.Series, column: Column) -> pd.Series:
    """Parse one column by its kind."""
    kind = column.kind
    if kind in (MONEY, NUMBER):
        return number(raw)
    if kind == DATE:
        return date(raw)
    if kind == MONTH:
        return month(raw)
    if kind == CHOICE:
        return choice(raw, column.choices)
    if kind == SWE:
        return swe(raw)
    if kind == LA_CODE:
        return la_code(raw)
    if kind == QUARTER:
        return quarter(raw)
    assert kind == TEXT, kind
    return raw.astype("string")


def invalid(raw: pd.Series, parsed: pd.Series) -> pd.Series:
    """Cells with text that did not parse."""
    return raw.notna() & parsed.isna()


def empty_like(column: Column, index: pd.Index) -> pd.Series:
    """A typed all-NA column for a column the sheet does not have."""
    if column.kind in (MONEY, NUMBER):
        return pd.Series(np.nan, index=index, dtype="float64")
    if column.kind in (DATE, MONTH):
        return pd.Series(pd.NaT, index=index, dtype="datetime64[us]")
    return pd.Series(pd.NA, index=index, dtype="string")
