"""What an RIIA analyst downloads: the built workbooks of a region, or of several (a partnership of
regions), or all, or every output table as CSV or Parquet filtered to those regions."""
from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.core import reference
from pipeline.core.contract import Quarter
from pipeline.core.reference import REGIONS
from pipeline.warehouse.connection import paths
from pipeline.warehouse.queries import region_code


def pull(quarter: Quarter | str, region: str | None = None, fmt: str = "xlsx", out=None, *, home=None) -> list[Path]:
    """Copy the built outputs an analyst needs into `out`: the regional workbook (or every workbook
    and national.xlsx), or every output table as CSV / Parquet filtered to the region. `region` is a
    code or name, or several comma-separated ('London,South East'): each one's workbook, the tables
    filtered to them all. Raises ValueError for an unknown region, FileNotFoundError with no outputs."""
    from pipeline.outputs.extracts import extract_tables
    built = paths(home).outputs / str(quarter)
    if not (built / "national.xlsx").exists():
        raise FileNotFoundError(f"no outputs built for {quarter}: run `agency-return build --quarter {quarter}` first")
    codes = list(dict.fromkeys(region_code(r.strip()) for r in region.split(",") if r.strip())) if region else []
    out = Path(out or ".")
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        if codes:
            sources = [built / "regional" / f"{reference.file_stem(REGIONS[code])}.xlsx" for code in codes]
        else:
            sources = [built / "national.xlsx", *sorted((built / "regional").glob("*.xlsx"))]
        return [Path(shutil.copy2(s, out / s.name)) for s in sources]
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format must be xlsx, csv or parquet, not {fmt!r}")
    return extract_tables(built / "parquet", out, fmt, region_codes=codes)
