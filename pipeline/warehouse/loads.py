"""Recording validated files: the ledger row, the findings and, for an accepted return, its LA's
quarter replaced in the facts, a batch in ONE transaction. SWE numbers reach DuckDB only as their
HMAC (`keys.hash_swe`) and free text only with SWE-like numbers removed (`core.redaction`)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.core.contract import Quarter
from pipeline.core.redaction import redact, suspects
from pipeline.warehouse.keys import hash_swe
from pipeline.warehouse.sqlfiles import WAREHOUSE

FACT_TABLES = ("fact_assignment", "fact_project_team", "fact_monthly_cost", "fact_compliance",
               "fact_agency", "fact_leaver")


# sheet -> (staging file, fact table); the order facts are loaded in
STAGING = {
    "Assignments": ("assignments", "fact_assignment"),
    "ProjectTeams": ("project_teams", "fact_project_team"),
    "MonthlyCosts": ("monthly_costs", "fact_monthly_cost"),
    "Agencies": ("agencies", "fact_agency"),
    "Leavers": ("leavers", "fact_leaver"),
}


@dataclass(frozen=True)
class Received:
    """One validated file to record: its verdict (`validate.Result`), when it came, the (redacted)
    name it came under and the quarter being collected when it was sent, if any."""

    result: object
    received_at: dt.datetime
    file_name: str
    collecting: Quarter | None


def record(con: duckdb.DuckDBPyConnection, batch: list[Received], *, key: bytes) -> list[int]:
    """Add each submission to the ledger with its findings and, for each accepted one, replace its LA's
    quarter in the facts: the whole batch in ONE transaction, so a failure leaves the warehouse as it
    was. The batch's files must be of different LAs (each file's look-ups, such as Q514's previous
    total, were made before any of them was recorded; `pipeline.warehouse.submit` splits batches so). Each
    table gets one insert per batch, not one per file (~4 ms a statement). Returns the submission ids,
    in the batch's order."""
    con.execute("BEGIN TRANSACTION")
    try:
        sids = sorted(int(n) for (n,) in con.execute(
            "SELECT nextval('submission_seq') FROM range(?)", [len(batch)]).fetchall())
        con.executemany("INSERT INTO ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [[
            sid, r.la_code, r.quarter, str(e.collecting) if e.collecting else None, r.sha256, e.file_name,
            e.received_at, r.status, r.errors, r.queries, r.queries_outstanding,
            r.submission.caps.version if r.submission is not None else None, r.rule_set or None]
            for sid, e in zip(sids, batch) for r in [e.result]])
        _load_findings(con, sids, [e.result.findings for e in batch])
        _load_findings(con, sids, [e.result.agreement for e in batch], table="fact_agreement_finding")
        accepted = [(sid, e.result) for sid, e in zip(sids, batch) if e.result.status == "accepted"]
        if accepted:
            _replace_facts(con, accepted, key)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return sids


def _load_findings(con, sids: list[int], findings: list, table: str = "fact_finding") -> None:
    """fact_finding (or a regional agreement's, fact_agreement_finding): every finding of the batch's
    files, value and message redacted; one Arrow table."""
    found = [(sid, f) for sid, fs in zip(sids, findings) for f in fs]
    text = pa.large_string()
    rows = pa.table({
        "submission_id": pa.array([sid for sid, _ in found], pa.int64()),
        "code": pa.array([f.code for _, f in found], text),
        "severity": pa.array([f.severity for _, f in found], text),
        "sheet": pa.array([f.sheet for _, f in found], text),
        "row": pa.array([None if f.row is None else int(f.row) for _, f in found], pa.int64()),
        "column": pa.array([f.column for _, f in found], text),
        "cell": pa.array([f.cell for _, f in found], text),
        "value": pa.array(_redacted([None if f.value is None else str(f.value) for _, f in found]), text),
        "message": pa.array(_redacted([f.message for _, f in found]), text),
        "explained": pa.array([bool(f.explained) for _, f in found], pa.bool_()),
    })
    if found:
        WAREHOUSE.insert(con, table, "staging/findings", {"src_findings": rows})


def _replace_facts(con, accepted: list[tuple[int, object]], key: bytes) -> None:
    """The facts of the accepted files (sid, result): each LA's quarter replaced, one insert per table,
    each from one Arrow table of the files' rows (one concatenation and conversion per sheet for the
    files together, not a reset index, a column insert and a conversion per file: ~4 ms a file less)."""
    standing = set(con.execute("SELECT la_code, quarter FROM current_submission").fetchall())
    for _, result in accepted:
        if (result.la_code, result.quarter) in standing:
            # facts are only ever the current submission's, so there is nothing to delete for a first one
            for table in (*FACT_TABLES, "current_submission"):
                con.execute(f"DELETE FROM {table} WHERE la_code = ? AND quarter = ?", [result.la_code, result.quarter])
    for sheet, (stage, table) in STAGING.items():
        frames = [result.submission.frame(sheet) for _, result in accepted]
        rows = _table(frames)
        if sheet == "Assignments":   # the cap each assignment was judged against (Q501)
            rows = rows.append_column("cap", pa.array(np.concatenate(
                [result.assignment_caps for _, result in accepted]), pa.float64()))
        if "swe_number" in rows.column_names:
            rows = rows.append_column("swe_hash", hash_swe(rows["swe_number"], key)).drop_columns("swe_number")
        WAREHOUSE.insert(con, table, f"staging/{stage}", {f"src_{stage}": _keyed(_redact_table(rows), accepted,
                                                                        [len(f) for f in frames])})
    _load_compliance(con, accepted)
    con.executemany("INSERT INTO current_submission VALUES (?, ?, ?)",
                    [[r.la_code, r.quarter, sid] for sid, r in accepted])


def _table(frames: list[pd.DataFrame]) -> pa.Table:
    """The files' typed frames of one sheet, rows one after another, as one Arrow table with the index
    (the Excel row) as the column `row`: one conversion for the batch, not one a file."""
    frame = frames[0] if len(frames) == 1 else pd.concat(frames)
    return pa.Table.from_pandas(frame, preserve_index=True).replace_schema_metadata(None)


def _load_compliance(con, accepted: list[tuple[int, object]]) -> None:
    """fact_compliance: each file's Compliance sheet beside the compliance derived from its assignments."""
    derived = pd.DataFrame([{"position": i, "rule": d.get("rule"), "declared": d.get("declared"),
                             "derived_status": d.get("derived_status"), "assignments": d.get("assignments"),
                             "compliant": d.get("compliant"), "breaches": d.get("breaches"),
                             "legacy": d.get("legacy", 0)} for _, r in accepted for i, d in enumerate(r.compliance)],
                           columns=["position", "rule", "declared", "derived_status", "assignments", "compliant",
                                    "breaches", "legacy"])
    declared = [r.submission.frame("Compliance") for _, r in accepted]
    WAREHOUSE.insert(con, "fact_compliance", "staging/compliance", {
        "src_derived": _keyed(pa.Table.from_pandas(derived.astype({"declared": "string", "derived_status": "string",
                                                                   "rule": "string"}), preserve_index=False),
                              accepted, [len(r.compliance) for _, r in accepted]),
        "src_compliance": _keyed(_redact_table(_table(declared)), accepted, [len(f) for f in declared])})


def _keyed(rows: pa.Table, accepted: list[tuple[int, object]], lengths: list[int]) -> pa.Table:
    """`rows` (the files' rows one after another, `lengths` of each) with the columns the staging SQL
    keys them by: submission_id, la_code, quarter, region_code and the cap table's version."""
    each = np.repeat(np.arange(len(accepted)), lengths)
    text = pa.large_string()
    keys = {
        "submission_id": pa.array([sid for sid, _ in accepted], pa.int64()),
        "la_code": pa.array([r.la_code for _, r in accepted], text),
        "quarter": pa.array([r.quarter for _, r in accepted], text),
        "region_code": pa.array([r.submission.la.region_code for _, r in accepted], text),
        "cap_table_version": pa.array([r.submission.caps.version for _, r in accepted], text),
    }
    for name, values in keys.items():
        rows = rows.append_column(name, values.take(each))
    return rows


def _redacted(values: list) -> list:
    """`values` (text or None), in place, with what looks like an SWE number removed from each."""
    for i in np.flatnonzero(suspects(values)):
        values[i] = redact(values[i])
    return values


def _redact_table(rows: pa.Table) -> pa.Table:
    """`redact_text` for an Arrow table: each text column with a cell the detector must look at is
    rebuilt only if one changes."""
    for i, field in enumerate(rows.schema):
        if not (pa.types.is_string(field.type) or pa.types.is_large_string(field.type)):
            continue
        column = rows.column(i)
        if not suspects(column).any():
            continue
        values = column.to_pylist()
        clean = _redacted(list(values))
        if clean != values:
            rows = rows.set_column(i, field, pa.array(clean, field.type))
    return rows


def redact_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text column of `frame`, in place, with what looks like an SWE number removed (Q516 tells the
    council): personal data typed into free text never reaches the warehouse or shared outputs. Only
    the cells of a text column the detector must look at (`redaction.suspects`) are looked at, and
    the column is replaced only if one of them changes; a column of Python objects is looked at
    whole (and, as pandas' `map` does, becomes a text column)."""
    for col in frame.columns:
        column = frame[col]
        if column.dtype == object:
            frame[col] = column.map(redact, na_action="ignore")
            continue
        if not pd.api.types.is_string_dtype(column) or not suspects(column).any():
            continue
        values = column.to_numpy(dtype=object)
        clean = _redacted(values.copy())
        if any(c is not v for c, v in zip(clean, values)):
            frame[col] = pd.Series(clean, index=frame.index, dtype=column.dtype)
    return frame
