"""`quarterly_return`: ingest the inbox, then build every output, for the quarter just ended.

    python -m flows.quarterly                      # the quarter just ended (Europe/London), ./inbox
    python -m flows.quarterly --quarter 2025-Q2 --inbox DIR
    python -m flows.quarterly --demo               # `make run`: the bundled sample_data/ end to end

Without PREFECT_API_URL the flow starts Prefect's temporary local server (~10 s), so the demo
needs nothing running. The scheduled deployment is in `flows/serve.py`.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import time
from pathlib import Path

from flows.env import configure

configure()   # Prefect reads its settings on import

import duckdb  # noqa: E402
from prefect import flow  # noqa: E402

from flows.build_quarter import build_quarter_flow  # noqa: E402
from flows.ingest import ingest_inbox  # noqa: E402
from flows.logs import run_logger  # noqa: E402
from pipeline.core.calendar import quarter_just_ended  # noqa: E402
from pipeline.core.config import home  # noqa: E402
from pipeline.core.contract import Quarter  # noqa: E402
from pipeline.warehouse import (
    intake,  # noqa: E402
    submit,
)

PROJECT = Path(__file__).resolve().parents[1]
SAMPLE_DATA = PROJECT / "sample_data"
SAMPLE_QUARTER = "2025-Q2"


def default_inbox() -> Path:
    """Where councils' workbooks land: AGENCY_RETURN_INBOX, else <service home>/inbox."""
    return Path(os.environ.get("AGENCY_RETURN_INBOX", home() / "inbox"))


@flow(name="quarterly-return")
def quarterly_return(quarter: str | None = None, inbox: str | None = None, batch_deployment: str | None = None,
                     batches: int = 2) -> dict:
    """Ingest every new workbook in `inbox` for `quarter`, then build the quarter's outputs.
    `quarter` defaults to the quarter just ended in Europe/London, `inbox` to `default_inbox()`.
    On a work pool, `batch_deployment` spreads the files' validation over its workers (`flows/pool.py`)."""
    q = Quarter.parse(quarter) if quarter else quarter_just_ended()
    if q is None:
        raise ValueError(f"{quarter!r} is not a quarter; write it as YYYY-Qn, e.g. 2025-Q2")
    run_logger().info("Quarterly return for %s", q)
    ingested = ingest_inbox(inbox or default_inbox(), quarter=str(q), batch_deployment=batch_deployment,
                            batches=batches)
    built = build_quarter_flow(str(q))
    return {"quarter": str(q), "ingest": ingested, "build": built}


@contextlib.contextmanager
def ahead_of_server(inbox: Path, quarter: str):
    """Start validating the inbox's workbooks in worker processes now, so the work overlaps the ~10 s
    Prefect takes to start its temporary server; the flow's tasks then take the results (see
    `pipeline.workers.ahead`). With a running server (PREFECT_API_URL) there is nothing to overlap, and the
    flow starts its own workers. Only a head start: if it cannot begin, the flow runs as it would."""
    with contextlib.ExitStack() as stack:
        if not os.environ.get("PREFECT_API_URL") and inbox.is_dir():
            try:
                stack.enter_context(submit.validating_ahead(intake.new_files(inbox), quarter, feedback=True))
            except duckdb.IOException:   # the warehouse is in use: the flow reports that itself
                pass
        yield


# ---- `make run`: the demo on the bundled sample data ---------------------------------------------

def fresh_inbox(quarter: str, sample_dir: Path = SAMPLE_DATA) -> Path:
    """inbox/sample-<quarter>/ emptied, with a copy of every sample workbook in it."""
    inbox = default_inbox() / f"sample-{quarter}"
    if inbox.exists():
        shutil.rmtree(inbox)
    inbox.mkdir(parents=True)
    for path in sorted(sample_dir.glob("*.xlsx")):
        shutil.copy2(path, inbox / path.name)
    return inbox


def demo(quarter: str = SAMPLE_QUARTER, sample_dir: Path = SAMPLE_DATA) -> dict:
    """Run the quarterly flow on a fresh copy of sample_data/ and print what it did."""
    started = time.perf_counter()
    inbox = fresh_inbox(quarter, Path(sample_dir))
    count = len(list(inbox.glob("*.xlsx")))
    if not count:
        raise SystemExit(f"no sample workbooks in {sample_dir}: run `make sample` first")
    print(f"Copied {count} sample workbooks to {inbox}")
    print("Starting Prefect's temporary local server and the quarterly flow "
          f"(quarter {quarter}); progress below…", flush=True)
    with ahead_of_server(inbox, quarter):
        result = quarterly_return(quarter, str(inbox))
    print_summary(result, seconds=time.perf_counter() - started)
    return result


def print_summary(result: dict, seconds: float | None = None) -> None:
    """What happened to each file, the quarter's state across all LAs, cost by region, and where
    the outputs and feedback workbooks are."""
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    ing, built, quarter = result["ingest"], result["build"], result["quarter"]
    inbox = Path(ing["inbox"])
    console.print()
    files = Table(title=f"This run: {ing['files']} file(s) from {inbox}", title_justify="left")
    for col in ("file", "LA", "status", "errors", "queries", "filed in"):
        files.add_column(col)
    colour = {"accepted": "green", "unchanged": "green", "rejected": "red", "unreadable": "red", "failed": "red"}
    for r in ing["submissions"]:
        filed = (str(Path(r["moved_to"]).parent.relative_to(inbox)) + "/" + (" + feedback" if r["feedback"] else "")
                 if r["moved_to"] else (r["error"] or ""))
        status = f"{r['status']}, unchanged" if r.get("unchanged") else r["status"]   # bytes and verdict already held
        files.add_row(r["file"], r["la_code"] or "?", f"[{colour.get(r['status'], '')}]{status}[/]",
                      str(r["errors"]), str(r["queries"]), filed)
    console.print(files)

    las = built["status"]
    by_status: dict[str, int] = {}
    for r in las:
        by_status[r["status"]] = by_status.get(r["status"], 0) + 1
    console.print(f"[bold]{quarter}[/], all {len(las)} live LAs: "
                  + ", ".join(f"{n} {s}" for s, n in sorted(by_status.items())) + "; "
                  f"{sum(r.get('queries') or 0 for r in las)} queries raised, "
                  f"{sum(r.get('queries_outstanding') or 0 for r in las)} outstanding (not explained by a Note).")
    regions = Table(title=f"Total cost, {quarter} (accepted returns)", title_justify="left")
    regions.add_column("region")
    regions.add_column("LAs accepted", justify="right")
    regions.add_column("cost (£)", justify="right")
    for region, cost in built["total_cost_by_region"].items():
        in_region = las if region == "England" else [r for r in las if r["region_name"] == region]
        accepted = sum(r["status"] == "accepted" for r in in_region)
        regions.add_row(region, f"{accepted} of {len(in_region)}", f"{cost:,.0f}")
    console.print(regions)
    console.print(f"Outputs ({built['files']} files): [bold]{built['outputs']}[/]")
    console.print(f"Councils' files and feedback workbooks: [bold]{inbox}[/]/processed and /rejected")
    if seconds is not None:
        console.print(f"Done in {seconds:.1f} s.")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m flows.quarterly", description=__doc__.splitlines()[0])
    ap.add_argument("--quarter", help="e.g. 2025-Q2 (default: the quarter just ended, Europe/London; "
                                      f"{SAMPLE_QUARTER} with --demo)")
    ap.add_argument("--inbox", help="folder of council workbooks (default: AGENCY_RETURN_INBOX or ./inbox)")
    ap.add_argument("--demo", action="store_true", help="run on a fresh copy of sample_data/ and print a summary")
    args = ap.parse_args(argv)
    if args.quarter and Quarter.parse(args.quarter) is None:
        ap.error(f"{args.quarter!r} is not a quarter; write it as YYYY-Qn, e.g. 2025-Q2")
    if args.demo:
        demo(args.quarter or SAMPLE_QUARTER)
        return 0
    quarter = args.quarter or str(quarter_just_ended())
    inbox = Path(args.inbox) if args.inbox else default_inbox()
    with ahead_of_server(inbox, quarter):
        result = quarterly_return(quarter, str(inbox))
    ing = result["ingest"]
    print(f"{result['quarter']}: {intake.describe(ing)}; outputs in {result['build']['outputs']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
