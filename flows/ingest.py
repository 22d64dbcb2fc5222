"""`ingest_inbox`: take in every new workbook in an inbox folder, one task run per group of files.

Each task run (`pipeline.warehouse.intake.take_all`) submits up to submit.GROUP_FILES files together (validate,
keep the raw bytes, load the warehouse or record the rejections: one hold of the write lock), moves
each to `processed/` or `rejected/` and writes the council's feedback workbook next to it; the flow
logs one INFO line per file. The task has no Prefect retries, because a validation result is an
answer, not a failure; the move and the feedback workbook (I/O) try again by themselves. If a
group's task run fails in an unexpected way, each of its files is taken again in a task run of its
own, so only a file that fails by itself is left in the inbox for the next run and counted as
`failed`; it never fails the run.

The task runs go one after another, in name order, because DuckDB has one writer; the CPU-heavy part
(validating, and writing the feedback workbook) runs in worker processes ahead of them
(`pipeline.workers.ahead`), so a batch uses every core. A task run per group, not per file: each task run
costs Prefect's server and this process ~50 ms of CPU to record, which on a small machine competes
with the work (153 files: 10 task runs instead of 153).
"""
from __future__ import annotations

from pathlib import Path

from flows.env import configure

configure()   # Prefect reads its settings on import

from prefect import flow, task  # noqa: E402
from prefect.artifacts import create_markdown_artifact  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402

from flows import pool  # noqa: E402
from flows.logs import run_logger  # noqa: E402
from pipeline.core.findings import counts  # noqa: E402
from pipeline.core.redaction import redact_name  # noqa: E402
from pipeline.warehouse import (
    intake,  # noqa: E402
    submit,
)


def _run_name() -> str:
    """`ingest-<first file name>` (+ how many more), anything like an SWE number in the name removed
    (it reaches Prefect's database)."""
    from prefect.runtime import task_run
    paths = task_run.parameters["paths"]
    more = f" +{len(paths) - 1}" if len(paths) > 1 else ""
    return f"ingest-{redact_name(Path(paths[0]).name)}{more}"


@task(task_run_name=_run_name, cache_policy=NO_CACHE)
def ingest_files(inbox: Path, paths: list[Path], quarter: str | None) -> list[dict]:
    """Submit, file away and answer a group of workbooks; their summary rows."""
    return intake.take_all(inbox, paths, quarter)


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
    # files validated and answered ahead of the task runs that record them, in worker processes here or by
    # a work pool's workers (each group recorded under the warehouse's write lock for that group only, so
    # other writers interleave)
    with (pool.spread(paths, quarter, batch_deployment, batches) if batch_deployment
          else submit.validating_ahead(paths, quarter, feedback=True)):
        for start in range(0, len(paths), submit.GROUP_FILES):
            group = paths[start:start + submit.GROUP_FILES]
            state = ingest_files(inbox, group, quarter, return_state=True)
            states = [(group, state)] if state.is_completed() or len(group) == 1 else [
                ([path], ingest_files(inbox, [path], quarter, return_state=True)) for path in group]
            for taken, state in states:
                rows += _logged(log, taken, state)
    summary = intake.summarise(inbox, rows)
    create_markdown_artifact(
        key="inbox-submissions",
        markdown=f"## Inbox {inbox}\n\n{intake.describe(summary)}\n\n"
                 + intake.markdown_table(rows, ("file", "la_code", "quarter", "status", "errors", "queries",
                                                  "moved_to", "feedback", "error")),
        description="Submission status of each file in this run")
    return summary


def _logged(log, paths: list[Path], state) -> list[dict]:
    """The rows of a task run's files, each said in one INFO line (a WARNING for a file that failed)."""
    if not state.is_completed():
        rows = [intake.row(path, error=redact_name(str(state.message or state.name))) for path in paths]
        for r in rows:
            log.warning("%s: failed (%s); left in the inbox for the next run", r["file"], r["error"])
        return rows
    rows = state.result()
    for r in rows:
        log.info("%s: LA %s %s%s (%s)%s", r["file"], r["la_code"] or "?", r["status"],
                 ", unchanged: nothing new recorded" if r.get("unchanged") else "",
                 counts(r["errors"], r["queries"]), f"; {r['error']}" if r["error"] else "")
    return rows
