"""Looking after the warehouse: `rebuild` from the kept raw files (built aside, swapped in whole),
`rekey` (every SWE number hashed again with a new HMAC key) and `purge` (retention of kept files)."""
from __future__ import annotations

import datetime as dt
import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

from pipeline.core import config
from pipeline.core.contract import Quarter
from pipeline.core.private import private_dir
from pipeline.rules.validate import validate_file
from pipeline.warehouse import keys, locks, queries, submit
from pipeline.warehouse.connection import Paths, connect, paths, reading, writing
from pipeline.warehouse.raw import received


def rebuild(*, home=None, new_key: bytes | None = None) -> str:
    """Recreate the warehouse from the kept raw files (received.jsonl, in received order).

    The new warehouse is built aside (`.<name>.rebuild-<pid>` beside it) while the current one stays
    in use, and others' submissions go on; at the end, under the write lock, the files received
    meanwhile are replayed too, the figures builds published are carried over (`_carry_published`)
    and the new file replaces the old in one rename. A rebuild that fails
    or is killed leaves the current warehouse as it was; its leftover file is removed by the next.
    `new_key` (see `rekey`) hashes with a new HMAC key; without it the current key must be the
    warehouse's (keys.KeyProblem otherwise). Raises locks.WarehouseBusy if another rebuild runs."""
    where = paths(home)
    with _only_rebuild(where):
        for stale in where.warehouse.parent.glob(f".{where.warehouse.name}.rebuild-*"):
            stale.unlink(missing_ok=True)
        if new_key is None:
            with writing(where) as con:
                key = keys.writing_key(con, where.data)
        else:
            key = new_key
        aside = where.warehouse.with_name(f".{where.warehouse.name}.rebuild-{os.getpid()}")
        counts: dict[str, int] = {}
        con = connect(aside)
        try:
            keys.adopt_key(con, key)
            done = _replay(con, where, received(where), counts, key)
            with locks.write_lock(where.warehouse):
                entries = received(where)
                _replay(con, where, entries[done:], counts, key)
                _carry_published(con, where.warehouse)
                con.close()
                Path(f"{where.warehouse}.wal").unlink(missing_ok=True)   # a crashed writer's log belongs to the old file
                os.replace(aside, where.warehouse)
        except BaseException:
            con.close()
            aside.unlink(missing_ok=True)
            Path(f"{aside}.wal").unlink(missing_ok=True)
            raise
    detail = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing to replay"
    return f"Rebuilt {where.warehouse} from {len(entries)} raw files ({detail})."


def _carry_published(con, old: Path) -> None:
    """The figures each quarter's builds published and revised (published_figure, figure_revision)
    copied from the warehouse being replaced: no raw file holds them, and the next build's revisions
    and the open data's time series read them."""
    if not old.exists():
        return
    con.execute(f"ATTACH '{old}' AS old_warehouse (READ_ONLY)")
    try:
        for table in ("published_figure", "figure_revision"):
            if con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'old_warehouse' "
                           "AND table_name = ?", [table]).fetchone()[0]:
                con.execute(f"INSERT INTO main.{table} BY NAME SELECT * FROM old_warehouse.{table}")
    finally:
        con.execute("DETACH old_warehouse")


@contextmanager
def _only_rebuild(where: Paths):
    """One rebuild at a time (a second one would replay the same files into a second copy)."""
    private_dir(where.warehouse.parent)
    fd = os.open(f"{where.warehouse}.rebuild.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise locks.WarehouseBusy("another rebuild of the warehouse is running; wait for it to finish") from None
        yield
    finally:
        os.close(fd)


def _replay(con, where: Paths, entries: list[dict], counts: dict[str, int], key: bytes) -> int:
    """Record each kept file as `submit` did, identical re-sent bytes again recording nothing; how many
    entries were taken."""
    for e in entries:
        raw = where.raw / f"{e['sha256']}.xlsx"
        if not raw.exists():
            counts["no longer kept (purged)"] = counts.get("no longer kept (purged)", 0) + 1
            continue
        collecting = Quarter.parse(e["quarter"]) if e.get("quarter") else None
        result = validate_file(raw, collecting, previous_total=queries.accepted_totals(con),
                               name=e.get("file_name"))
        seen = queries.latest_submission(con, e["sha256"])
        if seen is not None and submit.same_verdict(seen, result):
            counts["unchanged"] = counts.get("unchanged", 0) + 1
            continue
        outcome = submit.record_one(con, where, raw, result, collecting, dt.datetime.fromisoformat(e["received_at"]),
                          e.get("file_name") or raw.name, key)
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return len(entries)


def rekey(*, home=None) -> str:
    """Rotate the HMAC key: every SWE number hashed again from the kept raw files with a new key.

    With AGENCY_RETURN_KEY set, that value is the new key (set it to the new value, then run this).
    Otherwise a new key is generated as <data>/secret.key.new, the warehouse rebuilt with it, and it
    replaces secret.key; a rekey cut short is finished (or started again) by the next one."""
    where = paths(home)
    if os.environ.get(keys.KEY_ENV):
        new = keys.swe_key(where.data)
        message = rebuild(home=home, new_key=new)
        return f"{message} SWE numbers hashed with the key in {keys.KEY_ENV}."
    current, pending = where.data / "secret.key", where.data / "secret.key.new"
    if pending.exists():
        new = pending.read_text().strip().encode("utf-8")
        with writing(where) as con:
            finished = keys.key_fingerprint(new) == keys.stored_fingerprint(con)
        if finished:   # the warehouse was swapped, the key file not yet
            os.replace(pending, current)
            return f"Finished the key rotation begun earlier: {current} is the new key."
    new = keys.new_key_file(pending)
    message = rebuild(home=home, new_key=new)
    with locks.write_lock(where.warehouse):
        os.replace(pending, current)
    return f"{message} SWE numbers hashed with a new key ({current}); the old key no longer matches anything."


def purge(older_than_days: float, *, home=None, inbox=None, now: dt.datetime | None = None) -> str:
    """Delete what is kept of councils' files once older than `older_than_days` days: raw files in
    <data>/raw received before then (except those standing as an LA's accepted return, which the DfE
    return is built from), and the copies and feedback workbooks in the inbox's processed/ and
    rejected/ folders modified before then. The ledger and the facts stay; a later `rebuild` can no
    longer replay the purged files and says how many it skipped. Returns what was deleted."""
    if older_than_days < 0:
        raise ValueError("--older-than must be a number of days, 0 or more")
    where = paths(home)
    cutoff = (now or dt.datetime.now(dt.timezone.utc)) - dt.timedelta(days=older_than_days)
    standing_files: set[str] = set()
    if where.warehouse.exists():
        with reading(where) as con:
            standing_files = {sha for (sha,) in con.execute(
                "SELECT l.sha256 FROM current_submission JOIN ledger AS l USING (submission_id)").fetchall()}
    last_received: dict[str, dt.datetime] = {}
    for e in received(where):
        at = dt.datetime.fromisoformat(e["received_at"])
        last_received[e["sha256"]] = max(at, last_received.get(e["sha256"], at))
    raw = 0
    for sha, at in last_received.items():
        target = where.raw / f"{sha}.xlsx"
        if at < cutoff and sha not in standing_files and target.exists():
            target.unlink()
            raw += 1
    copies = 0
    inbox = Path(inbox) if inbox is not None else Path(os.environ.get("AGENCY_RETURN_INBOX", config.home() / "inbox"))
    if inbox.is_dir():
        for folder in (*inbox.rglob("processed"), *inbox.rglob("rejected")):
            for path in folder.glob("*"):
                if path.is_file() and dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc) < cutoff:
                    path.unlink()
                    copies += 1
    return (f"Purged {raw} raw file(s) received before {cutoff:%Y-%m-%d %H:%M} UTC (kept: {len(standing_files)} "
            f"standing accepted returns) and {copies} inbox cop(ies) and feedback workbook(s) under {inbox}.")
