"""Faults a council officer and an operator found in a user test, each tested as a user meets it:
real .xlsx files through real CLI runs."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pipeline.core.contract import Quarter
from pipeline.warehouse import queries
from tests.scenarios.test_faults import _book  # a valid return for an LA, with cells changed

PROJECT = Path(__file__).resolve().parents[2]
SAMPLE = PROJECT / "sample_data"


def _cli(home: Path, *args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENCY_RETURN_")}
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True,
                          env={**env, "AGENCY_RETURN_HOME": str(home), "PYTHONPATH": str(PROJECT)},
                          cwd=home, timeout=300)


# --- 1. the standing accepted return sent again is unchanged, and never replaces itself ------------

def test_the_standing_accepted_return_sent_again_after_a_rejected_version_is_unchanged(tmp_path, service_home):
    accepted = SAMPLE / "869_2025-Q2.xlsx"
    rejected = _book(tmp_path, "869", "869_v2.xlsx", cells={("Assignments", 2, "Hourly pay rate"): 0})
    first = _cli(service_home, "submit", str(accepted), "--json")
    assert first.returncode == 0, first.stderr
    assert _cli(service_home, "submit", str(rejected)).returncode == 1
    again = _cli(service_home, "submit", str(accepted))
    assert again.returncode == 0, again.stderr
    assert "accepted" in again.stdout and "unchanged" in again.stdout
    assert "replaces" not in again.stdout                      # never "replaces … 869_2025-Q2.xlsx", itself
    answer = json.loads(_cli(service_home, "submit", str(accepted), "--json").stdout)
    before = json.loads(first.stdout)
    assert answer["unchanged"] and answer["supersedes"] is None
    assert (answer["status"], answer["errors"], answer["queries"]) == (before["status"], before["errors"], before["queries"])
    history = queries.history(la_code="869", quarter="2025-Q2")
    assert history["status"].tolist() == ["accepted", "rejected"]   # nothing recorded a third time
    assert history["standing"].tolist() == ["accepted", "rejected"]


# --- 6. a quarter not yet ended, or before the collection began, is refused by build and pull ------

def test_build_and_pull_refuse_a_quarter_that_has_not_ended_or_was_never_collected(tmp_path, service_home):
    import datetime as dt

    from pipeline.core.calendar import not_collectable
    this_quarter = Quarter.containing(dt.date.today())
    for quarter, why in (("2031-Q1", "has not ended yet"), (str(this_quarter), "has not ended yet"),
                         ("2024-Q4", "before the collection began")):
        for command in (["build", "--quarter", quarter], ["pull", "--quarter", quarter, "--out", str(tmp_path / "o")]):
            done = _cli(service_home, *command)
            assert done.returncode == 2, (command, done.stderr)
            assert why in done.stderr and "Traceback" not in done.stderr
    assert not (service_home / "outputs" / "2031-Q1").exists() and not (tmp_path / "o").exists()
    # the quarter ends on its last day in London: 2025-Q2 is buildable from 1 July
    assert not_collectable(Quarter(2025, 2), on=dt.date(2025, 6, 30))
    assert not_collectable(Quarter(2025, 2), on=dt.date(2025, 7, 1)) is None


# --- 4. one typo, one error; the value as the council typed it -----------------------------------

def _validate_json(tmp_path: Path, name: str, cells: dict) -> dict:
    path = _book(tmp_path, "316", name, cells=cells)
    done = subprocess.run([sys.executable, "-m", "pipeline", "validate", str(path), "--json"], capture_output=True,
                          text=True, cwd=PROJECT, timeout=120)
    return json.loads(done.stdout)


def test_a_date_that_fails_e104_gets_no_other_date_rule_and_values_are_as_typed(tmp_path):
    import datetime as dt
    typo = _validate_json(tmp_path, "typo.xlsx", {("Assignments", 2, "Start date"): dt.datetime(2205, 5, 1),
                                                  ("Assignments", 3, "End date"): dt.datetime(2090, 5, 1)})
    on_cell = {}
    for f in typo["findings"]:
        on_cell.setdefault((f["sheet"], f["row"], f["column"]), []).append(f)
    start = on_cell[("Assignments", 2, "Start date")]
    assert [f["code"] for f in start] == ["E104"]                       # not also E106 "after the quarter"
    assert start[0]["value"].startswith("2205-05-01")
    assert not any(f["code"] in ("E105", "E106") for f in typo["findings"] if f["row"] == 2)
    # a date that is a date but wrong for the quarter: value as typed, the message in dd/mm/yyyy
    late = _validate_json(tmp_path, "late.xlsx", {("Assignments", 2, "Start date"): "01/09/2025"})
    e106 = next(f for f in late["findings"] if f["code"] == "E106")
    assert e106["value"] == "01/09/2025" and "starts on 01/09/2025" in e106["message"]
    iso = _validate_json(tmp_path, "iso.xlsx", {("Assignments", 2, "Start date"): dt.datetime(2025, 9, 1)})
    e106 = next(f for f in iso["findings"] if f["code"] == "E106")
    assert e106["value"].startswith("2025-09-01") and "starts on 01/09/2025" in e106["message"]


# --- 5. numbers in messages as people write them; no internal identifiers -------------------------

def test_messages_give_units_in_the_singular_and_plural_without_trailing_zeros(tmp_path):
    from pipeline.core.findings import number_text, quantity
    answer = _validate_json(tmp_path, "wording.xlsx", {
        ("Assignments", 3, "Notice period weeks"): 1, ("Assignments", 2, "Notice period weeks"): 2.0,
        ("Assignments", 2, "PQE years"): 1, ("Assignments", 3, "PQE years"): 2.5,
        ("Assignments", 2, "Hours per week"): 60.0,
        ("Assignments", 3, "Hourly pay rate"): 80.0})                  # above every cap: Q501
    messages = {(f["code"], f["row"]): f["message"] for f in answer["findings"]}
    assert messages[("Q506", 3)].startswith("The notice period is 1 week; the rules need at least 4 weeks")
    assert messages[("Q506", 2)].startswith("The notice period is 2 weeks;")
    assert messages[("Q503", 2)].startswith("PQE is 1 year; agency social workers need at least 3 years")
    assert messages[("Q503", 3)].startswith("PQE is 2.5 years;")
    assert messages[("Q507", 2)].startswith("60 hours per week is more than 48 hours")
    cap = messages[("Q501", 3)]
    assert "cap table" not in cap and ".csv" not in cap and "@" not in cap
    assert "London cap of £" in cap and "for the role 'Senior social worker'" in cap
    assert answer["cap_table"].startswith("price_caps_illustrative.csv@")   # the version stays in the JSON
    assert not any(".0 " in m or " 1 weeks" in m or " 1 years" in m or " 1 months" in m or " 1 hours" in m
                   for m in messages.values())
    assert (quantity(1, "months"), quantity("6", "months"), quantity(1.0, "hours")) == ("1 month", "6 months", "1 hour")
    assert (number_text(2.0), number_text("3.0"), number_text(2.5), number_text("32.50")) == ("2", "3", "2.5", "32.50")


def test_large_figures_in_messages_keep_every_digit_and_group_thousands(tmp_path):
    """An absurd figure is quoted as typed (to Excel's 15 digits), never rounded to '1.23457e+06', and
    money and quantities group their thousands; a bare value (it may be a reference) does not."""
    from pipeline.core.findings import number_text
    answer = _validate_json(tmp_path, "absurd.xlsx", {
        ("Assignments", 2, "Hours per week"): 1234567.5,
        ("Assignments", 3, "Hourly pay rate"): 1234.5})
    messages = {(f["code"], f["row"]): f["message"] for f in answer["findings"]}
    assert messages[("Q507", 2)].startswith("1,234,567.5 hours per week is more than 48 hours")
    assert messages[("Q508", 3)].startswith("An hourly pay rate of £1,234.50 is outside £15–£150.")
    assert "rate £1,2" in messages[("Q501", 3)]
    assert (number_text(1234567.5), number_text(123456.0), number_text(1e20)) == ("1234567.5", "123456", "1e+20")


# --- 2. counts that add up, said the same way everywhere -------------------------------------------

def test_submit_and_validate_say_the_same_counts(tmp_path, service_home):
    path = SAMPLE / "869_2025-Q2.xlsx"
    validated = _cli(service_home, "validate", str(path))
    submitted = _cli(service_home, "submit", str(path))
    said = "0 errors, 5 queries (2 outstanding, 3 explained)"
    assert said in validated.stdout.splitlines()[0]
    assert said in submitted.stdout.splitlines()[0]


def test_a_run_summary_counts_each_file_once():
    from pipeline.warehouse.intake import describe, summarise
    rows = [{"status": s, "unchanged": u, "queries": 0} for s, u in
            (("accepted", True), ("rejected", False), ("rejected", False), ("unreadable", False))]
    summary = summarise(Path("inbox"), rows)
    assert describe(summary) == "4 file(s): 1 accepted, 2 rejected, 1 unreadable (1 of them unchanged)"
    assert sum(summary[s] for s in ("accepted", "rejected", "unreadable", "failed")) == summary["files"]
    assert describe(summarise(Path("inbox"), [])) == "0 file(s): none"


# --- 3. readable at 80 columns: stacked findings when the table would squeeze the message ---------

def _shown(path: Path, width: int) -> list[str]:
    code = ("import sys; from rich.console import Console; import pipeline.cli.console as c; "
            f"c._console = Console(width={width}, force_terminal=True, color_system=None); "
            "from pipeline.cli.main import main; sys.exit(main(['validate', sys.argv[1]]))")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=PROJECT,
                          timeout=120)
    assert done.returncode == 1, done.stderr
    return done.stdout.splitlines()


def test_findings_are_stacked_at_80_columns_and_a_table_at_120():
    import io

    from rich.console import Console

    from pipeline.cli.console import MIN_MESSAGE_WIDTH, message_width, print_findings
    from pipeline.rules.validate import validate_file
    path = SAMPLE / "926_2025-Q2.xlsx"                         # rejected: 12 errors
    narrow = _shown(path, 80)
    assert max(map(len, narrow)) <= 80
    assert not any(line.split()[:2] == ["code", "sheet!cell"] for line in narrow if line.split())   # no table
    head = next(i for i, line in enumerate(narrow) if line.startswith("E102  Assignments!B4"))
    assert "SWE registration number" in narrow[head] and "'SW12345678'" in narrow[head]
    message = [line for line in narrow[head + 1:head + 4] if line.startswith("    ")]
    assert 1 <= len(message) <= 2 and len(message[0]) > 60     # the message has the full width, indented
    wide = _shown(path, 120)
    assert max(map(len, wide)) <= 120
    header = next(line for line in wide if "message" in line and "column" in line)
    assert len(header) - header.index("message") >= MIN_MESSAGE_WIDTH
    findings = validate_file(path).findings
    assert message_width(findings, 80) < MIN_MESSAGE_WIDTH <= message_width(findings, 120)
    for width in (80, 120):   # every finding is shown either way
        out = io.StringIO()
        print_findings(findings, Console(width=width, file=out, force_terminal=True, color_system=None))
        assert all(f.code in out.getvalue() for f in findings)


def test_one_error_a_cell_with_its_own_words_never_another_rules_message(tmp_path):
    """A negative pay rate is one E107 ('must be more than £0'), not also the contract's generic
    'negative' rule, whose variant E107 has no words for (it once fell through to the message about
    uncalculated formulas); a blank month on MonthlyCosts says the month is blank."""
    answer = _validate_json(tmp_path, "negative.xlsx", {("Assignments", 3, "Hourly pay rate"): -35,
                                                        ("MonthlyCosts", 2, "Month"): None})
    rate = [f for f in answer["findings"] if f["cell"] == "N3" and f["severity"] == "error"]
    assert [(f["code"], f["message"]) for f in rate] == [("E107", "The hourly pay rate is -35. It must be more than £0.")]
    month = [f for f in answer["findings"] if f["sheet"] == "MonthlyCosts" and f["row"] == 2 and f["code"] == "E301"]
    assert [f["message"] for f in month] == ["The month is blank. Enter the first day of the month (01/01/2025) or 2025-01."]
    assert not any("formula" in f["message"] for f in answer["findings"])


def test_every_variant_a_column_rule_can_give_has_its_rules_own_words():
    """Each (code, variant) the schemas can produce has a message in that rule's entry (or is one of
    the messages every column rule shares): never another rule's text, never a fallback."""
    import tomllib

    import schemas
    raw = tomllib.loads((PROJECT / "pipeline" / "core" / "data" / "rules.toml").read_text())
    shared = set(raw["common"]["messages"])
    missing = [(sheet, key, code, variant) for sheet, schema in schemas.BY_SHEET.items()
               for key, rules in schema.rules.items() for code, variant, _ in rules
               if not ({variant, variant.split("_")[0], "default"} & set(raw[code].get("messages", {})) or variant in shared)]
    assert missing == []
