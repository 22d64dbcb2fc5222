"""`ingest_inbox`: take in every new workbook in an inbox folder, one task run per file.

Each file's task (`pipeline.intake.take`) submits it (validate, keep the raw bytes, load the
warehouse or record the rejection), moves it to `processed/` or `rejected/` and writes the
council's feedback workbook next to it. The task has no Prefect retries, because a validation
result is an answer, not a failure; the move and the feedback workbook (I/O) try again by
themselves. A file that fails in an unexpected way is left in the inbox for the next run and
counted as `failed`; it never fails the run.

The tasks run one file at a time, in name order, because DuckDB has one writer; the CPU-heavy part
(validating, and writing the feedback workbook) runs in worker processes ahead of them
(`pipeline.ahead`), so a batch uses every core. One task run per file, not one per step: each task
run costs Prefect's server ~20 ms of CPU to record, which on a small machine competes with the work.
"""
from __future__ import annotations

from pathlib import Path

from pipeline.prefect_env import configure

configure()   # Prefect reads its settings on import

from prefect import flow, task  # noqa: E402
from prefect.artifacts import create_markdown_artifact  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402

from flows import pool  # noqa: E402
from flows.logs import run_logger  # noqa: E402

from pipeline import intake  # noqa: E402
from pipeline import store  # noqa: E402
from pipeline.redaction import redact_name  # noqa: E402
from pipeline.console import counts  # noqa: E402


def _run_name() -> str:
    """`ingest-<file name>`, anything like an SWE number in the name removed (it reaches Prefect's database)."""
    from prefect.runtime import task_run
    return f"ingest-{redact_name(Path(task_run.parameters['path']).name)}"


@task(task_run_name=_run_name, cache_policy=NO_CACHE)
def ingest_file(inbox: Path, path: Path, quarter: str | None) -> dict:
    """Submit, file away and answer one workbook; its summary row."""
    return intake.take(inbox, path, quarter)


@flow(name="ingest-inbox")
def ingest_inbox(inbox_dir: str | Path, quarter: str | None = None, min_age_seconds: float = 0,
                 batch_deployment: str | None = None, batches: int = 2) -> dict:
    """Submit every new .xlsx in `inbox_dir`. `quarter` is the quarter being collected (files that
    say otherwise are rejected, E005); without it each file's own quarter is used. With
    `batch_deployment` (`validate-batch/<name>` on a work pool) the files are validated in `batches`
    runs of it on the pool's workers and recorded here (`flows/pool.py`); else in local processes."""
    log = run_logger()
    inbox = Path(inbox_dir).resolve()
    inbox.mkdir(parents=True, exist_ok=True)
    paths = intake.new_files(inbox, min_age_seconds)
    log.info("%d new file(s) in %s", len(paths), inbox)
    for path, why in intake.skipped(inbox, min_age_seconds):
        log.info("%s: not taken now: %s", redact_name(path.name), why)
    rows = []
    # files validated and answered ahead of the task that records each one, in worker processes here or by
    # a work pool's workers (each recorded under the warehouse's write lock for that file only, so other
    # writers interleave)
    with (pool.spread(paths, quarter, batch_deployment, batches) if batch_deployment
          else store.validating_ahead(paths, quarter, feedback=True)):
        for path in paths:
            state = ingest_file(inbox, path, quarter, return_state=True)
            if state.is_completed():
                r = state.result()
                log.info("%s: LA %s %s (%s)%s", r["file"], r["la_code"] or "?", r["status"],
                         counts(r["errors"], r["queries"]), f"; {r['error']}" if r["error"] else "")
            else:
                r = intake.row(path, error=redact_name(str(state.message or state.name)))
                log.warning("%s: failed (%s); left in the inbox for the next run", r["file"], r["error"])
            rows.append(r)
    summary = intake.summarise(inbox, rows)
    create_markdown_artifact(
        key="inbox-submissions",
        markdown=f"## Inbox {inbox}\n\n{intake.describe(summary)}\n\n"
                 + intake.markdown_table(rows, ("file", "la_code", "quarter", "status", "errors", "queries",
                                                  "moved_to", "feedback", "error")),
        description="Submission status of each file in this run")
    return summary
