"""The service's own small SQLite database (data/web.sqlite, 0600): users, their sessions, API tokens
and single-use links (invitations, password resets), the submissions made through the service, the
audit log and the quarter being collected.

Not the warehouse: DuckDB is reached only through `pipeline.warehouse.submit` / `pipeline.outputs.build`.
Each call opens its own connection (WAL, busy timeout), so threads and processes may share it:
`connect` for a unit of work that may write (it takes the write lock at once), `reading` for
look-ups, which in WAL mode neither wait for a writer nor hold one up (a request's sign-in check
does not queue behind the uploads being answered).
"""
from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role TEXT NOT NULL CHECK (role IN ('la', 'riia', 'dfe', 'admin')),
    la_code TEXT,
    region_code TEXT,
    password_hash TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER REFERENCES users(id),
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    address TEXT
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);
CREATE TABLE IF NOT EXISTS account_links (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    purpose TEXT NOT NULL CHECK (purpose IN ('invitation', 'reset')),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    la_code TEXT,
    quarter TEXT,
    sha256 TEXT NOT NULL,
    status TEXT NOT NULL,
    ledger_status TEXT NOT NULL,
    recorded INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    result_json TEXT NOT NULL,
    feedback_path TEXT
);
CREATE INDEX IF NOT EXISTS submissions_la ON submissions (la_code, quarter);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    address TEXT
);
CREATE INDEX IF NOT EXISTS audit_action ON audit (action, at);
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def initialise(path: Path) -> None:
    """Create the database (0600) and its tables if they are not there yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    con = sqlite3.connect(path, timeout=30)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.executescript(SCHEMA)
        if _add_columns(con, "tokens", ADDED_COLUMNS["tokens"]):
            con.execute("UPDATE tokens SET expires_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', created_at, '+90 days') "
                        "WHERE expires_at IS NULL")
            con.commit()
    finally:
        con.close()


# Columns added to a table after it was first made: a database made before them gets them at start-up.
ADDED_COLUMNS = {
    # an API token's name, expiry (a token made before expiries were kept ends 90 days after it was made)
    # and when it was last used
    "tokens": {"name": "TEXT NOT NULL DEFAULT 'API token'", "expires_at": "TEXT", "last_used_at": "TEXT"},
}


def _add_columns(con: sqlite3.Connection, table: str, columns: dict[str, str]) -> bool:
    """Add the columns `table` lacks; whether any was added."""
    have = {row[1] for row in con.execute(f"PRAGMA table_info({table})")}
    missing = [name for name in columns if name not in have]
    for name in missing:
        con.execute(f"ALTER TABLE {table} ADD COLUMN {name} {columns[name]}")
    con.commit()
    return bool(missing)


# The threads of one process take turns at writing here: a thread waiting for this lock is woken
# the moment it is free, whereas SQLite's busy handler polls with growing sleeps (up to 100 ms), which
# made the sixteenth of sixteen uploads answered at once wait ~0.5 s for its turn. Other processes
# (the CLI's `users` commands) still meet the busy timeout.
_WRITING = threading.RLock()


@contextmanager
def connect(path: Path):
    """One connection for one unit of work: committed on success, rolled back on error, closed."""
    with _WRITING:
        con = sqlite3.connect(path, timeout=30, isolation_level=None)
        con.row_factory = sqlite3.Row
        try:
            con.execute("PRAGMA foreign_keys=ON")
            con.execute("BEGIN IMMEDIATE")
            yield con
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        finally:
            con.close()


@dataclass(eq=False)
class _Work:
    write: Callable
    result: Any = None
    error: BaseException | None = None
    done: bool = False


_together: dict[str, list[_Work]] = {}
_together_guard = threading.Lock()


def together(path: Path, write: Callable[[sqlite3.Connection], Any]) -> Any:
    """`write(con)` in a write transaction shared with the writes other threads hand in meanwhile: one
    commit (one fsync, ~5 ms of disk) for all of them, where sixteen uploads answered at once each
    waited for the commits before theirs. Each write is kept whole or not at all (a savepoint each: one
    that raises is undone alone, and raises to its own caller); returns what `write` returned."""
    mine = _Work(write)
    with _together_guard:
        _together.setdefault(str(path), []).append(mine)
    while not mine.done:
        with _WRITING:
            if mine.done:
                break
            with _together_guard:
                batch = _together.pop(str(path), [])
            _write_together(path, batch)
    if mine.error is not None:
        raise mine.error
    return mine.result


def _write_together(path: Path, batch: list[_Work]) -> None:
    try:
        with connect(path) as con:
            for work in batch:
                con.execute("SAVEPOINT work")
                try:
                    work.result = work.write(con)
                except Exception as exc:   # noqa: BLE001 - raised to its own caller
                    work.error = exc
                    con.execute("ROLLBACK TO work")
                con.execute("RELEASE work")
    except BaseException as exc:   # the commit failed: none of them was kept
        for work in batch:
            work.error = work.error or exc
        raise
    finally:
        for work in batch:
            work.done = True


@contextmanager
def reading(path: Path):
    """One connection for look-ups: a read transaction (a consistent snapshot, never the write lock), closed."""
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    con.row_factory = sqlite3.Row
    try:
        con.execute("BEGIN")
        yield con
        con.execute("COMMIT")
    finally:
        con.close()
