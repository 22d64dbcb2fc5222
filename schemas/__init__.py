"""The column rules of each upload sheet, over the cell text as read (index = Excel row), and
`WORKBOOK`: all of them as one pandera schema over every sheet's checked cells end to end, one check
per message variant (schemas/column_rules.py). A failure case maps back to a finding at sheet, row and
column, with the code of that column's rule.
"""
from schemas.agencies import SCHEMA as AGENCIES
from schemas.assignments import SCHEMA as ASSIGNMENTS
from schemas.column_rules import WorkbookSchema
from schemas.compliance import SCHEMA as COMPLIANCE
from schemas.job_mapping import SCHEMA as JOB_MAPPING
from schemas.leavers import SCHEMA as LEAVERS
from schemas.monthly_costs import SCHEMA as MONTHLY_COSTS
from schemas.project_teams import SCHEMA as PROJECT_TEAMS

FILES = {
    "Assignments": "assignments.py",
    "ProjectTeams": "project_teams.py",
    "MonthlyCosts": "monthly_costs.py",
    "Compliance": "compliance.py",
    "Agencies": "agencies.py",
    "Leavers": "leavers.py",
    "JobMapping": "job_mapping.py",
}

BY_SHEET = {
    "Assignments": ASSIGNMENTS,
    "ProjectTeams": PROJECT_TEAMS,
    "MonthlyCosts": MONTHLY_COSTS,
    "Compliance": COMPLIANCE,
    "Agencies": AGENCIES,
    "Leavers": LEAVERS,
    "JobMapping": JOB_MAPPING,
}

WORKBOOK = WorkbookSchema(BY_SHEET)
