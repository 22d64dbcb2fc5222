"""Faults, as a hostile or unlucky operator would cause them (issue 14, the warehouse-writer model):
concurrent commands, kill -9 at chosen points, key changes, umask 022. Each test names the defect
it reproduces; all of them run real processes on a real DuckDB file."""
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import pytest

from pipeline import locks, store, warehouse
from pipeline.build import build_quarter
from pipeline.contract import Quarter
from tests.workbooks import make_workbook, set_cell, valid_sheets

Q = Quarter(2025, 2)
LONDON = ["202", "203", "204", "205", "206", "207", "208", "209", "210", "211", "212", "213"]
PROJECT = Path(__file__).resolve().parents[1]


def _book(folder: Path, la: str, name: str | None = None, quarter=Q, cells=None) -> Path:
    sheets = valid_sheets(quarter, la_code=la)
    for (sheet, row, header), value in (cells or {}).items():
        set_cell(sheets, sheet, row, header, value)
    folder.mkdir(parents=True, exist_ok=True)
    return make_workbook(folder / (name or f"{la}_{quarter}.xlsx"), sheets)


def _query(home: Path, sql: str, params=()):
    con = duckdb.connect(str(home / "data" / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _env(home: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENCY_RETURN_")}
    return {**env, "AGENCY_RETURN_HOME": str(home), "PYTHONPATH": str(PROJECT), **extra}


def _cli(home: Path, *args, **extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True,
                          env=_env(home, **extra), cwd=home, timeout=300)


def _holder(home: Path, seconds: float, mode: str = "write") -> subprocess.Popen:
    """Another process holding the warehouse lock (as a long build would) for `seconds`; returns once held."""
    code = textwrap.dedent(f"""
        import sys, time
        from pipeline import store
        where = store.paths()
        with (store.writing(where) if {mode!r} == "write" else store.reading(where)):
            print("held", flush=True)
            time.sleep({seconds})
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], env=_env(home), cwd=home, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


# --- the writer model ------------------------------------------------------------------------------

def test_eight_threads_submitting_at_once_lose_nothing(tmp_path, service_home):
    """issue 11: warehouse.connect re-ran CREATE OR REPLACE VIEW on every open: 8 threads, 3 lost."""
    files = [_book(tmp_path / "in", la) for la in LONDON[:8]]
    store.submit_file(_book(tmp_path / "first", "316"), Q)     # the file exists: every thread opens it
    outcomes, failures = [], []
    barrier = threading.Barrier(len(files))

    def send(path):
        barrier.wait()
        try:
            outcomes.append(store.submit_file(path, Q))
        except Exception as exc:  # noqa: BLE001 - the test counts them
            failures.append(exc)

    threads = [threading.Thread(target=send, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == [] and sorted(o.status for o in outcomes) == ["accepted"] * 8
    assert len(_query(service_home, "SELECT * FROM current_submission")) == 9
    assert len(_query(service_home, "SELECT * FROM ledger")) == 9


def test_opening_runs_the_schema_only_when_it_changed(tmp_path, service_home):
    store.submit_file(_book(tmp_path, "316"), Q)
    path = service_home / "data" / "warehouse.duckdb"
    con = warehouse.connect(path)
    try:
        assert warehouse.schema_current(con) and warehouse.up_to_date(con)
        con.execute("UPDATE meta SET value = 'old' WHERE key = 'schema_version'")
    finally:
        con.close()
    ro = warehouse.connect(path, read_only=True)
    try:
        assert not warehouse.up_to_date(ro)     # a reader never runs DDL…
    finally:
        ro.close()
    assert len(store.status(Q)) == 153           # …it has a writer bring the file up to date once, then reads
    assert _query(service_home, "SELECT value FROM meta WHERE key = 'schema_version'")[0][0] == warehouse.schema_version()
    with pytest.raises(warehouse.WarehouseMissing):
        warehouse.connect(tmp_path / "nowhere" / "w.duckdb", read_only=True)
    assert not (tmp_path / "nowhere" / "w.duckdb").exists()


def test_status_in_another_process_waits_for_a_writer_and_answers(tmp_path, service_home):
    """issue 14 item 11: `status` was refused while anything wrote."""
    store.submit_file(_book(tmp_path, "316"), Q)
    holder = _holder(service_home, 3)
    started = time.monotonic()
    done = _cli(service_home, "status", "--quarter", "2025-Q2", "--json")
    holder.wait(timeout=60)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started >= 2          # it waited for the writer…
    rows = json.loads(done.stdout)
    assert {r["la_code"]: r["status"] for r in rows}["316"] == "accepted"   # …and answered


def test_readers_share_the_warehouse_and_a_writer_waits_and_says_so(tmp_path, service_home):
    store.submit_file(_book(tmp_path, "316"), Q)
    reader = _holder(service_home, 8, mode="read")
    assert len(store.status(Q)) == 153                 # a second reader is not held up
    started = time.monotonic()
    sent = _cli(service_home, "submit", str(_book(tmp_path, "202")), "--quarter", "2025-Q2")
    reader.wait(timeout=60)
    assert sent.returncode == 0, sent.stderr
    assert "waiting" in sent.stderr


def test_still_busy_after_the_wait_is_exit_code_75_with_a_plain_message(tmp_path, service_home):
    store.submit_file(_book(tmp_path, "316"), Q)
    holder = _holder(service_home, 60)
    try:
        status = _cli(service_home, "status", "--quarter", "2025-Q2", AGENCY_RETURN_READ_WAIT="0.5")
        submit = _cli(service_home, "submit", str(_book(tmp_path, "202")), AGENCY_RETURN_LOCK_WAIT="0.5")
    finally:
        holder.kill()
        holder.wait()
    for done in (status, submit):
        assert done.returncode == 75
        assert "still in use" in done.stderr and "Traceback" not in done.stderr
    with pytest.raises(locks.WarehouseBusy):
        with locks.write_lock(service_home / "data" / "warehouse.duckdb", wait=0):
            with _hold_in_thread(service_home):
                pass


class _hold_in_thread:
    """Another thread of this process asking for the write lock while this one holds it: it must wait."""

    def __init__(self, home):
        self.home = home

    def __enter__(self):
        result = []
        t = threading.Thread(target=lambda: result.append(_try_write(self.home)))
        t.start()
        t.join()
        if result[0] is not None:
            raise result[0]

    def __exit__(self, *exc):
        return False


def _try_write(home):
    try:
        with locks.write_lock(home / "data" / "warehouse.duckdb", wait=0.2):
            return None
    except locks.WarehouseBusy as exc:
        return exc
