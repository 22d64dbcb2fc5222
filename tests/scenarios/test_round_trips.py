"""Round trips through tools no one here wrote: the sample returns and the officers' edits of issue
27 (tests/cases/intake3) saved again by LibreOffice headless (as .xlsx, and through .ods and .xls
back to .xlsx) and by pandas with xlsxwriter give the findings the original gives, cell for cell.
A tool that changes what a cell holds would show here as a finding gained or lost.

Skipped, saying why, where LibreOffice is not installed (`.ci/run` installs libreoffice-calc-nogui).
A few files only: each soffice run costs seconds, and one run converts them all.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline.rules.validate import validate_file
from tests.libreoffice import convert, needs_libreoffice

ROOT = Path(__file__).resolve().parents[2]
# a sample return, and the edits whose cells a tool could change: a percentage format, text dates, merged cells
CORPUS = [ROOT / "sample_data" / "926_2025-Q2.xlsx",
          *(ROOT / "tests" / "cases" / "intake3" / name
            for name in ("C3_margin_percent.xlsx", "C5_us_text_dates.xlsx", "C6_merged_money.xlsx"))]
# pandas carries values, not number formats or merged areas: a percentage cell becomes a plain
# number and a merged area its first cell (what the reader then reads is what the file then says)
PANDAS_DROPS = {"C3_margin_percent.xlsx": "pandas writes the percentage cells' values without their format",
                "C6_merged_money.xlsx": "pandas writes a merged area as its first cell, the rest blank"}


def findings(path: Path) -> tuple[str, list[tuple[str, str | None, str | None]]]:
    result = validate_file(path)
    return result.status, sorted((f.code, f.sheet, f.cell) for f in result.findings)


@pytest.fixture(scope="module")
def round_trips(tmp_path_factory) -> dict[str, list[Path]]:
    """Each way -> the corpus after it, in CORPUS order: three soffice runs (to .ods, to .xls, then
    the originals, the .ods and the .xls files all back to .xlsx, each under its own name)."""
    out = tmp_path_factory.mktemp("round_trips")
    ods = convert(CORPUS, out / "ods", "ods")
    xls = convert(CORPUS, out / "xls", "xls")
    named = out / "named"
    named.mkdir()
    inputs = {way: [shutil.copy(p, named / f"{way}_{p.name}") for p in paths]
              for way, paths in (("xlsx", CORPUS), ("ods", ods), ("xls", xls))}
    back = convert([p for paths in inputs.values() for p in paths], out / "back")
    n = len(CORPUS)
    return {"ods": ods, "xls": xls, "libreoffice xlsx": back[:n], "libreoffice ods to xlsx": back[n:2 * n],
            "libreoffice xls to xlsx": back[2 * n:]}


@needs_libreoffice
@pytest.mark.parametrize("way", ["libreoffice xlsx", "libreoffice ods to xlsx", "libreoffice xls to xlsx"])
@pytest.mark.parametrize("i", range(len(CORPUS)), ids=[p.name for p in CORPUS])
def test_a_libreoffice_round_trip_gives_the_same_findings(round_trips, way, i):
    assert findings(round_trips[way][i]) == findings(CORPUS[i])


def _through_pandas(src: Path, dst: Path) -> Path:
    """Every sheet read by pandas as plain cells (no header) and written again with xlsxwriter."""
    sheets = pd.read_excel(src, sheet_name=None, header=None, engine="calamine")
    with pd.ExcelWriter(dst, engine="xlsxwriter", datetime_format="dd/mm/yyyy", date_format="dd/mm/yyyy") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, header=False, index=False)
    return dst


@pytest.mark.parametrize("src", CORPUS, ids=lambda p: p.name)
def test_a_pandas_and_xlsxwriter_round_trip_gives_the_same_findings(tmp_path, src):
    if src.name in PANDAS_DROPS:
        pytest.skip(PANDAS_DROPS[src.name])
    assert findings(_through_pandas(src, tmp_path / src.name)) == findings(src)


@needs_libreoffice
def test_the_real_files_libreoffice_writes_for_other_formats_get_advice_that_fits(round_trips):
    """An .ods or an .xls uploaded as it is: E001 saying how to save it as .xlsx from that tool."""
    ods, xls = round_trips["ods"][0], round_trips["xls"][0]
    assert [(f.code, "LibreOffice Calc" in f.message) for f in validate_file(ods).findings] == [("E001", True)]
    assert [(f.code, ".xls" in f.message and "Save As" in f.message) for f in validate_file(xls).findings] == \
        [("E001", True)]
