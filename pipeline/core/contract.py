"""The upload workbook as data: sheets, columns, header aliases and allowed values (data-contract §2).

Everything that reads, writes or checks the workbook (template, ingest, schemas, report) takes its
sheet and column definitions from here, so a column added to the contract is added in one place.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

ROLE_CATEGORIES = (
    "Social worker",
    "Senior social worker",
    "Advanced practitioner",
    "Team manager",
    "Independent reviewing officer or child protection chair",
)
# Self-employed (contract 3): DfE's workforce census counts self-employed workers as agency workers;
# their rate is all-in, so the cap basis is as a limited company's (threshold cap_basis_components).
PAYMENT_ROUTES = ("PAYE", "Umbrella company", "Limited company", "Self-employed")
ENGAGEMENT_MODELS = ("Individual", "Project team", "Packaged model")
PROJECT_MODELS = ("Project team", "Packaged model")
CAP_APPROVERS = ("DCS", "Chief Executive", "DCS and Chief Executive", "Other")
YES_NO = ("Yes", "No")
YES_NO_UNKNOWN = ("Yes", "No", "Unknown")
COOL_OFF_EXCEPTIONS = (
    "None",
    "Moving to permanent role",
    "Redundancy",
    "Different region",
    "Left during probation",
)
COMPLIANCE_RULES = (
    "Price caps",
    "Project teams",
    "Notice periods",
    "Cool-off period",
    "Post-qualifying experience",
    "References",
    "Data return",
)
COMPLIANCE_STATUSES = ("Fully compliant", "Partially compliant", "Not compliant")
LEAVER_REASONS = ("Resigned", "Redundancy", "Probation", "Retired", "Other")
END_REASONS = (   # contract 3: why an assignment ended (the Tenure sheet's end reasons)
    "Moved to permanent post",
    "Assignment completed",
    "Ended by LA",
    "Ended by worker",
    "Ended by agency",
    "Other",
)

# Value aliases for list fields (data-contract §2): other spellings of an allowed value, as DfE's
# own documents and MSP/agency extracts write them. An alias applies only in a list that holds its
# value, and an allowed value itself always wins; matching ignores case, spaces and punctuation,
# like headers. Documented in docs/reading-workbooks.md, "Value aliases".
VALUE_ALIASES: dict[str, tuple[str, ...]] = {
    "Social worker": ("SW", "Qualified social worker", "Children's social worker"),
    "Senior social worker": ("Senior SW", "SSW", "Senior practitioner"),
    "Advanced practitioner": ("Assistant team manager", "ATM", "Advanced social work practitioner",
                              "Advanced social worker", "Practice lead"),
    "Team manager": ("TM", "Team mgr"),
    "Independent reviewing officer or child protection chair": (
        "Independent reviewing officer or child protection conference chair",   # DfE's statutory guidance
        "Independent reviewing officer", "IRO", "Child protection chair", "Child protection conference chair",
        "CP chair", "CPC chair", "IRO or CP chair", "IRO/CP chair"),
    "PAYE": ("Agency PAYE", "PAYE agency", "Pay as you earn"),
    "Umbrella company": ("Umbrella", "Umbrella co", "Umbrella PAYE"),
    "Limited company": ("Ltd", "Ltd company", "Ltd co", "Limited", "PSC", "Personal service company"),
    "Self-employed": ("Self employed", "Sole trader", "Freelance", "Freelancer", "Self-employed worker"),
    "Individual": ("Individual worker", "Individual assignment", "Locum", "Sole"),
    "Project team": ("Project", "Managed team", "Project-based team"),
    "Packaged model": ("Packaged", "Package", "Managed service model"),
    "DCS": ("Director of Children's Services", "Director of children's services (DCS)"),
    "Chief Executive": ("CEO", "Chief Exec", "Chief Executive Officer", "Head of paid service"),
    "DCS and Chief Executive": ("DCS & Chief Executive", "DCS and CEO", "DCS & CEO", "Both"),
    "Yes": ("Y", "True"),
    "No": ("N", "False"),
    "Unknown": ("Not known", "Don't know", "Unsure"),
    "None": ("No exception", "N/A", "NA", "Not applicable"),
    "Moving to permanent role": ("Permanent role", "Moving to permanent", "Temp to perm"),
    "Moved to permanent post": ("Moved to permanent", "Became permanent", "Converted to permanent", "Made permanent"),
    "Assignment completed": ("Completed", "End of assignment", "Assignment ended", "Contract completed"),
    "Ended by LA": ("LA ended", "Ended by local authority", "Ended by council", "Terminated by LA"),
    "Ended by worker": ("Worker ended", "Worker left", "Left by worker", "Worker resigned"),
    "Ended by agency": ("Agency ended", "Withdrawn by agency", "Terminated by agency"),
    "Redundancy": ("Redundant", "Made redundant"),
    "Left during probation": ("Probation", "During probation", "Failed probation"),
    "Resigned": ("Resignation",),
    "Probation": ("Left during probation", "Failed probation", "During probation"),
    "Retired": ("Retirement",),
    "Fully compliant": ("Fully", "Compliant", "Full"),
    "Partially compliant": ("Partially", "Partial", "Partly compliant"),
    "Not compliant": ("Non-compliant", "Non compliant", "Not"),
}

# Kinds of value a column holds; ingest parses each kind the same way wherever it appears.
TEXT, CHOICE, DATE, MONEY, NUMBER, SWE, MONTH, QUARTER, LA_CODE, REFERENCES = (
    "text", "choice", "date", "money", "number", "swe", "month", "quarter", "la_code", "references",
)


@dataclass(frozen=True)
class Column:
    """One column of an upload sheet."""

    key: str                      # snake_case name used in frames, SQL and JSON
    header: str                   # header text written by the template
    kind: str = TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # other spellings seen in MSP/agency extracts
    note: str = ""                 # the template's cell note for this column
    code: str = ""                 # finding code for a bad value in this column
    minimum: float | None = None   # inclusive lower bound for numbers
    width: int = 18


@dataclass(frozen=True)
class Sheet:
    """One sheet of the upload workbook."""

    name: str
    columns: tuple[Column, ...]
    required: bool = True
    aliases: tuple[str, ...] = ()
    purpose: str = ""
    key_value: bool = False        # Return: keys in column A, values in column B

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns)


RETURN = Sheet(
    "Return",
    key_value=True,
    aliases=("Cover", "Return details", "Details"),
    purpose="Who is making the return, and for which quarter.",
    columns=(
        Column("la_code", "LA code", LA_CODE, True, aliases=("Local authority code", "DfE LA code", "LA number", "Old LA code"),
               note="Your 3-digit DfE local authority code, e.g. 812.", code="E004"),
        Column("la_name", "LA name", aliases=("Local authority", "Local authority name", "Council"), note="Your council's name."),
        Column("quarter", "Quarter", QUARTER, True, aliases=("Reporting quarter", "Period", "Return period"),
               note="Calendar quarter as YYYY-Qn, e.g. 2025-Q1 for January to March.", code="E005"),
        Column("prepared_by", "Prepared by", aliases=("Completed by", "Name"), note="Name of the person who prepared the return."),
        Column("contact_email", "Contact email", aliases=("Email", "Contact e-mail", "E-mail"), note="Who DfE should contact about this return."),
        Column("date_prepared", "Date prepared", DATE, aliases=("Date", "Date completed"), note="Date the return was prepared.", code="E104"),
    ),
)

ASSIGNMENTS = Sheet(
    "Assignments",
    aliases=("Assignment", "Agency assignments", "Agency workers", "Workers", "Placements"),
    purpose="One row per agency assignment active at any time in the quarter.",
    columns=(
        Column("assignment_ref", "Assignment reference", TEXT, True, code="E101",
               aliases=("Assignment ref", "Assignment ID", "Assignment number", "Placement reference", "Placement ID", "Booking reference", "Booking ID", "Reference", "Ref"),
               note="Your reference for the assignment. Unique in this file."),
        Column("swe_number", "SWE registration number", SWE, True, code="E102",
               aliases=("SWE number", "SWE reg number", "SWE registration", "SWE reg no", "Social Work England number", "Social Work England registration number", "Registration number", "Reg number", "Reg no", "Professional registration number"),
               note="Social Work England registration number, e.g. SW123456.", width=16),
        Column("local_job_title", "Local job title", aliases=("Job title", "Post title", "Role", "Position"),
               note="Optional. Your job title; used to fill Role category through the JobMapping sheet.", width=24),
        Column("role_category", "Role category", CHOICE, True, ROLE_CATEGORIES, code="E103",
               aliases=("Role type", "Category", "Job category", "DfE role category"),
               note="One of the five DfE role categories.", width=28),
        Column("service_area", "Service area", aliases=("Team", "Service", "Department"), note="Optional free text, e.g. Assessment."),
        Column("agency", "Agency", TEXT, True, code="E111",
               aliases=("Agency name", "Supplier", "Supplier name", "Employment business", "Vendor"),
               note="The agency (employment business) supplying the worker."),
        Column("msp", "Managed service provider", aliases=("MSP", "MSP name", "Managed service"), note="Optional. Your MSP, if you use one."),
        Column("payment_route", "Payment route", CHOICE, True, PAYMENT_ROUTES, code="E109",
               aliases=("Payment type", "Pay route", "Worker type", "Payment method", "Tax status"),
               note="PAYE, Umbrella company, Limited company or Self-employed. PAYE and umbrella rows fill in "
                    "holiday pay and employer NI (Q515); a limited-company or self-employed rate is all-in."),
        Column("engagement_model", "Engagement model", CHOICE, True, ENGAGEMENT_MODELS, code="E108",
               aliases=("Model", "Engagement", "Engagement type", "Engagement route"),
               note="Individual, Project team or Packaged model."),
        Column("project_team_ref", "Project team reference", TEXT, False, code="E108",
               aliases=("Project team ref", "Project reference", "Project team ID", "Team reference"),
               note="Required unless Individual. Must match a row on ProjectTeams."),
        Column("start_date", "Start date", DATE, True, code="E104",
               aliases=("Start", "Assignment start", "Assignment start date", "Date started", "From"),
               note="First day of the assignment (dd/mm/yyyy)."),
        Column("end_date", "End date", DATE, False, code="E104",
               aliases=("End", "Assignment end", "Assignment end date", "Date ended", "To", "Finish date"),
               note="Last day of the assignment; blank if it is ongoing."),
        Column("hours_per_week", "Hours per week", NUMBER, False, code="E110",
               aliases=("Hours", "Weekly hours", "Contracted hours", "Hours pw"),
               note="Optional. More than 0 and at most 168."),
        Column("hourly_pay_rate", "Hourly pay rate", MONEY, True, code="E107", minimum=0,
               aliases=("Pay rate", "Pay rate per hour", "Hourly rate", "Worker pay rate", "Basic pay rate", "Rate"),
               note="£ per hour paid to the worker (before holiday pay and on-costs). More than 0."),
        Column("holiday_pay_per_hour", "Holiday pay per hour", MONEY, False, code="E110", minimum=0,
               aliases=("Holiday pay", "Holiday pay rate", "Holiday accrual"), note="£ per hour."),
        Column("employer_ni_per_hour", "Employer NI per hour", MONEY, False, code="E110", minimum=0,
               aliases=("Employer NI", "Employers NI", "ERNI", "Employer national insurance"), note="£ per hour."),
        Column("apprenticeship_levy_per_hour", "Apprenticeship levy per hour", MONEY, False, code="E110", minimum=0,
               aliases=("Apprenticeship levy", "App levy", "Levy"), note="£ per hour."),
        Column("agency_fee_per_hour", "Agency fee per hour", MONEY, False, code="E110", minimum=0,
               aliases=("Agency fee", "Agency margin", "Margin", "Agency commission"), note="£ per hour. Outside the price cap."),
        Column("charge_rate_per_hour", "Charge rate per hour", MONEY, False, code="E110", minimum=0,
               aliases=("Charge rate", "Bill rate", "Charge rate hourly", "Total charge rate"), note="£ per hour charged to the LA."),
        Column("cost_in_quarter", "Cost in quarter", MONEY, False, code="E110", minimum=0,
               aliases=("Quarter cost", "Total cost", "Cost", "Spend in quarter", "Total spend", "Quarterly cost"),
               note="£. The LA's total spend on this assignment in the quarter."),
        Column("cap_approved_by", "Cap approved by", CHOICE, False, CAP_APPROVERS, code="E111",
               aliases=("Cap breach approved by", "Approved by", "Exception approved by"),
               note="Who approved paying above the price cap: DCS, Chief Executive, DCS and Chief Executive, or Other."),
        Column("cap_approval_date", "Cap approval date", DATE, False, code="E104",
               aliases=("Approval date", "Cap breach approval date", "Date approved"), note="Date the cap breach was approved."),
        Column("cap_breach_reason", "Cap breach reason", aliases=("Breach reason", "Reason for breach", "Exception reason"),
               note="Why paying above the cap was necessary.", width=28),
        Column("cap_reported_to_riia", "Cap reported to RIIA", CHOICE, False, YES_NO, code="E111",
               aliases=("Reported to RIIA", "Breach reported to RIIA", "Reported to regional partnership",
                        "RIIA notified"),
               note="Yes or No: was the cap breach reported to your Regional Improvement and Innovation Alliance "
                    "(RIIA)? Needed for every assignment above the cap (Q518).", width=16),
        Column("pqe_years", "PQE years", NUMBER, False, code="E110", minimum=0,
               aliases=("PQE", "Post qualifying experience", "Post-qualifying experience years", "Years PQE", "Years post qualified"),
               note="Years of post-qualifying experience in direct employment by a UK local authority (the ASYE "
                    "counts; agency time does not). At least 3 (Q503)."),
        Column("left_permanent_post", "Left permanent LA post in last 3 months", CHOICE, False, YES_NO_UNKNOWN, code="E111",
               aliases=("Left permanent post", "Left permanent LA post", "Ex permanent", "Previously permanent"),
               note="Did the worker leave a permanent LA post in the 3 months before starting? Yes, No or Unknown "
                    "(Unknown is queried as not checked, Q504).", width=22),
        Column("previous_la_code", "Previous LA code", LA_CODE, False, code="E111",
               aliases=("Previous LA", "Previous local authority code", "Former LA code"),
               note="If Yes: 3-digit DfE code of the LA they left."),
        Column("date_left_permanent_post", "Date left permanent post", DATE, False, code="E104",
               aliases=("Date left", "Date left permanent", "Permanent post end date"), note="If Yes: the date they left."),
        Column("cool_off_exception", "Cool-off exception", CHOICE, False, COOL_OFF_EXCEPTIONS, code="E111",
               aliases=("Cool off exception", "Cooling off exception", "Exception"),
               note="None, Moving to permanent role, Redundancy, Different region, or Left during probation. "
                    "Different region does not excuse a previous LA in your own region.", width=22),
        Column("reference_obtained", "Reference obtained", REFERENCES, False, YES_NO, code="E111",
               aliases=("References obtained", "References", "Reference received", "Reference checked",
                        "Number of references", "References count"),
               note="The number of practice-based references obtained (0, 1, 2 …), or Yes when at least the "
                    "minimum (2) were obtained, or No. Blank means not recorded and is queried (Q505)."),
        Column("notice_period_weeks", "Notice period weeks", NUMBER, False, code="E110", minimum=0,
               aliases=("Notice period", "Notice weeks", "Notice period (weeks)", "Notice"),
               note="Weeks of notice the assignment's contract gives. The rule is at least 4 weeks, or the "
                    "permanent equivalent's notice where that is shorter (Q506)."),
        Column("permanent_notice_weeks", "Permanent notice weeks", NUMBER, False, code="E110", minimum=0,
               aliases=("Permanent notice period", "Permanent equivalent notice", "Permanent notice",
                        "Notice of permanent equivalent"),
               note="Optional. Weeks of notice a permanent social worker in the equivalent role gives, where "
                    "that is under 4 weeks: the assignment then needs at least that much."),
        Column("end_reason", "End reason", CHOICE, False, END_REASONS, code="E111",
               aliases=("Reason ended", "Reason for ending", "Assignment end reason"),
               note="Optional. If the assignment has ended: Moved to permanent post, Assignment completed, Ended by LA, "
                    "Ended by worker, Ended by agency or Other.", width=22),
        Column("end_of_placement_review", "End-of-placement review", CHOICE, False, YES_NO, code="E111",
               aliases=("End of placement review", "Exit review", "End of assignment review", "Placement review"),
               note="Optional. Yes or No: was an end-of-placement review held when the assignment ended?", width=16),
        Column("reference_provided", "Reference provided", CHOICE, False, YES_NO, code="E111",
               aliases=("Reference given", "Reference provided by LA", "LA reference provided", "Reference supplied"),
               note="Yes or No: did your LA give the worker a practice-based reference when the assignment ended? "
                    "An assignment that ended in the quarter without one is queried (Q519).", width=16),
        Column("notes", "Notes", aliases=("Note", "Comments", "Comment", "Explanation"),
               note="A note here explains a query on this row.", width=30),
    ),
)

PROJECT_TEAMS = Sheet(
    "ProjectTeams",
    required=False,
    aliases=("Project teams", "Project team", "Packaged models", "Projects"),
    purpose="One row per project team or packaged model contract.",
    columns=(
        Column("project_team_ref", "Project team reference", TEXT, True, code="E201",
               aliases=("Project team ref", "Project reference", "Project team ID", "Team reference", "Reference"),
               note="Unique. Assignments refer to it."),
        Column("supplier", "Supplier", TEXT, True, code="E201", aliases=("Supplier name", "Provider", "Agency"), note="Who supplies the team."),
        Column("model", "Model", CHOICE, True, PROJECT_MODELS, code="E111", aliases=("Engagement model", "Type"),
               note="Project team or Packaged model."),
        Column("start_date", "Start date", DATE, True, code="E202", aliases=("Start", "Contract start"), note="Contract start."),
        Column("end_date", "End date", DATE, False, code="E202", aliases=("End", "Contract end"), note="Contract end; blank if ongoing."),
        Column("number_of_workers", "Number of workers", NUMBER, False, code="E202", minimum=0,
               aliases=("Workers", "Headcount", "No of workers"), note="Workers in the team."),
        Column("all_workers_identified", "All workers identified and approved", CHOICE, True, YES_NO, code="E111",
               aliases=("All workers identified", "Workers identified", "Identified and approved"), note="Yes or No.", width=22),
        Column("la_retains_control", "LA retains control of practice", CHOICE, True, YES_NO, code="E111",
               aliases=("LA retains control", "LA control of practice", "LA control"), note="Yes or No.", width=22),
        Column("worker_costs", "Worker costs in quarter", MONEY, True, code="E202", minimum=0,
               aliases=("Worker costs", "Worker cost"), note="£ paid for the workers in the quarter."),
        Column("other_costs", "Other costs in quarter", MONEY, True, code="E202", minimum=0,
               aliases=("Other costs", "Other cost", "Management costs"), note="£ other costs (management, overheads) in the quarter."),
        Column("total_cost", "Total cost in quarter", MONEY, True, code="E202", minimum=0,
               aliases=("Total cost", "Total"), note="£ = worker costs + other costs."),
        Column("notes", "Notes", aliases=("Note", "Comments", "Comment"),
               note="Optional. A note here explains a query on this row.", width=30),
    ),
)

MONTHLY_COSTS = Sheet(
    "MonthlyCosts",
    aliases=("Monthly costs", "Monthly cost", "Costs", "Monthly"),
    purpose="Exactly the three months of the quarter.",
    columns=(
        Column("month", "Month", MONTH, True, code="E301", aliases=("Month start", "Period", "Month ending"),
               note="First day of the month, or YYYY-MM."),
        Column("agency_headcount", "Agency headcount at month end", NUMBER, True, code="E302", minimum=0,
               aliases=("Agency headcount", "Headcount", "Headcount at month end"), note="Agency workers in post on the last day of the month.", width=22),
        Column("worker_pay", "Worker pay and on-costs", MONEY, True, code="E302", minimum=0,
               aliases=("Worker pay", "Pay and on-costs", "Worker pay and oncosts"), note="£ pay, holiday pay, employer NI and levy."),
        Column("agency_fees", "Agency fees", MONEY, True, code="E302", minimum=0, aliases=("Agency fee", "Agency margins"), note="£."),
        Column("msp_fees", "MSP fees", MONEY, True, code="E302", minimum=0, aliases=("MSP fee", "Managed service fees"), note="£."),
        Column("project_team_other_costs", "Project team other costs", MONEY, True, code="E302", minimum=0,
               aliases=("Project team costs", "Project other costs"), note="£ non-worker costs of project teams."),
        Column("total_monthly_cost", "Total monthly cost", MONEY, True, code="E302", minimum=0,
               aliases=("Total cost", "Total", "Monthly total"), note="£ = the four cost columns added up."),
        Column("notes", "Notes", aliases=("Note", "Comments", "Comment"),
               note="Optional. A note here explains a query on this row.", width=30),
    ),
)

COMPLIANCE = Sheet(
    "Compliance",
    aliases=("Compliance statement", "Compliance with rules", "Statement"),
    purpose="Your statement on each of the seven agency rules.",
    columns=(
        Column("rule", "Rule", CHOICE, True, COMPLIANCE_RULES, code="E401", aliases=("Agency rule", "Rule name"),
               note="One row for each of the seven agency rules.", width=26),
        Column("status", "Status", CHOICE, True, COMPLIANCE_STATUSES, code="E402", aliases=("Compliance status", "Compliance"),
               note="Fully compliant, Partially compliant or Not compliant.", width=20),
        Column("prevented_by_contract", "Prevented by existing contract", CHOICE, False, YES_NO, code="E111",
               aliases=("Prevented by contract", "Existing contract"), note="Yes if an existing contract stops you complying.", width=20),
        Column("explanation", "Explanation", TEXT, False, code="E403", aliases=("Reason", "Comments", "Details"),
               note="Required unless Fully compliant.", width=50),
    ),
)

AGENCIES = Sheet(
    "Agencies",
    required=False,
    aliases=("Agency", "Agencies affecting compliance"),
    purpose="Agencies whose behaviour affected compliance (may be empty).",
    columns=(
        Column("agency", "Agency", TEXT, True, code="E111", aliases=("Agency name", "Supplier"),
               note="The agency whose behaviour affected your compliance.", width=24),
        Column("rule_affected", "Rule affected", CHOICE, True, COMPLIANCE_RULES, code="E111", aliases=("Rule", "Agency rule"),
               note="Which of the seven rules it affected.", width=26),
        Column("description", "Description", aliases=("Details", "What happened"),
               note="What the agency did, e.g. refused to lower a rate to the cap.", width=50),
    ),
)

LEAVERS = Sheet(
    "Leavers",
    required=False,
    aliases=("Permanent leavers", "Leaver"),
    purpose="Permanent children's social workers who left the LA in the last 3 months (the cool-off checks).",
    columns=(
        Column("swe_number", "SWE registration number", SWE, True, code="E102",
               aliases=("SWE number", "SWE reg number", "Social Work England number", "Registration number"),
               note="The leaver's Social Work England number; used only to check the regional cool-off."),
        Column("date_left", "Date left", DATE, True, code="E104", aliases=("Leaving date", "Left on", "End date"),
               note="Last day in the permanent post (dd/mm/yyyy)."),
        Column("reason", "Reason", CHOICE, False, LEAVER_REASONS, code="E111", aliases=("Leaving reason", "Reason for leaving"),
               note="Resigned, Redundancy, Probation, Retired or Other."),
    ),
)

JOB_MAPPING = Sheet(
    "JobMapping",
    required=False,
    aliases=("Job mapping", "Job titles", "Role mapping"),
    purpose="Maps your local job titles to the five role categories.",
    columns=(
        Column("local_job_title", "Local job title", TEXT, True, code="E111", aliases=("Job title",),
               note="A job title as it appears on Assignments.", width=30),
        Column("role_category", "Role category", CHOICE, True, ROLE_CATEGORIES, code="E103", aliases=("Category",),
               note="The DfE role category that title maps to.", width=30),
    ),
)

SHEETS: tuple[Sheet, ...] = (RETURN, ASSIGNMENTS, PROJECT_TEAMS, MONTHLY_COSTS, COMPLIANCE, AGENCIES, LEAVERS, JOB_MAPPING)
SHEETS_BY_NAME = {s.name: s for s in SHEETS}

QUARTER_RE = re.compile(r"^\s*(\d{4})\s*-?\s*Q([1-4])\s*$", re.IGNORECASE)
SWE_RE = re.compile(r"^SW[1-9][0-9]{0,6}$")


def normalise_header(text: object) -> str:
    """Header text reduced to lower-case letters and digits, so 'Start-Date ' == 'start date'."""
    return re.sub(r"[^0-9a-z]", "", str(text).lower().replace("£", ""))


def header_lookup(sheet: Sheet) -> dict[str, str]:
    """Normalised header or alias -> column key. Canonical headers win over aliases."""
    lookup: dict[str, str] = {}
    for col in sheet.columns:
        for alias in col.aliases:
            lookup.setdefault(normalise_header(alias), col.key)
    for col in sheet.columns:
        lookup[normalise_header(col.header)] = col.key
    return lookup


@dataclass(frozen=True)
class Quarter:
    """A calendar quarter, written 2025-Q1."""

    year: int
    q: int

    @classmethod
    def parse(cls, text: object) -> "Quarter | None":
        m = QUARTER_RE.match(str(text or ""))
        return cls(int(m.group(1)), int(m.group(2))) if m else None

    def __str__(self) -> str:
        return f"{self.year}-Q{self.q}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> dt.date:
        nxt = self.next()
        return dt.date(nxt.year, 3 * nxt.q - 2, 1) - dt.timedelta(days=1)

    @property
    def months(self) -> list[dt.date]:
        return [dt.date(self.year, 3 * self.q - 2 + i, 1) for i in range(3)]

    def next(self) -> "Quarter":
        return Quarter(self.year + (self.q == 4), self.q % 4 + 1)

    def previous(self) -> "Quarter":
        return Quarter(self.year - (self.q == 1), (self.q - 2) % 4 + 1)

    @classmethod
    def containing(cls, day: dt.date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)


def column_letter(index: int) -> str:
    """0-based column index -> Excel letters (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters

