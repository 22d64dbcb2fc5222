"""Deployments: the quarterly return on a Europe/London cron, and an inbox poller.

    python -m flows.serve [--cron CRON] [--poll-minutes N] [--inbox DIR]
    agency-return serve  /  make serve        (with `make server` running: PREFECT_API_URL set)

`serve()` registers both deployments with the Prefect server and runs them from this process
until stopped: Ctrl-C or SIGTERM pauses their schedules and exits cleanly (status 0).

Default quarterly schedule: 06:00 Europe/London on the first working day after a submission
window closes. A quarter's window closes at the end of the second month after it (Jan–Mar
closes 31 May), so the runs fall on the first weekday of March, June, September and December.
Cron cannot say "first weekday" in one line, so the default is two crons, AND-ing day and
weekday (`day_or=False`):
    0 6 1 3,6,9,12 1-5     the 1st, when it is Monday–Friday
    0 6 2,3 3,6,9,12 1     otherwise the Monday on the 2nd or 3rd
(No English bank holiday falls on those days.) `--cron` or AGENCY_RETURN_CRON replaces both
with one ordinary cron (standard OR semantics), still in Europe/London time; the flow always
builds the quarter just ended, computed in Europe/London.

The inbox poller runs `ingest_inbox` every `poll_minutes` on AGENCY_RETURN_INBOX (default
./inbox); each file's own quarter is used, and a file changed in the last minute is left for
the next poll (it may still be uploading).
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import signal
import sys

from flows.env import configure

configure()   # Prefect reads its settings on import

from prefect.schedules import Cron, Interval, Schedule  # noqa: E402

from flows.ingest import ingest_inbox  # noqa: E402
from flows.quarterly import default_inbox, quarterly_return  # noqa: E402
from pipeline.core import calendar  # noqa: E402

TIMEZONE = calendar.LONDON.key   # "Europe/London"
DEFAULT_CRONS = ("0 6 1 3,6,9,12 1-5", "0 6 2,3 3,6,9,12 1")
QUARTERLY, POLLER, POOL = "quarterly", "inbox-poller", "pool"
UPLOAD_SETTLE_SECONDS = 60


def quarterly_schedules(cron: str | None = None) -> list[Schedule]:
    """The quarterly deployment's schedules, in Europe/London time (see the module docstring)."""
    cron = cron or os.environ.get("AGENCY_RETURN_CRON")
    if cron:
        return [Cron(cron, timezone=TIMEZONE)]
    return [Cron(c, timezone=TIMEZONE, day_or=False) for c in DEFAULT_CRONS]


def deployments(cron: str | None = None, poll_minutes: float = 15, inbox: str | None = None) -> list:
    """The two deployments, not yet registered (no server needed to build them)."""
    inbox = str(inbox or default_inbox())
    quarterly = quarterly_return.to_deployment(
        name=QUARTERLY, schedules=quarterly_schedules(cron), parameters={"inbox": inbox},
        concurrency_limit=1, tags=["agency-return"],
        description="Ingest the inbox, then build every output for the quarter just ended (Europe/London).")
    poller = ingest_inbox.to_deployment(
        name=POLLER, schedules=[Interval(dt.timedelta(minutes=poll_minutes), timezone=TIMEZONE)],
        parameters={"inbox_dir": inbox, "min_age_seconds": UPLOAD_SETTLE_SECONDS},
        concurrency_limit=1, tags=["agency-return"],
        description=f"Submit new workbooks in {inbox} every {poll_minutes:g} minutes.")
    return [quarterly, poller]


def pool_deployments(cron: str | None = None, inbox: str | None = None, batches: int = 2) -> list:
    """`quarterly-return/pool` (on the quarterly schedule) and `validate-batch/pool`, for a work pool's
    workers (`flows/pool.py`). Their entrypoints are module paths, so a worker needs the project
    installed (the same version), not a copy of its source."""
    from prefect.deployments.runner import EntrypointType

    from flows.pool import validate_batch
    inbox = str(inbox or default_inbox())
    quarterly = quarterly_return.to_deployment(
        name=POOL, schedules=quarterly_schedules(cron), entrypoint_type=EntrypointType.MODULE_PATH,
        parameters={"inbox": inbox, "batch_deployment": f"{validate_batch.name}/{POOL}", "batches": batches},
        concurrency_limit=1, tags=["agency-return"],
        description=f"The quarterly return, its files validated on the pool's workers in {batches} batch runs.")
    batch = validate_batch.to_deployment(
        name=POOL, entrypoint_type=EntrypointType.MODULE_PATH, tags=["agency-return"],
        description="Validate a batch of the inbox's workbooks and write their feedback workbooks (no warehouse).")
    return [quarterly, batch]


def deploy_to_pool(pool: str, cron: str | None = None, inbox: str | None = None, batches: int = 2) -> list:
    """Register the pool deployments on the work pool `pool` (which must exist:
    `prefect work-pool create POOL --type process`); their runs wait for `prefect worker start --pool POOL`."""
    from prefect import deploy
    return deploy(*pool_deployments(cron, inbox, batches), work_pool_name=pool, build=False, push=False,
                  print_next_steps_message=False, ignore_warnings=True)


def serve(cron: str | None = None, poll_minutes: float = 15, inbox: str | None = None) -> None:
    """Register both deployments and run their scheduled flow runs until stopped (Ctrl-C or SIGTERM),
    then pause their schedules and return."""
    from prefect.runner import Runner
    runner = Runner(pause_on_shutdown=True)
    for deployment in deployments(cron, poll_minutes, inbox):
        runner.add_deployment(deployment)
    asyncio.run(_until_stopped(runner))


async def _until_stopped(runner) -> None:
    """Run `runner` until SIGINT or SIGTERM, then stop it the way it expects: awaiting `astop()` in its
    own loop. (Prefect's `serve` calls the synchronous `stop()` from its SIGTERM handler while the loop
    runs, which only creates the coroutine: "coroutine 'Runner.astop' was never awaited".)"""
    loop = asyncio.get_running_loop()
    running = asyncio.ensure_future(runner.start())
    stopping: list[asyncio.Task] = []

    def stop() -> None:
        if stopping:
            return
        if not runner.started and not running.done():   # still starting: stop as soon as it has started
            loop.call_later(0.1, stop)
            return
        stopping.append(loop.create_task(runner.astop()))

    runner.handle_sigterm = lambda *_: loop.call_soon_threadsafe(stop)   # what `start()` installs for SIGTERM
    for sig in (signal.SIGINT, signal.SIGTERM):   # until then, and for Ctrl-C throughout
        loop.add_signal_handler(sig, stop)
    print(f"Serving {QUARTERLY!r} and {POLLER!r}; Ctrl-C or SIGTERM stops (their schedules are paused).", flush=True)
    try:
        await running
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await asyncio.gather(*stopping, return_exceptions=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m flows.serve", description="Serve the quarterly and inbox deployments.")
    ap.add_argument("--cron", help="cron for the quarterly run, Europe/London time "
                                   f"(default: {' and '.join(DEFAULT_CRONS)}, day AND weekday)")
    ap.add_argument("--poll-minutes", type=float, default=15, help="how often to check the inbox (default 15)")
    ap.add_argument("--inbox", help="folder of council workbooks (default: AGENCY_RETURN_INBOX or ./inbox)")
    ap.add_argument("--pool", help="register the deployments on this Prefect work pool instead of serving them "
                                   "here; run them with `prefect worker start --pool POOL` on each machine")
    ap.add_argument("--batches", type=int, default=2, help="with --pool: validation runs to spread the inbox over "
                                                          "(default 2; about the number of workers)")
    args = ap.parse_args(argv)
    if args.pool:
        deploy_to_pool(args.pool, args.cron, args.inbox, args.batches)
        print(f"Registered quarterly-return/{POOL} and validate-batch/{POOL} on work pool {args.pool!r}.")
        return 0
    serve(args.cron, args.poll_minutes, args.inbox)
    return 0


if __name__ == "__main__":
    sys.exit(main())
