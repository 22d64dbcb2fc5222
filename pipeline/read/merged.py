"""Cells merged over several rows: filled down (an agency name written once for its workers' rows),
but never in a money or number field, where copying the amount to each row would count it once a
row. Such a cell is read on its first row only and queried (Q523)."""
from __future__ import annotations

import pyarrow as pa

from pipeline.core.contract import MONEY, NUMBER, Sheet, column_letter
from pipeline.core.findings import Finding, finding


def merged_numbers(sheet: Sheet, merged: list, header_row: int, mapping: dict[int, str], headers: list[str],
                   arrays: dict[int, pa.Array]) -> list[Finding]:
    """Q523 on each money or number cell merged over two or more data rows, whose copies on the
    rows below its first (filled down by `rows.read_rows`) are made blank again in `arrays`.

    `merged` holds the areas as (first row, first column, last row, last column) counted from 0;
    `header_row` is the header's row (from 0) and `arrays` each read column's cells from the row
    under it."""
    out = []
    for r0, c0, r1, c1 in merged:
        if r0 <= header_row:
            continue
        for c in range(c0, c1 + 1):
            key = mapping.get(c)
            if key is None or sheet.column(key).kind not in (MONEY, NUMBER) or c not in arrays:
                continue
            cells = arrays[c].to_numpy(zero_copy_only=False).astype(object)
            first, last = r0 - header_row - 1, min(r1 - header_row - 1, len(cells) - 1)
            cells[first + 1:last + 1] = None
            arrays[c] = pa.array(cells, type=arrays[c].type)
            letters = column_letter(c)
            out.append(finding("Q523", sheet=sheet.name, row=r0 + 1, column=headers[c], cell=f"{letters}{r0 + 1}",
                               value=cells[first], cells=f"{letters}{r0 + 1}:{letters}{r1 + 1}",
                               rows=r1 - r0 + 1, first_row=r0 + 1))
    return out
