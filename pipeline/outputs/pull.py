"""What an RIIA analyst downloads: the built workbooks of a region (or all), or every output table
as CSV or Parquet filtered to the region."""
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
    and national.xlsx), or every output table as CSV / Parquet filtered to the region."""
    from pipeline.outputs.extracts import extract_tables
    built = paths(home).outputs / str(quarter)
    if not (built / "national.xlsx").exists():
        raise FileNotFoundError(f"no outputs built for {quarter}: run `agency-return build --quarter {quarter}` first")
    code = region_code(region)
    out = Path(out or ".")
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        if code:
            sources = [built / "regional" / f"{reference.file_stem(REGIONS[code])}.xlsx"]
        else:
            sources = [built / "national.xlsx", *sorted((built / "regional").glob("*.xlsx"))]
        return [Path(shutil.copy2(s, out / s.name)) for s in sources]
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format must be xlsx, csv or parquet, not {fmt!r}")
    return extract_tables(built / "parquet", out, fmt, region_code=code)
