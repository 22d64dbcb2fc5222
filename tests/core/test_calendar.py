"""The one collection calendar (pipeline/core/calendar.py): England's dates, whatever the machine's zone."""
from __future__ import annotations

import datetime as dt

import pytest

from pipeline.core import calendar
from pipeline.core.contract import Quarter

UTC = dt.timezone.utc


def test_the_quarter_just_ended_turns_at_midnight_in_london_not_utc():
    assert calendar.quarter_just_ended(dt.datetime(2025, 3, 31, 23, 30, tzinfo=UTC)) == Quarter(2025, 1)  # 00:30 BST
    assert calendar.quarter_just_ended(dt.datetime(2025, 3, 31, 22, 30, tzinfo=UTC)) == Quarter(2024, 4)
    assert calendar.today(dt.datetime(2025, 12, 31, 23, 30, tzinfo=UTC)) == dt.date(2025, 12, 31)          # GMT


def test_a_naive_time_is_refused_rather_than_guessed():
    with pytest.raises(ValueError):
        calendar.today(dt.datetime(2025, 4, 1))


def test_returns_are_due_by_the_end_of_the_second_month_after_the_quarter():
    due = [calendar.due_date(Quarter(2025, q)).isoformat() for q in (1, 2, 3, 4)]
    assert due == ["2025-05-31", "2025-08-31", "2025-11-30", "2026-02-28"]
    assert calendar.due_date(Quarter(2027, 4)).isoformat() == "2028-02-29"


def test_the_quarters_offered_run_from_the_first_collected_to_the_one_just_ended():
    assert calendar.collection_quarters(dt.date(2025, 7, 1)) == [Quarter(2025, 2), Quarter(2025, 1)]
    assert calendar.collection_quarters(dt.date(2025, 3, 31)) == []
    assert calendar.first_quarter() == Quarter(2025, 1)


def test_what_cannot_be_built_says_why():
    assert "before the collection began" in calendar.before_collection(Quarter(2024, 4))
    assert calendar.before_collection(Quarter(2025, 1)) is None
    assert "has not ended yet" in calendar.not_collectable(Quarter(2025, 2), on=dt.date(2025, 6, 30))
    assert calendar.not_collectable(Quarter(2025, 2), on=dt.date(2025, 7, 1)) is None


def test_a_quarter_no_return_is_due_for_is_refused_with_what_to_choose():
    with pytest.raises(calendar.QuarterNotCollected, match="Choose 2025-Q1 or later"):
        calendar.check_collected(Quarter(2024, 4))
    with pytest.raises(calendar.QuarterNotCollected, match="has not started yet"):
        calendar.check_collected(Quarter(2025, 4), on=dt.date(2025, 9, 30))
    assert calendar.check_collected(Quarter(2025, 3), on=dt.date(2025, 9, 30)) == Quarter(2025, 3)
