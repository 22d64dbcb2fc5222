"""Cell parsing: the quick (plain Python) way agrees with the column parsers on every cell."""
import pandas as pd
import pyarrow as pa

from pipeline.core.contract import (
    CHOICE,
    DATE,
    LA_CODE,
    MONEY,
    MONTH,
    NUMBER,
    QUARTER,
    REFERENCES,
    SHEETS,
    SWE,
    Quarter,
)
from pipeline.read import parse

# Cell texts the quick (plain Python) parsing reads, beside ones only the column parsers read:
# each cell must come out the same either way, alone or among others.
_MIXED = ("37", "37.5", "-12.25", "0012.50", "-0", "1e-05", "£1,234.50", "(12)", "37:30", "1_000", "１２", "2025-05-26",
          "2025-02-30", "1899-12-31", "26/05/2025", "2025-05-26 09:30", "2025-05-26T09:00", "Jan 2025", "2025-01", "45803",
          "sw 000123", "SW-12", "SW\u00a0123", "ſw123", "869", "869.0", " 316.0 ", "86.9", "yes", "Y", "No", "2", "2.0",
          "-1", "IRO", "umbrella  COMPANY", "2025-Q2", "2025 q2", None)


def test_quick_parsing_gives_what_the_column_parsers_give():
    vectorised = {MONEY: parse.number, NUMBER: lambda raw: parse.number(raw, durations=True), DATE: parse.date,
                  MONTH: parse.month, SWE: parse.swe, LA_CODE: parse.la_code,
                  QUARTER: lambda raw: raw.map(lambda v: str(q) if (q := Quarter.parse(v)) else None, na_action="ignore"),
                  REFERENCES: lambda raw: parse.choice(raw, ("Yes", "No")).fillna(parse.number(raw).map(
                      lambda n: str(int(n)) if n >= 0 and n == round(n) else None, na_action="ignore"))}
    columns = {c.kind: c for s in SHEETS for c in s.columns if c.kind != "text"}
    for kind, column in columns.items():
        real_days = tuple(v for v in _MIXED if v != "2025-02-30")   # (a day that does not exist sends a column the slow way)
        for values in (_MIXED, _MIXED[:3], tuple(v for v in _MIXED if v and v[0].isdigit()), _MIXED * 60,  # 60: Arrow's way
                       real_days * 60):
            raw = pd.Series(values, dtype="string")
            expected = (parse.choice(raw, column.choices) if kind == CHOICE else vectorised[kind](raw)).astype(
                "float64" if kind in (MONEY, NUMBER) else "datetime64[us]" if kind in (DATE, MONTH) else "string")
            got = pd.Series(parse.typed_values(column, values))
            pd.testing.assert_series_equal(got, expected, check_exact=True, obj=kind)
            from_arrow = pd.Series(parse.typed_text(column, pa.array(values, type=pa.large_string())))   # the reader's way
            pd.testing.assert_series_equal(from_arrow, expected, check_exact=True, obj=f"{kind} from Arrow")
