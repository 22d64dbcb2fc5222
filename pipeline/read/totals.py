"""Total and footnote rows under a table's data, which are never read as assignments."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core.contract import SWE, Sheet

if TYPE_CHECKING:
    from pipeline.read.arrow import ArrowCells
    from pipeline.read.rows import RowCells

# A total or footnote row under the data: 'Total', 'Total (12 workers)', 'Grand Total', 'TOTAL:', 'Sub-total'.
_TOTAL = re.compile(r"^(?:grand\s*|sub[\s-]*)?totals?(?:\s*[:(].*|\s+\D.*)?$|^sum$", re.IGNORECASE)
_TOTAL_INITIALS = frozenset("gGsStT")     # a cheap first look before the pattern
# A footnote's text: a label with a colon ('Source: ...'), a note mark, or a sentence of four words or more.
_FOOTNOTE = re.compile(r":|^\*|^(?:notes?|source|n\.?b\.?)\b|^\S+\s+\S+\s+\S+\s+\S+", re.IGNORECASE)


def total_rows(sheet: Sheet, cells: RowCells | ArrowCells, rows: list[int], first: int, texts: dict[int, pa.Array],
               mapping: dict[int, str]) -> list[int]:
    """Excel rows that are totals or footnotes, not data: never read as assignments.

    `rows` are the Excel rows holding a value in a read column, `first` the Excel row under the
    header and `texts` each read column's cell text from there. A total row is labelled in its
    first filled cell ('Total', 'Total (12 workers)', 'Grand Total', 'TOTAL:', 'Sub-total') and, on
    a sheet with SWE numbers, has none. A footnote is a single text cell with words ('Source: MSP
    extract ...') after the data: below a total row or a blank row.
    """
    swe_cols = [c for c, k in mapping.items() if sheet.column(k).kind == SWE]
    drop = []
    if swe_cols:     # only rows with no SWE number, or with the label itself in the SWE column
        labelled = np.logical_or.reduce([texts[c].is_valid().to_numpy(zero_copy_only=False) for c in swe_cols])
        # a label has 'total' or 'sum' in it: only those cells are looked at one by one
        worded = np.logical_or.reduce([pc.fill_null(pc.match_substring_regex(texts[c], "tot|sum", ignore_case=True),
                                                    False).to_numpy(zero_copy_only=False) for c in swe_cols])
        candidates = [r for r in rows if not labelled[r - first] or worded[r - first] and any(
            c < len(row) and _is_total_label(row[c]) for row in [cells.row(r - 1)] for c in swe_cols)]
    else:
        candidates = rows
    for excel_row in candidates:
        row = cells.row(excel_row - 1)
        at = next((i for i, v in enumerate(row) if v != "" and v is not None), None)
        if at is not None and _is_total_label(row[at]) and \
                not any(c < len(row) and c != at and row[c] not in ("", None) for c in swe_cols):
            drop.append(excel_row)
    # footnotes: from the bottom, single-text-cell rows separated from the data by a gap or a total
    for i in range(len(rows) - 1, 0, -1):
        filled = [v for v in cells.row(rows[i] - 1) if v != "" and v is not None]
        after_gap = rows[i] - rows[i - 1] > 1 or rows[i - 1] in drop
        if len(filled) == 1 and isinstance(filled[0], str) and _FOOTNOTE.search(filled[0].strip()) and after_gap:
            drop.append(rows[i])
        elif rows[i] not in drop:
            break
    return sorted(set(drop))


def _is_total_label(value) -> bool:
    """'Total', 'Total (12 workers)', 'Grand Total', 'TOTAL:', 'Sub-total' (a cheap first look, then the pattern)."""
    return type(value) is str and value.lstrip()[:1] in _TOTAL_INITIALS and _TOTAL.match(value.strip()) is not None
