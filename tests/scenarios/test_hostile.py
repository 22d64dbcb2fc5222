"""Broken and hostile uploads are stopped by the guard, fast and in bounded memory, with a reason a
council data team can act on; and end to end they come back 'unreadable', never as a traceback."""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from pipeline.read import guard
from pipeline.read.guard import inspect_file
from tests import hostile

ROOT = Path(__file__).resolve().parents[2]

# corpus file -> (code, words every message must contain)
EXPECTED = {
    "empty": ("E001", ["empty (0 bytes)"]),
    "corrupt_bytes": ("E001", ["not in the .xlsx format"]),
    "truncated": ("E001", ["cut off"]),
    "damaged_crc": ("E001", ["damaged", "xl/worksheets/sheet2.xml"]),
    "legacy_xls": ("E001", [".xls", "Save As", "Excel Workbook (*.xlsx)"]),
    "password_xls": ("E001", [".xls", "protected with a password", "clear the password", "Save As", "Excel Workbook (*.xlsx)"]),
    "password": ("E001", ["password", "Encrypt with Password"]),
    "csv_renamed": ("E001", ["CSV file renamed to .xlsx"]),
    "html_export": ("E001", ["web page (HTML)", "Export to Excel"]),
    "pdf": ("E001", ["PDF"]),
    "image": ("E001", ["PNG image"]),
    "docx": ("E001", ["Word document", "Upload the return itself"]),
    "ods": ("E001", ["OpenDocument", "LibreOffice Calc", "Excel 2007-365 (.xlsx)"]),
    "xlsb": ("E001", ["Excel Binary Workbook", "Save As", "Excel Workbook (*.xlsx)"]),
    "plain_zip": ("E001", ["zip archive", "Assignments.csv", "Extract All"]),
    "no_sheets": ("E001", ["no sheets"]),
    "zip_bomb": ("E006", ["unpacks to more than 200 MB", "1,024 MB"]),
    "ratio_bomb": ("E006", ["xl/worksheets/sheet1.xml", "times its packed size", "zip bomb"]),
    "many_parts": ("E006", ["10,0", "internal parts"]),
    "billion_laughs": ("E001", ["XML constructs that Excel never writes", "xl/sharedStrings.xml"]),
    "xxe": ("E001", ["XML constructs that Excel never writes", "xl/worksheets/sheet1.xml"]),
    "xxe_utf16": ("E001", ["XML constructs that Excel never writes"]),
    "million_rows": ("E006", ["'Assignments' sheet", "more than 100,000 rows"]),
    "wide_sheet": ("E006", ["'Assignments' sheet", "more than 200 columns"]),
}
BOMBS = ["zip_bomb", "ratio_bomb", "many_parts", "billion_laughs", "million_rows"]


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    start = time.perf_counter()
    files = hostile.build(tmp_path_factory.mktemp("hostile"))
    return files, time.perf_counter() - start


@pytest.fixture
def corpus(built):
    return dict(built[0])


@pytest.fixture
def small_file_limit(tmp_path, monkeypatch):
    path = hostile.small_file_limit(tmp_path)
    monkeypatch.setenv("AGENCY_RETURN_THRESHOLDS", str(path))
    return path


def test_corpus_is_quick_and_small(built):
    files, seconds = built
    assert seconds < 5   # about 0.6 s; a regression here usually means a bomb is really being compressed
    assert sum(p.stat().st_size for p in files.values()) < 10 * 2**20


@pytest.mark.parametrize("name", EXPECTED)
def test_guard_explains_each_hostile_file(corpus, name):
    code, words = EXPECTED[name]
    findings = inspect_file(corpus[name])
    assert [f.code for f in findings] == [code], findings
    for word in words:
        assert word in findings[0].message, (word, findings[0].message)
    assert findings[0].severity == "error"


def test_sheet_is_named_from_the_workbook_not_the_part(corpus):
    [f] = inspect_file(corpus["million_rows"])
    assert (f.sheet, f.value) == ("Assignments", "A1:A1000001")


def test_ordinary_workbooks_pass(corpus):
    assert inspect_file(corpus["normal"]) == []
    assert inspect_file(corpus["oversize"]) == []   # under the real 20 MB limit


def test_lying_dimension_is_left_to_the_reader(corpus):
    """Without a <dimension> the guard cannot count rows cheaply; the reader counts them."""
    assert inspect_file(corpus["million_rows_no_dimension"]) == []


def test_file_over_size_limit_is_e006_before_reading(corpus, small_file_limit, monkeypatch):
    monkeypatch.setattr(Path, "open", lambda *a, **k: pytest.fail("read a file over the size limit"))
    [f] = inspect_file(corpus["oversize"])
    assert f.code == "E006" and "the limit is 1 MB" in f.message


def test_missing_file(tmp_path):
    [f] = inspect_file(tmp_path / "nothing.xlsx")
    assert f.code == "E001" and f.message == "No file was found at 'nothing.xlsx'. Check the file's name and folder and try again."


def test_a_csv_named_csv_is_a_csv_file_not_one_renamed(tmp_path):
    (tmp_path / "return.csv").write_text("LA code,Quarter\n869,2025-Q2\n", encoding="utf-8")
    (tmp_path / "return.xlsx").write_text("LA code,Quarter\n869,2025-Q2\n", encoding="utf-8")
    [as_csv] = inspect_file(tmp_path / "return.csv")
    [as_xlsx] = inspect_file(tmp_path / "return.xlsx")
    assert as_csv.code == as_xlsx.code == "E001"
    assert "this is a CSV file, not an Excel workbook" in as_csv.message and "renamed" not in as_csv.message
    assert "this looks like a CSV file renamed to .xlsx" in as_xlsx.message


@pytest.mark.parametrize("bad", [None, 42, "\0"])
def test_never_raises_on_nonsense(bad):
    assert [f.code for f in inspect_file(bad)] == ["E001"]


def test_unexpected_failure_becomes_e001(corpus, monkeypatch):
    monkeypatch.setattr(guard, "_inspect_zip", lambda zf: 1 / 0)
    [f] = inspect_file(corpus["normal"])
    assert f.code == "E001" and "unexpected problem" in f.message and "Traceback" not in f.message


def test_damaged_copies_of_a_real_workbook_are_explained(corpus, tmp_path):
    """Random byte flips and truncations (disk, transfer damage) never reach the catch-all."""
    rng, base, path = random.Random(0), corpus["normal"].read_bytes(), tmp_path / "fuzzed.xlsx"
    for _ in range(500):
        data = bytearray(base)
        for _ in range(rng.choice([1, 5, 20])):
            data[rng.randrange(len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data[: rng.randrange(len(data))] if rng.random() < 0.2 else data))
        findings = inspect_file(path)
        assert {f.code for f in findings} <= {"E001", "E006"}
        assert not any("unexpected problem" in f.message for f in findings), findings


@pytest.mark.parametrize("name", BOMBS)
def test_bombs_are_stopped_in_bounded_time_and_memory(corpus, name):
    tracemalloc.start()
    start = time.perf_counter()
    inspect_file(corpus[name])
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seconds < 0.5 and peak < 8 * 2**20, (seconds, peak)


def test_whole_corpus_is_checked_quickly(corpus):
    start = time.perf_counter()
    for path in corpus.values():
        inspect_file(path)
    assert time.perf_counter() - start < 3


# --- end to end: validate_file and the CLI ----------------------------------------------------

def _e2e_expected(name):
    """The reader, not the guard, finds the rows of a sheet without a <dimension>."""
    return EXPECTED[name][0] if name in EXPECTED else "E006"


E2E = [*EXPECTED, "million_rows_no_dimension"]


@pytest.mark.parametrize("name", E2E)
def test_validate_file_marks_hostile_files_unreadable(corpus, name):
    validate = pytest.importorskip("pipeline.rules.validate")
    result = validate.validate_file(corpus[name])
    assert _e2e_expected(name) in [f.code for f in result.findings]
    assert result.status == "unreadable"


def test_validate_file_oversize(corpus, small_file_limit):
    validate = pytest.importorskip("pipeline.rules.validate")
    result = validate.validate_file(corpus["oversize"])
    assert (result.status, [f.code for f in result.findings]) == ("unreadable", ["E006"])


def _cli(files, env=None):
    pytest.importorskip("pipeline.cli.main")
    proc = subprocess.run([sys.executable, "-m", "pipeline", "validate", *map(str, files), "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})})
    assert "Traceback" not in proc.stderr, proc.stderr
    decoder, text, out = json.JSONDecoder(), proc.stdout.strip(), []
    while text:
        obj, end = decoder.raw_decode(text)
        out += obj if isinstance(obj, list) else [obj]
        text = text[end:].strip()
    return proc.returncode, out


def test_cli_exits_2_for_hostile_files(corpus):
    code, results = _cli([corpus[n] for n in E2E])
    assert code == 2
    assert [(r["status"], _e2e_expected(Path(r["file"]).stem) in [f["code"] for f in r["findings"]])
            for r in results] == [("unreadable", True)] * len(E2E)


def test_cli_exits_2_for_oversize_file(corpus, small_file_limit):
    code, [result] = _cli([corpus["oversize"]], {"AGENCY_RETURN_THRESHOLDS": str(small_file_limit)})
    assert code == 2 and [f["code"] for f in result["findings"]] == ["E006"]
