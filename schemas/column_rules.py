"""Building blocks for the sheet schemas: the contract's column rules as vectorised pandera checks.

A sheet's schema is a pandera `SeriesSchema` over the sheet's checked cells laid end to end, column
after column (cell `k` is row `k % rows` of checked column `k // rows`), with ONE check per message
variant ('missing', 'invalid', 'negative', 'too_large', ...), each covering every column with a rule
of that variant, each column with its own finding code. pandera's fixed cost is per column object
(~100 µs) and per check (~40-90 µs) whatever the number of rows, so a sheet costs a few checks
instead of a column object per column and a check per column per rule; the checks are numpy slices
over arrays each column is converted to once per validation (`Cells`). (A DataFrame-level check
returning a boolean frame is no cheaper: pandera then masks and reshapes the whole frame, ~10 ms.)
Each failure case pandera reports is one cell (its position in the long series) of one check
(`error` = the variant), decoded back to column, Excel row and code by `SheetSchema.failures`.
"""
from __future__ import annotations

import bisect
import contextlib
import contextvars
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow

from pipeline.core.config import threshold
from pipeline.core.contract import (
    DATE,
    LA_CODE,
    MONEY,
    MONTH,
    NUMBER,
    TEXT,
    Column,
    Sheet,
)
from pipeline.core.reference import la_any
from pipeline.read import parse

_NUMBER = Column("number", "number", NUMBER)   # money and numbers parse alike


@dataclass(frozen=True)
class Rule:
    """One rule on a column's cells: a cell failing `test` is finding `code` (default: the column's
    own code) with message `variant` (default: from the test and the column's kind).

    `test` is one of TESTS' names; `low`/`high` its bounds (at_least, above, between)."""

    test: str
    code: str | None = None
    variant: str | None = None
    low: float | None = None
    high: float | None = None

    def on(self, column: Column) -> tuple[str, str]:
        """(code, variant) of this rule's findings on `column`."""
        variant = self.variant or _VARIANTS.get(self.test) or \
            {DATE: "invalid_date", MONTH: "invalid_date", LA_CODE: "invalid_la"}.get(column.kind, "invalid")
        return self.code or column.code, variant


_VARIANTS = {"required": "missing", "at_least": "negative", "plausible": "too_large", "date_range": "out_of_range",
             "known_la": "invalid_la", "unique": "duplicate"}


def required(code: str | None = None) -> Rule:
    """The cell is not blank."""
    return Rule("required", code)


def parses(code: str | None = None) -> Rule:
    """The text parses as the column's kind (number, date, choice, SWE number...)."""
    return Rule("parses", code)


def at_least(minimum: float, code: str | None = None, variant: str = "negative") -> Rule:
    return Rule("at_least", code, variant, low=minimum)


def above(minimum: float, code: str, variant: str) -> Rule:
    return Rule("above", code, variant, low=minimum)


def between(low: float, high: float, code: str, variant: str) -> Rule:
    """low < value <= high."""
    return Rule("between", code, variant, low=low, high=high)


def plausible_size(code: str | None = None) -> Rule:
    """A money or number cell at most `max_plausible_amount` (threshold, read when checked): beyond it
    the value is a pasted reference or a typing slip, never a real figure (and would swamp every total)."""
    return Rule("plausible", code)


def in_date_range(code: str | None = None) -> Rule:
    """A date inside the plausible range (threshold plausible_date_range, read when checked)."""
    return Rule("date_range", code)


def known_la(code: str | None = None) -> Rule:
    """An LA code (3 digits) that is on DfE's list of local authorities (reference/las.csv), live or not:
    a previous LA may since have been reorganised."""
    return Rule("known_la", code)


def unique(code: str) -> Rule:
    """No other cell of the column holds the same text (trimmed, any case)."""
    return Rule("unique", code)


def column_rules(column: Column) -> list[Rule]:
    """The rules every column of its kind gets from the contract (a sheet's own rules on the column
    may supersede some: `sheet_schema`)."""
    rules = []
    if column.required:
        rules.append(required())
    if column.kind != TEXT:
        rules.append(parses())
    if column.kind in (MONEY, NUMBER) and column.minimum is not None:
        rules.append(at_least(column.minimum))
    if column.kind in (MONEY, NUMBER):
        rules.append(plausible_size())
    if column.kind == DATE:
        rules.append(in_date_range())
    if column.kind == LA_CODE:
        rules.append(known_la())
    return rules


class Cells:
    """One sheet's checked cells during one validation: each column converted once (text, blank,
    typed value, number), however many checks read it. `keys` are the checked columns the sheet
    has, in the schema's order; `rows` the Excel rows (the frames' index)."""

    def __init__(self, keys: list[str], columns: dict[str, Column], raw: pd.DataFrame, data: pd.DataFrame | None):
        self.keys, self.columns, self.raw = keys, columns, raw
        self.rows = raw.index
        self.n = len(raw)
        self.data = data if data is not None and data.index.equals(raw.index) else None
        self.position = {k: i for i, k in enumerate(keys)}
        self._memo: dict = {}

    def column(self, key: str) -> pd.Series:
        """A checked column's cell text (NA for blank)."""
        memo = ("raw", key)
        if memo not in self._memo:
            self._memo[memo] = self.raw[key]
        return self._memo[memo]

    def chunks(self) -> list[pyarrow.Array]:
        """Every checked cell's text as Arrow arrays, column after column (null for blank): chained
        into the series validated, not converted to Python strings."""
        return [pyarrow.array(self.column(k).array) for k in self.keys]

    def blank(self, i: int) -> np.ndarray:
        """Checked column `i`'s blank cells."""
        memo = ("blank", i)
        if memo not in self._memo:
            self._memo[memo] = np.asarray(self.column(self.keys[i]).array.isna(), dtype=bool)
        return self._memo[memo]

    def typed(self, key: str) -> pd.Series:
        """The column's cells parsed by its kind: the reader's typed column (ingest.typed_frame:
        `parse.typed(raw[key], column)`), or parsed here when the reader's frame lacks it."""
        memo = ("typed", key)
        if memo not in self._memo:
            if self.data is not None and key in self.data.columns:
                self._memo[memo] = self.data[key]
            else:
                self._memo[memo] = parse.typed(self.column(key), self.columns[key])
        return self._memo[memo]

    def unparsed(self, i: int) -> np.ndarray:
        """Column `i`'s cells whose text did not parse (parse.invalid): not blank, no typed value."""
        key = self.keys[i]
        memo = ("unparsed", key)
        if memo not in self._memo:
            typed_na = np.asarray(self.typed(key).array.isna(), dtype=bool)
            self._memo[memo] = ~self.blank(i) & typed_na
        return self._memo[memo]

    def number(self, i: int) -> np.ndarray:
        """Column `i`'s cells read as a number column's (float64, NaN where none): a money column
        parses alike, and its other cells are parsed again as numbers ('37:30' is 37.5 hours)."""
        key = self.keys[i]
        memo = ("number", key)
        if memo not in self._memo:
            column = self.columns[key]
            if column.kind in (MONEY, NUMBER) and self.data is not None and key in self.data.columns:
                values = self.typed(key).to_numpy(dtype="float64", na_value=np.nan)
                if column.kind == MONEY:
                    values = self._as_number(i, values)
            else:
                values = parse.typed(self.column(key), _NUMBER).to_numpy(dtype="float64", na_value=np.nan)
            self._memo[memo] = values
        return self._memo[memo]

    def _as_number(self, i: int, money: np.ndarray) -> np.ndarray:
        todo = np.isnan(money) & ~self.blank(i)
        if not todo.any():
            return money
        out = money.copy()
        out[todo] = parse.typed(self.column(self.keys[i])[todo], _NUMBER).to_numpy(dtype="float64", na_value=np.nan)
        return out


def _required(cells: Cells, i: int, rule: Rule) -> np.ndarray:
    return cells.blank(i)


def _parses(cells: Cells, i: int, rule: Rule) -> np.ndarray:
    return cells.unparsed(i)


def _at_least(cells: Cells, i: int, rule: Rule) -> np.ndarray:
    return cells.number(i) < rule.low


def _above(cells: Cells, i: int, rule: Rule) -> np.ndarray:
    return cells.number(i) <= rule.low


def _between(cells: Cells, i: int, rule: Rule) -> np.ndarray:
    n = cells.number(i)
    return (n <= rule.low) | (n > rule.high)


def _plausible(cells: Cells, i: int, rule: Rule) -> np.ndarray:
    return cells.number(i) > threshold("max_plausible_amount")


def _date_range(cells: Cells, i: int, rule: Rule) -> np.ndarray:
    earliest, latest = (np.datetime64(pd.Timestamp(d)) for d in threshold("plausible_date_range"))
    days = cells.typed(cells.keys[i]).to_numpy()
    return (days < earliest) | (days > latest)


def _known_la(cells: Cells, i: int, rule: Rule) -> np.ndarray:
    codes = cells.typed(cells.keys[i]).to_numpy(dtype=object, na_value=None).tolist()
    unknown = {c for c in set(codes) if c is not None and la_any(c) is None}   # each code looked up once
    return np.array([c in unknown for c in codes], dtype=bool)


def _unique(cells: Cells, i: int, rule: Rule) -> np.ndarray:
    refs = cells.column(cells.keys[i]).str.strip().str.upper().to_numpy(dtype=object, na_value=None).tolist()
    seen = Counter(refs)
    return np.array([r is not None and seen[r] > 1 for r in refs], dtype=bool)


TESTS = {"required": _required, "parses": _parses, "at_least": _at_least, "above": _above, "between": _between,
         "plausible": _plausible, "date_range": _date_range, "known_la": _known_la, "unique": _unique}


@dataclass
class _Book:
    """The sheets being validated (set by WorkbookSchema.failures for the length of one pandera
    validation): each sheet's cells and the position of its first cell in the long series."""

    placed: dict[str, tuple[int, Cells]]


_BOOK: contextvars.ContextVar[_Book | None] = contextvars.ContextVar("book_cells", default=None)


@contextlib.contextmanager
def _validating(book: _Book):
    token = _BOOK.set(book)
    try:
        yield
    finally:
        _BOOK.reset(token)


@dataclass(frozen=True)
class Failure:
    """One failure case: a cell (sheet, column key, Excel row) failing rule (code, variant); or, with
    `sheet`, `key` and `row` None, a check that raised (`reason` says what it raised)."""

    code: str
    variant: str
    sheet: str | None
    key: str | None
    row: int | None
    reason: str = ""


@dataclass
class SheetSchema:
    """A sheet's column rules: `rules` maps each column key, in the sheet's order, to its rules in order."""

    sheet: Sheet
    rules: dict[str, list[tuple[str, str, Rule]]]           # key -> [(code, variant, rule)]
    rank: dict[tuple[str, str], int] = field(init=False)    # (key, variant) -> position among the column's rules
    code: dict[tuple[str, str], str] = field(init=False)    # (key, variant) -> finding code

    def __post_init__(self):
        self.rank = {(key, variant): n for key, rules in self.rules.items() for n, (_, variant, _) in enumerate(rules)}
        self.code = {(key, variant): code for key, rules in self.rules.items() for code, variant, _ in rules}

    @property
    def codes(self) -> list[str]:
        """The finding codes the schema can produce, in the sheet's column order."""
        return list(dict.fromkeys(code for rules in self.rules.values() for code, _, _ in rules))

    def cells(self, raw: pd.DataFrame, data: pd.DataFrame | None) -> Cells | None:
        """The sheet's checked cells (None if it has none): the checked columns it has, in order."""
        keys = [k for k in self.rules if k in raw.columns]
        if not keys or raw.empty:
            return None
        return Cells(keys, {k: self.sheet.column(k) for k in keys}, raw, data)


class WorkbookSchema:
    """Every sheet's column rules as ONE pandera SeriesSchema over the checked cells of all the
    workbook's sheets end to end (sheet after sheet, each column after column), with one check per
    message variant: pandera's fixed cost is paid once per workbook and once per variant, not per
    sheet, column or rule. `sheets`: each sheet's SheetSchema, by sheet name."""

    def __init__(self, sheets: dict[str, SheetSchema]):
        self.sheets = sheets
        groups: dict[str, list[tuple[str, str, str, Rule]]] = {}
        for name, sheet in sheets.items():
            for key, rules in sheet.rules.items():
                for code, variant, rule in rules:
                    groups.setdefault(variant, []).append((name, key, code, rule))
        self.schema = pa.SeriesSchema(None, nullable=True, name="cells",
                                      checks=[_check(variant, members) for variant, members in groups.items()])

    @property
    def checks(self) -> list[pa.Check]:
        return self.schema.checks

    def failures(self, frames: list[tuple[str, pd.DataFrame, pd.DataFrame | None]]) -> list[Failure]:
        """Validate the sheets' cell text: `frames` is (sheet name, `raw`: cell text indexed by Excel
        row, `data`: the reader's typed frame of the same rows, whose parse is reused) in workbook
        order. A check that raised comes first; then the failures sheet by sheet, column by column
        in the sheet's order, rule by rule in the column's order, row by row: the order findings
        are made in."""
        placed, offset, chunks = {}, 0, []
        for name, raw, data in frames:
            sheet = self.sheets.get(name)
            cells = sheet.cells(raw, data) if sheet is not None else None
            if cells is not None:
                placed[name] = (offset, cells)
                offset += len(cells.keys) * cells.n
                chunks += cells.chunks()
        if not placed:
            return []
        if any(c.type != pyarrow.large_string() for c in chunks):
            chunks = [c.cast(pyarrow.large_string()) for c in chunks]
        text = pd.Series(pd.arrays.ArrowStringArray(pyarrow.chunked_array(chunks, type=pyarrow.large_string())),
                         name="cells", copy=False)
        try:
            with _validating(_Book(placed)):
                self.schema.validate(text, lazy=True, inplace=True)
            return []
        except pa.errors.SchemaErrors as exc:
            cases = exc.failure_cases
        starts = [(start, name) for name, (start, _) in placed.items()]
        order = {name: n for n, (_, name) in enumerate(starts)}
        out, raised = [], []
        for variant, index, failure_case in zip(cases["check"].tolist(), cases["index"].tolist(),
                                                cases["failure_case"].tolist()):
            if index is None or pd.isna(index):   # the check itself raised: say so, don't guess
                code = next(c for sheet in self.sheets.values() for (_, v), c in sheet.code.items() if v == variant)
                raised.append(Failure(code, variant, None, None, None, str(failure_case)))
                continue
            k = int(index)
            name = starts[bisect.bisect_right(starts, (k, "\uffff")) - 1][1]
            start, cells = placed[name]
            key, row = cells.keys[(k - start) // cells.n], int(cells.rows[(k - start) % cells.n])
            out.append(Failure(self.sheets[name].code[key, variant], variant, name, key, row))
        out.sort(key=lambda f: (order[f.sheet], placed[f.sheet][1].position[f.key],
                                self.sheets[f.sheet].rank[f.key, f.variant], f.row))
        return raised + out


def _check(variant: str, members: list[tuple[str, str, str, Rule]]) -> pa.Check:
    """The pandera check of message `variant` over the (sheet, column) cells `members` names, each
    with its rule and code: True where a cell passes (every cell of another column passes)."""
    def check(s: pd.Series) -> pd.Series:
        placed = _BOOK.get().placed
        fails = np.zeros(len(s), dtype=bool)
        for name, key, _, rule in members:
            if name in placed:
                start, cells = placed[name]
                i = cells.position.get(key)
                if i is not None:
                    fails[start + i * cells.n:start + (i + 1) * cells.n] |= TESTS[rule.test](cells, i, rule)
        return pd.Series(~fails, index=s.index, copy=False)
    codes = ", ".join(dict.fromkeys(f"{name} {key} {code}" for name, key, code, _ in members))
    return pa.Check(check, ignore_na=False, error=variant, description=f"{variant}: {codes}")


def sheet_schema(sheet: Sheet, extra: dict[str, list[Rule]] | None = None,
                 skip_default: tuple[str, ...] = ()) -> SheetSchema:
    """A schema for a sheet: the contract's column rules plus sheet-specific rules (`extra`, by key),
    which supersede the contract's bounds they make redundant (`_superseded`): one error a cell.

    Columns are optional (a missing required column is E003, found when reading). A column with
    nothing to check (free text) is left out of the validated cells."""
    extra = extra or {}
    rules = {}
    for col in sheet.columns:
        own = extra.get(col.key, [])
        chosen = [r for r in ([] if col.key in skip_default else column_rules(col)) if not _superseded(r, own)] + own
        if chosen:
            rules[col.key] = [(*rule.on(col), rule) for rule in chosen]
    return SheetSchema(sheet, rules)


def _superseded(rule: Rule, own: list[Rule]) -> bool:
    """Whether a sheet's own rules on a column make the contract's `rule` redundant: a lower bound at
    least as strict replaces 'at least' (pay rate above £0, not also at least 0), and an upper bound
    of its own replaces the plausible size (hours per week at most 168)."""
    if rule.test == "at_least":
        return any(o.low is not None and o.low >= rule.low for o in own)
    if rule.test == "plausible":
        return any(o.high is not None for o in own)
    return False
