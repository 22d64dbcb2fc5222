"""`agency-return rules`: the rule catalogue as a table, with where each code is checked."""
from __future__ import annotations

import csv
import io
import json

from pipeline.core import rulesets
from pipeline.core.contract import Quarter
from pipeline.core.findings import catalogue

COMMON = ("formula", "out_of_range")   # messages every rule shares ([common] in rules.toml)

# Codes found while opening and reading a file rather than by a schema or registered rule.
READER = {
    "E001": "pipeline/read/guard.py, pipeline/rules/validate.py",
    "E002": "pipeline/read/workbook.py",
    "E003": "pipeline/read/workbook.py",
    "E006": "pipeline/read/guard.py, pipeline/read/workbook.py",
    "E007": "pipeline/read/workbook.py",
    "E008": "pipeline/read/ooxml.py, pipeline/read/workbook.py",
    "E009": "web/submissions.py (web service and API uploads)",
    "E112": "pipeline/read/ooxml.py, pipeline/read/workbook.py",
    "X601": "pipeline/outputs/build.py (cross-LA, at build)",
    "X602": "pipeline/outputs/build.py, pipeline/outputs/sql/cross_la/x602.sql (cross-LA, at build)",
}


def where_checked() -> dict[str, list[str]]:
    """Code -> the schema files and rule functions that can produce it."""
    import schemas
    from pipeline.rules import validate  # noqa: F401  (registers every rule)
    from pipeline.rules.registry import RULES

    where: dict[str, list[str]] = {code: [place] for code, place in READER.items()}
    for sheet, schema in schemas.BY_SHEET.items():
        module = f"schemas/{schemas.FILES[sheet]}"
        for code in schema.codes:
            if module not in where.setdefault(code, []):
                where[code].append(module)
    for reg in RULES:
        for code in reg.codes:
            if reg.where not in where.setdefault(code, []):
                where[code].append(reg.where)
    return where


def rows(quarter: Quarter | None = None) -> list[dict]:
    """One dict per code of the rule set in force for `quarter` (None: the newest)."""
    rule_set = rulesets.for_quarter(quarter)
    where = where_checked()
    out = []
    with rulesets.using(rule_set):
        for code, rule in catalogue().items():
            out.append({"code": code, "severity": rule.severity, "sheet": rule.sheet, "fields": "; ".join(rule.fields),
                        "title": rule.title,
                        "messages": " | ".join(f"{k}: {v}" for k, v in rule.messages.items() if k not in COMMON),
                        "threshold_source": rule.threshold_source, "checked_in": ", ".join(where.get(code, [])),
                        "rule_set": rule_set.version})
    return out


def render(fmt: str = "md", quarter: Quarter | None = None) -> str:
    """The catalogue as a Markdown table (with the rule set named above it), CSV or JSON."""
    data = rows(quarter)
    if fmt == "json":
        return json.dumps(data, indent=2)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(data[0]))
        writer.writeheader()
        writer.writerows(data)
        return buf.getvalue()
    lines = [f"Rule set {data[0]['rule_set']}" + (f" (in force for {quarter})" if quarter else " (newest)"), "",
             "| code | severity | sheet | meaning | threshold / source | checked in |", "|---|---|---|---|---|---|"]
    for r in data:
        lines.append(f"| {r['code']} | {r['severity']} | {r['sheet']} | {r['title']} | {r['threshold_source']} | {r['checked_in']} |")
    return "\n".join(lines)
