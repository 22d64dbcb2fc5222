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


def test_rules_region_shows_the_regions_agreement_with_its_sources():
    from pipeline.cli.rules_table import agreement_rows, render_agreement
    london = agreement_rows("E12000007")
    assert [(r["rule"], r["code"], r["value"], r["in_force_from"]) for r in london] == [
        ("no_rehire_months", "R701", "6 months", "2022-06-01")]
    east = {r["rule"]: r for r in agreement_rows("E12000006")}
    assert east["self_employed_allowed"]["value"] == "no" and "protocol 13" in east["self_employed_allowed"]["source"]
    assert east["tenure_limit_weeks"]["value"] == "52 weeks" and "protocol 11" in east["tenure_limit_weeks"]["source"]
    assert "| no_rehire_months | R701 | 6 months | from 2022-06-01 |" in render_agreement("md", "E12000007")
    assert "has no regional agreement on file" in render_agreement("md", "E12000001")
    assert render_agreement("json", "E12000001") == "[]"


def test_an_agreements_file_with_a_typo_fails_naming_the_file(tmp_path, monkeypatch):
    from pipeline.core import agreements
    path = tmp_path / "agreements.toml"
    path.write_text('[[agreement]]\nregion = "E12000007"\nname = "x"\nsource = "y"\n'
                    '[[agreement.rule]]\nname = "no_rehire_month"\nvalue = 6\nfrom = 2022-06-01\nsource = "z"\n')
    monkeypatch.setenv("AGENCY_RETURN_AGREEMENTS", str(path))
    with pytest.raises(ValueError, match="unknown rule 'no_rehire_month'") as caught:
        agreements.agreements()
    assert str(path) in str(caught.value)
