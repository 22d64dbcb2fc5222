"""Template filters: money, rates, counts and times the way GOV.UK writes them (London time)."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline.core.calendar import LONDON


def _missing(value) -> bool:
    """None, NaN, NaT or pandas' NA."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):   # a list or array is a value
        return False


def money(value) -> str:
    """£1,234 (whole pounds), or an empty string for nothing."""
    return "" if _missing(value) else f"£{float(value):,.0f}"


def rate(value) -> str:
    """£/hour to the penny: £45.50."""
    return "" if _missing(value) else f"£{float(value):,.2f}"


def number(value, places: int = 0) -> str:
    return "" if _missing(value) else f"{float(value):,.{places}f}"


def percent(value) -> str:
    """A share (0–1) as a whole percentage."""
    return "" if _missing(value) else f"{float(value) * 100:.0f}%"


def london_time(value) -> str:
    """An instant as people in England read it: 29 November 2026, 2:05pm."""
    if _missing(value) or value == "":
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    local = value.astimezone(LONDON)
    return f"{local.day} {local:%B %Y}, {local.hour % 12 or 12}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


STATUS_TAGS = {"accepted": "govuk-tag--green", "rejected": "govuk-tag--red", "unreadable": "govuk-tag--red",
               "missing": "govuk-tag--grey", "late": "govuk-tag--orange", "superseded": "govuk-tag--grey",
               "unchanged": "govuk-tag--blue", "Fully compliant": "govuk-tag--green",
               "Partially compliant": "govuk-tag--yellow", "Not compliant": "govuk-tag--red"}


def tag_class(status) -> str:
    """The GOV.UK tag colour for a status."""
    return STATUS_TAGS.get(str(status), "govuk-tag--grey")


def errors_list(errors: dict[str, str], anchors: dict[str, str]) -> list[dict]:
    """A form's errors as the GOV.UK error summary's list, each linking to its field."""
    return [{"text": text, "href": anchors.get(name, f"#{name}")} for name, text in errors.items()]


def errors_for_summary(findings: list[dict]) -> list[dict]:
    """Findings as the error summary's links: where each is, and what to do."""
    out = []
    for f in findings:
        where = ", ".join(str(p) for p in (f.get("sheet"), f.get("cell") and f"cell {f['cell']}") if p)
        out.append({"text": f"{where}: {f['message']}" if where else f["message"], "href": f"#{f['anchor']}"})
    return out


def yes_no(value) -> str:
    return "" if _missing(value) else ("Yes" if value else "No")


FORMATS = {"money": money, "rate": rate, "number": number, "number1": lambda v: number(v, 1), "percent": percent,
           "yes_no": yes_no}


def rows_of(records: list[dict], columns: list[str], formats: dict[str, str]) -> list[list[str]]:
    """Table rows: each record's `columns`, formatted by name ('money', 'rate', …); missing values blank."""
    out = []
    for record in records:
        row = []
        for column in columns:
            value = record.get(column)
            shown = FORMATS[formats[column]](value) if column in formats else ("" if _missing(value) else value)
            row.append(shown)
        out.append(row)
    return out


def where(f: dict, *, sheet: bool = True) -> str:
    """Where a finding is, as a reader says it: 'Assignments, cell C12', 'Assignments, row 12',
    'Return sheet' for a finding about a sheet, 'Whole file' for one about the file."""
    place = f"cell {f['cell']}" if f.get("cell") else (f"row {f['row']}" if f.get("row") is not None else "")
    if not f.get("sheet"):
        return _first_up(place) if place else "Whole file"
    if not place:
        return f"{f['sheet']} sheet" if sheet else "Whole sheet"
    return f"{f['sheet']}, {place}" if sheet else _first_up(place)


def _first_up(text: str) -> str:
    return text[:1].upper() + text[1:]


def counted(n, singular: str, plural: str | None = None) -> str:
    """A count with its noun, singular or plural: '1 error', '2 errors', '1 query', '3 queries'."""
    n = int(n)
    if n == 1:
        return f"1 {singular}"
    many = plural or (singular[:-1] + "ies" if singular.endswith("y") and singular[-2:-1] not in "aeiou"
                      else singular + "s")
    return f"{n:,} {many}"


def day(value) -> str:
    """A date as GOV.UK writes it: 30 November 2026."""
    if _missing(value):
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return f"{value.day} {value:%B %Y}"


def register(env) -> None:
    env.filters.update(money=money, rate=rate, number=number, percent=percent, london_time=london_time,
                       tag_class=tag_class, day=day, counted=counted)
    env.globals.update(errors_list=errors_list, errors_for_summary=errors_for_summary, where=where,
                       rows_of=rows_of)
