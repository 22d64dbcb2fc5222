"""Compliance: the LA's statement on each of the seven agency rules."""
from pipeline.core.contract import COMPLIANCE
from schemas.column_rules import sheet_schema

SCHEMA = sheet_schema(COMPLIANCE)
