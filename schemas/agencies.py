"""Agencies: agencies whose behaviour affected compliance."""
from pipeline.core.contract import AGENCIES
from schemas.checks import sheet_schema

SCHEMA = sheet_schema(AGENCIES)
