"""The collection calendar, in one place for the CLI, the flows, the web service and the warehouse.

Quarters are calendar quarters (`2025-Q1` is January to March); the first collected is threshold
`first_collection_quarter` (2025-Q1: DfE's agency rules, first return due 31 May 2025). A quarter's
returns are collected after it ends, in a window of `submission_window_months` months (two: Q1's
window closes on 31 May). Dates are England's: "today" and "the quarter just ended" are computed in
Europe/London, whatever the machine's time zone.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from pipeline.core.config import threshold
from pipeline.core.contract import Quarter

LONDON = ZoneInfo("Europe/London")


def today(now: dt.datetime | None = None) -> dt.date:
    """The date in England (Europe/London) at `now` (default: the present). Raises ValueError for a
    naive datetime (whose zone would be guessed)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    if now.tzinfo is None:
        raise ValueError("give an aware datetime")
    return now.astimezone(LONDON).date()


def quarter_just_ended(now: dt.datetime | None = None) -> Quarter:
    """The quarter before the one `now` (default: the present) falls in, on the Europe/London
    calendar: the quarter whose returns are being collected. At 00:30 BST on 1 April the quarter just
    ended is Jan–Mar, although it is still 31 March in UTC."""
    return Quarter.containing(today(now)).previous()


def first_quarter() -> Quarter:
    """The first quarter collected: threshold `first_collection_quarter` (2025-Q1)."""
    return Quarter.parse(threshold("first_collection_quarter"))


def due_date(quarter: Quarter) -> dt.date:
    """The last day of the window: the end of the Nth month after the quarter (Q1 -> 31 May), N being
    threshold `submission_window_months` (2)."""
    months = int(threshold("submission_window_months"))
    first = quarter.next().start
    year, month = divmod(first.month - 1 + months, 12)
    return dt.date(first.year + year, month + 1, 1) - dt.timedelta(days=1)


def collection_quarters(on: dt.date | None = None) -> list[Quarter]:
    """Every quarter from the first collected up to the one just ended on `on` (default today,
    Europe/London), newest first. Never a quarter not yet ended."""
    first, q, out = first_quarter(), Quarter.containing(on or today()).previous(), []
    while (q.year, q.q) >= (first.year, first.q):
        out.append(q)
        q = q.previous()
    return out


def before_collection(quarter: Quarter) -> str | None:
    """Why nothing was due for a quarter before the first one collected, or None."""
    first = first_quarter()
    if (quarter.year, quarter.q) < (first.year, first.q):
        return (f"{quarter} is before the collection began (the first quarter collected is {first}): "
                "no return was due for it")
    return None


def not_collectable(quarter: Quarter, on: dt.date | None = None) -> str | None:
    """Why a quarter has no outputs to build or pull: before the collection began, or not yet ended on
    `on` (default today, Europe/London); None if it can be built."""
    if quarter.end >= (on or today()):
        return (f"{quarter} has not ended yet (it ends on {quarter.end:%d %B %Y}): its returns are collected "
                "after the quarter ends, so there is nothing to build or pull for it yet")
    return before_collection(quarter)


class QuarterNotCollected(ValueError):
    """A quarter no return is due for: before the first collected, or not started yet. Pages answer
    it with an error summary, the API with 422 (as `agency-return status` refuses it)."""


def check_collected(quarter: Quarter, on: dt.date | None = None) -> Quarter:
    """`quarter` if a return can be due for it; raises QuarterNotCollected with what to say if it is
    before the first quarter collected or has not started yet on `on` (default today)."""
    first = first_quarter()
    if (quarter.year, quarter.q) < (first.year, first.q):
        raise QuarterNotCollected(f"{quarter} is before the collection began: the first quarter collected is "
                                  f"{first}, so no return was due for {quarter}. Choose {first} or later.")
    if quarter.start > (on or today()):
        raise QuarterNotCollected(f"{quarter} has not started yet, so no return is due for it. Choose a quarter "
                                  f"up to {Quarter.containing(on or today())}.")
    return quarter
