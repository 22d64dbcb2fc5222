"""The emails the service sends, one builder each: `invitation`, `password_reset`, `password_changed`,
`return_received`, `reminder`, `late_notice`. Each returns a `Message` (who to, subject, plain-text body, and the same
values as personalisation for a GOV.UK Notify template); the words are in `data/messages.toml`.

A builder takes only what the email says: a council's name, a quarter, counts, dates, a link. Never
an SWE number, a file name or a row of a return; `sending.send` removes anything SWE-like all the same.
"""
from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from string import Template

from pipeline.core.calendar import LONDON

TEMPLATES = Path(__file__).parent / "data" / "messages.toml"
SERVICE = "Agency social work return"
KINDS = ("invitation", "password_reset", "password_changed", "return_received", "reminder", "late_notice")


@dataclass(frozen=True)
class Message:
    """One email: `kind` (one of KINDS), `to` (an address), `subject`, `body` (plain text) and
    `personalisation` (the values filled in, for a GOV.UK Notify template of this kind)."""

    kind: str
    to: str
    subject: str
    body: str
    personalisation: dict[str, str] = field(default_factory=dict)


@lru_cache(maxsize=1)
def templates() -> dict[str, dict[str, str]]:
    """Each kind's `subject` and `body` templates, from data/messages.toml."""
    with open(TEMPLATES, "rb") as fh:
        return tomllib.load(fh)


def _message(kind: str, to: str, **values: str) -> Message:
    """Fill kind's templates with `values` (every placeholder must be given: KeyError if one is not)."""
    template = templates()[kind]
    subject = Template(template["subject"]).substitute(values)
    body = Template(template["body"].strip()).substitute(values) + "\n"
    return Message(kind, to.strip(), subject, body, dict(values))


def when(moment: dt.datetime) -> str:
    """A moment as GOV.UK writes it, in England's time: '5:30pm on 4 December 2026'. Raises ValueError for a
    naive datetime."""
    if moment.tzinfo is None:
        raise ValueError("give an aware datetime")
    local = moment.astimezone(LONDON)
    hour = local.hour % 12 or 12
    time = f"{hour}{local:%p}".lower() if local.minute == 0 else f"{hour}:{local:%M%p}".lower()
    return f"{time} on {day(local.date())}"


def day(date: dt.date) -> str:
    """A date as GOV.UK writes it: '31 May 2026'."""
    return f"{date.day} {date:%B %Y}"


def invitation(to: str, *, link: str, expires: dt.datetime, scope: str, service: str = SERVICE) -> Message:
    """The invitation to a new account: `link` sets the password once, until `expires`; `scope` is what the
    account covers in words ('Hammersmith and Fulham (LA 205)', 'London', 'England')."""
    return _message("invitation", to, service=service, link=link, expires=when(expires), scope=scope)


def password_reset(to: str, *, link: str, expires: dt.datetime, service: str = SERVICE) -> Message:
    """A link that resets the password once, until `expires`."""
    return _message("password_reset", to, service=service, link=link, expires=when(expires))


def password_changed(to: str, *, changed: dt.datetime, link: str, service: str = SERVICE) -> Message:
    """Telling a user their password was changed (ASVS 2.2.3), with `link` to reset it if it was not them."""
    return _message("password_changed", to, service=service, changed=when(changed), link=link)


def return_received(to: str, *, council: str, quarter: str, received: dt.datetime, accepted: bool, late: bool,
                    errors: int, queries: int, link: str) -> Message:
    """A return's verdict: `council` is its name ('Hammersmith and Fulham'), `quarter` as the pages write it
    ('2025-Q2 (April to June 2025)'), `errors` and `queries` the counts of findings, `late` whether it came
    after the due date, `link` the findings page."""
    verdict = "accepted" if accepted else "rejected"
    if accepted:
        outcome = "The return was accepted" + (" and is marked late, as it arrived after the due date."
                                               if late else ".")
        if queries:
            outcome += " Explain each query on the findings page, or correct the rows and upload the return again."
    else:
        outcome = "The return was rejected: correct the errors and upload it again. Nothing from it was recorded."
    return _message("return_received", to, council=council, quarter=quarter, received=when(received),
                    verdict=verdict, outcome=outcome, errors=f"{errors:,}", queries=f"{queries:,}", link=link)


def reminder(to: str, *, council: str, quarter: str, due: dt.date, link: str) -> Message:
    """Before the due date, to a council with no accepted return for `quarter`; `link` is the upload page."""
    return _message("reminder", to, council=council, quarter=quarter, due=day(due), link=link)


def late_notice(to: str, *, council: str, quarter: str, due: dt.date, link: str) -> Message:
    """After the due date, to a council with still no accepted return for `quarter`."""
    return _message("late_notice", to, council=council, quarter=quarter, due=day(due), link=link)
