"""The audit log: sign-ins (and failures), uploads, downloads, builds — who, what, when.

Entries name users, LA codes, quarters, submission ids and file hashes; never an SWE number, a
file's contents or name, a password or a token.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from web import db

SIGN_IN, SIGN_IN_FAILED, SIGN_OUT = "sign-in", "sign-in-failed", "sign-out"
SIGN_IN_THROTTLED = "sign-in-throttled"     # an attempt refused unheard while a wait was due (not a failure)
UPLOAD, DOWNLOAD, BUILD, REBUILD, COLLECTING = "upload", "download", "build", "rebuild", "collecting-quarter"
USER_ADDED, USER_DISABLED, PASSWORD_SET, TOKEN_ISSUED = "user-added", "user-disabled", "password-set", "token-issued"
USER_ENABLED, SIGNED_OUT_EVERYWHERE, TOKEN_REVOKED = "user-enabled", "signed-out-everywhere", "token-revoked"
INVITATION_SENT, RESET_SENT, PASSWORD_CHANGED = "invitation-sent", "password-reset-sent", "password-changed"
PASSWORD_CHANGED_SENT = "password-changed-email-sent"


def record(database: Path, action: str, actor: str | None, detail: str = "", address: str | None = None, *,
           con=None) -> None:
    """Append one entry (UTC time); within `con`'s transaction when given (kept with what it records)."""
    if con is None:
        with db.connect(database) as con:
            record(database, action, actor, detail, address, con=con)
        return
    con.execute("INSERT INTO audit (at, actor, action, detail, address) VALUES (?, ?, ?, ?, ?)",
                (dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"), actor, action, detail, address))


def entries(database: Path, limit: int = 200) -> list[dict]:
    """The latest entries, newest first."""
    with db.connect(database) as con:
        rows = con.execute("SELECT at, actor, action, detail, address FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        return [dict(r) for r in rows]


def count_recent(database: Path, action: str, detail: str, *, minutes: int) -> int:
    """How many `action` entries with this `detail` (any case) the last `minutes` hold: e.g. the reset
    emails sent to one address in the last hour."""
    since = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=minutes)).isoformat(timespec="milliseconds")
    with db.reading(database) as con:
        return con.execute("SELECT count(*) FROM audit WHERE action = ? AND at >= ? AND detail = ? COLLATE NOCASE",
                           (action, since, detail)).fetchone()[0]
