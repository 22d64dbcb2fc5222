"""Thresholds and paths in one place: each threshold carries the source it comes from."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.core import rulesets

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Threshold:
    name: str
    value: object
    source: str


@lru_cache(maxsize=32)
def _thresholds(rule_set: rulesets.RuleSet) -> dict[str, Threshold]:
    return {name: Threshold(name, entry["value"], entry["source"]) for name, entry in rule_set.thresholds.items()}


def thresholds() -> dict[str, Threshold]:
    """The thresholds in force: those of the active rule set (pipeline/core/rulesets.py), whose base
    file AGENCY_RETURN_THRESHOLDS may replace."""
    return _thresholds(rulesets.active())


def threshold(name: str):
    """The value of one threshold."""
    return thresholds()[name].value


WAREHOUSE_IN_HOME = Path("data") / "warehouse.duckdb"


def config_file() -> Path:
    """The user's config file: AGENCY_RETURN_CONFIG, else $XDG_CONFIG_HOME (~/.config)/agency-return/config.toml.
    It may say `home = "/srv/agency-return"`."""
    if os.environ.get("AGENCY_RETURN_CONFIG"):
        return Path(os.environ["AGENCY_RETURN_CONFIG"]).expanduser()
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "agency-return" / "config.toml"


def _configured_home() -> Path | None:
    path = config_file()
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as fh:
            value = tomllib.load(fh).get("home")
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the config file ({exc})") from exc
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{path}: write the service home as home = \"/path/to/folder\"")
    return (path.parent / Path(value).expanduser()).resolve()


def home() -> Path:
    """Where the service keeps its state (warehouse, raw files, key, outputs), found in this order:
    AGENCY_RETURN_HOME; `home` in the config file (`config_file()`); the current folder or the
    nearest folder above it that holds data/warehouse.duckdb; else the current folder (where a
    first `submit` starts one). Raises ValueError for an unreadable config file."""
    if os.environ.get("AGENCY_RETURN_HOME"):
        return Path(os.environ["AGENCY_RETURN_HOME"]).expanduser().resolve()
    configured = _configured_home()
    if configured is not None:
        return configured
    here = Path.cwd().resolve()
    return next((p for p in (here, *here.parents) if (p / WAREHOUSE_IN_HOME).is_file()), here)


def where_looked() -> str:
    """The places `home()` and `warehouse_path()` consulted, for a message when there is no warehouse."""
    if os.environ.get("AGENCY_RETURN_WAREHOUSE"):
        return "AGENCY_RETURN_WAREHOUSE"
    if os.environ.get("AGENCY_RETURN_DATA"):
        return "AGENCY_RETURN_DATA"
    if os.environ.get("AGENCY_RETURN_HOME"):
        return "AGENCY_RETURN_HOME"
    if config_file().is_file():
        return f"`home` in {config_file()}"
    return (f"{Path.cwd().resolve()} and the folders above it (AGENCY_RETURN_HOME is not set and there is "
            f"no {config_file()})")


def require_warehouse() -> Path:
    """The warehouse path, for commands that only read it (status, pull, build): FileNotFoundError,
    saying where it looked and how to point at the service home, when there is none, so that a
    command run in the wrong folder never creates an empty warehouse."""
    path = warehouse_path()
    if not path.is_file():
        raise FileNotFoundError(
            f"no warehouse at {path} (looked in {where_looked()}). Run the command in the service home, "
            f"set AGENCY_RETURN_HOME, or write home = \"/path/to/home\" in {config_file()}; "
            "`agency-return submit` starts a warehouse in the service home.")
    return path


def data_dir() -> Path:
    return Path(os.environ.get("AGENCY_RETURN_DATA", home() / "data"))


def warehouse_path() -> Path:
    return Path(os.environ.get("AGENCY_RETURN_WAREHOUSE", data_dir() / "warehouse.duckdb"))


def outputs_dir() -> Path:
    return Path(os.environ.get("AGENCY_RETURN_OUTPUTS", home() / "outputs"))


def reference_path(name: str) -> Path:
    """A reference file: absolute, or relative to pipeline/core/data."""
    path = Path(name)
    return path if path.is_absolute() else DATA_DIR / path
