"""Leavers: permanent children's social workers who left the LA in the last 3 months."""
from pipeline.core.contract import LEAVERS
from schemas.column_rules import sheet_schema

SCHEMA = sheet_schema(LEAVERS)
