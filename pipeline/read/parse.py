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
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core.contract import (
    CHOICE,
    DATE,
    LA_CODE,
    MONEY,
    MONTH,
    NUMBER,
    QUARTER,
    REFERENCES,
    SWE,
    TEXT,
    VALUE_ALIASES,
    YES_NO,
    Column,
    Quarter,
    normalise_header,
)

# Patterns as plain strings so pandas hands them to pyarrow's vectorised regex engine.
_MONEY_JUNK = r"[£,\s]|GBP|gbp"
# A number whose last comma has one or two digits after it ('3,40', '17901,00', '1.234,56'): a decimal
# comma, never a thousands separator, so it is not read at all (stripping the comma would read it ×100).
DECIMAL_COMMA = r"^\s*[-(]?\s*(?:£|GBP|gbp)?\s*[0-9][0-9.,\s]*,[0-9]{1,2}\s*\)?\s*$"
_SWE = re.compile(r"^SW0*([1-9][0-9]{0,6})$")
_DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d-%b-%y",
                 "%Y/%m/%d", "%b %d, %Y", "%B %d, %Y")
_MONTH_FORMATS = ("%Y-%m", "%Y/%m", "%b %Y", "%B %Y", "%b-%Y", "%b-%y", "%m/%Y", "%m-%Y")
_TIME_OF_DAY = r"[T\s]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?$"   # '26/05/2025 00:00'
_DURATION = r"^(\d+):([0-5]\d)(?::([0-5]\d))?$"                                            # '37:30' hours
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
EXCEL_EPOCH_1904 = dt.datetime(1904, 1, 1)
_DURATION_ONLY = dt.datetime(1900, 3, 1)   # Excel shows serials before this in [h]:mm, not as dates


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
        if value < _DURATION_ONLY and value.time() != dt.time():   # 1.5625 in an h:mm cell: 37:30 hours
            return _hours_minutes(value - dt.datetime(1899, 12, 31))   # serial 1 is 1900-01-01 here
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):                            # a [h]:mm duration: as Excel shows it
        return _hours_minutes(value)
    if isinstance(value, dt.time):
        return _hours_minutes(dt.timedelta(hours=value.hour, minutes=value.minute, seconds=value.second))
    return str(value).strip() or None


def _hours_minutes(span: dt.timedelta) -> str:
    """A duration as Excel's [h]:mm shows it: 37:30 (seconds only when there are any)."""
    seconds = round(span.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def serial_date(value, date1904: bool):
    """A date serial in a cell not formatted as a date, counted from the workbook's own epoch.

    A workbook on the 1904 date system (Excel for Mac) stores 26/05/2025 as 44341, not 45803;
    read with the 1900 epoch it would be four years out. Other values are returned unchanged.
    """
    if date1904 and isinstance(value, float) and not isinstance(value, bool) and 0 < value < 2_958_465:
        return EXCEL_EPOCH_1904 + dt.timedelta(days=value)
    return value


def display_date(value) -> str:
    """A date as a council writes it in messages (dd/mm/yyyy); blank for none."""
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%d/%m/%Y")


def number(raw: pd.Series, durations: bool = False) -> pd.Series:
    """Money or numbers: '£1,234.50' -> 1234.5; '(12)' -> -12; a decimal comma ('3,40') and anything
    else NaN.

    With `durations`, hours entered as a duration count as hours: '37:30' -> 37.5.
    """
    # Most cells are plain numbers: one vectorised pass, then clean up only the rest.
    out = pd.Series(pd.to_numeric(raw, errors="coerce").to_numpy(dtype="float64", na_value=np.nan), index=raw.index)
    todo = out.isna() & raw.notna()
    if todo.any():
        todo &= ~raw.astype("string").str.contains(DECIMAL_COMMA, regex=True).fillna(False)
        text = raw[todo].astype("string").str.replace(_MONEY_JUNK, "", regex=True)
        text = text.str.replace(r"^\((.*)\)$", r"-\1", regex=True)
        out[todo] = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        if durations:
            parts = raw[todo].astype("string").str.strip().str.extract(_DURATION).astype("float64")
            hours = parts[0] + parts[1] / 60 + parts[2].fillna(0) / 3600
            out[todo] = out[todo].fillna(hours)
    return out


def date(raw: pd.Series) -> pd.Series:
    """Excel dates (read as ISO), ISO text, dd/mm/yyyy text and other day-first spellings -> datetime64.

    A time of day typed after the date ('26/05/2025 00:00', '2025-05-26T09:00') is ignored.
    """
    text = raw.astype("string")
    if text.str.contains(":", regex=False).any():
        text = text.str.replace(_TIME_OF_DAY, "", regex=True)
    out = _fill_formats(pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce"), text, _DATE_FORMATS)
    todo = out.isna() & text.notna()
    if todo.any():   # an Excel serial number in a cell not formatted as a date
        # as plain floats: a masked value kept under pandas' NA (1e16) would still overflow the timedelta
        serial = pd.to_numeric(text[todo], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        serial[~((serial > 20000) & (serial < 80000))] = np.nan
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
    return pd.Series(_choices(_objects(raw), choices), index=raw.index, dtype="string")


@lru_cache(maxsize=64)
def _choice_lookup(choices: tuple[str, ...]) -> dict[str, str]:
    """Normalised spelling -> allowed value: aliases first, so an allowed value itself always wins."""
    lookup: dict[str, str] = {}
    for value in choices:
        for alias in VALUE_ALIASES.get(value, ()):
            lookup.setdefault(normalise_header(alias), value)
    lookup.update({normalise_header(c): c for c in choices})
    return lookup


def swe(raw: pd.Series) -> pd.Series:
    """SWE numbers normalised: case and spaces ignored, leading zeros dropped ('sw 000123' -> 'SW123')."""
    text = raw.astype("string").str.upper().str.replace(r"[\s\-]", "", regex=True)
    digits = text.str.extract(_SWE.pattern, expand=False)
    return ("SW" + digits).astype("string")


def _objects(raw: pd.Series) -> list:
    """Cell texts as Python objects, None for blank."""
    return raw.astype("string").to_numpy(dtype=object, na_value=None).tolist()


def la_code(raw: pd.Series) -> pd.Series:
    """A 3-digit DfE LA code; number-like text as a spreadsheet shows a number ('869.0') is 869."""
    text = raw.astype("string").str.strip()
    if text.str.contains(".", regex=False).any():
        text = text.str.replace(r"^(\d{3})\.0*$", r"\1", regex=True)
    return text.where(text.str.fullmatch(r"\d{3}"), None).astype("string")


def typed(raw: pd.Series, column: Column) -> pd.Series:
    """Parse one column by its kind.

    The reader and several schema checks parse the same cells; the result is remembered by
    content (kind + cell texts), so each column of a workbook is parsed once.
    """
    if column.kind == TEXT:
        return raw.astype("string")
    values = tuple(raw.to_numpy(dtype=object, na_value=None))
    return pd.Series(typed_values(column, values), index=raw.index, copy=False)


def typed_values(column: Column, values: tuple) -> pd.api.extensions.ExtensionArray:
    """One column's cell texts (a tuple, None for blank) parsed by the column's kind, as
    `typed` parses them: the array a typed column holds (float64, datetime64[us] or string)."""
    if column.kind == TEXT:
        return _strings(values)
    if len(values) >= _ARROW_FROM:      # not remembered: the memo would keep every cell's text alive (50 MB at 50k rows)
        return _parse(column.kind, column.choices, values)
    return _parsed(column.kind, column.choices, values)


def _parse(kind: str, choices: tuple[str, ...], values: tuple) -> pd.api.extensions.ExtensionArray:
    """Cells in the shapes a spreadsheet gives most (plain numbers, ISO dates, tidy text) are
    parsed one by one in plain Python, which on a few hundred cells costs far less than a pandas
    pass; the rest go through the column parsers above, which give the same value for every
    cell the quick way reads (tests/test_reading_kinds.py holds both to it)."""
    if kind in (MONEY, NUMBER):
        return pd.arrays.NumpyExtensionArray(_numbers(values, durations=kind == NUMBER))
    if kind in (DATE, MONTH):
        return pd.array(_dates(values, monthly=kind == MONTH))
    if kind == CHOICE:
        return _strings(_choices(values, choices))
    if kind == SWE:
        return _strings(_quick(values, _swe_text, _TIDY_SWE, swe))
    if kind == LA_CODE:
        return _strings(_quick(values, _la_code_text, _TIDY_LA_CODE, la_code))
    if kind == QUARTER:
        return _strings([str(q) if v is not None and (q := Quarter.parse(v)) else None for v in values])
    if kind == REFERENCES:
        return _strings(_references(values))
    raise ValueError(f"no parser for {kind!r}")


_parsed = lru_cache(maxsize=256)(_parse)     # a short column's cells, parsed once by content


def typed_text(column: Column, text: pa.Array) -> pd.api.extensions.ExtensionArray:
    """`typed_values` of one column's cell text given as an Arrow array (null for blank), the
    reader's form. A long column of numbers, dates, choices or SWE numbers is parsed by passes over
    the whole column in Arrow, which give what `typed_values` gives cell for cell
    (tests/test_reading_kinds.py holds them to it); the rest go through `typed_values`."""
    kind = column.kind
    if len(text) < _ARROW_FROM or kind not in (MONEY, NUMBER, DATE, MONTH, CHOICE, SWE):
        return typed_values(column, tuple(text.to_numpy(zero_copy_only=False)))
    if kind in (MONEY, NUMBER):
        return pd.arrays.NumpyExtensionArray(_numbers(text, durations=kind == NUMBER))
    if kind in (DATE, MONTH):
        return pd.array(_arrow_dates(text, monthly=kind == MONTH))
    if kind == CHOICE:
        encoded = pc.dictionary_encode(text)        # each distinct spelling looked up once, as `_choices` does
        found = pa.array(_choices(encoded.dictionary.to_pylist(), column.choices), type=pa.large_string())
        return pd.arrays.ArrowStringArray(found.take(encoded.indices))
    return pd.arrays.ArrowStringArray(_arrow_swe(text))


def _arrow_swe(text: pa.Array) -> pa.Array:
    """`_quick(values, _swe_text, _TIDY_SWE, swe)` by whole-column passes: tidy (ASCII) cells by
    Arrow's upper case and regex, which agree with Python's there; the rest by `swe`."""
    tidy = pc.fill_null(pc.match_substring_regex(text, "^" + _TIDY_SWE.pattern + "$"), False)
    squeezed = pc.replace_substring_regex(pc.utf8_upper(text), "[ -]", "")
    digits = pc.struct_field(pc.extract_regex(squeezed, r"^SW0*(?P<d>[1-9][0-9]{0,6})$"), [0])
    sw = pa.scalar("SW", pa.large_string())
    out = pc.if_else(tidy, pc.binary_join_element_wise(sw, digits, pa.scalar("", pa.large_string())),
                     pa.scalar(None, pa.large_string()))
    other = np.flatnonzero(text.is_valid().to_numpy(zero_copy_only=False)
                           & ~tidy.to_numpy(zero_copy_only=False))
    if not len(other):
        return out
    shown = out.to_numpy(zero_copy_only=False).astype(object)
    shown[other] = swe(pd.Series(text.take(other).to_pylist(), dtype="string")).to_numpy(dtype=object, na_value=None)
    return pa.array(shown, type=pa.large_string())


def _arrow_dates(text: pa.Array, monthly: bool) -> np.ndarray:
    """`_dates` by whole-column passes: ISO dates cast by Arrow (a day that does not exist makes the
    whole column go `_dates`' own way, as there), the rest by the column parsers."""
    iso = pc.fill_null(pc.and_(pc.equal(pc.utf8_length(text), 10),
                               pc.match_substring_regex(text, "^" + _ISO_DATE.pattern + "$")), False)
    try:
        days = pc.cast(pc.if_else(iso, text, pa.scalar(None, text.type)), pa.date32()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        return _dates(tuple(text.to_numpy(zero_copy_only=False)), monthly)
    out = (days.astype("datetime64[M]") if monthly else days.astype("datetime64[D]")).astype("datetime64[us]")
    rest = np.flatnonzero(text.is_valid().to_numpy(zero_copy_only=False) & ~iso.to_numpy(zero_copy_only=False))
    if len(rest):
        subset = pd.Series(text.take(rest).to_pylist(), dtype="string")
        out[rest] = (month if monthly else date)(subset).to_numpy()
    return out


_PLAIN_NUMBER = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]+)?")       # what a number cell's text looks like
_ARROW_FROM = 2000                                               # cells: below this, one by one is quicker
_ISO_DATE = re.compile(r"(?:19|2[01])[0-9]{2}-[0-9]{2}-[0-9]{2}")   # what a date cell's text looks like
_TIDY_SWE = re.compile(r"[A-Za-z0-9 -]*")                        # ASCII: Python and Arrow agree on case and spaces
_TIDY_LA_CODE = re.compile(r"[!-~]*")                            # ASCII with no spaces


def _numbers(values: tuple | pa.Array, durations: bool) -> np.ndarray:
    """float64 of `number` (NaN for blank or unreadable). A long column's plain numbers are cast
    by Arrow, whose shortest correctly rounded reading is Python's `float` (and pandas')."""
    if len(values) >= _ARROW_FROM:
        text = values if isinstance(values, pa.Array) else pa.array(values, type=pa.large_string())
        plain = pc.fill_null(pc.match_substring_regex(text, "^" + _PLAIN_NUMBER.pattern + "$"), False)
        out = np.array(pc.cast(pc.if_else(plain, text, pa.scalar(None, pa.large_string())), pa.float64())
                       .to_numpy(zero_copy_only=False), dtype="float64")
        plain = plain.to_numpy(zero_copy_only=False)
        negative_zero = plain & (out == 0) & np.signbit(out)          # '-0' is pandas' 0.0
        out[negative_zero] = np.nan
        rest = np.flatnonzero(text.is_valid().to_numpy(zero_copy_only=False) & (~plain | negative_zero)).tolist()
    else:
        out = [np.nan] * len(values)
        rest = []
        for i, v in enumerate(values):
            if v is None:
                continue
            if _PLAIN_NUMBER.fullmatch(v) and not (v[0] == "-" and float(v) == 0):
                out[i] = float(v)
            else:
                rest.append(i)
        out = np.array(out, dtype="float64")
    if rest:
        cells = text.take(rest).to_pylist() if isinstance(values, pa.Array) else [values[i] for i in rest]
        out[rest] = number(pd.Series(cells, dtype="string"), durations).to_numpy()
    return out


def _dates(values: tuple, monthly: bool) -> np.ndarray:
    """datetime64[us] of `date` (or of `month`: the month's first day); NaT for blank or unreadable."""
    text = ["NaT"] * len(values)
    rest = []
    for i, v in enumerate(values):
        if v is None:
            continue
        if len(v) == 10 and _ISO_DATE.fullmatch(v):
            text[i] = v
        else:
            rest.append(i)
    try:
        days = np.array(text, dtype="datetime64[D]")
    except ValueError:                      # a day that does not exist ('2025-02-30'): each on its own
        days = np.array(["NaT"] * len(values), dtype="datetime64[D]")
        rest = [i for i, v in enumerate(values) if v is not None]
    out = (days.astype("datetime64[M]") if monthly else days).astype("datetime64[us]")
    if rest:
        subset = pd.Series([values[i] for i in rest], dtype="string")
        out[rest] = (month if monthly else date)(subset).to_numpy()
    return out


def _choices(values, choices: tuple[str, ...]) -> list:
    lookup = _choice_lookup(choices)
    matched: dict[str, str | None] = {}   # few distinct values: normalise each once
    out = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        if v not in matched:
            matched[v] = lookup.get(normalise_header(v))
        out.append(matched[v])
    return out


def _quick(values: tuple, one, tidy: re.Pattern, column_parser) -> list:
    """Each tidy cell through `one`, every other through the column parser (their results agree on tidy text)."""
    out, rest = [], []
    for i, v in enumerate(values):
        if v is None:
            out.append(None)
        elif tidy.fullmatch(v):
            out.append(one(v))
        else:
            out.append(None)
            rest.append(i)
    if rest:
        parsed = column_parser(pd.Series([values[i] for i in rest], dtype="string"))
        for i, p in zip(rest, parsed.to_numpy(dtype=object, na_value=None).tolist()):
            out[i] = p
    return out


def _swe_text(v: str) -> str | None:
    found = _SWE.match(v.upper().replace(" ", "").replace("-", ""))
    return "SW" + found.group(1) if found else None


def _la_code_text(v: str) -> str | None:
    found = _LA_CODE_TEXT.fullmatch(v)
    return found.group(1) if found else None


_LA_CODE_TEXT = re.compile(r"([0-9]{3})(?:\.0*)?")


def _references(values: tuple) -> list:
    """'Reference obtained': Yes or No (with their aliases), or a count of references ('2', '2.0')
    written back as a whole number ('2'); anything else None (then `invalid` reports it)."""
    out = _choices(values, YES_NO)
    other = [i for i, (v, answer) in enumerate(zip(values, out)) if v is not None and answer is None]
    counts = _numbers(tuple(values[i] for i in other), durations=False).tolist()
    for i, n in zip(other, counts):
        if n == n and n >= 0 and n == round(n):
            out[i] = str(int(n))
    return out


def _strings(values) -> pd.api.extensions.ExtensionArray:
    """Python strings (None for blank) as pandas' "string" array."""
    return pd.arrays.ArrowStringArray(pa.array(values, type=pa.large_string()))


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
