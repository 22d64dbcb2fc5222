"""The docs stay true: every CLI command is in docs/command-line.md with help text; the README opens with the two commands."""
import re
from pathlib import Path

from pipeline.cli.main import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
COMMAND_LINE = (ROOT / "docs" / "command-line.md").read_text()


def _commands():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sub.choices, {a.dest: a.help for a in sub._choices_actions}


def test_every_command_is_documented_and_has_help():
    commands, helps = _commands()
    for name in commands:
        assert f"`agency-return {name}" in COMMAND_LINE, f"docs/command-line.md does not document `agency-return {name}`"
        assert helps.get(name), f"{name} has no help text"


def test_readme_opens_with_make_run_then_make_test():
    first_block = re.search(r"```sh\n(.*?)```", README, re.S).group(1)
    assert [line.split()[:2] for line in first_block.strip().splitlines()] == [["make", "run"], ["make", "test"]]


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_architecture_map_names_files_that_exist():
    text = (ROOT / "ARCHITECTURE.md").read_text()
    for path in re.findall(r"`((?:pipeline|schemas|flows|benchmarks)/[\w/]+\.(?:py|toml))`", text):
        assert (ROOT / path).exists(), path
