"""Headers no alias spells out: MSP and HR extracts' units, slashes and abbreviations read as the
field they name ('Holiday Pay (£/hr)', 'Hours/Week', 'Notice (wks)', 'Expected End Date'), and the
contract field an unread column's header resembles (Q520), so no column is dropped silently.

A header is reduced to its *stem*: the words outside brackets, abbreviations written out
('wks' -> week, 'ERs' -> employer), units and filler words ('£', 'per', 'expected') dropped,
plurals made singular, the words sorted. A header whose stem is the stem of a field's header or
alias names that field, unless the header states a time unit the field's own header does not
('Notice (days)' is not 'Notice period weeks'). Units and percentages are read from the header
too (`header_unit`): a '%' column under a £ field is never read as £ (`pipeline.read.units`).
"""
from __future__ import annotations

import re
from functools import lru_cache

from pipeline.core.contract import Sheet

_BRACKETED = re.compile(r"\(([^)]*)\)|\[([^\]]*)\]")
_DATE_PATTERN = re.compile(r"\b(?:dd|mm|yy|yyyy)(?:\s*[/.-]\s*(?:dd|mm|yy|yyyy))+\b")
_PER = re.compile(r"\bp\s*/\s*h(?:r|our)?\b|/\s*h(?:r|rs|our)?\b")      # 'p/h', '/hr': per hour
_WORD = re.compile(r"[0-9a-z]+")
# Abbreviations in MSP and HR extracts, written out (each side of a match is read the same way).
_WORDS = {
    "wks": "week", "wk": "week", "weeks": "week", "weekly": "week", "hrs": "hour", "hr": "hour", "hours": "hour",
    "hourly": "hour", "yrs": "year", "yr": "year", "years": "year", "no": "number", "num": "number",
    "nbr": "number", "ref": "reference", "refs": "reference", "hol": "holiday", "emp": "employer",
    "ers": "employer", "employers": "employer", "er": "employer", "nic": "ni", "nics": "ni", "appr": "apprenticeship",
    "app": "apprenticeship", "qtr": "quarter", "qtrs": "quarter", "dt": "date", "mths": "month", "mth": "month",
    "months": "month", "days": "day", "pw": "week", "ph": "hour", "fin": "finish", "est": "expected",
    "qual": "qualified", "reg": "registration", "amt": "amount", "perm": "permanent", "mgr": "manager",
    "pct": "percent", "percentage": "percent",
}
# Words that say nothing about which field a header names.
_FILLER = frozenset({"the", "of", "in", "for", "a", "an", "per", "this", "expected", "actual", "planned", "agreed",
                     "current", "gbp", "percent", "amount", "value", "total"})
_TIME_UNITS = frozenset({"day", "week", "month", "year", "hour", "minute"})
# Words too general to make two headers alike on their own.
_GENERIC = frozenset({"cost", "date", "name", "rate", "reference", "number", "type", "code", "id", "status",
                      "worker", "agency", "detail", "note", "comment", "le", "la", "local", "authority", "period"})


def _words(text: str) -> list[str]:
    """A header's words outside brackets, abbreviations written out, singular."""
    text = _BRACKETED.sub(" ", text.lower().replace("£", " ").replace("%", " percent "))
    text = _PER.sub(" per hour ", _DATE_PATTERN.sub(" ", text)).replace("/", " per ")
    out = []
    for word in _WORD.findall(text):
        word = _WORDS.get(word, word)
        if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "is", "us")):
            word = _WORDS.get(word[:-1], word[:-1])
        if len(word) > 1 or word.isdigit():
            out.append(word)
    return out


@lru_cache(maxsize=8192)
def stem(text: str) -> str:
    """A header's stem: its words (`_words`) less filler, sorted ('Hours/Week' -> 'hour week')."""
    return " ".join(sorted({w for w in _words(text) if w not in _FILLER}))


@lru_cache(maxsize=8192)
def header_unit(text: str) -> str | None:
    """The unit a header states, in or out of brackets: 'percent' ('Margin %', 'Fee (pct)'), a time
    unit ('Notice (days)' -> 'day'), or None."""
    inside = " ".join(a or b for a, b in _BRACKETED.findall(text))
    words = set(_words(inside)) | set(_words(_BRACKETED.sub(" ", text)))
    if "percent" in words:
        return "percent"
    units = words & _TIME_UNITS
    return next(iter(sorted(units))) if len(units) == 1 else None


@lru_cache(maxsize=None)
def _field_stems(sheet: Sheet) -> tuple[dict[str, str], dict[str, set[str]]]:
    """Stem -> field key (a field's own header wins; a stem the aliases of two fields share names
    neither), and each field's stems."""
    stems = {col.key: {s for s in (stem(t) for t in (col.header, *col.aliases)) if s} for col in sheet.columns}
    claimed: dict[str, set[str]] = {}
    for key, found in stems.items():
        for s in found:
            claimed.setdefault(s, set()).add(key)
    lookup = {s: next(iter(keys)) for s, keys in claimed.items() if len(keys) == 1}   # a stem two fields share names neither
    for col in sheet.columns:
        if s := stem(col.header):
            lookup[s] = col.key
    return lookup, stems


def _field_unit(sheet: Sheet, key: str) -> set[str]:
    return set(_words(sheet.column(key).header)) & _TIME_UNITS


def field_by_stem(sheet: Sheet, text: str) -> str | None:
    """The field a header names once its units, slashes and abbreviations are read; None if none,
    or if the header states a time unit other than the field's ('Notice (days)')."""
    if len(text) > 80 or not any(ch.isalpha() for ch in text):
        return None
    key = _field_stems(sheet)[0].get(stem(text))
    if key is None:
        return None
    unit = header_unit(text)
    own = _field_unit(sheet, key)
    return None if unit in _TIME_UNITS and own and unit not in own else key


def resembled_field(sheet: Sheet, text: str, taken: set[str]) -> str | None:
    """The field (not in `taken`, the fields already read) an unread column's header resembles:
    it shares a telling word with one of the field's spellings and at least half of their words
    together, e.g. 'Notice (days)' -> notice_period_weeks, 'Expected Finish' -> end_date; None if none."""
    if len(text) > 80:
        return None
    words = set(stem(text).split())
    if not words:
        return None
    best, best_score = None, 0.0
    for key, stems in _field_stems(sheet)[1].items():
        if key in taken:
            continue
        for s in stems:
            other = set(s.split())
            shared = words & other
            if not shared - _GENERIC:
                continue
            score = len(shared) / len(words | other)
            if score >= 0.5 and score > best_score:
                best, best_score = key, score
    return best
