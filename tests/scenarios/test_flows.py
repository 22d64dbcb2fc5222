"""The Prefect flows (flows/): a few flow-level runs under one session-scoped test harness, and
plain tests of the scheduling and file-handling helpers.

The library functions the flows wrap are tested elsewhere; here we check the wiring: files are
submitted, moved and answered with a feedback workbook, one bad file never fails the run, a rerun
is a no-op, the build runs, the artifacts exist, and the quarterly schedule is Europe/London time.
"""
import asyncio
import datetime as dt
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

# Prefect reads its settings on import: keep its home out of the project (the harness brings its own database).
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="prefect-home-"))

from prefect.states import Completed  # noqa: E402
from prefect.testing.utilities import prefect_test_harness  # noqa: E402

from flows import serve  # noqa: E402
from flows.build_quarter import build_quarter_flow  # noqa: E402
from flows.env import configure  # noqa: E402
from flows.ingest import _logged, ingest_inbox  # noqa: E402
from flows.quarterly import ahead_of_server, quarterly_return  # noqa: E402
from pipeline.core.calendar import quarter_just_ended  # noqa: E402
from pipeline.core.contract import Quarter  # noqa: E402
from pipeline.outputs.sample import write_la_workbook  # noqa: E402
from pipeline.warehouse import intake, queries, submit
from pipeline.workers import ahead  # noqa: E402

QUARTER = "2025-Q2"
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(scope="session")
def prefect_api():
    """One temporary Prefect server and database for every flow test (~9 s, once)."""
    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture(scope="session")
def workbooks(tmp_path_factory):
    """Small generated returns: two clean London LAs, one with planted errors, and a corrupt file."""
    folder = tmp_path_factory.mktemp("workbooks")
    files = {
        "clean_a": write_la_workbook(folder / "205_2025-Q2.xlsx", "205", QUARTER, n_assignments=8),
        "clean_b": write_la_workbook(folder / "212_2025-Q2.xlsx", "212", QUARTER, n_assignments=8),
        "errors": write_la_workbook(folder / "213_2025-Q2.xlsx", "213", QUARTER, n_assignments=8, flavour="errors"),
    }
    corrupt = folder / "926_2025-Q2.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a workbook")
    files["corrupt"] = corrupt
    return files


def inbox_with(home: Path, *paths: Path) -> Path:
    inbox = home / "inbox"
    inbox.mkdir(exist_ok=True)
    for p in paths:
        shutil.copy2(p, inbox / p.name)
    return inbox


def by_file(summary: dict) -> dict:
    return {r["file"]: r for r in summary["submissions"]}


# --- flow runs -------------------------------------------------------------------------------------

def test_clean_batch_is_loaded_filed_answered_and_built(prefect_api, workbooks, service_home):
    inbox = inbox_with(service_home, workbooks["clean_a"], workbooks["clean_b"])
    result = quarterly_return(QUARTER, str(inbox))

    ing = result["ingest"]
    assert (ing["files"], ing["accepted"], ing["rejected"], ing["failed"]) == (2, 2, 0, 0)
    for name in ("205_2025-Q2.xlsx", "212_2025-Q2.xlsx"):
        assert (inbox / "processed" / name).exists() and not (inbox / name).exists()
        assert by_file(ing)[name]["feedback"] == str(inbox / "processed" / name.replace(".xlsx", "_feedback.xlsx"))
        assert Path(by_file(ing)[name]["feedback"]).exists()

    built = result["build"]
    assert built["las_accepted"] == 2 and Path(built["outputs"], "national.xlsx").exists()
    assert built["total_cost_by_region"]["London"] > 0
    accepted = {r["la_code"] for r in built["status"] if r["status"] == "accepted"}
    assert accepted == {"205", "212"}

    from prefect.client.orchestration import get_client
    with get_client(sync_client=True) as client:
        keys = {a.key for a in client.read_artifacts()}
    assert {"inbox-submissions", "submission-status-2025-q2", "outputs-2025-q2"} <= keys


def test_rejected_and_corrupt_files_do_not_stop_the_good_one(prefect_api, workbooks, service_home):
    inbox = inbox_with(service_home, workbooks["clean_a"], workbooks["errors"], workbooks["corrupt"])
    (inbox / "~$205_2025-Q2.xlsx").write_bytes(b"Excel's lock file")   # skipped, not a submission

    summary = ingest_inbox(str(inbox), quarter=QUARTER)

    rows = by_file(summary)
    assert rows["205_2025-Q2.xlsx"]["status"] == "accepted"
    assert rows["213_2025-Q2.xlsx"]["status"] == "rejected" and rows["213_2025-Q2.xlsx"]["errors"] > 0
    assert rows["926_2025-Q2.xlsx"]["status"] == "unreadable"
    assert summary["files"] == 3 and summary["failed"] == 0
    assert sorted(p.name for p in (inbox / "rejected").iterdir()) == [
        "213_2025-Q2.xlsx", "213_2025-Q2_feedback.xlsx", "926_2025-Q2.xlsx", "926_2025-Q2_feedback.xlsx"]
    assert (inbox / "processed" / "205_2025-Q2_feedback.xlsx").exists()
    assert (inbox / "~$205_2025-Q2.xlsx").exists()
    status = queries.status(Quarter.parse(QUARTER)).set_index("la_code")["status"]
    assert (status["205"], status["213"]) == ("accepted", "rejected")


def test_rerun_of_the_same_inbox_is_a_no_op(prefect_api, workbooks, service_home):
    inbox = inbox_with(service_home, workbooks["clean_a"])
    first = ingest_inbox(str(inbox), quarter=QUARTER)
    before = queries.status(Quarter.parse(QUARTER))

    again = ingest_inbox(str(inbox), quarter=QUARTER)               # nothing new in the inbox
    inbox_with(service_home, workbooks["clean_a"])                   # the council uploads the same bytes again
    same_bytes = ingest_inbox(str(inbox), quarter=QUARTER)

    assert first["accepted"] == 1
    assert again["files"] == 0 and again["submissions"] == []
    assert same_bytes["unchanged"] == 1 and same_bytes["accepted"] == 1   # the same verdict, nothing new recorded
    assert (inbox / "processed" / "205_2025-Q2-2.xlsx").exists()     # the earlier copy is not overwritten
    after = queries.status(Quarter.parse(QUARTER))
    assert after.equals(before)


def test_an_unexpected_failure_leaves_the_file_for_the_next_run(prefect_api, workbooks, service_home, monkeypatch):
    inbox = inbox_with(service_home, workbooks["clean_a"], workbooks["clean_b"])
    real = submit.submit_files

    def flaky(files, quarter=None, **kw):   # the group fails, then each file is taken alone: only 212 fails
        if any(Path(f).name.startswith("212") for f in files):
            raise OSError("warehouse locked by another process")
        return real(files, quarter, **kw)

    monkeypatch.setattr(submit, "submit_files", flaky)
    summary = ingest_inbox(str(inbox), quarter=QUARTER)

    rows = by_file(summary)
    assert rows["205_2025-Q2.xlsx"]["status"] == "accepted"
    assert rows["212_2025-Q2.xlsx"]["status"] == "failed" and "locked" in rows["212_2025-Q2.xlsx"]["error"]
    assert (inbox / "212_2025-Q2.xlsx").exists()


def test_build_flow_rejects_a_bad_quarter():
    with pytest.raises(ValueError, match="not a quarter"):
        build_quarter_flow.fn("2025-Q9")


# --- scheduling, no server needed -------------------------------------------------------------------

def next_runs(schedules, n: int, start: dt.datetime) -> list[dt.datetime]:
    """The next `n` run times of the deployment's schedules, as the Prefect server computes them."""
    from prefect.server.schemas.schedules import CronSchedule
    dates = []
    for s in schedules:
        dates += asyncio.run(CronSchedule(cron=s.cron, timezone=s.timezone, day_or=s.day_or).get_dates(n=n, start=start))
    return sorted(dates)[:n]


def test_quarterly_runs_at_six_london_time_on_the_first_working_day_after_the_window():
    runs = next_runs(serve.quarterly_schedules(), 8, dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc))
    local = [d.astimezone(LONDON) for d in runs]
    assert [d.date() for d in local] == [
        dt.date(2025, 3, 3), dt.date(2025, 6, 2), dt.date(2025, 9, 1), dt.date(2025, 12, 1),   # Sat 1 Mar, Sun 1 Jun
        dt.date(2026, 3, 2), dt.date(2026, 6, 1), dt.date(2026, 9, 1), dt.date(2026, 12, 1)]   # Sun 1 Mar 2026
    assert all((d.hour, d.minute) == (6, 0) for d in local)
    utc_hours = [d.astimezone(dt.timezone.utc).hour for d in runs]
    assert utc_hours == [6, 5, 5, 6, 6, 5, 5, 6]           # 05:00 UTC in British Summer Time
    # each run builds the quarter whose window has just closed
    assert [str(quarter_just_ended(d)) for d in runs[:4]] == ["2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3"]


def test_a_custom_cron_is_still_london_time(monkeypatch):
    monkeypatch.setenv("AGENCY_RETURN_CRON", "30 7 15 * *")
    (only,) = serve.quarterly_schedules()
    assert (only.cron, only.timezone) == ("30 7 15 * *", "Europe/London")
    (run,) = next_runs([only], 1, dt.datetime(2025, 7, 1, tzinfo=dt.timezone.utc))
    assert run.astimezone(dt.timezone.utc) == dt.datetime(2025, 7, 15, 6, 30, tzinfo=dt.timezone.utc)
    assert serve.quarterly_schedules("0 6 1 * *")[0].cron == "0 6 1 * *"   # the argument wins over the env


def test_deployments_are_built_without_a_server(service_home):
    quarterly, poller = serve.deployments(poll_minutes=5)
    assert (quarterly.name, poller.name) == ("quarterly", "inbox-poller")
    assert quarterly.parameters == {"inbox": str(service_home / "inbox")}
    assert poller.parameters["inbox_dir"] == str(service_home / "inbox")
    assert poller.schedules[0].schedule.interval == dt.timedelta(minutes=5)
    assert {s.schedule.timezone for s in quarterly.schedules} == {"Europe/London"}


def test_quarter_just_ended_uses_the_london_calendar():
    just_after_midnight_bst = dt.datetime(2025, 3, 31, 23, 30, tzinfo=dt.timezone.utc)   # 00:30 on 1 April in London
    assert str(quarter_just_ended(just_after_midnight_bst)) == "2025-Q1"
    assert str(quarter_just_ended(dt.datetime(2025, 3, 31, 22, 30, tzinfo=dt.timezone.utc))) == "2024-Q4"
    assert str(quarter_just_ended(dt.datetime(2025, 1, 1, 0, 0, tzinfo=LONDON))) == "2024-Q4"
    with pytest.raises(ValueError):
        quarter_just_ended(dt.datetime(2025, 4, 1))


# --- the head start ---------------------------------------------------------------------------------

def test_the_head_start_validates_the_inbox_and_steps_aside_when_the_warehouse_is_busy(workbooks, service_home):
    inbox = inbox_with(service_home)
    for n in range(ahead.MIN_BATCH):
        shutil.copy2(workbooks["clean_a"], inbox / f"copy-{n}.xlsx")
    with ahead_of_server(inbox, QUARTER):
        assert ahead.active() is not None
    db = service_home / "data" / "warehouse.duckdb"
    db.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
                               "print('held', flush=True); time.sleep(60)", str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with ahead_of_server(inbox, QUARTER):      # another process holds the warehouse: no head start, no error
            assert ahead.active() is None
    finally:
        holder.kill()
        holder.wait()


# --- settings ---------------------------------------------------------------------

def test_prefect_env_sets_offline_defaults_without_overriding(tmp_path, monkeypatch):
    for name in ("PREFECT_HOME", "PREFECT_SERVER_ANALYTICS_ENABLED", "PREFECT_LOGGING_LEVEL",
                 "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "PREFECT_API_BLOCKS_REGISTER_ON_START"):
        monkeypatch.setenv(name, "")       # so monkeypatch restores each one afterwards
        monkeypatch.delenv(name)
    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", "DEBUG")
    settings = configure(tmp_path)
    assert settings == {"PREFECT_HOME": str(tmp_path / ".prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                        "PREFECT_LOGGING_LEVEL": "DEBUG", "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
                        "PREFECT_API_BLOCKS_REGISTER_ON_START": "false"}
    assert (tmp_path / ".prefect").is_dir()


def test_a_build_is_tried_again_only_when_the_warehouse_stayed_busy():
    """WarehouseBusy (another writer held the warehouse for the whole lock wait) goes to the build task's
    retries; any other failure ends the run at once."""
    from prefect.states import Failed

    from flows.build_quarter import build, warehouse_was_busy
    from pipeline.warehouse.locks import WarehouseBusy

    assert build.retries == 3 and build.retry_condition_fn is warehouse_was_busy
    assert warehouse_was_busy(build, None, Failed(data=WarehouseBusy("the warehouse stayed busy")))
    assert not warehouse_was_busy(build, None, Failed(data=ValueError("a real fault")))


def test_a_file_already_held_is_said_unchanged_in_its_log_line(caplog):
    """A council's same bytes sent again are new to the inbox but not to the warehouse: the run's line for
    the file says so, rather than a plain 'accepted' that reads as a new return."""
    rows = [intake.row(Path("205_2025-Q2.xlsx")) | {"la_code": "205", "status": "accepted", "errors": 0,
                                                     "queries": 2, "unchanged": True},
            intake.row(Path("212_2025-Q2.xlsx")) | {"la_code": "212", "status": "accepted", "errors": 0,
                                                     "queries": 0, "unchanged": False}]
    with caplog.at_level(logging.INFO, logger="agency-return.test"):
        _logged(logging.getLogger("agency-return.test"), [], Completed(data=rows))
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("205_2025-Q2.xlsx: LA 205 accepted, unchanged: nothing new recorded (")
    assert lines[1].startswith("212_2025-Q2.xlsx: LA 212 accepted (")
