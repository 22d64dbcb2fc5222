"""Derived compliance: what the assignments show for each of the seven agency rules, next to what
the LA declared, and Q512 where a declared "Fully compliant" contradicts it.

Counts are over the in-quarter assignments a rule applies to (rows whose dates overlap the
quarter; a row with an unreadable date still counts). For each rule:
  breaches  - assignments breaching it: the same masks that make the Q-findings (breaches.py);
  legacy    - assignments that would breach it but are in the transition (started before 31 Oct
              2024, quarter ending before 1 Oct 2025): reported, never counted as breaches;
  compliant - the rest.
derived_status is 'No assignments' when the rule applies to none, 'Fully compliant' with no
breaches, 'Not compliant' when no assignment judged (non-legacy) complies, else 'Partially compliant'.

Price caps: Q501, Q502 or Q518 (above the cap complies only with DCS / Chief Executive approval and
the breach reported to the RIIA, as the rules ask; the cap is the one in force on the later of the
start date and `caps_apply_to_existing_from` for assignments still running). Project teams:
assignments engaged through a project team or packaged model, breaching when their team is not fully
identified or lacks LA control, or when the member has no Cost in quarter of its own (Q510; a
team's cost mismatch is a data query, not a breach). Notice periods Q506 (at least 4 weeks, or the
permanent equivalent's shorter notice), Cool-off Q504 (incl. 'Unknown' and the LA's own leavers),
PQE Q503, References Q505 (fewer than the minimum, No, or not recorded).
Data return is about the return, not assignments: 'Fully compliant' when the file has no errors,
else 'Not compliant', its breaches being the assignment rows that carry an error. Q512 is not
raised for it: those errors already block the return.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.contract import COMPLIANCE_RULES, PROJECT_MODELS
from pipeline.core.findings import ERROR, Finding
from pipeline.rules import caps, cool_off, notice, pqe, references  # noqa: F401  (register the masks counted here)
from pipeline.rules.breaches import breaches
from pipeline.rules.columns import one_of
from pipeline.rules.context import ReturnContext
from pipeline.rules.project_teams import members_without_cost, team_breaches
from pipeline.rules.registry import rule
from pipeline.rules.team_refs import in_teams, team_refs

RULE_CODES = {
    "Price caps": ("Q501", "Q502", "Q518"),
    "Notice periods": ("Q506",),
    "Cool-off period": ("Q504",),
    "Post-qualifying experience": ("Q503",),
    "References": ("Q505",),
}
EXAMPLES = 5   # breaching rows named in a Q512 message


def _assignments(sub: ReturnContext) -> pd.DataFrame:
    sheet = sub.sheet("Assignments")
    return sheet.data if sheet is not None else pd.DataFrame(index=pd.Index([], name="row"))


def _in_quarter(sub: ReturnContext, d: pd.DataFrame) -> np.ndarray:
    if sub.quarter is None or d.empty:
        return np.ones(len(d), dtype=bool)
    c = sub.columns(d)
    outside = ((c["start_date"] > np.datetime64(sub.quarter.end, "us"))
               | (c["end_date"] < np.datetime64(sub.quarter.start, "us")))
    return ~outside


def _by_codes(sub: ReturnContext, d: pd.DataFrame, codes: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    breach = legacy = np.zeros(len(d), dtype=bool)
    for code in codes:
        b, old = breaches(sub, d, code)
        breach, legacy = breach | b, legacy | old
    return breach, legacy & ~breach


def _project_teams(sub: ReturnContext, d: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(assignments in a project team, members of a breaching team, members of a legacy breaching team)."""
    flags, old = team_breaches(sub)
    refs = team_refs(sub, sub.sheet_columns("ProjectTeams").frame)
    bad = flags["not_identified"] | flags["no_control"]
    member = team_refs(sub, d)
    applies = one_of(sub.columns(d)["engagement_model"], *PROJECT_MODELS)
    no_cost, no_cost_legacy = members_without_cost(sub, d)
    breach = applies & (in_teams(member, refs[bad & ~old]) | no_cost)
    legacy = applies & ~breach & (in_teams(member, refs[bad & old]) | no_cost_legacy)
    return applies, breach, legacy


def _declared(sub: ReturnContext) -> dict[str, tuple[str | None, int]]:
    """Rule -> (declared status, Compliance row); the first row of a rule counts (E401 flags repeats)."""
    out: dict[str, tuple[str | None, int]] = {}
    c = sub.frame("Compliance")
    for row, name, status in zip(c.index, c["rule"], c["status"]):
        if isinstance(name, str):
            out.setdefault(name, (status if isinstance(status, str) else None, int(row)))
    return out


def _status(applies: int, breaches_: int, compliant: int) -> str:
    if applies == 0:
        return "No assignments"
    if breaches_ == 0:
        return "Fully compliant"
    return "Not compliant" if compliant == 0 else "Partially compliant"


def _entry(name: str, declared, rows: np.ndarray, applies: np.ndarray, breach: np.ndarray, legacy: np.ndarray,
           status: str | None = None) -> dict:
    """`rows`: the Excel row of each assignment; the masks are bool arrays over them."""
    breach, legacy = breach & applies, legacy & applies
    n, b, old = int(applies.sum()), int(breach.sum()), int(legacy.sum())
    return {
        "rule": name, "declared": declared, "derived_status": status or _status(n, b, n - b - old),
        "assignments": n, "compliant": n - b - old, "breaches": b, "legacy": old,
        "breach_rows": [int(r) for r in rows[breach]],
        "legacy_rows": [int(r) for r in rows[legacy]],
    }


def derive_compliance(sub: ReturnContext, findings: list[Finding]) -> list[dict]:
    """One dict per rule of contract.COMPLIANCE_RULES, in contract order.

    A rule that cannot be derived says so in its derived_status; the others are still derived.
    """
    d = _assignments(sub)
    in_q = _in_quarter(sub, d)
    none = np.zeros(len(d), dtype=bool)
    declared = _declared(sub)
    out = []
    for name in COMPLIANCE_RULES:
        said = declared.get(name, (None, None))[0]
        try:
            if name == "Data return":   # depends on the findings; the other six only on the data
                out.append(_derive(sub, name, said, d, in_q, findings))
            else:   # Q512 derives them too: computed once per submission
                out.append(dict(sub.once(("compliance", name), lambda: _derive(sub, name, said, d, in_q, findings))))
        except Exception as exc:  # noqa: BLE001 - one broken rule must not hide the other six
            out.append(_entry(name, said, d.index.to_numpy(), none, none, none, f"Could not be derived ({type(exc).__name__}: {exc})"))
    return out


def _derive(sub: ReturnContext, name: str, said, d: pd.DataFrame, in_q: np.ndarray, findings: list[Finding]) -> dict:
    rows = d.index.to_numpy()
    none = np.zeros(len(d), dtype=bool)
    if name == "Data return":
        error_rows = {f.row for f in findings if f.severity == ERROR and f.sheet == "Assignments"}
        status = "Not compliant" if any(f.severity == ERROR for f in findings) else "Fully compliant"
        return _entry(name, said, rows, in_q, d.index.isin(error_rows), none, status)
    if d.empty:
        return _entry(name, said, rows, in_q, none, none)
    if name == "Project teams":
        applies, breach, legacy = _project_teams(sub, d)
        return _entry(name, said, rows, in_q & applies, breach, legacy)
    return _entry(name, said, rows, in_q, *_by_codes(sub, d, RULE_CODES[name]))


@rule("Q512")
def declared_fully_compliant(ctx: ReturnContext):
    sheet = ctx.sheet("Compliance")
    if sheet is None:
        return
    declared = _declared(ctx)
    for entry in derive_compliance(ctx, []):
        if entry["rule"] == "Data return" or entry["declared"] != "Fully compliant" or not entry["breaches"]:
            continue
        row = declared[entry["rule"]][1]
        rows = entry["breach_rows"]
        examples = ("row " if len(rows) == 1 else "rows ") + ", ".join(map(str, rows[:EXAMPLES])) + (
            " and more" if len(rows) > EXAMPLES else "")
        yield sheet.finding("Q512", "status", row, rule=entry["rule"], breaches=entry["breaches"], examples=examples)
