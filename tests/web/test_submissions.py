"""Taking a council's upload (web/submissions.py): what is kept for its feedback workbook outlives an
upgrade of the service."""
from __future__ import annotations

import io
import pickle
import sys
import types
from pathlib import Path

from pipeline.core.contract import Sheet
from pipeline.core.findings import Finding
from pipeline.core.reference import LA
from pipeline.read.workbook import Workbook
from pipeline.rules.context import ReturnContext
from pipeline.rules.validate import Result, validate_file
from web.submissions import KeptVerdict

SAMPLE = sorted((Path(__file__).resolve().parents[2] / "sample_data").glob("*.xlsx"))[0]

# where the layout before the stage folders (issue 21) kept these classes
BEFORE = {Result: ("pipeline.validate", "Result"), Finding: ("pipeline.findings", "Finding"),
          Sheet: ("pipeline.contract", "Sheet"), LA: ("pipeline.reference", "LA"),
          Workbook: ("pipeline.ingest", "Workbook"), ReturnContext: ("pipeline.submission", "Submission")}


def _kept_before_the_upgrade(result: Result, monkeypatch) -> bytes:
    """`result` pickled as the version before the stage folders kept it: under its old module names."""
    now = {cls: (cls.__module__, cls.__qualname__) for cls in BEFORE}
    with monkeypatch.context() as m:
        try:
            for cls, (module, name) in BEFORE.items():
                old = sys.modules.get(module) or types.ModuleType(module)
                m.setitem(sys.modules, module, old)
                m.setattr(old, name, cls, raising=False)
                cls.__module__, cls.__qualname__ = module, name
            return pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        finally:
            for cls, (module, name) in now.items():
                cls.__module__, cls.__qualname__ = module, name


def test_a_verdict_kept_before_the_stage_folders_is_read_as_it_was_told(monkeypatch):
    result = validate_file(SAMPLE)
    kept = _kept_before_the_upgrade(result, monkeypatch)
    assert b"pipeline.submission" in kept and b"pipeline.rules.validate" not in kept
    read = KeptVerdict(io.BytesIO(kept)).load()
    assert type(read) is Result and type(read.submission) is ReturnContext
    assert read.to_dict() == result.to_dict()


def test_a_verdict_kept_now_is_read_as_it_was_told():
    result = validate_file(SAMPLE)
    read = KeptVerdict(io.BytesIO(pickle.dumps(result))).load()
    assert read.to_dict() == result.to_dict()
