"""ProjectTeams: one row per project team or packaged model contract."""
from pipeline.core.contract import PROJECT_TEAMS
from schemas.column_rules import sheet_schema, unique

SCHEMA = sheet_schema(PROJECT_TEAMS, extra={"project_team_ref": [unique("E201")]})
