"""The docs stay true: the README is short and opens with `make run` and `make test`; every CLI command
is in docs/command-line.md with help text; the rule table and value aliases are the code's; every
file, module and link the README and docs/ name exists."""
import importlib
import re
from pathlib import Path

import pytest

from pipeline.cli.main import build_parser
from pipeline.core.contract import VALUE_ALIASES
from pipeline.core.findings import catalogue

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [ROOT / "README.md", *DOCS]


def _doc(name: str) -> str:
    return (ROOT / "docs" / name).read_text()


def _commands():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sub.choices, {a.dest: a.help for a in sub._choices_actions}


def test_every_command_is_documented_and_has_help():
    commands, helps = _commands()
    command_line = _doc("command-line.md")
    for name in commands:
        assert f"`agency-return {name}" in command_line, f"docs/command-line.md does not document `agency-return {name}`"
        assert helps.get(name), f"{name} has no help text"


def test_readme_opens_with_make_run_then_make_test():
    after_title = README.split("\n", 1)[1].lstrip("\n")
    assert after_title.startswith("```sh\n"), "the README's first thing after its title is the two commands"
    first_block = re.search(r"```sh\n(.*?)```", README, re.S).group(1)
    assert [line.split()[:2] for line in first_block.strip().splitlines()] == [["make", "run"], ["make", "test"]]


def test_readme_is_under_150_lines():
    assert len(README.splitlines()) < 150


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_documented_rule_table_is_the_catalogue():
    rows = re.findall(r"^\| ([EQXR]\d{3}) \| (error|query) \| (.+?) \|$", _doc("rules-and-thresholds.md"), re.M)
    assert rows == [(code, r.severity, r.title) for code, r in catalogue().items()]


def test_value_aliases_are_documented():
    reading = _doc("reading-workbooks.md")
    for value, aliases in VALUE_ALIASES.items():
        for alias in aliases:
            assert f"`{alias}`" in reading, alias


def test_architecture_map_names_files_that_exist():
    text = (ROOT / "ARCHITECTURE.md").read_text()
    for path in re.findall(r"`((?:pipeline|schemas|flows|benchmarks)/[\w/]+\.(?:py|toml))`", text):
        assert (ROOT / path).exists(), path


# A path the project holds, in backticks: `pipeline/core/redaction.py`, `tests/cases/intake/`.
NAMED_PATH = re.compile(r"`((?:pipeline|schemas|flows|benchmarks|web|tests|sample_data|docs)/[\w./-]*)`")
# A module or what it defines, in backticks: `pipeline.warehouse.submit.judge`, `schemas.WORKBOOK`.
NAMED_MODULE = re.compile(r"`((?:pipeline|schemas|flows|benchmarks|web)(?:\.\w+)+)(?:\([^`]*\))?`")
FILE_SUFFIXES = {"py", "toml", "csv", "json", "sqlite", "xlsx", "md"}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_files_the_docs_name_exist(page):
    missing = [path for path in NAMED_PATH.findall(page.read_text()) if not (ROOT / path).exists()]
    assert not missing, missing


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for name in parts[i:]:
            if not hasattr(found, name):
                return False
            found = getattr(found, name)
        return True
    return False


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_modules_the_docs_name_exist(page):
    named = {m for m in NAMED_MODULE.findall(page.read_text()) if m.rsplit(".", 1)[1] not in FILE_SUFFIXES}
    missing = sorted(m for m in named if not _resolves(m))
    assert not missing, missing


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors for the page's headings: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in re.findall(r"^#+ (.+)$", text, re.M)}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_local_links_resolve(page):
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists() or (anchor and linked.suffix == ".md" and anchor not in _anchors(linked)):
            broken.append(target)
    assert not broken, broken
