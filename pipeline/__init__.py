"""agency-return as a library: the quarterly DfE return on agency child and family social workers.

The stages, each importing only from those before it (ARCHITECTURE.md):
core ← read ← rules ← workers ← warehouse ← outputs ← the shells (`pipeline.cli`, `flows`, `web`).

The public functions, the same ones the command line, the Prefect flows and the web service call:

    from pipeline import validate_file, submit_files, build_quarter, status, pull
    result = validate_file("205_2025-Q2.xlsx")            # findings; stores nothing
    outcomes = submit_files(["205_2025-Q2.xlsx"], "2025-Q2")
    summary = build_quarter("2025-Q2")                     # outputs/2025-Q2/
    frame = status("2025-Q2", region="London")
    files = pull("2025-Q2", region="London", fmt="csv", out="downloads")

Each is imported when first used, so `import pipeline` (and `agency-return validate`) never pays
for DuckDB, Prefect or the web stack.
"""
from __future__ import annotations

from importlib import import_module

_PUBLIC = {
    "validate_file": "pipeline.rules.validate",
    "submit_files": "pipeline.warehouse.submit",
    "build_quarter": "pipeline.outputs.build",
    "status": "pipeline.warehouse.queries",
    "pull": "pipeline.outputs.pull",
}
__all__ = list(_PUBLIC)


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
    value = getattr(import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
