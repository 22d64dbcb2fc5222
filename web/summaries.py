"""The regional summary an analyst sees, read from the built outputs (outputs/<quarter>/parquet/):
the same tables `agency-return pull` hands out, filtered to one region. No SWE number is in any
of them (`pipeline.outputs.assert_no_swe` checks each before it is written)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.core.contract import Quarter
from pipeline.core.reference import REGIONS
from pipeline.warehouse import connection, queries

# Table -> the columns shown (in this order); each is one section of the region page and the API.
TABLES = {
    "regional_summary": ["la_code", "la_name", "role_category", "headcount", "fte", "median_rate", "mean_rate",
                         "p90_rate", "share_above_cap", "breaches", "breaches_signed_off", "project_team_share",
                         "assignment_cost"],
    "cost_trend": ["la_code", "la_name", "quarter", "month", "agency_headcount", "total_monthly_cost"],
    "rates_vs_cap": ["role_category", "assignments", "median_rate", "mean_rate", "p90_rate", "max_rate", "cap",
                     "cap_table_version"],
    "compliance_grid": ["la_code", "la_name", "rule", "declared_status", "derived_status", "breaches", "assignments",
                        "agrees"],
    "cap_breaches": ["la_code", "la_name", "assignment_ref", "role_category", "start_date", "cap_basis_rate", "cap",
                     "above_cap_by", "cap_approved_by", "cap_approval_date", "signed_off"],
    "cross_la": ["la_code", "la_name", "code", "assignment_ref", "other_la_code", "other_la_name", "message"],
    # a regional agreement's findings (R701-R703), apart from the statutory ones
    "agreement_findings": ["la_code", "la_name", "code", "found_by", "cell", "message", "explained"],
}


def built(quarter: Quarter | str) -> bool:
    """Whether `build` has published outputs for the quarter."""
    return (_parquet(quarter) / "regional_summary.parquet").exists()


def _parquet(quarter) -> Path:
    return connection.paths().outputs / str(quarter) / "parquet"


def freshness(quarter: Quarter | str, rows: pd.DataFrame | None = None) -> dict:
    """Whether the quarter's built outputs still match the warehouse, from `pipeline.warehouse.queries.status`
    rows (every LA; read here when not given): `built`, `built_at` (ISO, UTC, or None), `stale`
    (an LA's accepted return changed since the build, as `agency-return status` warns), `changed`
    (those LA codes). Raises locks.WarehouseBusy as `status` does."""
    if not built(quarter):
        return {"built": False, "built_at": None, "stale": False, "changed": []}
    rows = queries.status(quarter) if rows is None else rows
    changed = sorted(rows.loc[rows["changed_since_build"], "la_code"].tolist())
    at = rows["outputs_built_at"].iloc[0] if len(rows) else None
    return {"built": True, "built_at": None if at is None or pd.isna(at) else pd.Timestamp(at).isoformat(),
            "stale": bool(changed), "changed": changed}


def region_tables(quarter: Quarter | str, region_code: str) -> dict[str, pd.DataFrame]:
    """Each table of `TABLES` for one region (rows in the published order). Raises FileNotFoundError
    when the quarter has not been built."""
    if region_code not in REGIONS:
        raise KeyError(region_code)
    folder = _parquet(quarter)
    if not built(quarter):
        raise FileNotFoundError(f"no outputs built for {quarter}")
    out = {}
    for name, columns in TABLES.items():
        path = folder / f"{name}.parquet"
        if not path.exists():   # a quarter built before the table existed shows it empty until built again
            out[name] = pd.DataFrame(columns=columns)
            continue
        frame = pd.read_parquet(path)
        frame = frame[frame["region_code"] == region_code]
        out[name] = frame[[c for c in columns if c in frame.columns]].reset_index(drop=True)
    return out


def as_json(tables: dict[str, pd.DataFrame]) -> dict[str, list[dict]]:
    """Tables as JSON-ready records (dates as ISO text, missing values as null)."""
    import json
    return {name: json.loads(frame.to_json(orient="records", date_format="iso")) for name, frame in tables.items()}
