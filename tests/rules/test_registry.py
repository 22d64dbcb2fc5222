"""The registry (pipeline/rules/registry.py) runs every rule over a return."""
from __future__ import annotations

import pandas as pd

from pipeline.core.contract import ASSIGNMENTS, Quarter, column_letter
from pipeline.core.reference import la_for_quarter
from pipeline.read.workbook import SheetFrame, Workbook, typed_frame
from pipeline.rules import registry
from pipeline.rules.compliance import derive_compliance
from pipeline.rules.context import ReturnContext, prepare_assignments


def _frame(sheet, raw: pd.DataFrame) -> SheetFrame:
    frame = SheetFrame(sheet, sheet.name, header_row=1,
                       positions={c.key: (c.header, column_letter(i)) for i, c in enumerate(sheet.columns)})
    frame.raw, frame.data = raw, typed_frame(sheet, raw)
    return frame


def test_engine_runs_every_q_rule_over_50k_assignments():
    """The Q-rules and derived compliance over 50,000 typed assignments (~3% breaching each rule) all run
    and find their breaches; how fast is measured by `make bench` (rule engine row), not timed here."""
    n = 50_000
    i = pd.RangeIndex(n)
    raw = pd.DataFrame({
        "assignment_ref": "A" + i.astype(str), "swe_number": "SW" + (i % 49_500 + 1).astype(str),
        "role_category": "Social worker", "agency": "Agency", "payment_route": "PAYE", "engagement_model": "Individual",
        "start_date": pd.Series(pd.date_range("2024-06-01", periods=300).strftime("%Y-%m-%d")).iloc[i % 300].values,
        "hours_per_week": (37 + (i % 33 == 0) * 20).astype(str), "hourly_pay_rate": (30 + (i % 41 == 0) * 10).astype(str),
        "holiday_pay_per_hour": "3.62", "employer_ni_per_hour": "3.2", "cost_in_quarter": "19000",
        "cap_reported_to_riia": "Yes",
        "pqe_years": (3 + (i % 7) - (i % 29 == 0) * 3).astype(str),
        "left_permanent_post": pd.Series(["Yes"] + ["No"] * 39).iloc[i % 40].values,
        "previous_la_code": "202", "date_left_permanent_post": "2025-01-15", "cool_off_exception": "None",
        "reference_obtained": pd.Series(["Yes"] * 30 + ["No"]).iloc[i % 31].values,
        "notice_period_weeks": (4 - (i % 37 == 0)).astype(str),
    }, index=pd.Index(range(2, n + 2), name="row"), dtype="string")
    wb = Workbook(sheets={ASSIGNMENTS.name: _frame(ASSIGNMENTS, raw)})
    prepare_assignments(wb)
    quarter = Quarter(2025, 2)
    sub = ReturnContext(wb, quarter=quarter, la=la_for_quarter("316", quarter))
    q_rules = [r for r in registry.RULES if r.codes[0].startswith("Q")]
    findings = registry.run(sub, q_rules)
    derive_compliance(sub, findings)
    codes = {f.code for f in findings}
    assert {"Q501", "Q503", "Q504", "Q505", "Q506", "Q507", "Q509"} <= codes
    assert not any("could not be checked" in f.message for f in findings)
