"""Re-saving a workbook through LibreOffice headless (what an officer who edits in LibreOffice Calc
sends), for the tests that hold a reading to what a real tool writes. Tests that need it are
skipped, saying why, where LibreOffice is not installed (`.ci/run` installs libreoffice-calc-nogui)."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_libreoffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed: "
                                       "apt-get install libreoffice-calc-nogui")
# LibreOffice's filter names for what it writes.
FILTERS = {"xlsx": "xlsx:Calc MS Excel 2007 XML", "ods": "ods:calc8", "xls": "xls:MS Excel 97"}


def convert(paths: list[Path], out_dir: Path, to: str = "xlsx") -> list[Path]:
    """`paths` saved by LibreOffice as `to` ('xlsx', 'ods', 'xls') into `out_dir`, in one run of
    soffice (each start costs seconds), with a private profile so runs never share one."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                        "--convert-to", FILTERS[to], "--outdir", str(out_dir), *map(str, paths)],
                       check=True, capture_output=True, timeout=300, env={**os.environ, "HOME": profile})
    out = [out_dir / (Path(p).stem + "." + to) for p in paths]
    missing = [p for p in out if not p.is_file()]
    assert not missing, missing
    return out


def resaved(path: Path, out_dir: Path) -> Path:
    """One workbook opened and saved again as .xlsx by LibreOffice."""
    return convert([path], out_dir)[0]
