"""Agencies: agencies whose behaviour affected compliance."""
from pipeline.core.contract import AGENCIES
from schemas.column_rules import sheet_schema

SCHEMA = sheet_schema(AGENCIES)
