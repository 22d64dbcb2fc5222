"""Scale-out on a Prefect work pool: the quarterly flow's per-file work spread over process workers,
the recording kept to one warehouse writer.

    python -m flows.serve --pool agency-return [--batches N]   # register the deployments on the pool
    prefect worker start --pool agency-return                   # on each machine, as many as it has cores

`quarterly-return/pool` runs on any worker. It splits the inbox, in name order, into `batches`
runs of `validate-batch/pool`, which the pool hands to whichever workers are free; each validates
its files and writes their feedback workbooks (`pipeline.workers.ahead.answer`, the CPU-heavy part)
into a private folder beside the inbox. The quarterly run then records each file itself, in name order,
as soon as its batch has finished (`intake.take_all`: submit, move, feedback workbook), so it is the
only process that writes the warehouse, while later batches are still being validated.

Only file names and Q514's previous totals (money per LA and quarter, no personal data) pass
through Prefect; a worker's answer (which holds the workbook's rows, SWE numbers included) travels
as a file in that private folder, as from every pool's workers (`pipeline.workers.answers`). A batch that fails, that
no worker starts within START_TIMEOUT_SECONDS, or whose answer is missing costs nothing but time:
the recorder validates those files itself.
"""
from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from flows.env import configure

configure()   # Prefect reads its settings on import

from prefect import flow  # noqa: E402
from prefect.client.orchestration import get_client  # noqa: E402
from prefect.deployments import run_deployment  # noqa: E402
from prefect.states import Cancelled  # noqa: E402

from flows.logs import run_logger  # noqa: E402
from pipeline.core.contract import Quarter  # noqa: E402
from pipeline.warehouse import locks, queries  # noqa: E402
from pipeline.workers import ahead, answers  # noqa: E402

BATCH_FLOW = "validate-batch"
POLL_SECONDS = 0.5
START_TIMEOUT_SECONDS = 120


@flow(name=BATCH_FLOW)
def validate_batch(files: list[str], quarter: str | None, previous_totals: list[list], staging: str) -> int:
    """On a pool worker: validate each file (`quarter` being collected; `previous_totals` as
    [LA code, quarter, total £] rows, for Q514) and write its feedback workbook, into `staging`,
    then list what was written in `staging/<first file>.json`. Returns how many files were answered."""
    log = run_logger()
    folder = Path(staging)
    collecting = Quarter.parse(quarter) if quarter else None
    totals = {(la, q): float(total) for la, q, total in previous_totals}
    answered = {}
    for name in files:
        answer, feedback = ahead.answer(Path(name), collecting, totals, folder, True)
        answered[name] = [answer.name, feedback.name if feedback else None]
        log.info("%s validated and answered", Path(name).name)
    manifest = folder / f"{Path(files[0]).name}.json"
    partial = manifest.with_suffix(".part")
    partial.write_text(json.dumps(answered))
    os.replace(partial, manifest)   # the recorder sees all of it or none
    return len(answered)


class PoolAnswers(answers.Answers):
    """The answers of `validate_batch` runs, handed to the recorder as validating ahead hands its own:
    `take` waits for the file's batch, then returns its result if it is for the same bytes. Closing
    cancels the runs still unfinished (`done`, seen by their waiters) before the folder is removed."""

    def __init__(self, staging: Path, done: threading.Event, waiting: ThreadPoolExecutor):
        super().__init__(staging)
        self._done, self._waiting = done, waiting

    def expect_batch(self, paths: list[Path], batch: Future) -> None:
        """Each of `paths` is answered by the run whose manifest `batch` gives."""
        for path in paths:
            self.expect(path, _answered(batch, path, self.folder))

    def close(self) -> None:
        self._done.set()
        self._waiting.shutdown(wait=True, cancel_futures=True)
        super().close()


def _answered(batch: Future, path: Path, staging: Path) -> Future:
    """What `batch` answered for the file at `path`: (its answer, its feedback workbook or None) in
    `staging`, or the batch's failure."""
    mine = Future()

    def done(batch: Future) -> None:
        try:
            answer, feedback = batch.result()[str(path)]
        except Exception as failed:  # noqa: BLE001 - the batch failed: the recorder validates the file itself
            mine.set_exception(failed)
            return
        mine.set_result((staging / answer, staging / feedback if feedback else None))
    batch.add_done_callback(done)
    return mine


@contextmanager
def spread(paths: list[Path], quarter: str | None, deployment: str, batches: int):
    """Validate `paths` on the work pool in `batches` runs of `deployment` (`validate-batch/<name>`)
    for the length of the block; `intake.take_all` inside it records each file with the pool's answer."""
    paths = [Path(p).resolve() for p in paths]
    if not paths:
        yield None
        return
    staging = answers.private_folder(".validating-", paths[0].parent)   # beside the inbox
    try:
        totals = [[la, q, total] for (la, q), total in queries.previous_totals(wait=1.0).items()]
    except locks.WarehouseBusy:   # recording checks Q514 again against the warehouse as it is then
        totals = []
    size = -(-len(paths) // max(1, min(batches, len(paths))))
    parts = [paths[i:i + size] for i in range(0, len(paths), size)]
    runs = [run_deployment(deployment, timeout=0, parameters={
        "files": [str(p) for p in part], "quarter": quarter, "previous_totals": totals, "staging": str(staging)})
        for part in parts]
    run_logger().info("%d file(s) in %d batch run(s) of %s on the work pool", len(paths), len(runs), deployment)
    done = threading.Event()
    waiting = ThreadPoolExecutor(max_workers=len(runs), thread_name_prefix="batch")
    pool_answers = PoolAnswers(staging, done, waiting)
    for run, part in zip(runs, parts):
        pool_answers.expect_batch(part, waiting.submit(_manifest, run.id, staging, part[0].name, done))
    with ahead.validating_with(pool_answers):
        yield pool_answers


def _manifest(run_id, staging: Path, first: str, done: threading.Event) -> dict[str, list]:
    """Wait for a batch run to finish; its manifest (file -> [answer, feedback workbook] names). A run
    no worker has started within START_TIMEOUT_SECONDS (every slot busy: say one worker with
    `--limit 1`, taken by the quarterly run itself), or still unfinished when `done` is set, is
    cancelled, and the writer validates its files."""
    waited_since = time.monotonic()
    with get_client(sync_client=True) as client:
        while True:
            state = client.read_flow_run(run_id).state
            if state is not None and state.is_final():
                break
            not_started = state is None or state.is_scheduled() or state.is_pending()
            if done.is_set() or (not_started and time.monotonic() - waited_since > START_TIMEOUT_SECONDS):
                client.set_flow_run_state(run_id, Cancelled(message="not needed any more or no worker was free"),
                                          force=True)
                raise TimeoutError(f"batch run {run_id} cancelled before it finished")
            time.sleep(POLL_SECONDS)
    if not state.is_completed():
        raise RuntimeError(f"batch run {run_id} ended {state.name}")
    return json.loads((staging / f"{first}.json").read_text())
