"""Validating one council workbook: guard, read, schemas, cross-field rules, agency rules.

Stores nothing and never imports Prefect, so a council gets its findings in a fraction of a second.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import schemas
from pipeline.core import rulesets
from pipeline.core.config import threshold
from pipeline.core.contract import (
    ASSIGNMENTS,
    DATE,
    REFERENCES,
    SHEETS_BY_NAME,
    Column,
    Quarter,
)
from pipeline.core.findings import (
    ERROR,
    QUERY,
    Finding,
    catalogue,
    finding,
    rule_failed,
    sort_key,
)
from pipeline.core.reference import la_for_quarter
from pipeline.read import guard
from pipeline.read.parse import display_date
from pipeline.read.workbook import SheetFrame, Workbook, read_workbook

# isort: off
# Importing a family registers its rules: in the order they were first defined, the registry's order.
from pipeline.rules import (  # noqa: F401
    return_sheet, assignment_rows, project_teams, monthly_costs, compliance_sheet, caps, pqe, cool_off,
    references, notice, hours_and_pay, components, overlaps, text_and_file_names, agreements,
)
from pipeline.rules.compliance import derive_compliance  # (also registers Q512)
# isort: on
from pipeline.rules import registry
from pipeline.rules.caps import cap_for
from pipeline.rules.context import ReturnContext, prepare_assignments

ACCEPTED, REJECTED, UNREADABLE = "accepted", "rejected", "unreadable"


@dataclass
class Result:
    """The outcome for one file: what the CLI prints, `submit` stores and the report highlights."""

    file: str
    sha256: str = ""
    la_code: str | None = None
    quarter: str | None = None
    status: str = UNREADABLE
    rule_set: str = ""          # the rule-set version it was judged by (pipeline/core/rulesets.py)
    findings: list[Finding] = field(default_factory=list)
    # a regional agreement's findings (R7xx), apart: never counted with, nor changing, the statutory ones
    agreement: list[Finding] = field(default_factory=list)
    compliance: list[dict] = field(default_factory=list)
    submission: ReturnContext | None = field(default=None, repr=False)
    # the cap (£/hour) each Assignments row was judged against (Q501), in the typed frame's order, NaN
    # where none applies; an accepted return's only, which the warehouse keeps beside each assignment
    assignment_caps: np.ndarray | None = field(default=None, repr=False)

    @property
    def errors(self) -> int:
        return sum(f.severity == ERROR for f in self.findings)

    @property
    def queries(self) -> int:
        return sum(f.severity == QUERY for f in self.findings)

    @property
    def queries_outstanding(self) -> int:
        return sum(f.severity == QUERY and not f.explained for f in self.findings)

    def to_dict(self) -> dict:
        return {
            "file": self.file, "la_code": self.la_code, "quarter": self.quarter, "status": self.status,
            "rule_set": self.rule_set,
            "cap_table": self.submission.caps.version if self.submission is not None else None,   # Q501/Q502/Q518's caps
            "errors": self.errors, "queries": self.queries,
            "queries_outstanding": self.queries_outstanding, "queries_explained": self.queries - self.queries_outstanding,
            "findings": [f.to_dict() for f in self.findings],
            "agreement": [f.to_dict() for f in self.agreement],
            "compliance": self.compliance,
        }


def validate_file(path, quarter: Quarter | str | None = None, *,
                  previous_total: float | Mapping[tuple[str, str], float] | None = None,
                  name: str | None = None) -> Result:
    """Check one file. `quarter` is the quarter being collected (E005 if the file says otherwise).

    `previous_total` (Q514) is the LA's previous accepted quarter's total cost (£), or the accepted
    totals the caller read before judging, (LA code, quarter) -> £
    (`pipeline.warehouse.queries.previous_totals`), in which the file's own LA and the quarter before
    its own are looked up once the file has said which they are. Validating never reads the warehouse.
    `name` is the file's name as the council sent it (Q517 reads an LA code from it), when the
    file is a kept copy under another name; default the path's own name.
    The file is judged by the rule set of its own quarter (the newest set when it has none).
    """
    path = Path(path)
    collecting = Quarter.parse(quarter) if isinstance(quarter, str) else quarter
    result = Result(file=str(path), sha256=file_sha256(path) if path.is_file() else "",
                    rule_set=rulesets.active().version)
    blocking = guard.inspect_file(path)
    if blocking:
        result.findings = blocking
        return result
    try:
        wb = read_workbook(path)
    except Exception as exc:  # noqa: BLE001 - any parser failure is the council's E001, not a traceback
        result.findings = [finding("E001", reason=_reason(exc))]
        return result
    ret = wb.return_sheet
    rule_set = rulesets.for_quarter(Quarter.parse(ret.raw.get("quarter")) if ret else None)
    result.rule_set = rule_set.version
    with rulesets.using(rule_set):
        return _check(result, wb, collecting, previous_total, name or path.name)


def file_sha256(path: Path) -> str:
    """Content hash, streamed: identifies a submission's exact bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _reason(exc: Exception) -> str:
    text = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return f"the Excel reader said: {text}"


def _check(result: Result, wb: Workbook, collecting: Quarter | None, previous_total, file_name: str) -> Result:
    rules = catalogue()
    findings = list(wb.findings)
    for f in findings:   # made while reading, before the quarter (and so the rule set) was known
        if f.code in rules:
            f.severity = rules[f.code].severity
    ret = wb.return_sheet
    quarter = Quarter.parse(ret.raw.get("quarter")) if ret else None
    la_code = ret.values.get("la_code") if ret else None
    la_code = None if pd.isna(la_code) else la_code
    la = la_for_quarter(la_code, quarter) if la_code and quarter else None
    if isinstance(previous_total, Mapping):
        previous_total = previous_total.get((la_code, str(quarter.previous()))) if la_code and quarter else None
    sub = ReturnContext(wb, quarter=quarter, la=la, collecting=collecting, previous_total=previous_total,
                     file_name=file_name)
    findings += schema_findings(list(wb.sheets.values()))
    prepare_assignments(wb)
    with np.errstate(over="ignore", invalid="ignore"):   # an absurd amount (E110 too_large) makes inf, not a warning
        findings += registry.run(sub)
    # An uncalculated formula reads as blank: its own finding says so, so drop 'blank' findings on it.
    read = {id(f) for f in wb.findings}
    findings = [f for f in findings if (f.sheet, f.cell) not in wb.formula_cells or id(f) in read]
    _mark_explained(sub, findings)
    result.compliance = derive_compliance(sub, findings)
    findings.sort(key=sort_key)
    result.findings = findings
    with np.errstate(over="ignore", invalid="ignore"):
        result.agreement = sorted(registry.run(sub, registry.AGREEMENT_RULES), key=sort_key)
    _mark_explained(sub, result.agreement)
    result.la_code = la_code
    result.quarter = str(quarter) if quarter else None
    result.submission = sub
    if not wb.sheets and ret is None:   # none of the return's sheets: not a return at all
        result.status = UNREADABLE
    else:
        result.status = REJECTED if result.errors else ACCEPTED
    if result.status == ACCEPTED:
        result.assignment_caps = cap_for(sub, sub.frame(ASSIGNMENTS.name)).to_numpy(dtype=float)
    return result


def schema_findings(frames: list[SheetFrame]) -> list[Finding]:
    """Run the sheets' pandera schema over their cell text (schemas.WORKBOOK: one validation for all
    of them); each failure case becomes a finding on its own cell, sheet by sheet in `frames`' order.

    A date cell that fails its own check (E104: not a date, or outside `plausible_date_range`) is
    set aside: its typed value in `frame.data` becomes NaT, so no other rule (E105, E106, E202, the
    Q5xx date rules) judges the same typo again, as a date it cannot be."""
    failures = schemas.WORKBOOK.failures([(f.sheet.name, f.raw, f.data) for f in frames])   # the reader's parse reused
    if not failures:
        return []
    out = []
    by_name = {f.sheet.name: f for f in frames}
    earliest, latest = (display_date(pd.Timestamp(d)) for d in threshold("plausible_date_range"))
    set_aside: dict[tuple[str, str], list[int]] = {}
    for case in failures:
        code, variant = case.code, case.variant
        if case.key is None:   # the check itself raised: say so, don't guess
            out.append(rule_failed(code, RuntimeError(case.reason)))
            continue
        frame = by_name[case.sheet]
        col = SHEETS_BY_NAME[case.sheet].column(case.key)
        if variant == "missing" and not col.choices and "{choices}" in catalogue()[code].messages.get(variant, ""):
            variant = "blank"                # no list to choose from: the message says what to enter instead
        if col.kind == DATE and case.key in frame.data.columns:
            set_aside.setdefault((case.sheet, case.key), []).append(case.row)
        out.append(finding(code, variant, sheet=case.sheet, row=case.row, column=frame.header(col.key),
                           cell=frame.cell(col.key, case.row), value=frame.value(col.key, case.row),
                           choices=choices_text(col), earliest=earliest, latest=latest,
                           entry=col.note[:1].lower() + col.note[1:].rstrip(".")))
    for (name, key), rows in set_aside.items():
        by_name[name].data.loc[rows, key] = pd.NaT
    return out


def choices_text(col: Column) -> str:
    """What a message offers for a list field: its values ('Reference obtained' also takes a count)."""
    text = ", ".join(col.choices)
    return f"{text}, or the number of references (0, 1, 2 …)" if col.kind == REFERENCES else text


def _mark_explained(sub: ReturnContext, findings: list[Finding]) -> None:
    """A query on a row with a Note (Compliance: an Explanation) counts as explained."""
    notes = {}
    for f in findings:
        if f.severity != QUERY or f.row is None or not f.sheet:
            continue
        if f.sheet not in notes:   # row -> note, for the rows that have one
            written = sub.notes(f.sheet).dropna()
            notes[f.sheet] = dict(zip(written.index.tolist(), written.tolist()))
        note = notes[f.sheet].get(f.row)
        if isinstance(note, str) and note.strip():
            f.explained, f.note = True, note.strip()
