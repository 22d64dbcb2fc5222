"""Which quarter is being collected: set by an admin, else the quarter just ended (Europe/London)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.contract import Quarter
from web import db

LONDON = ZoneInfo("Europe/London")


def set_quarter(database: Path) -> Quarter | None:
    """The quarter an admin set as being collected, if any: uploads are judged against it (E005 if a
    return says another); without it a return is judged for its own quarter, as `validate` does."""
    with db.connect(database) as con:
        row = con.execute("SELECT value FROM settings WHERE key = 'collecting_quarter'").fetchone()
    return Quarter.parse(row["value"]) if row is not None else None


def collecting_quarter(database: Path) -> Quarter:
    """The quarter being collected, for pages and the template: as set, else the quarter just ended
    (Europe/London)."""
    return set_quarter(database) or Quarter.containing(
        dt.datetime.now(dt.timezone.utc).astimezone(LONDON).date()).previous()


def set_collecting_quarter(database: Path, quarter: Quarter) -> None:
    with db.connect(database) as con:
        con.execute("INSERT INTO settings (key, value) VALUES ('collecting_quarter', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(quarter),))


def recent_quarters(around: Quarter, before: int = 6, after: int = 1) -> list[Quarter]:
    """Quarters to offer in a list: a few before `around`, `around`, and `after` more."""
    first = around
    for _ in range(before):
        first = first.previous()
    out, q = [], first
    for _ in range(before + 1 + after):
        out.append(q)
        q = q.next()
    return out
