"""The service's own small SQLite database (data/web.sqlite, 0600): users, API tokens, the
submissions made through the service, the audit log and the quarter being collected.

Not the warehouse: DuckDB is reached only through `pipeline.store` / `pipeline.build`.
Each call opens its own connection (WAL, busy timeout), so threads and processes may share it:
`connect` for a unit of work that may write (it takes the write lock at once), `reading` for
look-ups, which in WAL mode neither wait for a writer nor hold one up (a request's sign-in check
does not queue behind the uploads being answered).
"""
from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path

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
    finally:
        con.close()


@contextmanager
def connect(path: Path):
    """One connection for one unit of work: committed on success, rolled back on error, closed."""
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
