"""E401, E403 on the Compliance sheet: each of the seven compliance rules declared exactly once
(E401), and an explanation wherever the status is Partially or Not compliant (E403). What the
assignments show against those declarations is compliance.py's (Q512)."""
from __future__ import annotations

from pipeline.core.contract import COMPLIANCE_RULES
from pipeline.rules.columns import is_blank, one_of
from pipeline.rules.context import ReturnContext
from pipeline.rules.registry import rule


@rule("E401", "E403")
def compliance_statement(ctx: ReturnContext):
    sheet = ctx.sheet("Compliance")
    if sheet is None:
        return
    c = ctx.columns(sheet.data)
    named = set()
    for row, name in zip(c.rows.tolist(), c["rule"]):
        if name is not None:
            if name in named:
                yield sheet.finding("E401", "rule", row, "duplicate")
            named.add(name)
    for name in COMPLIANCE_RULES:
        if name not in named:
            yield sheet.finding("E401", "rule", None, "missing", value=name)
    needs = one_of(c["status"], "Partially compliant", "Not compliant") & is_blank(c["explanation"])
    for row in c.rows[needs].tolist():
        yield sheet.finding("E403", "explanation", row, rule=sheet.data.at[row, "rule"], status=sheet.data.at[row, "status"])
