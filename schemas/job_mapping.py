"""JobMapping: local job titles mapped to the five role categories."""
from pipeline.core.contract import JOB_MAPPING
from schemas.column_rules import sheet_schema

SCHEMA = sheet_schema(JOB_MAPPING)
