"""Which quarter is being collected: set by an admin (kept in the web database), else the quarter just
ended. The calendar itself (quarters offered, what is collected, dates in Europe/London) is
`pipeline.core.calendar`."""
from __future__ import annotations

from pathlib import Path

from pipeline.core.calendar import quarter_just_ended
from pipeline.core.contract import Quarter
from web import db


def set_quarter(database: Path) -> Quarter | None:
    """The quarter an admin set as being collected, if any: uploads are judged against it (E005 if a
    return says another); without it a return is judged for its own quarter, as `validate` does."""
    with db.reading(database) as con:
        row = con.execute("SELECT value FROM settings WHERE key = 'collecting_quarter'").fetchone()
    return Quarter.parse(row["value"]) if row is not None else None


def collecting_quarter(database: Path) -> Quarter:
    """The quarter being collected, for pages and the template: as set, else the quarter just ended
    (Europe/London)."""
    return set_quarter(database) or quarter_just_ended()


def set_collecting_quarter(database: Path, quarter: Quarter) -> None:
    with db.connect(database) as con:
        con.execute("INSERT INTO settings (key, value) VALUES ('collecting_quarter', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(quarter),))
