"""Which quarter is being collected: set by an admin, else the quarter just ended (Europe/London);
which quarters the service offers and answers for (from `first_collection_quarter` on)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.config import threshold
from pipeline.contract import Quarter
from web import db

LONDON = ZoneInfo("Europe/London")


def set_quarter(database: Path) -> Quarter | None:
    """The quarter an admin set as being collected, if any: uploads are judged against it (E005 if a
    return says another); without it a return is judged for its own quarter, as `validate` does."""
    with db.reading(database) as con:
        row = con.execute("SELECT value FROM settings WHERE key = 'collecting_quarter'").fetchone()
    return Quarter.parse(row["value"]) if row is not None else None


class QuarterNotCollected(ValueError):
    """A quarter no return is due for: before the first collected, or not started yet. Pages answer
    it with an error summary, the API with 422 (as `agency-return status` refuses it)."""


def today() -> dt.date:
    """Today's date in England (Europe/London)."""
    return dt.datetime.now(dt.timezone.utc).astimezone(LONDON).date()


def first_quarter() -> Quarter:
    """The first quarter collected: threshold `first_collection_quarter` (2025-Q1)."""
    return Quarter.parse(threshold("first_collection_quarter"))


def collecting_quarter(database: Path) -> Quarter:
    """The quarter being collected, for pages and the template: as set, else the quarter just ended
    (Europe/London)."""
    return set_quarter(database) or Quarter.containing(today()).previous()


def collection_quarters(on: dt.date | None = None) -> list[Quarter]:
    """Every quarter from the first collected up to the one just ended on `on` (default today,
    Europe/London), newest first: what the quarter lists offer. Never a quarter not yet ended."""
    first, q, out = first_quarter(), Quarter.containing(on or today()).previous(), []
    while (q.year, q.q) >= (first.year, first.q):
        out.append(q)
        q = q.previous()
    return out


def check_collected(quarter: Quarter, on: dt.date | None = None) -> Quarter:
    """`quarter` if a return can be due for it; raises QuarterNotCollected with what to say if it is
    before the first quarter collected or has not started yet."""
    first = first_quarter()
    if (quarter.year, quarter.q) < (first.year, first.q):
        raise QuarterNotCollected(f"{quarter} is before the collection began: the first quarter collected is "
                                  f"{first}, so no return was due for {quarter}. Choose {first} or later.")
    if quarter.start > (on or today()):
        raise QuarterNotCollected(f"{quarter} has not started yet, so no return is due for it. Choose a quarter "
                                  f"up to {Quarter.containing(on or today())}.")
    return quarter


def set_collecting_quarter(database: Path, quarter: Quarter) -> None:
    with db.connect(database) as con:
        con.execute("INSERT INTO settings (key, value) VALUES ('collecting_quarter', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(quarter),))
