"""Thresholds and paths in one place: each threshold carries the source it comes from."""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline import rulesets

DATA_DIR = Path(__file__).parent / "data"
SQL_DIR = Path(__file__).parent / "sql"


@dataclass(frozen=True)
class Threshold:
    name: str
    value: object
    source: str


@lru_cache(maxsize=32)
def _thresholds(rule_set: rulesets.RuleSet) -> dict[str, Threshold]:
    return {name: Threshold(name, entry["value"], entry["source"]) for name, entry in rule_set.thresholds.items()}


def thresholds() -> dict[str, Threshold]:
    """The thresholds in force: those of the active rule set (pipeline/rulesets.py), whose base
    file AGENCY_RETURN_THRESHOLDS may replace."""
    return _thresholds(rulesets.active())


def threshold(name: str):
    """The value of one threshold."""
    return thresholds()[name].value


def home() -> Path:
    """Where the service keeps its state (warehouse, raw files, key, outputs)."""
    return Path(os.environ.get("AGENCY_RETURN_HOME", ".")).resolve()


def data_dir() -> Path:
    return Path(os.environ.get("AGENCY_RETURN_DATA", home() / "data"))


def warehouse_path() -> Path:
    return Path(os.environ.get("AGENCY_RETURN_WAREHOUSE", data_dir() / "warehouse.duckdb"))


def outputs_dir() -> Path:
    return Path(os.environ.get("AGENCY_RETURN_OUTPUTS", home() / "outputs"))


def reference_path(name: str) -> Path:
    """A reference file: absolute, or relative to pipeline/data."""
    path = Path(name)
    return path if path.is_absolute() else DATA_DIR / path
