"""SQL kept in .sql files: a folder of them, run by name with only the $parameters each uses.

The warehouse's own SQL is `WAREHOUSE` (pipeline/warehouse/sql: schema/ DDL, staging/ one file per
upload sheet, queries/ look-ups and status); the outputs stage has its folder of marts and cross-LA
checks (`pipeline.outputs.marts`).
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

_PARAM = re.compile(r"\$([a-z_]+)")


class SqlFiles:
    """The .sql files under `folder`, named by their path below it without `.sql` ('staging/findings')."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._texts: dict[str, str] = {}

    def text(self, name: str) -> str:
        """The text of <folder>/<name>.sql (read once). Raises FileNotFoundError if there is none."""
        if name not in self._texts:
            self._texts[name] = (self.folder / f"{name}.sql").read_text(encoding="utf-8")
        return self._texts[name]

    def names(self, subfolder: str) -> list[str]:
        """The files of a subfolder as names, in file-name order: ['schema/01_dimensions', …]."""
        return [f"{subfolder}/{p.stem}" for p in sorted((self.folder / subfolder).glob("*.sql"))]

    def params_for(self, name: str, params: dict) -> dict:
        """The $parameters the file uses, from `params`. Raises KeyError naming any it lacks."""
        used = set(_PARAM.findall(self.text(name)))
        missing = used - params.keys()
        if missing:
            raise KeyError(f"{self.folder.name}/{name}.sql needs parameters {sorted(missing)}")
        return {k: v for k, v in params.items() if k in used}

    def run(self, con: duckdb.DuckDBPyConnection, name: str, **params) -> duckdb.DuckDBPyConnection:
        """Execute a SQL file, passing only the $parameters it uses (DuckDB rejects unused ones)."""
        return con.execute(self.text(name), self.params_for(name, params))

    def insert(self, con: duckdb.DuckDBPyConnection, table: str, name: str,
               sources: dict[str, pd.DataFrame | pa.Table], **params) -> None:
        """INSERT INTO table the rows a staging SQL file selects from `sources`, matching columns by name."""
        with registered(con, sources):
            con.execute(f"INSERT INTO {table} BY NAME " + self.text(name), self.params_for(name, params))


WAREHOUSE = SqlFiles(Path(__file__).parent / "sql")


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame | pa.Table]):
    """DataFrames (or Arrow tables) visible to SQL under these names for the length of the block."""
    for name, frame in frames.items():
        con.register(name, _arrow(frame))
    try:
        yield
    finally:
        for name in frames:
            con.unregister(name)


def _arrow(frame):
    """The frame as an Arrow table, which DuckDB scans as it is: about twice as fast as its pandas
    scan, which converts each Arrow-backed string column to Python objects first. A column Arrow
    cannot type (mixed objects) leaves the frame to the pandas scan; an Arrow table is taken as it is."""
    if isinstance(frame, pa.Table):
        return frame
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return frame
