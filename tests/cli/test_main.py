"""The command line as a council data team uses it: exit codes, JSON, the feedback workbook."""
import json
import subprocess
import sys

import openpyxl
import pytest

from pipeline.cli.main import main
from tests.workbooks import make_workbook, set_cell, valid_sheets


def cli(*args):
    """Run `python -m pipeline` in a fresh process, as a user would."""
    return subprocess.run([sys.executable, "-m", "pipeline", *map(str, args)], capture_output=True, text=True, timeout=120)


@pytest.fixture
def clean(tmp_path):
    return make_workbook(tmp_path / "clean.xlsx", valid_sheets())


@pytest.fixture
def with_errors(tmp_path):
    sheets = valid_sheets()
    set_cell(sheets, "Assignments", 2, "Hourly pay rate", "=1/0")
    set_cell(sheets, "Assignments", 3, "Payment route", "Cash")
    return make_workbook(tmp_path / "errors.xlsx", sheets)


def test_validate_exit_codes_and_json(tmp_path, clean, with_errors):
    junk = tmp_path / "junk.xlsx"
    junk.write_text("LA code,Quarter\n316,2025-Q2\n")
    proc = cli("validate", clean, with_errors, junk, "--json")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    objs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["status"] for o in objs] == ["accepted", "rejected", "unreadable"]
    assert set(objs[0]) >= {"file", "la_code", "quarter", "status", "errors", "queries", "findings"}
    finding = objs[1]["findings"][0]
    assert set(finding) >= {"code", "severity", "sheet", "row", "column", "cell", "value", "message"}
    assert {(f["code"], f["cell"]) for f in objs[1]["findings"]} >= {("E107", "N2"), ("E109", "H3")}
    assert objs[2]["findings"][0]["code"] == "E001"
    assert main(["validate", str(clean), "--json"]) == 0
    assert main(["validate", str(with_errors), "--json"]) == 1


def test_validate_human_output_is_a_readable_table(with_errors):
    proc = cli("validate", with_errors)
    assert proc.returncode == 1
    assert "REJECTED" in proc.stdout and "E109" in proc.stdout and "'Cash' is not a payment route" in proc.stdout


def test_usage_errors_exit_2():
    assert cli("validate").returncode == 2
    assert cli("validate", "x.xlsx", "--quarter", "2025Q5").returncode == 2
    assert cli("no-such-command").returncode == 2


def test_missing_file_is_unusable_input(tmp_path):
    proc = cli("validate", tmp_path / "nope.xlsx", "--json")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["findings"][0]["code"] == "E001"


def test_report_highlights_each_failing_cell_and_links_findings(tmp_path, with_errors):
    out = tmp_path / "feedback.xlsx"
    assert main(["validate", str(with_errors), "--report", str(out)]) == 1
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "Findings"
    ws = wb["Assignments"]
    for cell in ("N2", "H3"):
        assert ws[cell].fill.fgColor.rgb.endswith("FFC7CE")
        assert ws[cell].comment is not None and ws[cell].comment.text.startswith("E1")
    findings = wb["Findings"]
    links = {c.value: c.hyperlink.location for c in findings["E"] if c.hyperlink is not None}
    assert links["H3"] == "'Assignments'!H3"


def test_report_never_writes_council_text_as_a_formula(tmp_path):
    sheets = valid_sheets()
    set_cell(sheets, "Assignments", 2, "Payment route", "@SUM(1+1)")
    out = tmp_path / "fb.xlsx"
    main(["validate", str(make_workbook(tmp_path / "f.xlsx", sheets)), "--report", str(out)])
    ws = openpyxl.load_workbook(out)["Findings"]
    values = [c for row in ws.iter_rows() for c in row if c.value == "@SUM(1+1)"]
    assert values and all(c.data_type == "s" for c in values)


def test_template_round_trips_through_validate(tmp_path):
    out = tmp_path / "t.xlsx"
    assert main(["template", "--out", str(out), "--quarter", "2025-Q2", "--la", "316"]) == 0
    wb = openpyxl.load_workbook(out)
    assert {"Return", "Assignments", "MonthlyCosts", "Compliance"} <= set(wb.sheetnames)


@pytest.mark.parametrize("fmt", ["md", "csv", "json"])
def test_rules_catalogue_lists_every_code_with_where_it_is_checked(capsys, fmt):
    assert main(["rules", "--format", fmt]) == 0
    out = capsys.readouterr().out
    for code in ("E001", "E105", "Q504", "X602"):
        assert code in out
    if fmt == "json":
        rows = {r["code"]: r for r in json.loads(out)}
        assert rows["E105"]["checked_in"] == "pipeline.rules.assignment_rows.assignment_dates"
        assert "schemas/assignments.py" in rows["E107"]["checked_in"]
        assert all(r["checked_in"] for r in rows.values()), [c for c, r in rows.items() if not r["checked_in"]]


def test_commands_explain_what_the_user_can_fix_without_a_traceback(tmp_path):
    pull = cli("pull", "--quarter", "2025-Q2", "--out", tmp_path)
    assert pull.returncode == 2 and "Traceback" not in pull.stderr and "no warehouse at" in pull.stderr
    status = cli("status", "--quarter", "2025-Q2", "--region", "Narnia")
    assert status.returncode == 2 and "Traceback" not in status.stderr and "unknown region 'Narnia'" in status.stderr


def test_submit_says_why_a_file_was_not_taken(tmp_path, with_errors):
    proc = cli("submit", with_errors, "--quarter", "2025-Q2")
    assert proc.returncode == 1
    assert "rejected" in proc.stdout and "E109\tAssignments!H3\tPayment route\tCash\t'Cash' is not a payment route" in proc.stdout


def test_validate_never_imports_prefect_or_duckdb(clean):
    code = ("import sys; from pipeline.cli.main import main; main(['validate', sys.argv[1], '--json']); "
            "print(sorted(m for m in ('prefect', 'duckdb') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code, str(clean)], capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_status_gives_one_line_per_la_when_piped_and_stops_quietly_when_the_reader_does(clean):
    assert cli("submit", clean, "--quarter", "2025-Q2").returncode == 0
    lines = cli("status", "--quarter", "2025-Q2", "--region", "London").stdout.splitlines()
    assert lines[0].startswith("2025-Q2: 33 LAs: ") and "1 accepted" in lines[0]
    assert lines[1].split("\t") == ["LA", "name", "status", "late", "files", "last file", "errors", "queries"]
    newham = next(line.split("\t") for line in lines if line.startswith("316\t"))
    assert newham[:3] == ["316", "Newham", "accepted"] and newham[4] == "1" and len(lines) == 2 + 33

    # stdout a pipe whose reader has gone (as with `| head -1` once head has its line)
    code = ("import os, sys; r, w = os.pipe(); os.close(r); os.dup2(w, 1); from pipeline.cli.main import main; "
            "sys.exit(main(['status', '--quarter', '2025-Q2']))")
    reader_gone = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert reader_gone.returncode == 0 and reader_gone.stderr == ""


def test_every_command_and_option_says_what_it_is_for():
    """sqlite-utils' habit: `--help` is the reference, so nothing in it is left unexplained."""
    import argparse

    from pipeline.cli.main import build_parser
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    helps = {c.dest: c.help for c in commands._choices_actions}
    unexplained = [name for name, text in helps.items() if not text]
    for name, parser in commands.choices.items():
        for action in parser._actions:
            if action.option_strings and action.dest != "help" and not action.help:
                unexplained.append(f"{name} {action.option_strings[0]}")
    assert unexplained == []


def test_validate_lists_a_regional_agreements_findings_apart(tmp_path):
    from pipeline.core.contract import Quarter
    sheets = valid_sheets(Quarter(2026, 4), "926")    # Norfolk, East of England: no self-employed (protocol 13)
    set_cell(sheets, "Return", 0, "LA name", "Norfolk")
    set_cell(sheets, "Assignments", 3, "Payment route", "Self-employed")
    path = make_workbook(tmp_path / "926.xlsx", sheets)
    proc = cli("validate", path, "--json")
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["status"] == "accepted" and not [f for f in answer["findings"] if f["code"].startswith("R")]
    assert [(f["code"], f["severity"], f["cell"]) for f in answer["agreement"]] == [("R702", "query", "H3")]
    lines = cli("validate", path).stdout.splitlines()   # piped: the agreement's lines under their own title
    title = lines.index("Regional agreement (not DfE's rules; not counted above):")
    assert lines[title + 1].startswith("R702\tAssignments!H3\tPayment route\tSelf-employed\t")
