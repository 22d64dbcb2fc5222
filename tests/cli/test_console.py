"""What the CLI prints: one tab-separated line per finding when piped, file-level findings first, a
table that gives the message the width in a terminal; where the data lives; small usage faults."""
import os
import subprocess
import sys

import pytest

from pipeline.cli.console import compliance_reason, finding_line
from pipeline.core.findings import Finding, counts, display_order
from tests.workbooks import make_workbook, set_cell, valid_sheets

LONG = "Enter the £ per hour paid to the worker " * 6


def cli(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "pipeline", *map(str, args)], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env)


@pytest.fixture
def file_level_and_cell_errors(tmp_path):
    sheets = valid_sheets()
    set_cell(sheets, "Assignments", 3, "Payment route", "Cash")
    set_cell(sheets, "Assignments", 2, "Hourly pay rate", "lots")
    set_cell(sheets, "Return", 0, "LA code", None)
    set_cell(sheets, "Return", 0, "Quarter", None)
    return make_workbook(tmp_path / "errors.xlsx", sheets)


def test_piped_output_is_one_tab_separated_line_per_finding_file_level_first(file_level_and_cell_errors):
    proc = cli("validate", file_level_and_cell_errors)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert "REJECTED" in lines[0] and "errors" in lines[0]
    rows = [line.split("\t") for line in lines[1:] if line[:1] in "EQX" and "\t" in line]
    assert all(len(r) == 5 for r in rows)                      # code, sheet!cell, column, value, message
    codes = [r[0] for r in rows]
    assert codes[:2] == ["E004", "E005"] or set(codes[:2]) == {"E004", "E005"}   # file level first
    by_code = {r[0]: r for r in rows}
    assert by_code["E109"][1:4] == ["Assignments!H3", "Payment route", "Cash"]
    assert by_code["E107"][1:4] == ["Assignments!N2", "Hourly pay rate", "lots"]
    assert codes.index("E107") < codes.index("E109")            # row 2 before row 3
    assert "Traceback" not in proc.stderr and "┃" not in proc.stdout and "│" not in proc.stdout


def test_a_finding_line_never_wraps_or_splits(tmp_path):
    f = Finding("Q508", "query", "Assignments", 7, "Hourly pay rate", "N7", "12\t\n3", LONG)
    line = finding_line(f)
    assert "\n" not in line and line.count("\t") == 4 and line.split("\t")[3] == "12 3"
    assert line.endswith(LONG.strip())


def test_display_order_is_contract_section_3():
    def f(code, sheet, row, cell):
        return Finding(code, "error", sheet, row, None, cell, None, "m")
    found = [f("E303", "MonthlyCosts", 2, "G2"), f("E110", "Assignments", 2, "AB2"), f("E110", "Assignments", 2, "N2"),
             f("E107", "Assignments", 10, "N10"), f("E005", "Return", 3, "B3"), f("E002", None, None, None),
             f("E402", "Compliance", 2, "B2")]
    assert [(x.code, x.cell) for x in display_order(found)] == [
        ("E002", None), ("E005", "B3"), ("E110", "N2"), ("E110", "AB2"), ("E107", "N10"), ("E303", "G2"), ("E402", "B2")]


def test_counts_are_singular_for_one():
    assert counts(1, 1) == "1 error, 1 query"
    assert counts(0, 2) == "0 errors, 2 queries"


def test_compliance_explains_legacy_rows_and_a_derived_not_compliant():
    row = {"rule": "Price caps", "declared": "Partially compliant", "derived_status": "Partially compliant",
           "assignments": 9, "compliant": 8, "breaches": 0, "legacy": 1}
    assert "1 assignment in the transition" in compliance_reason(row)
    data = {"rule": "Data return", "declared": "Fully compliant", "derived_status": "Not compliant",
            "assignments": 3, "compliant": 3, "breaches": 0, "legacy": 0}
    assert "errors" in compliance_reason(data)


def test_terminal_table_gives_the_message_the_width_and_shows_the_column(tmp_path, file_level_and_cell_errors):
    code = ("import sys; from rich.console import Console; import pipeline.cli.console as c; "
            "c._console = Console(width=120, force_terminal=True, color_system=None); "
            "from pipeline.cli.main import main; sys.exit(main(['validate', sys.argv[1]]))")
    proc = subprocess.run([sys.executable, "-c", code, str(file_level_and_cell_errors)], capture_output=True,
                          text=True, timeout=120)
    lines = proc.stdout.splitlines()
    assert max(len(line) for line in lines) <= 120
    header = next(line for line in lines if "message" in line and "column" in line)
    assert len(header) - header.index("message") >= 55          # the message gets most of the width
    assert any("Payment route" in line for line in lines)


def test_status_run_elsewhere_says_where_it_looked_and_creates_nothing(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENCY_RETURN")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = cli("status", "--quarter", "2025-Q2", cwd=elsewhere, env=env)
    assert proc.returncode == 2 and "no warehouse at" in proc.stderr and "AGENCY_RETURN_HOME" in proc.stderr
    assert str(elsewhere) in proc.stderr
    assert list(elsewhere.iterdir()) == []
    assert cli("pull", "--quarter", "2025-Q2", cwd=elsewhere, env=env).returncode == 2
    assert list(elsewhere.iterdir()) == []


def test_a_command_finds_the_home_from_the_config_file_or_a_parent_folder(tmp_path, service_home):
    from tests.workbooks import valid_workbook
    assert cli("submit", valid_workbook(tmp_path / "ok.xlsx"), "--quarter", "2025-Q2").returncode == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENCY_RETURN")}
    config = tmp_path / "config" / "agency-return" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'home = "{service_home}"\n')
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = cli("status", "--quarter", "2025-Q2", "--region", "London", cwd=elsewhere, env=env)
    assert proc.returncode == 0 and "1 accepted" in proc.stdout
    env["XDG_CONFIG_HOME"] = str(tmp_path / "no-config")
    below = service_home / "outputs"
    below.mkdir(exist_ok=True)
    assert "1 accepted" in cli("status", "--quarter", "2025-Q2", "--region", "London", cwd=below, env=env).stdout


def test_small_usage_faults_get_a_plain_message_and_exit_2(tmp_path, file_level_and_cell_errors):
    target = tmp_path / "two.xlsx"
    proc = cli("validate", file_level_and_cell_errors, file_level_and_cell_errors, "--report", target)
    assert proc.returncode == 2 and "folder" in proc.stderr and not target.exists()
    proc = cli("template", "--la", "999", "--out", tmp_path / "t.xlsx")
    assert proc.returncode == 2 and "999" in proc.stderr and not (tmp_path / "t.xlsx").exists()
    proc = cli("status", "--quarter", "2024-Q4")
    assert proc.returncode == 2 and "2025-Q1" in proc.stderr and "late" not in proc.stdout


def test_pull_takes_a_region_file_name():
    from pipeline.warehouse.queries import region_code
    assert region_code("South_East.xlsx") == region_code("South East") == "E12000008"


def test_council_text_that_looks_like_markup_is_printed_as_it_is(tmp_path):
    sheets = valid_sheets()
    set_cell(sheets, "Assignments", 3, "Payment route", "[/bold][red]Cash")
    path = make_workbook(tmp_path / "[b]odd.xlsx", sheets)
    code = ("import sys; from rich.console import Console; import pipeline.cli.console as c; "
            "c._console = Console(width=160, force_terminal=True, color_system=None); "
            "from pipeline.cli.main import main; sys.exit(main(['validate', sys.argv[1]]))")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "[/bold][red]Cash" in proc.stdout and "[b]odd.xlsx" in proc.stdout
