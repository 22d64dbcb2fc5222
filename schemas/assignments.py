"""Assignments: one row per agency assignment active in the quarter."""
from pipeline.core.contract import ASSIGNMENTS
from schemas.column_rules import above, between, parses, sheet_schema, unique

SCHEMA = sheet_schema(
    ASSIGNMENTS,
    extra={
        "assignment_ref": [unique("E101")],
        "hourly_pay_rate": [above(0, "E107", "not_positive")],
        "hours_per_week": [between(0, 168, "E110", "hours")],
        # Role category may be filled from JobMapping, so 'missing' is checked after mapping.
        "role_category": [parses()],
    },
    skip_default=("role_category",),
)
