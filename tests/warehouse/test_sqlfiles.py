"""SQL run by name (pipeline/warehouse/sqlfiles.py): frames reach DuckDB whatever Arrow makes of them."""

import duckdb
import pandas as pd

from pipeline.warehouse import sqlfiles


def test_a_frame_arrow_cannot_type_still_reaches_sql():
    mixed = pd.DataFrame({"value": ["text", 3, None], "n": [1.5, None, 2.0]})   # text and a number in one column
    typed = pd.DataFrame({"value": pd.array(["a", None], dtype="string"), "started": pd.to_datetime(["2025-04-01", None])})
    with duckdb.connect() as con:
        with sqlfiles.registered(con, {"src": mixed}):
            assert con.execute("SELECT * FROM src").fetchall() == [("text", 1.5), ("3", None), (None, 2.0)]
        with sqlfiles.registered(con, {"src": typed}):
            assert con.execute("SELECT value, started::DATE::VARCHAR FROM src").fetchall() == [
                ("a", "2025-04-01"), (None, None)]
