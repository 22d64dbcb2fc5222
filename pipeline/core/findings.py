"""Findings and the rule catalogue they are made from (data-contract §3).

The catalogue (data/rules.toml, or the file named by AGENCY_RETURN_RULES) holds each code's
severity, title and messages; code only decides *when* a finding is made.
"""
from __future__ import annotations

import re
import string
from dataclasses import asdict, dataclass
from functools import lru_cache

from pipeline.core import rulesets
from pipeline.core.config import thresholds
from pipeline.core.contract import SHEETS

ERROR, QUERY = "error", "query"


@dataclass(frozen=True)
class RuleInfo:
    code: str
    severity: str
    sheet: str
    fields: tuple[str, ...]
    title: str
    messages: dict
    threshold: str = ""

    @property
    def threshold_source(self) -> str:
        if not self.threshold:
            return "data-contract §3"
        t = thresholds()[self.threshold]
        return f"{t.name} = {t.value}: {t.source}"


@lru_cache(maxsize=32)
def _catalogue(rule_set: rulesets.RuleSet) -> dict[str, RuleInfo]:
    raw = dict(rule_set.rules)
    rules = {}
    common = raw.pop("common", {}).get("messages", {})
    for code, entry in raw.items():
        if entry["severity"] not in (ERROR, QUERY):
            raise ValueError(f"rule set {rule_set.version}: {code} has severity {entry['severity']!r}; use 'error' or 'query'")
        rules[code] = RuleInfo(code, entry["severity"], entry.get("sheet", ""), tuple(entry.get("fields", ())),
                               entry["title"], {**common, **entry["messages"]}, entry.get("threshold", ""))
    return rules


def catalogue() -> dict[str, RuleInfo]:
    """Every rule code, in catalogue order, of the active rule set (pipeline/core/rulesets.py): the base
    catalogue (data/rules.toml, or AGENCY_RETURN_RULES) with the deltas of later periods applied."""
    return _catalogue(rulesets.active())


@dataclass
class Finding:
    code: str
    severity: str
    sheet: str | None
    row: int | None
    column: str | None
    cell: str | None
    value: object
    message: str
    explained: bool = False   # a query whose row carries a Note
    note: str | None = None

    def to_dict(self) -> dict:
        out = asdict(self)
        out["value"] = _jsonable(self.value)
        return out


def _jsonable(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


_UNIT = re.compile(r"[A-Za-z][A-Za-z -]+")
_WHOLE = re.compile(r"-?\d+\.0+")


def number_text(value) -> str:
    """A number as people write it: 2.0 -> '2', 2.5 -> '2.5', 1234.0 -> '1234', 1234567.5 -> '1234567.5'
    (to Excel's 15 significant digits); a cell's text '2.0' -> '2'. Anything else as it is. No thousands
    separators: a bare value may be a reference or a code (`quantity` adds them)."""
    if isinstance(value, float) and value == value and value not in (float("inf"), float("-inf")):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.15g}"
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return value.strip().split(".")[0]
    return "" if value is None else str(value)


def quantity(value, unit: str) -> str:
    """A number with its unit, singular or plural: (1, 'weeks') -> '1 week', (2.0, 'weeks') -> '2 weeks',
    ('0.5', 'years') -> '0.5 years', (1234567.5, 'hours') -> '1,234,567.5 hours'. `unit` is the plural;
    its singular drops the last word's 's'. A value that is not a number keeps the plural:
    ('two', 'weeks') -> 'two weeks'."""
    try:
        n = float(value)
    except (TypeError, ValueError):
        return f"{'' if value is None else value} {unit}".strip()
    singular = unit[:-1] if unit.endswith("s") else unit
    text = f"{n:,.15g}" if n == n and abs(n) != float("inf") else number_text(n)
    return f"{text} {singular if n == 1 else unit}"


class _MessageFormatter(string.Formatter):
    """Message templates (data/rules.toml) for people: '{limit:weeks}' -> '1 week' / '2 weeks' (any
    plural unit word: weeks, months, years, hours …); a bare '{value}' that is a whole number loses
    its '.0'; standard format specs ('{rate:.2f}') as usual."""

    def vformat(self, format_string, args, kwargs):
        """As string.Formatter's, with each template parsed once (thousands of findings share one)."""
        parts = _template_parts(format_string)
        if parts is None:
            return super().vformat(format_string, args, kwargs)
        out = []
        for literal, name, spec, conversion in parts:
            out.append(literal)
            if name is not None:
                value, _ = self.get_field(name, args, kwargs)
                out.append(self.format_field(self.convert_field(value, conversion), spec))
        return "".join(out)

    def format_field(self, value, format_spec):
        if _UNIT.fullmatch(format_spec):
            return quantity(value, format_spec)
        if not format_spec:
            return number_text(value)
        return super().format_field(value, format_spec)


@lru_cache(maxsize=1024)
def _template_parts(template: str) -> tuple | None:
    """A template's (literal, field, spec, conversion) parts; None when it needs string.Formatter's
    own handling (positional or nested fields, or a malformed template, whose error it reports)."""
    try:
        parts = tuple(string.Formatter().parse(template))
    except ValueError:
        return None
    if any(name is not None and (name == "" or name[0].isdigit() or "{" in spec) for _, name, spec, _ in parts):
        return None
    return parts


_MESSAGES = _MessageFormatter()


def finding(code: str, variant: str = "default", *, sheet: str | None = None, row: int | None = None,
            column: str | None = None, cell: str | None = None, value=None, **fields) -> Finding:
    """Make a finding from the catalogue: severity and message text come from the rule's entry."""
    rule = catalogue()[code]
    msgs = rule.messages
    template = msgs.get(variant) or msgs.get(variant.split("_")[0]) or msgs.get("default") or rule.title
    shown = "" if value is None else value
    try:
        message = _MESSAGES.format(template, value=shown, column=column or "", sheet=sheet or rule.sheet, **fields)
    except (KeyError, ValueError, IndexError) as exc:  # a template/field mismatch must not hide the finding
        message = f"{rule.title} (message template {code}/{variant} could not be filled: {exc})"
    return Finding(code, rule.severity, sheet or rule.sheet or None, row, column, cell, value, message)


_SHEET_ORDER = tuple(s.name for s in SHEETS)


def sort_key(f: Finding):
    """Findings order (data-contract §3): file-level (E0xx) first, then by sheet in the workbook's
    order, Excel row and column (B before AA), then code."""
    letters = "".join(ch for ch in (f.cell or "") if ch.isalpha())
    column = 0
    for ch in letters.upper():
        column = column * 26 + ord(ch) - 64
    sheet = _SHEET_ORDER.index(f.sheet) if f.sheet in _SHEET_ORDER else len(_SHEET_ORDER)
    return (not f.code.startswith("E0"), sheet, f.sheet or "", f.row or 0, column, f.code)


def rule_failed(code: str, exc: Exception) -> Finding:
    """A rule that raised: reported as such so the other rules' findings still stand."""
    rule = catalogue()[code]
    return Finding(code, rule.severity, rule.sheet or None, None, None, None, None,
                   f"Rule {code} ({rule.title}) could not be checked: {type(exc).__name__}: {exc}. "
                   "The other checks ran; please report this to the service team.")


# --- saying findings: the same words and order for `validate`, `submit`, flows and the feedback workbook

_SHEET_INDEX = {name: i for i, name in enumerate(_SHEET_ORDER)}


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 query', '2 queries', '0 errors'."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def counts(errors: int, queries: int, outstanding: int | None = None) -> str:
    """A verdict's counts, said the same way by `validate`, `submit` and the feedback workbook:
    '2 errors, 1 query'; with `outstanding` (queries without a Note), how the queries split:
    '0 errors, 5 queries (2 outstanding, 3 explained)'."""
    text = f"{plural(errors, 'error')}, {plural(queries, 'query', 'queries')}"
    if outstanding is None or not queries:
        return text
    return f"{text} ({outstanding} outstanding, {queries - outstanding} explained)"


def _column_index(cell: str | None) -> int:
    letters = re.match(r"[A-Z]*", cell or "").group(0)
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def display_order(findings) -> list:
    """File-level findings (E0xx) first, then by sheet in the contract's order, row and column."""
    return sorted(findings, key=lambda f: (0 if f.code.startswith("E0") else 1,
                                           _SHEET_INDEX.get(f.sheet or "", -1 if not f.sheet else len(SHEETS)),
                                           f.sheet or "", f.row or 0, _column_index(f.cell), f.code))
