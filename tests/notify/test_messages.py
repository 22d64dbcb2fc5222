"""Every email the service sends: its words filled in, dates written the GOV.UK way, nothing personal."""
from __future__ import annotations

import datetime as dt
import re
from string import Template

import pytest

from pipeline.notify import messages
from pipeline.notify.messages import KINDS

UTC = dt.UTC
LINK = "https://returns.example/submissions/7"


def every_kind() -> list[messages.Message]:
    expires = dt.datetime(2026, 12, 4, 17, 30, tzinfo=UTC)
    return [
        messages.invitation("new@council.example", link=LINK, expires=expires, scope="Hammersmith and Fulham (LA 205)"),
        messages.password_reset("new@council.example", link=LINK, expires=expires),
        messages.password_changed("new@council.example", changed=expires, link=LINK),
        messages.return_received("data@council.example", council="Hammersmith and Fulham", quarter="2025-Q2",
                                 received=expires, accepted=True, late=False, errors=0, queries=3, link=LINK),
        messages.reminder("data@council.example", council="Hammersmith and Fulham", quarter="2025-Q2",
                          due=dt.date(2025, 8, 31), link=LINK),
        messages.late_notice("data@council.example", council="Hammersmith and Fulham", quarter="2025-Q2",
                             due=dt.date(2025, 8, 31), link=LINK),
    ]


def test_a_builder_for_every_kind_and_a_template_for_every_builder():
    assert [m.kind for m in every_kind()] == list(KINDS)
    assert set(messages.templates()) == set(KINDS)


@pytest.mark.parametrize("message", every_kind(), ids=KINDS)
def test_each_message_is_filled_in_and_carries_its_link(message):
    assert "$" not in message.subject + message.body
    assert LINK in message.body
    assert message.body.endswith("\n") and not message.body.startswith("\n")
    assert message.personalisation["link"] == LINK


def test_a_template_missing_a_value_is_an_error_not_a_blank():
    with pytest.raises(KeyError):
        Template(messages.templates()["reminder"]["body"]).substitute(council="X")


def test_times_are_written_in_england_the_govuk_way():
    assert messages.when(dt.datetime(2026, 12, 4, 17, 30, tzinfo=UTC)) == "5:30pm on 4 December 2026"
    assert messages.when(dt.datetime(2026, 7, 1, 11, 0, tzinfo=UTC)) == "12pm on 1 July 2026"     # BST
    assert messages.when(dt.datetime(2026, 1, 1, 0, 5, tzinfo=UTC)) == "12:05am on 1 January 2026"
    assert messages.day(dt.date(2025, 5, 31)) == "31 May 2025"
    with pytest.raises(ValueError):
        messages.when(dt.datetime(2026, 1, 1))


def test_the_verdict_says_what_to_do():
    common = {"council": "Norfolk", "quarter": "2025-Q2", "received": dt.datetime(2025, 7, 2, 9, tzinfo=UTC),
                  "link": LINK, "queries": 0}
    rejected = messages.return_received("a@b.example", accepted=False, late=False, errors=1500, **common)
    assert rejected.subject == "Norfolk: your return for 2025-Q2 was rejected"
    assert "Errors: 1,500" in rejected.body and "correct the errors and upload it again" in rejected.body
    late = messages.return_received("a@b.example", accepted=True, late=True, errors=0, **common)
    assert "marked late" in late.body and late.subject.endswith("was accepted")


def test_no_message_has_room_for_a_return_s_rows():
    """The templates' placeholders are counts, names, dates and links: nothing from a council's rows."""
    placeholders = set()
    for template in messages.templates().values():
        for text in template.values():
            placeholders |= set(re.findall(r"\$(\w+)", text))
    assert placeholders == {"service", "scope", "link", "expires", "council", "quarter", "received", "verdict",
                            "outcome", "errors", "queries", "due", "changed"}
