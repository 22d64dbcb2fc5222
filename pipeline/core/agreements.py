"""Regional agreements as data: the rules a region's councils agree beyond DfE's statutory agency
rules (data-contract §3, R701–R703), read from `data/agreements.toml` (or the file named by
`AGENCY_RETURN_AGREEMENTS`).

Each region has at most one agreement (`Agreement`: its name and source), holding rules
(`AgreementRule`), each with its value, its source and the dates it is in force:

- `no_rehire_months` (R701, months): no agency engagement in the region within this many calendar
  months of leaving a permanent post in it; only a period longer than the statutory cool-off
  (`cool_off_months`, 3) adds anything;
- `self_employed_allowed` (R702, true/false): false ends contracting with self-employed workers;
- `tenure_limit_weeks` (R703, weeks): the longest an agency assignment may run.

A typo fails loudly: an unknown key, region or rule name, or a value of the wrong kind, raises
ValueError naming the file. A region with no agreement on file gets no R7xx finding.
"""
from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.core.reference import REGIONS

DATA_DIR = Path(__file__).parent / "data"

# rule name -> (finding code, what its value is, the unit people read it in)
RULES = {
    "no_rehire_months": ("R701", int, "months"),
    "self_employed_allowed": ("R702", bool, ""),
    "tenure_limit_weeks": ("R703", (int, float), "weeks"),
}
_AGREEMENT_KEYS = {"region", "name", "source", "rule"}
_RULE_KEYS = {"name", "value", "from", "until", "source"}


@dataclass(frozen=True)
class AgreementRule:
    """One rule of a regional agreement, in force from `start` to `until` (inclusive; None: open)."""

    region_code: str
    agreement: str          # the agreement's name, as findings say it ("The London Pledge")
    name: str               # one of RULES
    value: object           # months (int), allowed (bool) or weeks (number)
    start: dt.date
    until: dt.date | None
    source: str

    @property
    def code(self) -> str:
        return RULES[self.name][0]

    @property
    def value_text(self) -> str:
        """The value as people read it: '6 months', 'no', '52 weeks'."""
        unit = RULES[self.name][2]
        if isinstance(self.value, bool):
            return "yes" if self.value else "no"
        return f"{self.value:g} {unit}"

    def in_force(self, day: dt.date) -> bool:
        return self.start <= day and (self.until is None or day <= self.until)


@dataclass(frozen=True)
class Agreement:
    """One region's agreement: its name, source and rules."""

    region_code: str
    name: str
    source: str
    rules: tuple[AgreementRule, ...]

    @property
    def region(self) -> str:
        return REGIONS[self.region_code]


def agreements_file() -> Path:
    return Path(os.environ.get("AGENCY_RETURN_AGREEMENTS", str(DATA_DIR / "agreements.toml")))


def agreements() -> dict[str, Agreement]:
    """Region code -> its agreement, for the regions that have one on file."""
    path = agreements_file()
    st = os.stat(path)
    return _load(str(path), st.st_mtime_ns, st.st_size)


def for_region(region_code: str) -> Agreement | None:
    """The region's agreement, or None when it has none on file."""
    return agreements().get(region_code)


def rule_in_force(region_code: str | None, name: str, day: dt.date) -> AgreementRule | None:
    """The region's rule `name` (one of RULES) in force on `day`, or None."""
    agreement = agreements().get(region_code) if region_code else None
    if agreement is None:
        return None
    return next((r for r in agreement.rules if r.name == name and r.in_force(day)), None)


@lru_cache(maxsize=8)
def _load(path: str, _mtime: int, _size: int) -> dict[str, Agreement]:
    with open(path, "rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not valid TOML ({exc})") from exc
    unknown = set(data) - {"agreement"}
    if unknown:
        raise ValueError(f"{path}: unknown table(s) {sorted(unknown)}; write each as [[agreement]]")
    out: dict[str, Agreement] = {}
    for entry in data.get("agreement", []):
        _keys(path, "agreement", entry, _AGREEMENT_KEYS, {"region", "name", "source"})
        region = entry["region"]
        if region not in REGIONS:
            raise ValueError(f"{path}: region {region!r} is not a region code (E12000001 to E12000009)")
        if region in out:
            raise ValueError(f"{path}: region {region} ({REGIONS[region]}) has two agreements; keep one")
        rules = tuple(_rule(path, region, entry["name"], r) for r in entry.get("rule", []))
        out[region] = Agreement(region, entry["name"], entry["source"], rules)
    return out


def _rule(path: str, region: str, agreement: str, entry: dict) -> AgreementRule:
    _keys(path, f"{REGIONS[region]}'s rule", entry, _RULE_KEYS, {"name", "value", "from", "source"})
    name, value = entry["name"], entry["value"]
    if name not in RULES:
        raise ValueError(f"{path}: {REGIONS[region]}: unknown rule {name!r}; use one of {', '.join(RULES)}")
    kind = RULES[name][1]
    if not isinstance(value, kind) or (kind is not bool and (isinstance(value, bool) or value <= 0)):
        raise ValueError(f"{path}: {REGIONS[region]}: {name} = {value!r} is not "
                         + ("true or false" if kind is bool else "a number above 0"))
    start, until = entry["from"], entry.get("until")
    for key, day in (("from", start), ("until", until)):
        if day is not None and (not isinstance(day, dt.date) or isinstance(day, dt.datetime)):
            raise ValueError(f"{path}: {REGIONS[region]}: {name}'s {key} must be a date, e.g. 2026-10-01")
    return AgreementRule(region, agreement, name, value, start, until, entry["source"])


def _keys(path: str, what: str, entry: dict, allowed: set, required: set) -> None:
    unknown, missing = set(entry) - allowed, required - set(entry)
    if unknown:
        raise ValueError(f"{path}: {what}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    if missing:
        raise ValueError(f"{path}: {what}: missing {sorted(missing)}")
