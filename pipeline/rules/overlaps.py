"""Q509 on overlapping assignments: the same SWE number on two assignments of this LA whose dates
overlap (across LAs it is X601, at build). It tests the data, so it applies in the transition too."""
from __future__ import annotations

from collections import Counter

import numpy as np

from pipeline.rules.breaches import assignments
from pipeline.rules.columns import Columns
from pipeline.rules.context import ReturnContext
from pipeline.rules.registry import rule


def overlapping_swe(c: Columns) -> dict[int, int]:
    """For each row sharing its SWE number with an overlapping assignment: the first such other row
    (Excel rows, in row order). `c`: the Assignments sheet's typed columns."""
    swe, start, end = c["swe_number"], c["start_date"], c["end_date"]
    seen = Counter(n for n in swe.tolist() if n is not None)
    if not any(count > 1 for count in seen.values()):
        return {}
    shared = np.array([n is not None and seen[n] > 1 for n in swe.tolist()], dtype=bool) & ~np.isnat(start)
    if not shared.any():   # a number shared with a row without a start date is not a pair: checked below
        return {}
    pos = np.flatnonzero(shared)
    by_swe: dict[str, list] = {}
    for row, number, first, last in zip(c.rows[pos].tolist(), swe[pos].tolist(), start[pos], end[pos]):
        by_swe.setdefault(number, []).append((row, first, last))
    out = {}
    for group in by_swe.values():
        group.sort(key=lambda g: g[0])
        for row, start, end in group:
            for other, start_other, end_other in group:
                if other != row and (np.isnat(end_other) or start <= end_other) and (np.isnat(end) or start_other <= end):
                    out[row] = other
                    break
    return dict(sorted(out.items()))


@rule("Q509")
def same_worker_overlapping(ctx: ReturnContext):
    sheet = assignments(ctx)
    if sheet is None:
        return
    pairs = overlapping_swe(ctx.columns(sheet.data))
    refs = dict(zip(sheet.data.index, sheet.data["assignment_ref"].tolist())) if pairs else {}
    for row, other in pairs.items():
        yield sheet.finding("Q509", "swe_number", row, other_ref=refs[other], other_row=other)
