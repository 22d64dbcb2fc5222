"""Stage 3, keeping what councils sent: submit (judge, keep the raw bytes, record), the DuckDB
warehouse (schema, loads, HMAC key, locks), its queries (status, history), the inbox and
maintenance (rebuild, rekey, purge), with their SQL in `sql/`."""
