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


def print_frame(frame: pd.DataFrame, title: str = "") -> None:
    t = Table(title=title)
    for col in frame.columns:
        t.add_column(str(col))
    for row in frame.itertuples(index=False):
        t.add_row(*["" if pd.isna(v) else str(v) for v in row])
    _console.print(t)
