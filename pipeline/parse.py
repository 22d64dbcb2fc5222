"""Turning cell text into typed values, the same way wherever a kind of value appears.

Every parser takes a Series of cleaned cell text (NA for blank) and returns typed values with NA
where the text is blank *or* unreadable; `invalid(raw, typed)` tells the two apart.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

import numpy as np
import pandas as pd

from pipeline.contract import (CHOICE, DATE, LA_CODE, MONEY, MONTH, NUMBER, QUARTER, REFERENCES, SWE, TEXT,
                               VALUE_ALIASES, YES_NO, Column, Quarter, normalise_header)

# Patterns as plain strings so pandas hands them to pyarrow's vectorised regex engine.
_MONEY_JUNK = r"[£,\s]|GBP|gbp"
_SWE = re.compile(r"^SW0*([1-9][0-9]{0,6})$")
_DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d-%b-%y",
                 "%Y/%m/%d", "%b %d, %Y", "%B %d, %Y")
_MONTH_FORMATS = ("%Y-%m", "%Y/%m", "%b %Y", "%B %Y", "%b-%Y", "%b-%y", "%m/%Y", "%m-%Y")
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


def display_date(value) -> str:
    """A date as a council writes it in messages (dd/mm/yyyy); blank for none."""
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%d/%m/%Y")


def number(raw: pd.Series) -> pd.Series:
    """Money or numbers: '£1,234.50' -> 1234.5; '(12)' -> -12; anything else NaN."""
    # Most cells are plain numbers: one vectorised pass, then clean up only the rest.
    out = pd.Series(pd.to_numeric(raw, errors="coerce").to_numpy(dtype="float64", na_value=np.nan), index=raw.index)
    todo = out.isna() & raw.notna()
    if todo.any():
        text = raw[todo].astype("string").str.replace(_MONEY_JUNK, "", regex=True)
        text = text.str.replace(r"^\((.*)\)$", r"-\1", regex=True)
        out[todo] = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return out


def date(raw: pd.Series) -> pd.Series:
    """Excel dates (read as ISO), ISO text, dd/mm/yyyy text and other day-first spellings -> datetime64."""
    text = raw.astype("string")
    out = _fill_formats(pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce"), text, _DATE_FORMATS)
    todo = out.isna() & text.notna()
    if todo.any():   # an Excel serial number in a cell not formatted as a date
        serial = pd.to_numeric(text[todo], errors="coerce")
        serial = serial.where((serial > 20000) & (serial < 80000))
        out[todo] = EXCEL_EPOCH + pd.to_timedelta(serial, unit="D")
    return out.astype("datetime64[us]")


def month(raw: pd.Series) -> pd.Series:
    """A month as its first day: a date in the month, '2025-01', 'Jan 2025'."""
    out = _fill_formats(date(raw), raw.astype("string"), _MONTH_FORMATS)
    return out.dt.to_period("M").dt.to_timestamp().astype("datetime64[us]")


def _fill_formats(out: pd.Series, text: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """Try each format, in order, on the cells not parsed yet."""
    for fmt in formats:
        todo = out.isna() & text.notna()
        if not todo.any():
            break
        out[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
    return out


def choice(raw: pd.Series, choices: tuple[str, ...]) -> pd.Series:
    """Spelling-tolerant match to the canonical choice ('umbrella  COMPANY' -> 'Umbrella company'),
    also through the value aliases of contract.VALUE_ALIASES ('IRO', 'Ltd', 'Y')."""
    lookup = _choice_lookup(choices)
    matched: dict[str, str | None] = {}   # few distinct values: normalise each once
    out = []
    for v in _objects(raw):
        if v is None:
            out.append(None)
            continue
        if v not in matched:
            matched[v] = lookup.get(normalise_header(v))
        out.append(matched[v])
    return pd.Series(out, index=raw.index, dtype="string")


@lru_cache(maxsize=64)
def _choice_lookup(choices: tuple[str, ...]) -> dict[str, str]:
    """Normalised spelling -> allowed value: aliases first, so an allowed value itself always wins."""
    lookup: dict[str, str] = {}
    for value in choices:
        for alias in VALUE_ALIASES.get(value, ()):
            lookup.setdefault(normalise_header(alias), value)
    lookup.update({normalise_header(c): c for c in choices})
    return lookup


def references(raw: pd.Series) -> pd.Series:
    """'Reference obtained': Yes or No (with their aliases), or a count of references ('2', '2.0')
    written back as a whole number ('2'); anything else NA (then `invalid` reports it)."""
    yes_no = choice(raw, YES_NO)
    count = number(raw)
    whole = count.notna() & (count >= 0) & (count == count.round())
    counted = count.where(whole).map(lambda n: str(int(n)), na_action="ignore").astype("string")
    return yes_no.fillna(counted).astype("string")


def swe(raw: pd.Series) -> pd.Series:
    """SWE numbers normalised: case and spaces ignored, leading zeros dropped ('sw 000123' -> 'SW123')."""
    out = []
    for v in _objects(raw):
        m = _SWE.match(re.sub(r"[\s\-]", "", v.upper())) if v is not None else None
        out.append(f"SW{m.group(1)}" if m else None)
    return pd.Series(out, index=raw.index, dtype="string")


def _objects(raw: pd.Series) -> list:
    """Cell texts as Python objects, None for blank."""
    return raw.astype("string").to_numpy(dtype=object, na_value=None).tolist()


def la_code(raw: pd.Series) -> pd.Series:
    text = raw.astype("string").str.strip()
    return text.where(text.str.fullmatch(r"\d{3}"), None).astype("string")


def quarter(raw: pd.Series) -> pd.Series:
    return raw.astype("string").map(lambda v: str(q) if (q := Quarter.parse(v)) else None, na_action="ignore").astype("string")


def typed(raw: pd.Series, column: Column) -> pd.Series:
    """Parse one column by its kind.

    The reader and several schema checks parse the same cells; the result is remembered by
    content (kind + cell texts), so each column of a workbook is parsed once.
    """
    if column.kind == TEXT:
        return raw.astype("string")
    values = tuple(raw.to_numpy(dtype=object, na_value=None))
    parsed = _parsed(column.kind, column.choices, values)
    return pd.Series(parsed, index=raw.index, copy=False)


@lru_cache(maxsize=256)
def _parsed(kind: str, choices: tuple[str, ...], values: tuple) -> pd.api.extensions.ExtensionArray | np.ndarray:
    raw = pd.Series(values, dtype="string")
    if kind in (MONEY, NUMBER):
        out = number(raw)
    elif kind == DATE:
        out = date(raw)
    elif kind == MONTH:
        out = month(raw)
    elif kind == CHOICE:
        out = choice(raw, choices)
    elif kind == SWE:
        out = swe(raw)
    elif kind == LA_CODE:
        out = la_code(raw)
    elif kind == QUARTER:
        out = quarter(raw)
    elif kind == REFERENCES:
        out = references(raw)
    else:
        raise ValueError(f"no parser for {kind!r}")
    array = out.array
    if isinstance(array, np.ndarray):
        array.flags.writeable = False   # shared by every caller: nobody may change it in place
    return array


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
