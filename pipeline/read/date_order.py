"""The order of day and month in a column of text dates, read from the column, never assumed.

A date typed as text ('07/08/2024') is read day-first, the UK way (`parse.date`). But an MSP
extract may write its dates month-first: where a column's text dates include some that only make
sense month-first ('09/21/2024') and none that only make sense day-first ('21/09/2024'), the
column is month-first. Its month-first-only dates are then read month-first (they can be read no
other way), and each date that could be read either way is read month-first and queried on its
cell (Q522), never silently day-first. A column with dates of both kinds is left to `parse.date`
(those that do not read day-first are E104).
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pyarrow as pa

from pipeline.core.contract import DATE, Sheet
from pipeline.core.findings import Finding
from pipeline.read.columns import any_matches, unread_positions

_LOOKS_NUMERIC = re.compile(r"^\s*[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2}")    # (no back-reference: Arrow's regex has none)
_NUMERIC_DATE = re.compile(r"^\s*([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})(?:[T\s]+[0-9]{1,2}:[0-9]{2}.*)?\s*$")


def month_first_columns(sheet: Sheet, frame, texts: dict[str, pa.Array]) -> list[Finding]:
    """Q522 on each ambiguous text date of a month-first column (see the module's note); the
    column's dates in `frame.data` read month-first, in place. `texts` are the columns' cell text
    as read (`frame.data`'s rows): only a column with a date not read day-first is looked at."""
    out = []
    for key, text in texts.items():
        if sheet.column(key).kind != DATE or not any_matches(text, _LOOKS_NUMERIC):
            continue
        unread = [text[i].as_py() for i in unread_positions(text, frame.data[key]).tolist()]
        if not any(_month_first_only(t) for t in unread):
            continue
        parts = {}
        for row, value in zip(frame.data.index.tolist(), text.to_pylist()):
            found = _NUMERIC_DATE.match(value) if value is not None else None
            if found:
                parts[row] = (int(found.group(1)), int(found.group(3)), _year(found.group(4)))
        month_first = [row for row, (a, b, _) in parts.items() if a <= 12 < b <= 31]
        day_first = [row for row, (a, b, _) in parts.items() if b <= 12 < a <= 31]
        if not month_first or day_first:
            continue
        example = month_first[0]
        values = frame.data[key].copy()         # (a short column's parse is shared by content: never changed in place)
        for row, (month, day, year) in parts.items():
            try:
                read = dt.date(year, month, day)
            except ValueError:
                continue                                      # no such date either way: E104 says so
            values.at[row] = pd.Timestamp(read)
            if day != month and day <= 12:
                out.append(frame.finding("Q522", key, row, example=frame.value(key, example),
                                         example_cell=frame.cell(key, example), read_as=f"{read.day} {read:%B %Y}"))
        frame.data[key] = values
    return out


def _month_first_only(text: str) -> bool:
    found = _NUMERIC_DATE.match(text)
    return found is not None and int(found.group(1)) <= 12 < int(found.group(3)) <= 31


def _year(text: str) -> int:
    """A two-digit year as `parse.date` reads it (strptime's %y: 69-99 -> 19xx, else 20xx)."""
    year = int(text)
    if len(text) == 2:
        year += 1900 if year >= 69 else 2000
    return year
