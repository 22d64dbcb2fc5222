"""The upload workbooks that real councils' files look like (tests/cases/intake, one per kind of
fault in issue 13), run through `agency-return validate --json` exactly as
/work/shared/cases/check.py runs them, each checked against expected.json."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "cases" / "intake"
EXPECTED = json.loads((CASES / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def results() -> dict[str, dict]:
    files = [str(CASES / name) for name in sorted(EXPECTED)]
    proc = subprocess.run([sys.executable, "-m", "pipeline", "validate", "--json", *files], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert "Traceback" not in proc.stderr, proc.stderr
    decoder, text, out = json.JSONDecoder(), proc.stdout.strip(), []
    while text:
        obj, end = decoder.raw_decode(text)
        out += obj if isinstance(obj, list) else [obj]
        text = text[end:].strip().lstrip(",")
    return {Path(r["file"]).name: r for r in out}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_case_gives_what_its_readme_says(results, name):
    expected, got = EXPECTED[name], results[name]
    findings = got["findings"]
    assert got["status"] == expected["status"], findings
    for code, cells, *message in expected["must"]:
        hits = [f for f in findings if f["code"] == code and (not message or re.search(message[0], f["message"]))]
        assert hits, (code, findings)
        assert not cells or any(f["cell"] in cells for f in hits), (code, cells, hits)
    for prefix in expected["must_not"]:
        assert not [f["code"] for f in findings if f["code"].startswith(prefix)], findings
    for pattern in expected.get("must_not_message", []):
        assert not [f["message"] for f in findings if re.search(pattern, f["message"])], findings


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_shared_copy_is_the_same(name):
    """The cases are kept in the repository; when the shared folder is beside it, they must agree."""
    shared = ROOT.parent / "shared" / "cases" / "intake"
    if not shared.is_dir():
        shared = Path("/work/shared/cases/intake")
    if not shared.is_dir():
        pytest.skip("the shared cases folder (../shared/cases/intake) is not beside this repository")
    assert (shared / name).read_bytes() == (CASES / name).read_bytes()
