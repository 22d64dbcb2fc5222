"""The `agency-return` command line (data-contract §4).

Kept light: argparse, and each command imports what it needs, so `validate` never pays for
DuckDB or Prefect.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from pipeline.core import calendar

EXIT_OK, EXIT_ERRORS, EXIT_UNUSABLE = 0, 1, 2
EXIT_BUSY = 75   # EX_TEMPFAIL: the warehouse stayed busy for the whole wait; try again later


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors exit 2, as the contract says
        self.print_usage(sys.stderr)
        self.exit(EXIT_UNUSABLE, f"{self.prog}: error: {message}\n")


def _quarter(text: str):
    from pipeline.core.contract import Quarter
    q = Quarter.parse(text)
    if q is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a quarter; write it as YYYY-Qn, e.g. 2025-Q2")
    return q


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="agency-return", description="Quarterly DfE return on agency child and family social workers.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    c = sub.add_parser("template", help="write the blank upload workbook")
    c.add_argument("--out", type=Path, default=Path("agency-return-template.xlsx"), help="where to write it")
    c.add_argument("--quarter", type=_quarter, help="pre-fill the quarter and its months")
    c.add_argument("--la", help="pre-fill the 3-digit DfE LA code")

    c = sub.add_parser("validate", help="check files and store nothing (exit 0 clean, 1 errors, 2 unusable)")
    c.add_argument("files", nargs="+", type=Path, metavar="FILE")
    c.add_argument("--json", action="store_true", help="print one JSON object per file")
    c.add_argument("--report", type=Path, metavar="OUT.xlsx",
                   help="write the feedback workbook (a directory when several files are given)")
    c.add_argument("--quarter", type=_quarter, help="the quarter being collected (E005 if a file says otherwise)")

    c = sub.add_parser("submit", help="validate, keep the raw file and load the warehouse if there are no errors")
    c.add_argument("files", nargs="+", type=Path, metavar="FILE")
    c.add_argument("--quarter", type=_quarter, help="the quarter being collected")
    c.add_argument("--json", action="store_true", help="print one JSON object per file")

    c = sub.add_parser("build", help="cross-LA checks and every output for a quarter")
    c.add_argument("--quarter", type=_quarter, required=True, help="the quarter to build, e.g. 2025-Q2 (ended)")

    c = sub.add_parser("pull", help="download what an RIIA analyst needs")
    c.add_argument("--quarter", type=_quarter, required=True, help="the quarter built, e.g. 2025-Q2")
    c.add_argument("--region", help="region code (E12000007) or name (London), or several comma-separated; "
                                    "default: every region")
    c.add_argument("--format", dest="fmt", choices=("xlsx", "csv", "parquet"), default="xlsx",
                   help="the workbooks (default), or every output table as CSV or Parquet")
    c.add_argument("--out", type=Path, default=Path("."), metavar="DIR", help="where to put them (default: here)")

    c = sub.add_parser("status", help="which LAs submitted, were accepted, rejected, are missing or late")
    c.add_argument("--quarter", type=_quarter, required=True, help="the quarter collected, e.g. 2025-Q2")
    c.add_argument("--region", help="region code or name")
    c.add_argument("--json", action="store_true", help="print every column as JSON")

    sub.add_parser("rebuild", help="rebuild the warehouse from the kept raw files")
    sub.add_parser("rekey", help="rotate the HMAC key: hash every kept file's SWE numbers again with a new key")

    c = sub.add_parser("purge", help="delete kept raw files and inbox copies older than DAYS (retention)")
    c.add_argument("--older-than", type=float, required=True, metavar="DAYS", dest="days",
                   help="delete what was received more than DAYS days ago")
    c.add_argument("--inbox", type=Path, help="the inbox folder (default: AGENCY_RETURN_INBOX or <home>/inbox)")

    c = sub.add_parser("rules", help="the rule catalogue (the rule set in force for a quarter)")
    c.add_argument("--format", dest="fmt", choices=("md", "csv", "json"), default="md", help="default: md")
    c.add_argument("--quarter", type=_quarter, help="the collection period whose rule set to print (default: newest)")
    c.add_argument("--region", help="print instead the region's own agreement (R701-R703): code (E12000007) or name "
                                    "(London)")

    c = sub.add_parser("scenario", help="what-if analysis over the warehouse; changes no finding or output")
    kinds = c.add_subparsers(dest="kind", metavar="KIND", parser_class=type(c))
    kinds.required = True
    c = kinds.add_parser("caps", help="candidate price caps per role over some regions' accepted assignments, beside "
                                      "each region's own cap")
    c.add_argument("--quarter", type=_quarter, required=True, help="the quarter, e.g. 2025-Q2")
    c.add_argument("--regions", required=True, help="region codes or names, comma-separated, e.g. "
                                                    "'East of England,East Midlands,London,South East'")
    c.add_argument("--cap", action="append", required=True, metavar="ROLE=£",
                   help="a role category and its candidate cap in £ per hour, e.g. 'Senior social worker=£40'; "
                        "repeat for each role")
    c.add_argument("--json", action="store_true", help="print the scenario as JSON (data-contract §7)")

    c = sub.add_parser("sample", help="generate sample workbooks (all live LAs by default)")
    c.add_argument("--quarter", type=_quarter, required=True, help="the quarter the returns are for")
    c.add_argument("--out", type=Path, required=True, metavar="DIR", help="where to write them")
    c.add_argument("--seed", type=int, default=0, help="the same seed gives the same workbooks (default 0)")
    c.add_argument("--las", help="comma-separated LA codes")

    c = sub.add_parser("serve", help="register the quarterly and inbox deployments with a Prefect server")
    c.add_argument("--cron", help="cron for the quarterly run, Europe/London time")
    c.add_argument("--poll-minutes", type=int, default=15, help="how often the inbox is looked at (default 15)")

    from web.commands import add_commands   # `web` and `users` (the web service's, data-contract §6)
    add_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = globals()[f"cmd_{args.command}"]
    os.umask(0o077)   # everything the service writes is the service user's only
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:   # `agency-return status … | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # no second error at exit
        return EXIT_OK
    except (FileNotFoundError, PermissionError, ValueError) as exc:   # the user's to fix: say so plainly
        print(f"agency-return {args.command}: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except Exception as exc:
        if type(exc).__name__ == "WarehouseBusy":   # pipeline.locks: still busy after the wait
            print(f"agency-return {args.command}: {exc}", file=sys.stderr)
            return EXIT_BUSY
        if type(exc).__name__ == "IOException" and "lock" in str(exc).lower():   # DuckDB: one writer at a time
            print(f"agency-return {args.command}: the warehouse is in use by another process (a running flow or "
                  f"command); try again when it has finished. ({str(exc).splitlines()[0]})", file=sys.stderr)
            return EXIT_BUSY
        raise


def cmd_template(args) -> int:
    from pipeline.core.reference import la_any, la_for_quarter
    if args.la is not None:
        known = la_for_quarter(args.la, args.quarter) if args.quarter else la_any(args.la)
        if known is None:
            when = f" live in {args.quarter}" if args.quarter else ""
            print(f"agency-return template: {args.la!r} is not a DfE LA code{when}; give the 3-digit code "
                  "from DfE's LA list, e.g. 316 for Newham", file=sys.stderr)
            return EXIT_UNUSABLE
    from pipeline.outputs.template import write_template
    path = write_template(args.out, quarter=args.quarter, la_code=args.la)
    print(f"Wrote {path}")
    return EXIT_OK


def cmd_validate(args) -> int:
    from pipeline.rules.validate import UNREADABLE, validate_file
    if args.report and len(args.files) > 1 and args.report.suffix.lower() in (".xlsx", ".xlsm"):
        print(f"agency-return validate: --report {args.report} names one workbook, but {len(args.files)} files "
              "were given; give a folder for their feedback workbooks, e.g. --report feedback/", file=sys.stderr)
        return EXIT_UNUSABLE
    results = []
    for path in args.files:
        result = validate_file(path, args.quarter)
        results.append(result)
        if args.json:
            print(json.dumps(result.to_dict(), default=str))
        else:
            from pipeline.cli.console import print_result
            print_result(result)
    if args.report:
        _write_reports(results, args.report, len(args.files) > 1)
    if any(r.status == UNREADABLE for r in results):
        return EXIT_UNUSABLE
    return EXIT_ERRORS if any(r.errors for r in results) else EXIT_OK


def _write_reports(results, out: Path, many: bool) -> None:
    from pipeline.rules.feedback import write_report
    if many:
        out.mkdir(parents=True, exist_ok=True)
    for r in results:
        target = out / f"{Path(r.file).stem}_feedback.xlsx" if many else out
        write_report(r, r.file, target)
        print(f"Feedback workbook: {target}", file=sys.stderr)


def cmd_submit(args) -> int:
    from pipeline.warehouse.submit import submit_files
    worst = EXIT_OK
    for path, outcome in zip(args.files, submit_files(args.files, args.quarter)):
        if args.json:
            print(json.dumps(outcome.to_dict(), default=str))
        else:
            from pipeline.cli.console import finding_line
            from pipeline.core.findings import counts, display_order
            print(f"{path}: {outcome.status} (LA {outcome.la_code or '?'}, {outcome.quarter or '?'}; "
                  f"{counts(outcome.errors, outcome.queries, outcome.queries_outstanding)})"
                  + (": unchanged, these bytes already stand with this verdict; nothing new recorded"
                     if outcome.unchanged else ""))
            if outcome.supersedes:
                print(f"  replaces the accepted return {outcome.supersedes['file']} "
                      f"(submission {outcome.supersedes['submission_id']})")
            if outcome.superseded_by:
                print(f"  superseded by {outcome.superseded_by}, sent later in this batch")
            findings = outcome.result.findings if outcome.result else []
            errors = display_order([f for f in findings if f.severity == "error"])
            for f in errors[:5]:
                print(finding_line(f))
            if len(errors) > 5:
                print(f"  … and {len(errors) - 5} more: `agency-return validate {path}` lists them all")
        if outcome.status == "unreadable":
            worst = EXIT_UNUSABLE
        elif outcome.status == "rejected" and worst == EXIT_OK:
            worst = EXIT_ERRORS
    return worst


def cmd_build(args) -> int:
    if refused := calendar.not_collectable(args.quarter):
        print(f"agency-return build: {refused}", file=sys.stderr)
        return EXIT_UNUSABLE
    from pipeline.core.config import require_warehouse
    require_warehouse()
    from pipeline.outputs.build import build_quarter
    summary = build_quarter(args.quarter)
    print(summary.describe() if hasattr(summary, "describe") else summary)
    return EXIT_OK


def cmd_pull(args) -> int:
    if refused := calendar.not_collectable(args.quarter):
        print(f"agency-return pull: {refused}", file=sys.stderr)
        return EXIT_UNUSABLE
    from pipeline.core.config import outputs_dir, require_warehouse
    if not (outputs_dir() / str(args.quarter)).is_dir():
        require_warehouse()   # no outputs and no warehouse: most likely the wrong folder; say where it looked
    from pipeline.outputs.pull import pull
    for path in pull(args.quarter, region=args.region, fmt=args.fmt, out=args.out):
        print(path)
    return EXIT_OK


def cmd_status(args) -> int:
    from pipeline.core.config import require_warehouse
    if refused := calendar.before_collection(args.quarter):
        print(f"agency-return status: {refused}", file=sys.stderr)
        return EXIT_UNUSABLE
    from pipeline.warehouse.queries import region_code, status
    region_code(args.region)   # an unknown region is said before anything else
    require_warehouse()
    table = status(args.quarter, region=args.region)
    if args.json:
        print(table.to_json(orient="records", date_format="iso"))
    else:
        from pipeline.cli.console import print_status
        print_status(table, args.quarter, one_region=bool(args.region))
    changed = table.loc[table["changed_since_build"], "la_code"].tolist()
    if changed:
        print(f"Outputs for {args.quarter} are stale: {len(changed)} LA(s) changed since they were built "
              f"({', '.join(changed[:10])}{'…' if len(changed) > 10 else ''}); run `agency-return build --quarter "
              f"{args.quarter}`.", file=sys.stderr)
    return EXIT_OK


def cmd_rebuild(args) -> int:
    from pipeline.warehouse.maintenance import rebuild
    print(rebuild())
    return EXIT_OK


def cmd_rekey(args) -> int:
    from pipeline.warehouse.maintenance import rekey
    print(rekey())
    return EXIT_OK


def cmd_purge(args) -> int:
    from pipeline.warehouse.maintenance import purge
    print(purge(args.days, inbox=args.inbox))
    return EXIT_OK


def cmd_rules(args) -> int:
    from pipeline.cli.rules_table import render, render_agreement
    if args.region:
        from pipeline.warehouse.queries import region_code
        print(render_agreement(args.fmt, region_code(args.region)))
        return EXIT_OK
    print(render(args.fmt, args.quarter))
    return EXIT_OK


def cmd_scenario(args) -> int:
    from pipeline.core.config import require_warehouse
    from pipeline.outputs.scenarios import cap_scenario, parse_cap
    caps = dict(parse_cap(text) for text in args.cap)
    require_warehouse()
    scenario = cap_scenario(args.quarter, [r for r in args.regions.split(",") if r.strip()], caps)
    if args.json:
        print(json.dumps(scenario, indent=2))
        return EXIT_OK
    from pipeline.cli.console import print_scenario
    print_scenario(scenario)
    return EXIT_OK


def cmd_sample(args) -> int:
    from pipeline.outputs.sample import generate
    las = args.las.split(",") if args.las else None
    paths = generate(args.quarter, args.out, seed=args.seed, la_codes=las)
    print(f"Wrote {len(paths)} workbooks to {args.out}")
    return EXIT_OK


def cmd_serve(args) -> int:
    from flows.env import configure
    configure()
    from flows.serve import serve
    serve(cron=args.cron, poll_minutes=args.poll_minutes)
    return EXIT_OK


def cmd_web(args) -> int:
    from web.commands import cmd_web as run
    return run(args)


def cmd_users(args) -> int:
    from web.commands import cmd_users as run
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
