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

from pipeline.core.contract import Quarter
from pipeline.outputs.build import build_quarter
from pipeline.warehouse import connection, keys, locks, maintenance, queries, submit
from tests.workbooks import make_workbook, set_cell, valid_sheets

Q = Quarter(2025, 2)
LONDON = ["202", "203", "204", "205", "206", "207", "208", "209", "210", "211", "212", "213"]
PROJECT = Path(__file__).resolve().parents[2]


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
        from pipeline.warehouse import connection
        where = connection.paths()
        with (connection.writing(where) if {mode!r} == "write" else connection.reading(where)):
            print("held", flush=True)
            time.sleep({seconds})
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], env=_env(home), cwd=home, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


# --- the writer model ------------------------------------------------------------------------------

def test_eight_threads_submitting_at_once_lose_nothing(tmp_path, service_home):
    """issue 11: connection.connect re-ran CREATE OR REPLACE VIEW on every open: 8 threads, 3 lost."""
    files = [_book(tmp_path / "in", la) for la in LONDON[:8]]
    submit.submit_file(_book(tmp_path / "first", "316"), Q)     # the file exists: every thread opens it
    outcomes, failures = [], []
    barrier = threading.Barrier(len(files))

    def send(path):
        barrier.wait()
        try:
            outcomes.append(submit.submit_file(path, Q))
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


def test_no_duckdb_connection_outlives_its_operation(tmp_path, service_home):
    """The cause of DuckDB's "leaked instances" report at exit: a connection kept alive after its
    operation (the old `store.session` held one in a context variable that Prefect's task runs copy)."""
    import gc
    submit.submit_files([_book(tmp_path, la) for la in LONDON[:2]], Q)
    queries.status(Q)
    build_quarter(Q)
    gc.collect()
    assert [o for o in gc.get_objects() if isinstance(o, duckdb.DuckDBPyConnection)] == []


def test_threads_reading_and_writing_at_once_in_one_process(tmp_path, service_home):
    """The web service: requests read status and submit files from many threads of one process (DuckDB
    refuses a read-only and a read-write opening of one file at once in a process: the lock serialises)."""
    files = [_book(tmp_path / "in", la) for la in LONDON[:4]]
    submit.submit_file(_book(tmp_path / "first", "316"), Q)
    errors, done = [], threading.Event()

    def read():
        while not done.is_set():
            try:
                assert len(queries.status(Q)) == 153
            except Exception as exc:  # noqa: BLE001 - the test counts them
                errors.append(exc)

    def write(path):
        try:
            assert submit.submit_file(path, Q).status == "accepted"
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(3)]
    writers = [threading.Thread(target=write, args=(f,)) for f in files]
    for t in (*readers, *writers):
        t.start()
    for t in writers:
        t.join()
    done.set()
    for t in readers:
        t.join()
    assert errors == []
    assert len(_query(service_home, "SELECT * FROM current_submission")) == 5


def test_opening_runs_the_schema_only_when_it_changed(tmp_path, service_home):
    submit.submit_file(_book(tmp_path, "316"), Q)
    path = service_home / "data" / "warehouse.duckdb"
    con = connection.connect(path)
    try:
        assert connection.schema_current(con) and connection.up_to_date(con)
        con.execute("UPDATE meta SET value = 'old' WHERE key = 'schema_version'")
    finally:
        con.close()
    ro = connection.connect(path, read_only=True)
    try:
        assert not connection.up_to_date(ro)     # a reader never runs DDL…
    finally:
        ro.close()
    assert len(queries.status(Q)) == 153           # …it has a writer bring the file up to date once, then reads
    assert _query(service_home, "SELECT value FROM meta WHERE key = 'schema_version'")[0][0] == connection.schema_version()
    with pytest.raises(connection.WarehouseMissing):
        connection.connect(tmp_path / "nowhere" / "w.duckdb", read_only=True)
    assert not (tmp_path / "nowhere" / "w.duckdb").exists()


def test_status_in_another_process_waits_for_a_writer_and_answers(tmp_path, service_home):
    """issue 14 item 11: `status` was refused while anything wrote."""
    submit.submit_file(_book(tmp_path, "316"), Q)
    holder = _holder(service_home, 3)
    started = time.monotonic()
    done = _cli(service_home, "status", "--quarter", "2025-Q2", "--json")
    holder.wait(timeout=60)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started >= 2          # it waited for the writer…
    rows = json.loads(done.stdout)
    assert {r["la_code"]: r["status"] for r in rows}["316"] == "accepted"   # …and answered


def test_readers_share_the_warehouse_and_a_writer_waits_and_says_so(tmp_path, service_home):
    submit.submit_file(_book(tmp_path, "316"), Q)
    reader = _holder(service_home, 8, mode="read")
    assert len(queries.status(Q)) == 153                 # a second reader is not held up
    sent = _cli(service_home, "submit", str(_book(tmp_path, "202")), "--quarter", "2025-Q2")
    reader.wait(timeout=60)
    assert sent.returncode == 0, sent.stderr
    assert "waiting" in sent.stderr


def test_still_busy_after_the_wait_is_exit_code_75_with_a_plain_message(tmp_path, service_home):
    submit.submit_file(_book(tmp_path, "316"), Q)
    holder = _holder(service_home, 60)
    try:
        status = _cli(service_home, "status", "--quarter", "2025-Q2", AGENCY_RETURN_READ_WAIT="0.5")
        submitted = _cli(service_home, "submit", str(_book(tmp_path, "202")), AGENCY_RETURN_LOCK_WAIT="0.5")
    finally:
        holder.kill()
        holder.wait()
    for done in (status, submitted):
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


# --- kill -9 at chosen points --------------------------------------------------------------------

KILLER = textwrap.dedent("""
    import os, signal, sys
    from pipeline.outputs import build, national
    from pipeline.warehouse import loads, maintenance, submit
    point, args = sys.argv[1], sys.argv[2:]
    calls = {"n": 0}

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    if point == "before-commit":          # received.jsonl written, the warehouse not yet
        loads.record = lambda *a, **k: die()
    elif point == "after-commit":         # the warehouse committed, nothing after it
        real = loads.record
        def record(*a, **k):
            real(*a, **k)
            die()
        loads.record = record
    elif point == "mid-rebuild":          # a third of the way through replaying
        real = submit.record_one
        def replay(*a, **k):
            calls["n"] += 1
            if calls["n"] > int(args[0]):
                die()
            return real(*a, **k)
        submit.record_one = replay
    elif point == "mid-build":            # the DfE returns and regional workbooks written, not national
        national.write = lambda *a, **k: die()
    if point == "mid-rebuild":
        maintenance.rebuild()
    elif point == "mid-build":
        build.build_quarter("2025-Q2")
    else:
        submit.submit_files(args, "2025-Q2")
""")


def _killed_at(home: Path, point: str, *args) -> int:
    done = subprocess.run([sys.executable, "-c", KILLER, point, *map(str, args)], env=_env(home), cwd=home,
                          capture_output=True, text=True, timeout=300)
    return done.returncode


def _ledger(home: Path) -> list[tuple]:
    return _query(home, "SELECT la_code, sha256, status FROM ledger ORDER BY submission_id")


def test_a_kill_after_the_file_is_listed_and_before_the_commit_loses_nothing(tmp_path, service_home):
    """issue 14 item 4: a kill between the warehouse commit and received.jsonl left a row rebuild dropped."""
    submit.submit_file(_book(tmp_path, "316"), Q)
    path = _book(tmp_path, "202")
    assert _killed_at(service_home, "before-commit", path) == -signal.SIGKILL
    assert [la for la, _, _ in _ledger(service_home)] == ["316"]          # not committed…
    assert "Rebuilt" in maintenance.rebuild()
    assert [la for la, _, _ in _ledger(service_home)] == ["316", "202"]   # …but received: rebuild keeps it
    again = submit.submit_file(path, Q)                                     # and sending it again is a no-op
    assert again.status == "accepted" and again.unchanged


def test_a_kill_right_after_the_commit_leaves_a_row_rebuild_keeps(tmp_path, service_home):
    submit.submit_file(_book(tmp_path, "316"), Q)
    assert _killed_at(service_home, "after-commit", _book(tmp_path, "202")) == -signal.SIGKILL
    before = _ledger(service_home)
    assert [la for la, _, _ in before] == ["316", "202"]
    maintenance.rebuild()
    assert _ledger(service_home) == before


def test_a_killed_rebuild_leaves_the_previous_warehouse_in_use(tmp_path, service_home):
    """issue 14 item 3: a rebuild killed after 12 s left a 91-LA warehouse in use."""
    submit.submit_files([_book(tmp_path, la) for la in LONDON[:6]], Q)
    before = _ledger(service_home)
    assert _killed_at(service_home, "mid-rebuild", 2) == -signal.SIGKILL
    assert _ledger(service_home) == before
    assert list((service_home / "data").glob(".warehouse.duckdb.rebuild-*"))      # its partial copy is left…
    assert "6 accepted" in maintenance.rebuild()
    assert not list((service_home / "data").glob(".warehouse.duckdb.rebuild-*"))  # …and removed by the next
    assert _ledger(service_home) == before


def test_rebuild_while_another_process_submits_loses_nothing(tmp_path, service_home):
    """issue 14 item 2: `rebuild` while `submit` ran lost 118 of 153 accepted returns, both exit 0."""
    submit.submit_files([_book(tmp_path / "first", la) for la in LONDON[:6]], Q)
    later = [_book(tmp_path / "later", la) for la in LONDON[6:]]
    submitting = subprocess.Popen([sys.executable, "-m", "pipeline", "submit", *map(str, later), "--quarter", "2025-Q2"],
                                  env=_env(service_home), cwd=service_home, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
    rebuilt = maintenance.rebuild()
    out, err = submitting.communicate(timeout=300)
    assert submitting.returncode == 0, err
    assert "Rebuilt" in rebuilt
    assert sorted(la for la, in _query(service_home, "SELECT la_code FROM current_submission")) == sorted(LONDON)
    assert len(_ledger(service_home)) == 12


def test_a_killed_build_leaves_the_published_outputs_and_its_folder_is_removed_by_the_next(tmp_path, service_home):
    """issue 14 item 6: `.2025-Q2.building-*` folders with DfE CSVs were never removed."""
    submit.submit_files([_book(tmp_path, la) for la in LONDON[:2]], Q)
    build_quarter(Q)
    published = sorted(p.name for p in (service_home / "outputs" / "2025-Q2" / "dfe").iterdir())
    assert _killed_at(service_home, "mid-build") == -signal.SIGKILL
    assert list((service_home / "outputs").glob(".2025-Q2.building-*"))
    assert sorted(p.name for p in (service_home / "outputs" / "2025-Q2" / "dfe").iterdir()) == published
    build_quarter(Q)
    assert not list((service_home / "outputs").glob(".2025-Q2.building-*"))


# --- a truthful ledger ---------------------------------------------------------------------------

def test_a_rejected_file_sent_again_stays_rejected_with_its_findings(tmp_path, service_home):
    """issue 14 item 1: re-sending a rejected file said "unchanged (0 errors, 0 queries)", exit 0."""
    bad = _book(tmp_path, "316", cells={("Assignments", 2, "Hourly pay rate"): 0})
    first = _cli(service_home, "submit", str(bad), "--quarter", "2025-Q2")
    again = _cli(service_home, "submit", str(bad), "--quarter", "2025-Q2", "--json")
    assert first.returncode == again.returncode == 1
    answer = json.loads(again.stdout)
    assert answer["status"] == "rejected" and answer["unchanged"] and answer["errors"] >= 1
    assert "E107" in {f["code"] for f in answer["findings"]}
    assert len(_ledger(service_home)) == 1


def test_an_unchanged_accepted_file_reports_its_queries_and_another_quarter_is_still_checked(tmp_path, service_home):
    good = _book(tmp_path, "202")        # one query (Q513: headcount far from the workforce figure)
    submit.submit_file(good, Q)
    again = _cli(service_home, "submit", str(good), "--quarter", "2025-Q2", "--json")
    answer = json.loads(again.stdout)
    assert answer["status"] == "accepted" and answer["unchanged"] and answer["queries"] >= 1
    other = _cli(service_home, "submit", str(good), "--quarter", "2025-Q3", "--json")
    assert other.returncode == 1
    assert "E005" in {f["code"] for f in json.loads(other.stdout)["findings"]}
    assert queries.status(Q).set_index("la_code").at["202", "status"] == "accepted"   # the accepted return stands


def test_two_versions_of_one_la_in_one_batch_the_later_supersedes_and_says_so(tmp_path, service_home):
    """issue 14 item 8: both were "accepted"; the later name won silently."""
    v1 = _book(tmp_path, "316", "newham_v1.xlsx")
    v2 = _book(tmp_path, "316", "newham_v2.xlsx", cells={("Assignments", 2, "Hourly pay rate"): 31.0})
    done = _cli(service_home, "submit", str(v1), str(v2), "--quarter", "2025-Q2")
    assert done.returncode == 0
    assert "superseded by newham_v2.xlsx" in done.stdout and "replaces the accepted return newham_v1.xlsx" in done.stdout
    history = queries.history(la_code="316", quarter="2025-Q2")
    assert history["standing"].tolist() == ["superseded", "accepted"]
    assert history["file_name"].tolist() == ["newham_v1.xlsx", "newham_v2.xlsx"]


def test_status_says_the_outputs_are_stale_after_an_accepted_return_changes(tmp_path, service_home):
    """issue 14 item 12: a resubmission after `build` gave no sign the published outputs were stale."""
    submit.submit_files([_book(tmp_path, la) for la in ("316", "202")], Q)
    build_quarter(Q)
    fresh = queries.status(Q)
    assert not fresh["changed_since_build"].any() and fresh["outputs_built_at"].notna().all()
    submit.submit_file(_book(tmp_path / "v2", "316", cells={("Assignments", 2, "Hourly pay rate"): 31.0}), Q)
    submit.submit_file(_book(tmp_path, "203"), Q)
    stale = queries.status(Q).set_index("la_code")
    assert stale.index[stale["changed_since_build"]].tolist() == ["203", "316"]
    shown = _cli(service_home, "status", "--quarter", "2025-Q2")
    assert "Outputs for 2025-Q2 are stale: 2 LA(s) changed" in shown.stderr
    build_quarter(Q)
    assert not queries.status(Q)["changed_since_build"].any()


# --- the HMAC key --------------------------------------------------------------------------------

def test_a_missing_empty_or_different_key_stops_writes_and_rekey_hashes_again(tmp_path, service_home):
    """issue 14 item 7: deleting or changing the key silently broke X601/X602 matching; a 0-byte key was taken."""
    submit.submit_file(_book(tmp_path, "316"), Q)
    key = service_home / "data" / "secret.key"
    original = key.read_text()
    hashes = _query(service_home, "SELECT swe_hash FROM fact_assignment ORDER BY ALL")
    key.unlink()
    missing = _cli(service_home, "submit", str(_book(tmp_path, "202")))
    assert missing.returncode == 2 and "secret.key is missing" in missing.stderr and "rekey" in missing.stderr
    assert not key.exists()                                     # no new key was made behind the warehouse's back
    key.write_text("")
    empty = _cli(service_home, "submit", str(_book(tmp_path, "202")))
    assert empty.returncode == 2 and "is empty" in empty.stderr
    other = _cli(service_home, "submit", str(_book(tmp_path, "202")), AGENCY_RETURN_KEY="another key")
    assert other.returncode == 2 and "fingerprint differs" in other.stderr
    assert len(_ledger(service_home)) == 1                      # nothing was written

    key.write_text(original)
    rotated = _cli(service_home, "rekey")
    assert rotated.returncode == 0, rotated.stderr
    assert key.read_text() != original and stat.S_IMODE(key.stat().st_mode) == 0o600
    rehashed = _query(service_home, "SELECT swe_hash FROM fact_assignment ORDER BY ALL")
    assert rehashed != hashes and len(rehashed) == len(hashes)
    assert _cli(service_home, "submit", str(_book(tmp_path, "202"))).returncode == 0   # the new key matches


# --- personal data -------------------------------------------------------------------------------

PLANTED = {   # how each SWE number is typed -> its digits, which must appear nowhere they should not
    "file name": ("SW7654321", "7654321"),
    "Service area": ("Team SW12345678 cover", "12345678"),               # 8 digits
    "Cap breach reason": ("covering for \u0405W8642097", "8642097"),     # a Cyrillic S
    "Agencies description": ("sent SW\u200b9753108 twice", "9753108"),   # a zero-width space
    "Compliance explanation": ("see sw 5318642", "5318642"),
}
REAL = ("SW100001", "SW100002", "SW100003")   # the assignments' own SWE numbers (tests/workbooks.py)


def _planted_book(folder: Path, la: str = "316") -> Path:
    sheets = valid_sheets(Q, la_code=la)
    set_cell(sheets, "Assignments", 2, "Service area", PLANTED["Service area"][0])
    set_cell(sheets, "Assignments", 3, "Cap breach reason", PLANTED["Cap breach reason"][0])
    sheets["Agencies"].append(["Hays Social Care", "Notice periods", PLANTED["Agencies description"][0]])
    compliance = sheets["Compliance"]
    header = compliance[0]
    compliance[2][header.index("Status")] = "Partially compliant"
    compliance[2][header.index("Explanation")] = PLANTED["Compliance explanation"][0]
    folder.mkdir(parents=True, exist_ok=True)
    return make_workbook(folder / f"{la}_{PLANTED['file name'][0]}_2025-Q2.xlsx", sheets)


def _texts(path: Path) -> str:
    """What a file holds as text: an xlsx's XML parts, a DuckDB file's every text column, else its bytes."""
    import zipfile
    data = path.read_bytes()
    if data[:2] == b"PK":
        with zipfile.ZipFile(path) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    if path.suffix == ".duckdb":
        con = duckdb.connect(str(path), read_only=True)
        try:
            out = []
            for table, column in con.execute("SELECT table_name, column_name FROM information_schema.columns "
                                             "WHERE data_type = 'VARCHAR'").fetchall():
                out += [str(v) for (v,) in con.execute(f'SELECT DISTINCT "{column}" FROM "{table}"').fetchall()]
            return "\n".join(out)
        finally:
            con.close()
    return data.decode("utf-8", "replace")


def _where_found(root: Path, needles) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in root.rglob("*"):
        if path.is_file() and not path.name.endswith((".lock", ".gate")):
            text = _texts(path)
            for needle in needles:
                if needle in text or needle in path.name:
                    found.setdefault(needle, set()).add(str(path.relative_to(root)))
    return found


def test_swe_numbers_in_free_text_and_file_names_are_redacted_and_the_build_goes_on(tmp_path, service_home):
    """issue 14 items 5 and 15: typed SWE numbers were stored in plain text (8 digits, a Cyrillic S, a
    zero-width space were missed) and `build` then failed for every LA; a file name's reached the ledger."""
    from pipeline.warehouse import intake
    inbox = service_home / "inbox"
    inbox.mkdir()
    row = intake.take(inbox, _planted_book(inbox), Q)
    assert row["status"] == "accepted" and "7654321" not in json.dumps(row)
    submit.submit_file(_book(tmp_path, "202"), Q)
    summary = build_quarter(Q)
    assert summary.las_accepted == 2
    digits = [d for _, d in PLANTED.values()]
    found = _where_found(service_home, digits)
    council_own = {p for p in set().union(*found.values()) if p.startswith(("data/raw/", "inbox/processed/"))}
    assert set().union(*found.values()) == council_own, found
    assert "[SWE number removed]" in _texts(service_home / "data" / "warehouse.duckdb")
    assert not any("7654321" in p.name for p in inbox.rglob("*"))       # filed under a redacted name
    dfe = _texts(service_home / "outputs" / "2025-Q2" / "dfe" / "316_2025-Q2.xlsx")
    assert all(n in dfe for n in REAL)                                  # DfE's own return keeps the real numbers


def test_everything_under_the_data_home_is_private_whatever_the_umask(tmp_path, service_home):
    """issue 14 item 14: with umask 022 the warehouse and its WAL, outputs, inbox copies and Prefect's
    database were world-readable."""
    script = textwrap.dedent("""
        import os, sys
        from pathlib import Path
        os.umask(0o022)
        from pipeline.outputs.build import build_quarter
        from pipeline.warehouse import intake, queries
        inbox = Path(sys.argv[1])
        for f in sorted(inbox.glob("*.xlsx")):
            intake.take(inbox, f, "2025-Q2")
        build_quarter("2025-Q2")
        queries.status("2025-Q2")
    """)
    inbox = service_home / "inbox"
    _book(inbox, "316")
    _book(inbox, "202", cells={("Assignments", 2, "Hourly pay rate"): 0})     # rejected
    done = subprocess.run([sys.executable, "-c", script, str(inbox)], env=_env(service_home), cwd=service_home,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    checked = 0
    for root in (service_home / "data", service_home / "outputs", inbox / "processed", inbox / "rejected"):
        for path in (root, *root.rglob("*")):
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode == (0o700 if path.is_dir() else 0o600), f"{path.relative_to(service_home)}: {oct(mode)}"
            checked += 1
    assert checked > 40


def _descendants(pid: int) -> set[int]:
    parents = {}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat_file.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_killed_submit_leaves_no_workers_and_its_answers_are_removed_by_the_next_batch(tmp_path, service_home):
    """issue 14 item 6: a killed `submit` left pickled results with real SWE numbers in the temporary
    folder and 4 worker processes alive."""
    import tempfile

    from pipeline.workers import ahead, answers
    files = [_book(tmp_path / "in", la) for la in LONDON]
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "submit", *map(str, files)], env=_env(service_home),
                            cwd=service_home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    staging = []
    deadline = time.monotonic() + 120
    while not staging and time.monotonic() < deadline:
        staging = list(Path(tempfile.gettempdir()).glob(f"{ahead.STAGING_PREFIX}{proc.pid}-*"))
        time.sleep(0.05)
    assert staging, "the batch never started validating ahead"
    time.sleep(0.5)
    workers = _descendants(proc.pid)
    assert workers
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 20
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in workers if _alive(p)]
    assert stat.S_IMODE(staging[0].stat().st_mode) == 0o700
    assert answers.remove_stale(ahead.STAGING_PREFIX) >= 1 and not staging[0].exists()


def test_xlsm_is_treated_the_same_by_submit_and_the_inbox(tmp_path, service_home):
    """issue 14 item 10: `submit` took a .xlsm, the inbox ignored it silently."""
    from pipeline.rules import validate
    from pipeline.warehouse import intake
    book = _book(tmp_path, "316")
    macro = book.with_suffix(".xlsm")
    book.rename(macro)
    direct = validate.validate_file(macro, Q).status
    inbox = service_home / "inbox"
    inbox.mkdir()
    taken = tmp_path / "copy" / macro.name
    taken.parent.mkdir()
    taken.write_bytes(macro.read_bytes())
    (inbox / macro.name).write_bytes(macro.read_bytes())
    assert [p.name for p in intake.new_files(inbox)] == [macro.name]
    assert intake.take(inbox, inbox / macro.name, Q)["status"] == direct


def test_the_quarterly_flow_keeps_swe_numbers_out_of_everything_it_writes(tmp_path, service_home):
    """issue 14 privacy: `make run`'s flow (Prefect's temporary server, a fresh database) over an inbox
    with an SWE number in a file name and in free text, umask 022; then every file the pipeline wrote,
    Prefect's database included, is read: real SWE numbers appear only in the kept raw files (and the
    inbox's copies of the council's own file), the council's own feedback and that LA's DfE return."""
    inbox = service_home / "inbox" / "2025-Q2"
    _planted_book(inbox)
    _book(inbox, "202")
    env = _env(service_home, PREFECT_HOME=str(service_home / ".prefect"))
    for name in ("PREFECT_API_URL", "PREFECT_PROFILES_PATH"):
        env.pop(name, None)
    done = subprocess.run(["bash", "-c", 'umask 022; exec "$0" -m flows.quarterly --quarter 2025-Q2 --inbox "$1"',
                           sys.executable, str(inbox)], env=env, cwd=service_home, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "leaked" not in done.stderr    # nanobind's report of DuckDB objects still alive at exit (issue 14)
    assert "7654321" not in done.stdout + done.stderr and not any(n in done.stdout + done.stderr for n in REAL)
    assert (service_home / "outputs" / "2025-Q2" / "dfe" / "316_2025-Q2.xlsx").exists()
    prefect_db = list((service_home / ".prefect").rglob("*.db"))
    assert prefect_db and stat.S_IMODE((service_home / ".prefect").stat().st_mode) == 0o700
    # the scan sees the redacted name (in the per-file log lines and the run's artifact)
    assert "316_SWE-number-removed_2025-Q2.xlsx: LA 316" in "".join(_texts(p) for p in prefect_db)

    found = _where_found(service_home, [*REAL, *(d for _, d in PLANTED.values())])
    allowed = ("data/raw/", "inbox/2025-Q2/processed/", "outputs/2025-Q2/dfe/316_2025-Q2", "outputs/2025-Q2/dfe/202_2025-Q2")
    assert {p for paths in found.values() for p in paths if not p.startswith(allowed)} == set(), found
    for _, digits in PLANTED.values():    # typed into free text: only the council's own file and its feedback
        assert all(p.startswith(("data/raw/", "inbox/2025-Q2/processed/")) for p in found.get(digits, ())), found
    assert any(p.endswith("_feedback.xlsx") for p in found["SW100001"])


def test_the_publish_gate_redacts_one_las_field_instead_of_failing_every_la(tmp_path, service_home):
    """issue 14 item 5: an SWE number in one LA's stored text made `build` fail for all 153 LAs."""
    submit.submit_files([_book(tmp_path, la) for la in ("316", "202")], Q)
    con = connection.connect(service_home / "data" / "warehouse.duckdb")   # text stored before redaction existed
    try:
        con.execute("INSERT INTO fact_agency VALUES (2, '202', '2025-Q2', 'Hays', 'Notice periods', 'late: SW4444444')")
    finally:
        con.close()
    summary = build_quarter(Q)
    assert summary.las_accepted == 2
    found = _where_found(service_home / "outputs", ["4444444"])
    assert found == {}, found


def test_purge_deletes_old_raw_files_and_inbox_copies_but_keeps_standing_returns(tmp_path, service_home):
    from pipeline.warehouse import intake
    inbox = service_home / "inbox"
    inbox.mkdir()
    v1 = _book(inbox, "316", "316_v1.xlsx")
    intake.take(inbox, v1, Q)
    v2 = _book(inbox, "316", "316_v2.xlsx", cells={("Assignments", 2, "Hourly pay rate"): 31.0})
    intake.take(inbox, v2, Q)
    raw = sorted(p.name for p in (service_home / "data" / "raw").glob("*.xlsx"))
    assert len(raw) == 2
    kept_all = maintenance.purge(30)
    assert "Purged 0 raw file(s)" in kept_all and len(list((inbox / "processed").iterdir())) == 4
    later = __import__("datetime").datetime.now(__import__("datetime").timezone.utc) + __import__("datetime").timedelta(days=40)
    for path in (inbox / "processed").iterdir():
        os.utime(path, (time.time() - 40 * 86400,) * 2)
    message = maintenance.purge(30, now=later)
    assert "Purged 1 raw file(s)" in message
    standing = _query(service_home, "SELECT l.sha256 FROM current_submission JOIN ledger AS l USING (submission_id)")[0][0]
    assert [p.stem for p in (service_home / "data" / "raw").glob("*.xlsx")] == [standing]
    assert list((inbox / "processed").iterdir()) == []
    assert "1 no longer kept (purged)" in maintenance.rebuild()
    assert _cli(service_home, "purge", "--older-than", "30").returncode == 0


def test_a_rekey_cut_short_between_the_swap_and_the_key_file_is_finished_by_the_next(tmp_path, service_home):
    submit.submit_file(_book(tmp_path, "316"), Q)
    data = service_home / "data"
    pending = keys.new_key_file(data / "secret.key.new")
    maintenance.rebuild(new_key=pending)                  # the warehouse swapped in, then killed before the key file
    with pytest.raises(keys.KeyProblem):
        submit.submit_file(_book(tmp_path, "202"), Q)
    assert "Finished the key rotation" in maintenance.rekey()
    assert (data / "secret.key").read_bytes().strip() == pending and not (data / "secret.key.new").exists()
    assert submit.submit_file(_book(tmp_path, "202"), Q).status == "accepted"
