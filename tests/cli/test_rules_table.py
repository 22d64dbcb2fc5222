"""The catalogue is the one source: `agency-return rules` (and docs/rules.md, what it prints), the
template and the tests all agree with pipeline/core/data/rules.toml (the docs' rule table and value
aliases: tests/test_docs.py)."""
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from pipeline.cli.main import main
from pipeline.core.contract import SHEETS, VALUE_ALIASES, normalise_header
from pipeline.core.findings import catalogue
from pipeline.outputs.template import write_template
from pipeline.read.parse import _choice_lookup

ROOT = Path(__file__).resolve().parents[2]


def test_rules_command_is_the_catalogue():
    out = subprocess.run([sys.executable, "-m", "pipeline", "rules", "--format", "json"],
                         capture_output=True, text=True, check=True).stdout
    rows = json.loads(out)
    assert [(r["code"], r["severity"], r["title"]) for r in rows] == [
        (code, r.severity, r.title) for code, r in catalogue().items()]
    assert all(r["checked_in"] for r in rows), [r["code"] for r in rows if not r["checked_in"]]


def test_every_file_named_as_where_a_code_is_checked_exists():
    """The 'checked in' column names files for the schemas and for the codes found outside the
    registered rules (the reader, the web service, the cross-LA checks at build, `READER`), which
    name their code: moving one means updating the table."""
    from pipeline.cli.rules_table import READER, where_checked
    for code, places in where_checked().items():
        for place in ", ".join(places).split(", "):
            if "/" in place:
                path = ROOT / place.split(" (")[0]
                assert path.is_file(), (code, place)
                assert code not in READER or code in path.read_text(encoding="utf-8"), (code, place)


def test_docs_rules_md_is_what_the_rules_command_prints(capsys):
    """docs/rules.md is generated (`make rules-doc`): a rule, its catalogue entry or where it is
    checked changed without it being written again."""
    assert main(["rules", "--format", "md"]) == 0
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == capsys.readouterr().out


def test_every_field_a_rule_names_is_a_template_header(tmp_path):
    book = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    headers = {s.name: {str(c.value) for c in (book[s.name]["A"] if s.key_value else book[s.name][1]) if c.value}
               for s in SHEETS}
    everywhere = set().union(*headers.values())
    for code, rule in catalogue().items():
        for field in rule.fields:
            assert field in everywhere, (code, field)
        if rule.sheet and rule.fields:
            assert set(rule.fields) & headers[rule.sheet], code


def test_every_code_is_named_by_a_test():
    tests = " ".join(p.read_text() for p in (ROOT / "tests").rglob("*.py") if p.name != "test_rules_table.py")
    missing = [code for code in catalogue() if code not in tests]
    assert missing == []


def test_value_aliases_map_back_to_their_value():
    for sheet in SHEETS:
        for col in sheet.columns:
            lookup = _choice_lookup(col.choices)
            for value in col.choices:
                for alias in VALUE_ALIASES.get(value, ()):
                    assert lookup[normalise_header(alias)] == value, (sheet.name, col.header, alias)


@pytest.mark.parametrize("value", sorted(VALUE_ALIASES))
def test_every_aliased_value_is_allowed_somewhere(value):
    assert any(value in col.choices for s in SHEETS for col in s.columns)
