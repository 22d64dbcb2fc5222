"""Cap scenarios (data-contract §7): what candidate price caps, one per role category, would mean over
the accepted assignments of some regions in a quarter, beside the same figures under each region's
own cap. Read from the warehouse (the shared measures, pipeline/outputs/sql/measures/, and
pipeline/outputs/sql/scenarios/caps.sql); a scenario never changes a finding or an output.

The figures, for each role given a candidate cap, in total, by region and by LA: `assignments`,
`above` (cap-basis rate, in pence, over the cap), `share_above` (above ÷ assignments, a fraction, 0.3561
= 35.61%; None with no assignments), `las_above`, and `excess_gbp`, £ above the cap in the quarter =
Σ (cap-basis rate − cap) × hours per week (blank: 37) × days active in the quarter ÷ 7; and
`under_own_caps`: above, share_above, las_above and excess_gbp against the cap each assignment was
judged by. `agency-return scenario caps`, `GET /api/v1/scenarios/caps` and the analyst page are shells
over `cap_scenario`.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from pipeline.core import rulesets
from pipeline.core.contract import ROLE_CATEGORIES, VALUE_ALIASES, Quarter, normalise_header
from pipeline.core.reference import REGIONS, cap_table
from pipeline.outputs.kit import Book, cap_rows, notes_sheet, write_csv
from pipeline.outputs.marts import MARTS, measures
from pipeline.warehouse.connection import paths, reading
from pipeline.warehouse.queries import region_code
from pipeline.warehouse.sqlfiles import registered

FIGURES = ("assignments", "above", "share_above", "las_above", "excess_gbp")
_AMOUNT = re.compile(r"^\s*£?\s*(\d+(?:\.\d+)?)\s*$")
_ROLES = {normalise_header(name): role for role in ROLE_CATEGORIES for name in (role, *VALUE_ALIASES.get(role, ()))}


def parse_cap(text: str) -> tuple[str, float]:
    """'Senior social worker=£40' or 'Senior SW:40' -> ('Senior social worker', 40.0): a role category (or
    one of its value aliases) and an amount in £ per hour above 0. Raises ValueError saying what to write."""
    parts = re.match(r"^(.*?)[=:](.*)$", text)
    found = _ROLES.get(normalise_header(parts.group(1))) if parts else None
    if found is None:
        raise ValueError(f"write a candidate cap as ROLE=£AMOUNT, e.g. 'Senior social worker=£40', not {text!r}; "
                         f"the roles are {', '.join(ROLE_CATEGORIES)}")
    amount = parts.group(2)
    match = _AMOUNT.match(amount)
    if match is None or float(match.group(1)) <= 0:
        raise ValueError(f"the cap for {found} must be an amount in £ per hour above 0, e.g. £40, not {amount.strip()!r}")
    return found, float(match.group(1))


def cap_scenario(quarter: Quarter | str, regions, caps: dict[str, float], *, home=None) -> dict:
    """The scenario as data-contract §7's JSON: {"quarter", "regions", "cap_table", "roles": [{
    "role_category", "cap", <FIGURES>, "under_own_caps", "by_region": [...], "by_la": [...]}]}, a role
    for each of `caps` (role category -> candidate cap, £/hour) in the contract's role order; each
    by_region entry also gives `own_cap`, the region's cap for the role in force on the quarter's last
    day. `regions` are codes or names (`region_code`). Raises ValueError for an unknown region or role,
    no region or no cap, FileNotFoundError when there is no warehouse."""
    q = quarter if isinstance(quarter, Quarter) else Quarter.parse(quarter)
    if q is None:
        raise ValueError(f"the quarter is written like 2025-Q2, not {quarter!r}")
    codes = list(dict.fromkeys(region_code(r) for r in regions))
    if not codes:
        raise ValueError("name at least one region")
    unknown = set(caps) - set(ROLE_CATEGORIES)
    if not caps or unknown:
        raise ValueError(f"give a candidate cap for at least one of {', '.join(ROLE_CATEGORIES)}"
                         + (f", not {', '.join(sorted(unknown))}" if unknown else ""))
    candidate = pd.DataFrame({"role_category": list(caps), "cap": [float(v) for v in caps.values()]})
    with reading(paths(home)) as con:
        measures(con, q)
        with registered(con, {"src_candidate_caps": candidate}):
            rows = MARTS.run(con, "scenarios/caps", quarter=str(q), regions=codes).df()
    with rulesets.using(rulesets.for_quarter(q)):
        table = cap_table()
    out_roles = []
    for role in (r for r in ROLE_CATEGORIES if r in caps):
        mine = rows[rows["role_category"] == role]
        total = mine[mine["level"] == "total"]
        by_region = []
        for code in codes:
            row = mine[(mine["level"] == "region") & (mine["region_code"] == code)]
            by_region.append({"region_code": code, "region_name": REGIONS[code],
                              "own_cap": table.cap(code, role, q.end), **_figures(row)})
        by_la = [{"region_code": r["region_code"], "la_code": r["la_code"], "la_name": r["la_name"],
                  **_figures(pd.DataFrame([r]))} for _, r in mine[mine["level"] == "la"].iterrows()]
        out_roles.append({"role_category": role, "cap": float(caps[role]), **_figures(total),
                          "by_region": by_region, "by_la": by_la})
    return {"quarter": str(q), "regions": codes, "cap_table": table.version, "roles": out_roles}


def _figures(row: pd.DataFrame) -> dict:
    """The figures of one row of caps.sql (none: no assignments), candidate and own caps."""
    if row.empty:
        zero = {"assignments": 0, "above": 0, "share_above": None, "las_above": 0, "excess_gbp": 0.0}
        return {**zero, "under_own_caps": {k: v for k, v in zero.items() if k != "assignments"}}
    r = row.iloc[0]
    n = int(r["assignments"])

    def share(above) -> float | None:
        return round(int(above) / n, 4) if n else None

    return {"assignments": n, "above": int(r["above"]), "share_above": share(r["above"]),
            "las_above": int(r["las_above"]), "excess_gbp": _money(r["excess_gbp"]),
            "under_own_caps": {"above": int(r["own_above"]), "share_above": share(r["own_above"]),
                               "las_above": int(r["own_las_above"]), "excess_gbp": _money(r["own_excess_gbp"])}}


def _money(value) -> float:
    value = float(value)
    return 0.0 if math.isnan(value) else round(value, 2)


def scenario_table(scenario: dict) -> pd.DataFrame:
    """The scenario as one flat table (for CSV, the workbook and the terminal): a row per role in total,
    by region and by LA, the candidate cap's figures beside the own caps' (`own_…`)."""
    rows = []
    for role in scenario["roles"]:
        entries = [("Total", {"region_code": "", "region_name": "All regions named",
                                                      "la_code": "", "la_name": ""}, role)]
        entries += [("Region", {"region_code": r["region_code"], "region_name": r["region_name"], "la_code": "",
                                "la_name": ""}, r) for r in role["by_region"]]
        entries += [("LA", {"region_code": r["region_code"], "region_name": REGIONS[r["region_code"]],
                            "la_code": r["la_code"], "la_name": r["la_name"]}, r) for r in role["by_la"]]
        for level, where, figures in entries:
            own = figures["under_own_caps"]
            rows.append({"level": level, "role_category": role["role_category"], **where, "candidate_cap": role["cap"],
                         **{k: figures[k] for k in FIGURES},
                         "own_cap": figures.get("own_cap"), "own_above": own["above"],
                         "own_share_above": own["share_above"], "own_las_above": own["las_above"],
                         "own_excess_gbp": own["excess_gbp"]})
    return pd.DataFrame(rows)


def write_scenario(scenario: dict, folder: Path) -> list[Path]:
    """The scenario as a workbook (About, then the table with a Notes sheet of its definitions) and a CSV
    of the same table, in `folder`: [cap_scenario_<quarter>.xlsx, cap_scenario_<quarter>.csv]."""
    table = scenario_table(scenario)
    stem = f"cap_scenario_{scenario['quarter']}"
    book = Book(folder / f"{stem}.xlsx")
    about = [("Quarter", scenario["quarter"]), ("Regions", ", ".join(REGIONS[c] for c in scenario["regions"])),
             ("Candidate caps", "; ".join(f"{r['role_category']} £{r['cap']:,.2f}" for r in scenario["roles"])),
             ("Own caps", f"cap table {scenario['cap_table']}"),
             ("What this is", "A scenario over the accepted assignments of the quarter: it changes no finding and "
                              "no output. £ above the cap in the quarter = Σ (cap-basis rate − cap) × hours per week "
                              "(blank: 37) × days active in the quarter ÷ 7.")]
    book.about("About", about)
    book.table("Scenario", table, note="Each role's candidate cap in total, by region and by LA, beside the same "
                                       "figures under each region's own cap.")
    with rulesets.using(rulesets.for_quarter(scenario["quarter"])):
        notes_sheet(book, about, [table], caps=pd.concat([cap_rows(code) for code in scenario["regions"]]))
    book.close()
    write_csv(table, folder / f"{stem}.csv")
    return [folder / f"{stem}.xlsx", folder / f"{stem}.csv"]
