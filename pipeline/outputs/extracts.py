"""The extracts, for analysts: every output table as Parquet (parquet/<table>.parquet, no SWE
numbers), and the CSV or Parquet copies `pull` filters from them to some regions."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from pipeline.outputs.kit import write_csv


def parquet(con: duckdb.DuckDBPyConnection, names: list[str], folder: Path) -> list[Path]:
    """Every output table as Parquet, written by DuckDB from the materialised marts."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name in names:
        target = folder / f"{name}.parquet"
        con.execute(f"COPY mart_{name} TO '{target}' (FORMAT parquet)")
        out.append(target)
    return out


def extract_tables(parquet_dir: Path, out: Path, fmt: str, *, region_codes: list[str]) -> list[Path]:
    """The Parquet extracts as CSV or Parquet, filtered to the regions asked for (none: every region)."""
    written = []
    for source in sorted(parquet_dir.glob("*.parquet")):
        frame = pd.read_parquet(source)
        if region_codes and "region_code" in frame.columns:
            frame = frame[frame["region_code"].isin(region_codes)]
        target = out / f"{source.stem}.{fmt}"
        if fmt == "csv":
            write_csv(frame, target)
        else:
            frame.to_parquet(target, index=False)
        written.append(target)
    return written
