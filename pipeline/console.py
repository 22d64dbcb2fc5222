"""Human-readable terminal output for the CLI (rich tables)."""
from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.table import Table

_console = Console(highlight=False)
_STYLE = {"accepted": "bold green", "rejected": "bold red", "unreadable": "bold red"}


def print_result(result) -> None:
    """One file's outcome: status line, findings table, derived compliance."""
    c = _console
    c.print(f"[bold]{result.file}[/]  LA {result.la_code or '?'}  {result.quarter or '?'}  "
            f"[{_STYLE.get(result.status, 'bold')}]{result.status.upper()}[/]  "
            f"{result.errors} errors, {result.queries_outstanding} queries outstanding, "
            f"{result.queries - result.queries_outstanding} explained")
    if result.findings and not c.is_terminal:   # piped or redirected: one plain line per finding
        for f in result.findings:
            where = f"{f.sheet}!{f.cell}" if f.cell else (f.sheet or "")
            value = "" if f.value is None else f" [{f.value}]"
            explained = " (explained)" if f.explained else ""
            c.print(f"  {f.code} {f.severity}{explained} {where}{value}: {f.message}", markup=False, soft_wrap=True)
    elif result.findings:
        t = Table(show_lines=False, expand=False)
        for col in ("code", "severity", "sheet", "cell", "value", "message"):
            t.add_column(col, overflow="fold", max_width=70 if col == "message" else 28)
        for f in result.findings:
            sev = f.severity + (" (explained)" if f.explained else "")
            style = "red" if f.severity == "error" else ("dim" if f.explained else "yellow")
            t.add_row(f.code, sev, f.sheet or "", f.cell or "", "" if f.value is None else str(f.value), f.message,
                      style=style)
        c.print(t)
    if result.compliance:
        t = Table(title="Compliance: declared vs what the assignments show")
        for col in ("rule", "declared", "derived", "assignments", "compliant", "breaches"):
            t.add_column(col)
        for row in result.compliance:
            t.add_row(str(row.get("rule")), str(row.get("declared") or ""), str(row.get("derived_status") or ""),
                      str(row.get("assignments", "")), str(row.get("compliant", "")), str(row.get("breaches", "")))
        c.print(t)


STATUS_COLUMNS = {"region_name": "region", "la_code": "LA", "la_name": "name", "status": "status", "late": "late",
                  "submissions": "files", "last_submission_at": "last file", "errors": "errors",
                  "queries_outstanding": "queries"}   # last file: London time; queries: outstanding


def print_status(frame: pd.DataFrame, quarter: str, *, one_region: bool = False) -> None:
    """Where each LA's return stands: a count by status, then one row per LA with the columns a person
    chases returns with (`--json` has them all). Piped, the rows are tab-separated lines."""
    counts = frame["status"].value_counts()
    late = frame["late"].fillna(False).astype(bool)
    summary = (f"{quarter}: {len(frame)} LAs: " + ", ".join(f"{n} {s}" for s, n in counts.items())
               + f"; {int(late.sum())} late")
    columns = {k: v for k, v in STATUS_COLUMNS.items() if not (one_region and k == "region_name")}
    rows = frame[list(columns)].copy()
    rows["late"] = late.map({True: "late", False: ""})
    rows["last_submission_at"] = pd.to_datetime(rows["last_submission_at"], utc=True).dt.tz_convert(
        "Europe/London").dt.strftime("%Y-%m-%d %H:%M")
    rows = rows.astype(object).where(rows.notna(), "")
    if not _console.is_terminal:
        print(summary)
        print("\t".join(columns.values()))
        for row in rows.itertuples(index=False):
            print("\t".join(str(v) for v in row))
        return
    _console.print(summary, style="bold")
    t = Table()
    for col in columns.values():
        t.add_column(col, overflow="fold", no_wrap=col in ("LA", "status", "late", "files", "errors"))
    for row in rows.itertuples(index=False):
        t.add_row(*[str(v) for v in row], style=_STYLE.get(row.status, "dim" if row.status == "missing" else ""))
    _console.print(t)
