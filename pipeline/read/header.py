"""Finding a table's header row under any title rows and matching its columns to contract fields.

A header cell names a field by its header or an alias; a header split over two rows, or followed
by a row of notes on units, is read as one. A field matched by two or more columns is E007; a
column not read whose header looks like a field's is Q520.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from pipeline.core.contract import Sheet, column_letter, header_lookup, normalise_header
from pipeline.core.findings import Finding, finding
from pipeline.read.resemblance import field_by_stem, header_unit, resembled_field

HEADER_SEARCH_ROWS = 30
# A note under a header on how to fill the column in, not data.
_UNITS = re.compile(r"^[(\[].*[)\]]$|^(?:£|%|gbp|hours?|weeks?|years?|dd/mm/yy(?:yy)?|yyyy-mm(?:-dd)?|yes\s*/\s*no|"
                    r"y\s*/\s*n|(?:£\s*)?(?:/|per)\s*h(?:ou)?r|optional|required|mandatory)$", re.IGNORECASE)


@lru_cache(maxsize=None)
def field_matcher(sheet: Sheet):
    """The field a header cell names (by header or alias, else once its units, slashes and
    abbreviations are read: `resemblance.field_by_stem`; None if none), remembered per cell value:
    a quarter's files repeat the same few hundred header and label texts."""
    lookup = header_lookup(sheet)

    @lru_cache(maxsize=4096, typed=True)      # typed: True and 1 are different cells
    def field_of(value) -> str | None:
        key = lookup.get(normalise_header(value))
        if key is None and isinstance(value, str):      # units, slashes, abbreviations: 'Hours/Week'
            key = field_by_stem(sheet, value.strip())
        return key
    return field_of


@dataclass
class Header:
    """Where a table's header is: its last row (0-based), the columns matched, and repeated fields."""

    row: int
    mapping: dict[int, str]                    # column index -> field key (the copy that is read)
    cells: list[str]                           # the header text of every column, as found
    repeated: dict[str, list[int]] = field(default_factory=dict)   # field key -> every column matching it
    first_row: int | None = None               # the row above, when the header is split over two rows


def find_header(sheet: Sheet, rows: list[list]) -> Header | None:
    """The header row under any title rows that matches most contract fields, and its mapping.

    A header split over two rows ('Hourly pay' above 'rate') is read as one when joining the two
    rows matches more fields than either row alone. A field matched by several columns (a repeated
    header, or a header and its alias) is recorded in `repeated`.
    """
    field_of = field_matcher(sheet)
    top = [_texts(row) for row in rows[:HEADER_SEARCH_ROWS]]
    keys = [[field_of(t) if t else None for t in cells] for cells in top]
    loose = [any(t and k is None for t, k in zip(cells, ks)) for cells, ks in zip(top, keys)]   # unmatched text
    best: tuple[int, Header] | None = None
    for r in range(len(top)):
        candidates = [(top[r], keys[r], None)]
        if r and loose[r - 1] and loose[r]:           # only rows with unmatched text can be halves of a header
            joined = _joined(top[r - 1], top[r])
            if joined is not None:
                candidates.append((joined, [field_of(t) if t else None for t in joined], r - 1))
        for cells, found, first in candidates:
            matches: dict[str, list[int]] = {}
            for c, key in enumerate(found):
                if key:
                    matches.setdefault(key, []).append(c)
            if matches and (best is None or len(matches) > best[0]):
                best = (len(matches), Header(r, {cols[0]: key for key, cols in matches.items()}, cells,
                                             {k: v for k, v in matches.items() if len(v) > 1}, first))
    needed = 1 if len(sheet.columns) <= 3 else 2
    if best is None or best[0] < needed:
        return None
    header = best[1]
    below = rows[header.row + 1] if header.row + 1 < len(rows) else []
    if header.first_row is None and _continues_header(sheet, header, below):
        header.first_row, header.row = header.row, header.row + 1
        header.cells = _joined(_texts(rows[header.first_row]), _texts(below))
    return header


def _continues_header(sheet: Sheet, header: Header, below: list) -> bool:
    """Whether the row under a header is more header: the cells of headers merged down two rows,
    or notes on units ('(£ per hour)', 'dd/mm/yyyy', 'Yes/No'); any other cell makes it data."""
    cells = _texts(below)
    if not any(cells) or any(v != "" and not isinstance(v, str) for v in below):
        return False
    return all(not text or text == (header.cells[c] if c < len(header.cells) else None) or _UNITS.match(text)
               for c, text in enumerate(cells))


def _texts(row: list) -> list[str]:
    return [str(v).strip() if v != "" and v is not None else "" for v in row]


def _joined(a: list[str], b: list[str]) -> list[str] | None:
    """Two header rows' texts as one ('Hourly pay' + 'rate'); a cell merged down both rows counts once."""
    a, b = list(a), list(b)
    if not any(a) or not any(b):
        return None
    a += [""] * (len(b) - len(a))
    b += [""] * (len(a) - len(b))
    return [x if x == y or not y else y if not x else f"{x} {y}" for x, y in zip(a, b)]


def columns_to_read(header: Header) -> list[int]:
    """The columns a table is read from: each matched column and every copy of a repeated field."""
    return sorted(set(header.mapping) | {c for cols in header.repeated.values() for c in cols})


def repeated_column(sheet: Sheet, header: Header, key: str, cols: list[int]) -> Finding:
    """E007: a field matched by two or more columns; the finding names every header cell."""
    row = header.row + 1
    first = header.first_row + 1 if header.first_row is not None else row
    cells = [f"{column_letter(c)}{first}" if first == row else f"{column_letter(c)}{first}:{column_letter(c)}{row}"
             for c in cols]
    shown = [f"{cell} ('{header.cells[c]}')" for cell, c in zip(cells, cols)]
    return finding("E007", sheet=sheet.name, row=row, column=sheet.column(key).header, cell=cells[0],
                   value=", ".join(cells), cells=", ".join(shown[:-1]) + " and " + shown[-1])


def unread_look_alikes(sheet: Sheet, header: Header, taken: set[str], cells) -> list[Finding]:
    """Q520 on each column that is not read but holds values under a header resembling a field
    not read from another column (`resemblance.resembled_field`): nothing is dropped silently."""
    read = set(header.mapping) | {c for cols in header.repeated.values() for c in cols}
    candidates = {}
    for c, text in enumerate(header.cells):
        if text and c not in read and (key := resembled_field(sheet, text, taken)):
            candidates[c] = key
    if not candidates:
        return []
    held = cells.texts(sorted(candidates), header.row + 1)
    row = header.row + 1
    out = []
    for c, key in candidates.items():
        if len(held[c]) == held[c].null_count:
            continue                               # an empty column drops nothing
        field_header = sheet.column(key).header
        unit = header_unit(header.cells[c])
        unit = unit if unit in _UNIT_NAMES else None          # ('£/hr' is a rate, not a unit to convert from)
        out.append(finding("Q520", sheet=sheet.name, row=row, column=header.cells[c], cell=f"{column_letter(c)}{row}",
                           value=header.cells[c], field=field_header,
                           unit=f" (given in {_UNIT_NAMES.get(unit, unit)})" if unit else "",
                           in_unit=" and give the figures as the template asks (see its note on the column)"
                           if unit else ""))
        taken = taken | {key}
    return out


_UNIT_NAMES = {"percent": "per cent", "day": "days", "week": "weeks", "month": "months", "year": "years"}
