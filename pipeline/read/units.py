"""Units read, not assumed: a money or number cell is read only when its amount is certain.

- A **decimal comma** ('3,40', '17901,00', '1.234,56') is never read as ×100: `parse.number` leaves it
  unread, and here it gets its column's code with the message 'decimal_comma' (its other findings,
  'not a number' or 'blank', are dropped: this one says what to change).
- A **percentage** under a £ field (a cell formatted as a percentage, text with a '%', or a column
  whose header says '%': 'Margin %', 'Agency fee (%)') is never read as £. Only where the rule is
  certain is it converted: an agency fee given as a percentage is that percentage of the hourly
  pay rate (the fee is charged on the worker's pay), read as £ per hour and queried (Q521). Under
  any other £ field it is not read, and gets its column's code with the message 'percent'.

Where the header says '%' and the cells are plain numbers, a column of values all at most 1 holds
fractions (0.14 = 14%, as a percentage cell stores them), any other column percentages (14 = 14%).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.core.contract import MONEY, NUMBER, Sheet
from pipeline.core.findings import Finding
from pipeline.read.columns import any_matches, unread_positions
from pipeline.read.parse import DECIMAL_COMMA

FEE = "agency_fee_per_hour"          # the one £ field a percentage converts into with certainty
PAY = "hourly_pay_rate"              # ... as a percentage of this
_DECIMAL_COMMA = re.compile(DECIMAL_COMMA)
_PERCENT_TEXT = re.compile(r"^\s*(-?[0-9]+(?:[.,][0-9]+)?)\s*%\s*$")
_COMMA, _PERCENT_SIGN = re.compile(","), re.compile("%")


def decimal_commas(sheet: Sheet, frame, texts: dict[str, pa.Array], reported: set) -> list[Finding]:
    """The column's code, message 'decimal_comma', on each money or number cell written with a
    decimal comma (left unread by `parse.number`); each cell goes into `reported`. `texts` are the
    columns' cell text as read (`frame.data`'s rows)."""
    out = []
    for key, text in texts.items():
        col = sheet.column(key)
        if col.kind not in (MONEY, NUMBER) or not any_matches(text, _COMMA):
            continue
        for i in unread_positions(text, frame.data[key]).tolist():
            value = text[i].as_py()
            if _DECIMAL_COMMA.match(value):
                row = int(frame.data.index[i])
                out.append(frame.finding(col.code, key, row, "decimal_comma", suggested=_with_point(value)))
                reported.add((sheet.name, frame.cell(key, row)))
    return out


def _with_point(text: str) -> str:
    """'17901,00' -> '17901.00', '1.234,56' -> '1234.56': how the amount is written with a point."""
    whole, _, decimals = text.strip().rpartition(",")
    return re.sub(r"[^0-9\-£]", "", whole) + "." + decimals.strip()


def percentages(sheet: Sheet, frame, texts: dict[str, pa.Array], percent_cells: set[tuple[str, int]],
                percent_headers: set[str], reported: set) -> list[Finding]:
    """Money cells holding a percentage: an agency fee converted to £ per hour from the pay rate
    (Q521), any other left unread (its column's code, message 'percent'); see the module's note.
    `percent_cells` are the sheet's cells formatted as a percentage (column letters, row);
    `percent_headers` the fields whose header says '%'. Changes `frame.data` in place."""
    out = []
    formatted: dict[str, set[int]] = {}
    for letters, row in percent_cells:
        formatted.setdefault(letters, set()).add(row)
    for key, text in texts.items():
        col = sheet.column(key)
        cells = formatted.get(frame.positions[key][1], set())
        if col.kind != MONEY or not (cells or key in percent_headers or any_matches(text, _PERCENT_SIGN)):
            continue
        found = _percents(text, frame.data[key], cells, key in percent_headers)
        if not found:
            continue
        values = frame.data[key].copy()         # (a short column's parse is shared by content: never changed in place)
        for row, pct in found.items():
            shown = f"{pct:g}%"
            pay = frame.data.at[row, PAY] if key == FEE and PAY in frame.data.columns else np.nan
            if key == FEE and pd.notna(pay) and pay > 0:
                amount = round(pay * pct / 100, 4)
                values.at[row] = amount
                out.append(frame.finding("Q521", key, row, value=shown, percent=shown, pay=pay, amount=amount))
            else:
                values.at[row] = np.nan
                out.append(frame.finding(col.code, key, row, "percent", value=shown))
            reported.add((sheet.name, frame.cell(key, row)))
        frame.data[key] = values
    return out


def _percents(text: pa.Array, typed: pd.Series, formatted: set[int], header_says: bool) -> dict[int, float]:
    """Excel row -> the percentage a cell holds (14.0 for 14%), for the cells of one column that
    hold one: text with a '%' (among the cells not read as a number), a cell formatted as a
    percentage (`formatted`: its Excel rows), or any number under a header that says '%'."""
    out: dict[int, float] = {}
    rows = typed.index
    for i in unread_positions(text, typed).tolist():
        found = _PERCENT_TEXT.match(text[i].as_py())
        if found:
            out[int(rows[i])] = float(found.group(1).replace(",", "."))
    if not formatted and not header_says:
        return out
    numbers = typed.dropna()
    fractions = header_says and bool(len(numbers)) and bool((numbers.abs() <= 1).all())
    for row, value in numbers.items():
        if row in formatted:
            out[int(row)] = round(float(value) * 100, 10)
        elif header_says:
            out[int(row)] = round(float(value) * (100 if fractions else 1), 10)
    return out
