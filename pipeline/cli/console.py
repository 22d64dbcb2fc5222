"""Terminal output for the CLI: one tab-separated line per finding when piped, a rich table in a terminal.

Piped or redirected (`validate … | grep E1`), every finding is exactly one line of five
tab-separated fields, never wrapped: code, sheet!cell, column header, value, message. In a
terminal the same fields form a table that gives the message most of the width, or, in a narrow
terminal, are stacked (a line of code, cell, column and value, then the message). Findings are
listed file-level first (E0xx), then by sheet (in the contract's order), row and column
(data-contract §3).
"""
from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING

from pipeline.core.findings import counts, display_order, plural

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console
_STYLE = {"accepted": "bold green", "rejected": "bold red", "unreadable": "bold red"}
_SPACE = re.compile(r"\s+")
FINDING_FIELDS = ("code", "sheet!cell", "column", "value", "message")
# the line above a regional agreement's findings (R7xx), apart from the statutory ones and not counted with them
AGREEMENT_TITLE = "Regional agreement (not DfE's rules; not counted above):"


def _rich_console() -> Console:
    """The rich console the CLI draws on (tests may set `_console` to one of their own)."""
    global _console
    if "_console" not in globals():
        from rich.console import Console
        _console = Console(highlight=False)
    return _console


def _terminal() -> Console | None:
    """The rich console when output goes to a terminal, else None (piped or redirected). rich (~60 ms to
    import) is imported only when it may be a terminal: standard output is a tty, or TTY_COMPATIBLE=1 or
    FORCE_COLOR say so (then rich's own test decides)."""
    if "_console" not in globals() and not (
            sys.stdout.isatty() or os.environ.get("TTY_COMPATIBLE") == "1" or "FORCE_COLOR" in os.environ):
        return None
    c = _rich_console()
    return c if c.is_terminal else None


def _one_line(value) -> str:
    """Text on one line: tabs, newlines and runs of spaces become one space."""
    return "" if value is None else _SPACE.sub(" ", str(value)).strip()


def finding_fields(f) -> tuple[str, str, str, str, str]:
    """(code, sheet!cell, column header, value, message) of a finding, each on one line."""
    where = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else (f.sheet or "")
    message = f.message + (" (explained by the row's Note)" if f.explained else "")
    return (f.code, where, _one_line(f.column), _one_line(f.value), _one_line(message))


def finding_line(f) -> str:
    """One finding as one tab-separated line (the piped format)."""
    return "\t".join(finding_fields(f))


def status_line(result) -> str:
    return (f"{result.file}  LA {result.la_code or '?'}  {result.quarter or '?'}  {result.status.upper()}  "
            f"{counts(result.errors, result.queries, result.queries_outstanding)}")


def print_result(result) -> None:
    """One file's outcome: status line, its findings (lines when piped, a table in a terminal), and
    the compliance the assignments show next to what the LA declared."""
    c = _terminal()
    findings = display_order(result.findings)
    agreement = display_order(result.agreement)
    if c is None:
        print(status_line(result))
        for f in findings:
            print(finding_line(f))
        if agreement:
            print(AGREEMENT_TITLE)
            for f in agreement:
                print(finding_line(f))
        if result.compliance:
            print("Compliance: declared vs what the assignments show")
            print("\t".join(COMPLIANCE_COLUMNS))
            for row in result.compliance:
                print("\t".join(_one_line(v) for v in compliance_cells(row)))
        return
    from rich.table import Table
    from rich.text import Text
    line = Text(str(result.file), style="bold")
    line.append(f"  LA {result.la_code or '?'}  {result.quarter or '?'}  ")
    line.append(result.status.upper(), style=_STYLE.get(result.status, "bold"))
    line.append(f"  {counts(result.errors, result.queries, result.queries_outstanding)}")
    c.print(line)
    if findings:
        print_findings(findings, c)
    if agreement:
        c.print(AGREEMENT_TITLE, style="bold")
        print_findings(agreement, c)
    if result.compliance:
        t = Table(title="Compliance: declared vs what the assignments show")
        for col in COMPLIANCE_COLUMNS[:-1]:
            t.add_column(col, overflow="fold", justify="right" if col in _COUNTS else "left")
        for row in result.compliance:
            t.add_row(*map(Text, compliance_cells(row)[:-1]))
        c.print(t)
        for row in result.compliance:   # the reason under the table, where it is not simply all well
            if row.get("derived_status") != row.get("declared") or row.get("derived_status") in _NOT_WELL:
                c.print(f"  {row.get('rule')}: {compliance_reason(row)}", markup=False)


MIN_MESSAGE_WIDTH = 40   # below this the table would wrap a two-line message over many lines: stack instead
_FIXED_WIDTHS = {"code": (4, None), "sheet!cell": (0, 24), "column": (0, 22), "value": (0, 22)}   # (min, max)


def message_width(findings, width: int) -> int:
    """The characters per line the table would leave the message at this terminal width: the width
    less the other columns (as wide as their text, within their limits) and the table's padding."""
    fields = [finding_fields(f) for f in findings]
    others = 0
    for i, (low, high) in enumerate(_FIXED_WIDTHS.values()):
        widest = max([len(FINDING_FIELDS[i])] + [len(row[i]) for row in fields])
        others += max(low, min(widest, high or widest))
    return width - others - 2 * len(FINDING_FIELDS)   # SIMPLE_HEAD: one space each side of every cell


def print_findings(findings, console: Console | None = None) -> None:
    """The findings in a terminal: a table (code, sheet!cell, column, value, message) when the message
    keeps at least MIN_MESSAGE_WIDTH characters a line; narrower (an 80-column terminal with long
    headers or values), stacked: one line per finding with code, sheet!cell, column header and value,
    then its message wrapped to the full width, indented."""
    from rich import box
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text
    c = console or _rich_console()
    if message_width(findings, c.width) < MIN_MESSAGE_WIDTH:
        for f in findings:
            code, where, column, value, message = finding_fields(f)
            style = _finding_style(f)
            head = Text(code, style=f"bold {style}")
            for part in (where, column, f"'{value}'" if value else ""):
                if part:
                    head.append("  " + part, style=style)
            c.print(head, overflow="fold")
            c.print(Padding(Text(message, style=style), (0, 0, 0, 4), expand=False))   # Text: a council's '[/]' is not markup
        return
    t = Table(expand=True, box=box.SIMPLE_HEAD)
    t.add_column("code", no_wrap=True, min_width=4)
    t.add_column("sheet!cell", no_wrap=True, max_width=24)
    t.add_column("column", max_width=22, overflow="fold")
    t.add_column("value", max_width=22, overflow="fold")
    t.add_column("message", ratio=1, overflow="fold")   # the rest of the width
    for f in findings:
        t.add_row(*map(Text, finding_fields(f)), style=_finding_style(f))
    c.print(t)


def _finding_style(f) -> str:
    return "red" if f.severity == "error" else ("dim" if f.explained else "yellow")


_COUNTS = ("assignments", "compliant", "breaches", "legacy")
_NOT_WELL = ("Partially compliant", "Not compliant")
COMPLIANCE_COLUMNS = ("rule", "declared", "derived", "assignments", "compliant", "breaches", "legacy", "why")


def compliance_cells(row: dict) -> tuple[str, ...]:
    """A row of the derived compliance table, with a plain reason for the derived status. Legacy
    assignments (started before the rules came in, in their transition) are neither compliant nor
    breaches, so assignments = compliant + breaches + legacy."""
    return (str(row.get("rule")), str(row.get("declared") or ""), str(row.get("derived_status") or ""),
            str(row.get("assignments", "")), str(row.get("compliant", "")), str(row.get("breaches", "")),
            str(row.get("legacy", "")), compliance_reason(row))


def compliance_reason(row: dict) -> str:
    """Why the assignments show the status they do, in a sentence."""
    from pipeline.rules.compliance import RULE_CODES
    derived, rule = row.get("derived_status") or "", row.get("rule")
    n, b, old = int(row.get("assignments") or 0), int(row.get("breaches") or 0), int(row.get("legacy") or 0)
    legacy = f"; {plural(old, 'assignment')} in the transition (started before 31 Oct 2024), not judged" if old else ""
    if derived.startswith("Could not"):
        return derived
    if rule == "Data return":
        return ("the file has errors, which block the return" if derived == "Not compliant"
                else "the file has no errors")
    if derived == "No assignments":
        return "no assignment in the quarter this rule applies to"
    codes = " ".join(RULE_CODES.get(rule, ())) or "the project team checks"
    if b:
        return f"{b} of {plural(n, 'assignment')} raise {codes}{legacy}"
    return f"no assignment raises {codes}{legacy}"


STATUS_COLUMNS = {"region_name": "region", "la_code": "LA", "la_name": "name", "status": "status", "late": "late",
                  "submissions": "files", "last_submission_at": "last file", "errors": "errors",
                  "queries_outstanding": "queries"}   # last file: London time; queries: outstanding


def print_status(frame: pd.DataFrame, quarter: str, *, one_region: bool = False) -> None:
    """Where each LA's return stands: a count by status, then one row per LA with the columns a person
    chases returns with (`--json` has them all). Piped, the rows are tab-separated lines."""
    counts_ = frame["status"].value_counts()
    late = frame["late"].fillna(False).astype(bool)
    summary = (f"{quarter}: {len(frame)} LAs: " + ", ".join(f"{n} {s}" for s, n in counts_.items())
               + f"; {int(late.sum())} late")
    columns = {k: v for k, v in STATUS_COLUMNS.items() if not (one_region and k == "region_name")}
    rows = frame[list(columns)].copy()
    rows["late"] = late.map({True: "late", False: ""})
    import pandas as pd
    rows["last_submission_at"] = pd.to_datetime(rows["last_submission_at"], utc=True).dt.tz_convert(
        "Europe/London").dt.strftime("%Y-%m-%d %H:%M")
    rows = rows.astype(object).where(rows.notna(), "")
    c = _terminal()
    if c is None:
        print(summary)
        print("\t".join(columns.values()))
        for row in rows.itertuples(index=False):
            print("\t".join(str(v) for v in row))
        return
    from rich.table import Table
    from rich.text import Text
    c.print(summary, style="bold")
    t = Table()
    for col in columns.values():
        t.add_column(col, overflow="fold", no_wrap=col in ("LA", "status", "late", "files", "errors"))
    for row in rows.itertuples(index=False):
        t.add_row(*[Text(str(v)) for v in row], style=_STYLE.get(row.status, "dim" if row.status == "missing" else ""))
    c.print(t)


def _figures_text(f: dict) -> str:
    share = "" if f["share_above"] is None else f" ({f['share_above']:.1%})"
    return f"{f['above']} above{share}, {plural(f['las_above'], 'LA')}, £{f['excess_gbp']:,.2f} above in the quarter"


def print_scenario(scenario: dict) -> None:
    """A cap scenario (pipeline/outputs/scenarios.py) in words: for each role, the candidate cap's
    figures in total, by region and by LA, each beside the same under the regions' own caps."""
    names = ", ".join(r["region_name"] for r in scenario["roles"][0]["by_region"]) if scenario["roles"] else ""
    print(f"Cap scenario, {scenario['quarter']}, {names} (own caps: {scenario['cap_table']})")
    for role in scenario["roles"]:
        print(f"\n{role['role_category']} at £{role['cap']:,.2f} an hour: {plural(role['assignments'], 'assignment')}")
        print(f"  all regions named: {_figures_text(role)}; under their own caps: {_figures_text(role['under_own_caps'])}")
        for r in role["by_region"]:
            own = "no cap" if r["own_cap"] is None else f"£{r['own_cap']:,.2f}"
            print(f"  {r['region_name']}: {plural(r['assignments'], 'assignment')}, {_figures_text(r)}; "
                  f"under its own cap ({own}): {_figures_text(r['under_own_caps'])}")
        for r in role["by_la"]:
            print(f"    {r['la_name']} ({r['la_code']}): {plural(r['assignments'], 'assignment')}, {_figures_text(r)}; "
                  f"own cap: {_figures_text(r['under_own_caps'])}")
