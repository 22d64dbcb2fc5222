"""The upload workbooks that real councils' files look like (tests/cases/intake, one per kind of
fault in issue 13; tests/cases/intake3, officers' edits of issue 27), run through
`agency-return validate --json` exactly as /work/shared/cases/check.py runs them, each checked
against its folder's expected.json (an `any_of` group holds when one of its alternatives does:
the value read right, or a finding naming the cell)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("intake", "intake3")
EXPECTED = {folder: json.loads((ROOT / "tests" / "cases" / folder / "expected.json").read_text(encoding="utf-8"))
            for folder in FOLDERS}
CASES = [(folder, name) for folder in FOLDERS for name in sorted(EXPECTED[folder])]


@pytest.fixture(scope="module")
def results() -> dict[tuple[str, str], dict]:
    files = [str(ROOT / "tests" / "cases" / folder / name) for folder, name in CASES]
    proc = subprocess.run([sys.executable, "-m", "pipeline", "validate", "--json", *files], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert "Traceback" not in proc.stderr, proc.stderr
    decoder, text, out = json.JSONDecoder(), proc.stdout.strip(), []
    while text:
        obj, end = decoder.raw_decode(text)
        out += obj if isinstance(obj, list) else [obj]
        text = text[end:].strip().lstrip(",")
    return {(Path(r["file"]).parent.name, Path(r["file"]).name): r for r in out}


def _holds(findings: list[dict], code: str, cells: list[str], message: list[str]) -> bool:
    return any((code == "*" or f["code"] == code) and (not cells or f["cell"] in cells)
               and (not message or re.search(message[0], str(f["message"]))) for f in findings)


@pytest.mark.parametrize("folder, name", CASES)
def test_case_gives_what_its_readme_says(results, folder, name):
    expected, got = EXPECTED[folder][name], results[folder, name]
    findings = got["findings"]
    assert expected["status"] == "any" or got["status"] == expected["status"], findings
    for group in expected.get("any_of", []):
        assert any(_holds(findings, code, cells, message) for code, cells, *message in group), (group, findings)
    for code, cells, *message in expected["must"]:
        hits = [f for f in findings if f["code"] == code and (not message or re.search(message[0], f["message"]))]
        assert hits, (code, findings)
        assert not cells or any(f["cell"] in cells for f in hits), (code, cells, hits)
    for prefix in expected["must_not"]:
        assert not [f["code"] for f in findings if f["code"].startswith(prefix)], findings
    for pattern in expected.get("must_not_message", []):
        assert not [f["message"] for f in findings if re.search(pattern, f["message"])], findings


@pytest.mark.parametrize("folder, name", CASES)
def test_the_shared_copy_is_the_same(folder, name):
    """The cases are kept in the repository; when the shared folder is beside it, they must agree."""
    shared = ROOT.parent / "shared" / "cases" / folder
    if not shared.is_dir():
        shared = Path("/work/shared/cases") / folder
    if not shared.is_dir():
        pytest.skip(f"the shared cases folder (../shared/cases/{folder}) is not beside this repository")
    assert (shared / name).read_bytes() == (ROOT / "tests" / "cases" / folder / name).read_bytes()
