"""MonthlyCosts: the three months of the quarter, each with headcount and costs."""
from pipeline.core.contract import MONTHLY_COSTS
from schemas.column_rules import sheet_schema

SCHEMA = sheet_schema(MONTHLY_COSTS)
