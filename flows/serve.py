"""Deployments: the quarterly return on a Europe/London cron, and an inbox poller.

    python -m flows.serve [--cron CRON] [--poll-minutes N] [--inbox DIR]
    agency-return serve  /  make serve        (with `make server` running: PREFECT_API_URL set)

`serve()` registers both deployments with the Prefect server and runs them from this process
until stopped (Ctrl-C or SIGTERM pauses them).

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
import datetime as dt
import os
import sys

from pipeline.prefect_env import configure

configure()   # Prefect reads its settings on import

from prefect.schedules import Cron, Interval, Schedule  # noqa: E402

from flows.ingest import ingest_inbox  # noqa: E402
from flows.quarterly import default_inbox, quarterly_return  # noqa: E402

TIMEZONE = "Europe/London"
DEFAULT_CRONS = ("0 6 1 3,6,9,12 1-5", "0 6 2,3 3,6,9,12 1")
QUARTERLY, POLLER = "quarterly", "inbox-poller"
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


def serve(cron: str | None = None, poll_minutes: float = 15, inbox: str | None = None) -> None:
    """Register both deployments and run their scheduled flow runs until stopped."""
    from prefect import serve as prefect_serve
    prefect_serve(*deployments(cron, poll_minutes, inbox))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m flows.serve", description="Serve the quarterly and inbox deployments.")
    ap.add_argument("--cron", help="cron for the quarterly run, Europe/London time "
                                   f"(default: {' and '.join(DEFAULT_CRONS)}, day AND weekday)")
    ap.add_argument("--poll-minutes", type=float, default=15, help="how often to check the inbox (default 15)")
    ap.add_argument("--inbox", help="folder of council workbooks (default: AGENCY_RETURN_INBOX or ./inbox)")
    args = ap.parse_args(argv)
    serve(args.cron, args.poll_minutes, args.inbox)
    return 0


if __name__ == "__main__":
    sys.exit(main())
