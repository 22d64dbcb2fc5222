"""The flows' own log lines (one per file, the build's summary): INFO, in the Prefect UI for every
run, deployment runs included, while Prefect's own loggers stay at PREFECT_LOGGING_LEVEL (WARNING).

Prefect's run logger is `prefect.flow_runs`, which inherits WARNING from `prefect`, so an INFO line
logged through `get_run_logger()` never reaches the UI. Ours go through a child logger set to INFO
in whichever process runs the flow (a worker's or `serve`'s subprocess too): the records keep the
run's ids and reach Prefect's API handler and the console, and Prefect's own INFO lines ("Created
task run…", "Finished in state Completed()") stay quiet.
"""
from __future__ import annotations

import logging

from prefect import get_run_logger
from prefect.logging.loggers import PrefectLogAdapter

NAME = "prefect.flow_runs.agency_return"


def run_logger() -> logging.LoggerAdapter:
    """The current flow or task run's logger, at INFO (call inside a flow or task run)."""
    logger = logging.getLogger(NAME)
    logger.setLevel(logging.INFO)
    return PrefectLogAdapter(logger, get_run_logger().extra)
