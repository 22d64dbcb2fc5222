"""`build_quarter_flow`: cross-LA checks and every output for a quarter (`pipeline.outputs.build.build_quarter`),
then the quarter's submission status and a list of the outputs as Prefect artifacts."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from flows.env import configure

configure()   # Prefect reads its settings on import

from prefect import flow, task  # noqa: E402
from prefect.artifacts import create_markdown_artifact, create_table_artifact  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402

from flows.logs import run_logger  # noqa: E402
from pipeline.core.contract import Quarter  # noqa: E402
from pipeline.outputs.build import build_quarter  # noqa: E402
from pipeline.warehouse import queries  # noqa: E402
from pipeline.warehouse.locks import WarehouseBusy  # noqa: E402

STATUS_COLUMNS = ("region_name", "la_code", "la_name", "status", "late", "submissions", "last_submission_at",
                  "errors", "queries", "queries_outstanding")


def warehouse_was_busy(task, task_run, state) -> bool:
    """Retry a build only when the warehouse stayed busy for the whole lock wait (another command, flow
    or the web service writing); a build that failed for any other reason is not tried again."""
    try:
        state.result()
    except WarehouseBusy:
        return True
    except Exception:
        return False
    return False


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=60, retry_condition_fn=warehouse_was_busy)
def build(quarter: str):
    """X601/X602 across LAs, then the DfE returns, regional and national workbooks, status and Parquet.
    A warehouse still busy after the lock wait (locks.WarehouseBusy) is tried again, 3 times a minute apart."""
    return build_quarter(Quarter.parse(quarter))


@task(cache_policy=NO_CACHE)
def submission_status(quarter: str) -> list[dict]:
    """Every live LA's submission state for the quarter (submitted, accepted, rejected, missing, late…)."""
    frame = queries.status(Quarter.parse(quarter))
    return [{k: _plain(v) for k, v in r.items()} for r in frame.to_dict(orient="records")]


def _plain(value):
    """JSON-friendly: NaN/NaT -> None, numpy scalars -> Python, dates -> ISO text."""
    if value is None or (not isinstance(value, (list, dict, str)) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def outputs_markdown(quarter: str, root: Path, files: list[Path]) -> str:
    """The outputs as a markdown list of links; the per-LA DfE returns as one line per format."""
    lines = [f"## Outputs for {quarter}", "", f"Folder: `{root}`", "", "| file | size (KB) |", "|---|---|"]
    dfe = [p for p in files if p.parent.name == "dfe"]
    for p in sorted(set(files) - set(dfe)):
        lines.append(f"| [{p.relative_to(root)}]({p.as_uri()}) | {p.stat().st_size / 1024:.0f} |")
    if dfe:
        lines.append(f"| [dfe/]({(root / 'dfe').as_uri()}): {len(dfe)} files, each LA's DfE return (.xlsx and .csv) "
                     f"| {sum(p.stat().st_size for p in dfe) / 1024:.0f} |")
    return "\n".join(lines)


@flow(name="build-quarter")
def build_quarter_flow(quarter: str) -> dict:
    """Build every output for `quarter` (e.g. '2025-Q2') from what the warehouse holds."""
    q = Quarter.parse(quarter)
    if q is None:
        raise ValueError(f"{quarter!r} is not a quarter; write it as YYYY-Qn, e.g. 2025-Q2")
    log = run_logger()
    quarter = str(q)
    built = build(quarter)
    rows = submission_status(quarter)
    create_table_artifact(key=f"submission-status-{quarter.lower()}",
                          table=[{c: r.get(c) for c in STATUS_COLUMNS} for r in rows],
                          description=f"Submission status per LA, {quarter}")
    root = Path(built.out_dir)
    files = [Path(p) for p in built.files]
    create_markdown_artifact(key=f"outputs-{quarter.lower()}", markdown=outputs_markdown(quarter, root, files),
                             description=f"Files written for {quarter}")
    log.info("Built %s: %d of %d LAs accepted; %d files under %s", quarter, built.las_accepted, built.las_live,
             len(files), root)
    return {"quarter": quarter, "outputs": str(root), "files": len(files), "las_accepted": built.las_accepted,
            "las_live": built.las_live, "total_cost_by_region": {k: float(v) for k, v in built.total_cost_by_region.items()},
            "cross_la": {k: int(v) for k, v in built.cross_la.items()}, "status": rows}
