"""JobMapping: local job titles mapped to the five role categories."""
from pipeline.core.contract import JOB_MAPPING
from schemas.checks import sheet_schema

SCHEMA = sheet_schema(JOB_MAPPING)
