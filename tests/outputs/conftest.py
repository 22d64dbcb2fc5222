"""The outputs tests' shared build: five LAs of two regions generated, submitted and built once, the
DfE returns written by worker processes."""
import logging

import openpyxl
import pytest

from pipeline.core.contract import Quarter
from pipeline.outputs import build
from pipeline.outputs.build import build_quarter
from pipeline.outputs.sample import generate
from pipeline.warehouse import submit
from pipeline.workers import pool

Q = Quarter(2025, 2)
LAS = {"202": "London", "203": "London", "316": "London", "370": "Yorkshire_and_The_Humber",
       "371": "Yorkshire_and_The_Humber"}


def _sheet_rows(path, sheet, first_header):
    """Rows of a source sheet as dicts keyed by header (header row found under any title rows)."""
    ws = openpyxl.load_workbook(path, read_only=True, data_only=True)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    h = next(i for i, r in enumerate(rows) if r and r[0] == first_header)
    return [dict(zip(rows[h], r)) for r in rows[h + 1:] if any(v not in (None, "") for v in r)]


@pytest.fixture(scope="package")
def built(tmp_path_factory):
    """Five LAs submitted and built, the DfE returns written by worker processes (as for 153 LAs)."""
    root = tmp_path_factory.mktemp("outputs")
    home = root / "home"
    files = generate(Q, root / "in", seed=11, la_codes=list(LAS))
    logger = logging.getLogger()
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda rec: records.append(rec.getMessage())
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        outcomes = [submit.submit_file(f, Q, home=home) for f in files]
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(build, "PARALLEL_MIN_LAS", 2)
            mp.setattr(pool, "spare_cores", lambda: 2.0)   # however busy the machine running the tests
            summary = build_quarter(Q, home=home)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    source = {}
    for f in files:
        code = f.name.split("_")[0]
        source[code] = {"assignments": _sheet_rows(f, "Assignments", "Assignment reference"),
                        "monthly": _sheet_rows(f, "MonthlyCosts", "Month")}
    return {"las": LAS, "home": home, "files": files, "outcomes": outcomes, "summary": summary, "source": source,
            "out": home / "outputs" / str(Q), "logs": records}


QUARTERS = [Quarter(2025, 2), Quarter(2025, 3), Quarter(2025, 4), Quarter(2026, 1)]
BLANK_HOURS_LA = "203"


@pytest.fixture(scope="package")
def quarters(tmp_path_factory):
    """The same five LAs over a financial year (2025-Q2 to 2026-Q1) submitted, a few of LA 203's
    assignments in each quarter with blank hours, and the last quarter built (section 7's figures)."""
    root = tmp_path_factory.mktemp("quarters")
    home = root / "home"
    for q in QUARTERS:
        for f in generate(q, root / "in" / str(q), seed=23, la_codes=list(LAS)):
            if f.name.startswith(BLANK_HOURS_LA):
                _blank_hours(f, rows=3)
            submit.submit_file(f, q, home=home)
    build_quarter(QUARTERS[-1], home=home)
    return {"home": home, "quarters": QUARTERS, "out": home / "outputs" / str(QUARTERS[-1])}


def _blank_hours(path, rows: int) -> None:
    """Clear Hours per week on the first `rows` assignments of a workbook, as a council leaving it blank."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Assignments"]
    header = next(r for r in ws.iter_rows(min_row=1, max_row=10) if r[0].value == "Assignment reference")
    col = next(c.column for c in header if c.value == "Hours per week")
    for r in range(header[0].row + 1, header[0].row + 1 + rows):
        ws.cell(r, col).value = None
    wb.save(path)


PUBLISHED_QUARTERS = [Quarter(2025, 2), Quarter(2025, 3), Quarter(2025, 4)]
LATE_LA, REPLACED_LA = "371", "202"


@pytest.fixture(scope="package")
def published(tmp_path_factory):
    """Three quarters of the five LAs built in turn (the EES file a time series of all three), LA 371's
    2025-Q3 return missing when that quarter was first built; then its late return and a replacement
    of LA 202's 2025-Q3 return arrive and 2025-Q3 is built again (its revisions.csv)."""
    root = tmp_path_factory.mktemp("published")
    home = root / "home"
    q3 = PUBLISHED_QUARTERS[1]
    for q in PUBLISHED_QUARTERS:
        for f in generate(q, root / "in" / str(q), seed=31, la_codes=list(LAS)):
            if not (q == q3 and f.name.startswith(LATE_LA)):
                submit.submit_file(f, q, home=home)
        build_quarter(q, home=home)
    out = home / "outputs"
    first = {q: (out / str(q) / "ees" / "agency_workforce.csv").read_bytes() for q in PUBLISHED_QUARTERS}
    late = [f for f in generate(q3, root / "late", seed=31, la_codes=[LATE_LA])]
    replaced = generate(q3, root / "replaced", seed=32, la_codes=[REPLACED_LA])
    for f in [*late, *replaced]:
        submit.submit_file(f, q3, home=home)
    build_quarter(q3, home=home)
    return {"home": home, "out": out, "quarters": PUBLISHED_QUARTERS, "first": first,
            "late": late[0], "replaced": replaced[0]}
