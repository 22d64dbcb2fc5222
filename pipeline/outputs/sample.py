"""Realistic sample returns: one filled upload workbook per LA, deterministic from a seed.

Used for demos, tests and benchmarks. Sizes follow DfE's workforce figures, rates sit near the
regional caps, and a few rows are planted to raise each query (some explained by a Note), so
every check has something to find. Flavours: "clean" (the filled template), "messy" (an MSP
extract pasted in, still valid) and "errors" (planted E1xx-E4xx errors). Cross-LA cases
(X601/X602) are planned per region by `plan_cross_la` and passed in as `shared`.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

from pipeline.core import reference, rulesets
from pipeline.core.config import threshold
from pipeline.core.contract import (
    COMPLIANCE_RULES,
    END_REASONS,
    ROLE_CATEGORIES,
    SHEETS_BY_NAME,
    VALUE_ALIASES,
    Quarter,
    header_lookup,
    normalise_header,
)
from pipeline.core.findings import catalogue
from pipeline.outputs import template

FLAVOURS = ("clean", "messy", "errors")
HOLIDAY = 0.1207                # statutory 5.6 weeks' holiday pay as a share of pay
EMPLOYER_NI, NI_THRESHOLD_PER_HOUR, LEVY = 0.15, 2.60, 0.005
SWE_PRIME, SWE_MULT = 999_983, 7_919   # scrambles (LA code, n) into unique-looking SWE numbers
MAX_WORKERS = 100_100                  # the benchmark's 50k-row workbook fits

ROLE_WEIGHTS = (55, 25, 8, 8, 4)
JOB_TITLES = {
    "Social worker": ("Social Worker", "Social Worker - Assessment", "Children's Social Worker"),
    "Senior social worker": ("Senior Social Worker", "Senior Practitioner"),
    "Advanced practitioner": ("Advanced Practitioner", "Practice Lead"),
    "Team manager": ("Team Manager", "Assistant Team Manager"),
    "Independent reviewing officer or child protection chair": ("Independent Reviewing Officer", "CP Chair"),
}
SERVICE_AREAS = ("Assessment", "Child in need", "Child protection", "Children in care", "Care leavers",
                 "Fostering", "MASH", "Disabled children", "Court team")
AGENCIES = ("Brightwater Social Care", "Kestrel Recruitment", "Meridian Social Work", "Oakfield Care Staffing",
            "Harbour Locums", "Thistle People", "Bluebell Recruitment", "Northlight Professionals")
MSPS = ("Calder Managed Services", "Vantage MSP")
TEAM_SUPPLIERS = ("Compass Practice Teams", "Solace Managed Teams", "Keystone Social Work Projects")
FIRST = ("Amina", "Ben", "Claire", "David", "Emma", "Farah", "Gareth", "Helen", "Imran", "Joanne", "Kate", "Liam")
LAST = ("Ahmed", "Brown", "Clarke", "Davies", "Evans", "Fraser", "Green", "Hughes", "Iqbal", "Jones", "Khan", "Lewis")
NOTES = {
    "Q501": "Cap breach approval pending at the DCS panel on the 14th.",
    "Q502": "Approved by the Assistant Director under delegated authority from the DCS.",
    "Q503": "Four years' adult safeguarding practice before qualifying; agreed by Head of Service.",
    "Q504": "Previous LA confirmed redundancy; exception form being completed.",
    "Q505": "Second reference chased with the previous employer.",
    "Q506": "Agency's terms give 2 weeks' notice; renegotiating at renewal.",
    "Q507": "Covering court deadlines for four weeks; hours reviewed weekly.",
    "Q515": "Umbrella company has sent the on-cost breakdown; to be added next quarter.",
    "Q516": "Replaces {swe} on the same caseload.",
    "Q518": "Reported to the RIIA at the regional workforce board in the second month.",
}
# Q504 as councils get it wrong: the variant planted -> the row's cool-off fields
COOL_OFF_CASES = ("declared", "unknown", "different_region", "own_leaver")


@dataclass(frozen=True)
class CrossLACase:
    """One planted cross-LA case. X601: la_a and la_b both engage `swe` from `day`.
    X602: `swe` leaves a permanent post at la_a on `day` (Leavers) and la_b engages them 5 weeks later."""

    code: str
    swe: str
    la_a: str
    la_b: str
    day: dt.date


@dataclass
class Planted:
    """What the generator put in on purpose, for tests and the sample README."""

    code: str
    where: str          # sheet and assignment reference, or a description
    noted: bool = False
    ref: str | None = None   # the assignment reference it was planted on


@dataclass
class Sample:
    """One LA's return as data before it is written."""

    la: reference.LA
    quarter: Quarter
    values: dict[str, object]
    rows: dict[str, list[dict]]
    planted: list[Planted] = field(default_factory=list)


def write_la_workbook(path, la_code: str, quarter: Quarter | str, *, seed: int = 0, n_assignments: int | None = None,
                      flavour: str = "clean", shared: list[CrossLACase] | None = None) -> Path:
    """Write one LA's filled upload workbook."""
    return write_sample(path, build_sample(la_code, quarter, seed=seed, n_assignments=n_assignments,
                                           flavour=flavour, shared=shared), flavour)


def build_sample(la_code: str, quarter: Quarter | str, *, seed: int = 0, n_assignments: int | None = None,
                 flavour: str = "clean", shared: list[CrossLACase] | None = None) -> Sample:
    """One LA's return as data; the same arguments always give the same content."""
    if flavour not in FLAVOURS:
        raise ValueError(f"flavour must be one of {FLAVOURS}")
    if n_assignments is not None and not 1 <= n_assignments <= MAX_WORKERS - 100:
        raise ValueError(f"n_assignments must be between 1 and {MAX_WORKERS - 100}")
    quarter = _quarter(quarter)
    la = reference.la_for_quarter(la_code, quarter)
    if la is None:
        raise ValueError(f"LA {la_code} is not live during {quarter}")
    rng = random.Random(f"{seed}:{la_code}:{quarter}")
    with rulesets.using(rulesets.for_quarter(quarter)):   # planted as the quarter's own rule set judges it
        builder = _Builder(la, quarter, rng, n_assignments, flavour, shared or [])
        # contract 3's values draw from a Random of their own, so earlier quarters' samples keep their bytes
        builder.contract_3 = random.Random(f"{seed}:{la_code}:{quarter}:contract 3") if "Q519" in catalogue() else None
        return builder.build()


def write_sample(path, sample: Sample, flavour: str = "clean") -> Path:
    """Write a built sample: the filled template, or (messy) an MSP-extract style workbook."""
    created = dt.datetime.combine(sample.quarter.end, dt.time(9))   # fixed, so same content -> same bytes
    if flavour == "messy":
        return _write_messy(Path(path), sample, created)
    return template.write_workbook(path, sample.quarter, sample.la.code, values=sample.values,
                                   rows=sample.rows, created=created)


def plan_cross_la(la_codes, quarter: Quarter | str, *, seed: int = 0) -> list[CrossLACase]:
    """For each region with two or more of the LAs: one X601 pair and one X602 pair."""
    quarter = _quarter(quarter)
    rng = random.Random(f"{seed}:cross:{quarter}")
    by_region: dict[str, list[str]] = {}
    for code in sorted(la_codes):
        la = reference.la_for_quarter(code, quarter)
        if la:
            by_region.setdefault(la.region_code, []).append(code)
    cases = []
    for codes in by_region.values():
        if len(codes) < 2:
            continue
        a, b = rng.sample(codes, 2)
        cases.append(CrossLACase("X601", _swe(a, 999), a, b, quarter.start + dt.timedelta(days=rng.randint(20, 50))))
        cases.append(CrossLACase("X602", _swe(b, 999), b, a, quarter.start - dt.timedelta(days=rng.randint(10, 30))))
    return cases


def generate(quarter: Quarter | str, out_dir, *, seed: int = 0, la_codes=None,
             flavours: dict[str, str] | None = None) -> list[Path]:
    """Write `<la_code>_<quarter>.xlsx` for the LAs (all live LAs by default), cross-LA cases planted."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [write_sample(out_dir / f"{s.la.code}_{s.quarter}.xlsx", s, (flavours or {}).get(s.la.code, "clean"))
            for s in build_samples(quarter, seed=seed, la_codes=la_codes, flavours=flavours)]


def build_samples(quarter: Quarter | str, *, seed: int = 0, la_codes=None,
                  flavours: dict[str, str] | None = None) -> list[Sample]:
    """What `generate` writes, as data (tests and the README read the planted findings from it)."""
    quarter = _quarter(quarter)
    codes = list(la_codes) if la_codes else [la.code for la in reference.live_las(quarter)]
    flavours = flavours or {}
    # a rejected return is never cross-checked, so cross-LA cases go to the others only
    shared = plan_cross_la([c for c in codes if flavours.get(c) != "errors"], quarter, seed=seed)
    return [build_sample(code, quarter, seed=seed, flavour=flavours.get(code, "clean"), shared=shared) for code in codes]


def _quarter(quarter: Quarter | str) -> Quarter:
    parsed = quarter if isinstance(quarter, Quarter) else Quarter.parse(quarter)
    if parsed is None:
        raise ValueError(f"not a quarter: {quarter!r}")
    return parsed


def _swe(la_code: str, n: int) -> str:
    """The n-th sample SWE number of an LA: unique across LAs for the first 1000 workers, so no
    cross-LA match is accidental. Beyond that (benchmark-sized files only) numbers are 7 digits,
    which the scramble (< 999,983) never makes: unique within the file, not across LAs."""
    if not 0 <= n < MAX_WORKERS:
        raise ValueError(f"at most {MAX_WORKERS} sample workers per LA")
    if n >= 1000:
        return f"SW{1_000_000 + n}"
    return f"SW{(int(la_code) * 1000 + n) * SWE_MULT % SWE_PRIME}"


class _Builder:
    """Builds one Sample step by step; each step draws from the same seeded Random."""

    def __init__(self, la, quarter, rng, n, flavour, shared):
        self.la, self.q, self.rng, self.flavour = la, quarter, rng, flavour
        self.shared = [c for c in shared if la.code in (c.la_a, c.la_b)]
        self.n = n if n is not None else self._size()
        if flavour == "errors":
            self.n = max(self.n, 24)   # room for seven error rows besides the planted queries and a team
        self.next_worker = 0
        self.caps = reference.cap_table()
        self.in_force = dt.date.fromisoformat(threshold("rules_in_force"))
        self.existing_from = dt.date.fromisoformat(threshold("caps_apply_to_existing_from"))
        self.own_leavers: list[dict] = []
        self.agencies = rng.sample(AGENCIES, rng.randint(2, 5))
        self.msp = rng.choice((None, None, *MSPS))
        self.titles = {role: rng.choice(titles) for role, titles in JOB_TITLES.items()}
        self.planted: list[Planted] = []
        live = reference.live_las(quarter)
        self.elsewhere = [x.code for x in live if x.region_code != la.region_code]
        self.neighbours = [x.code for x in live if x.region_code == la.region_code and x.code != la.code]
        self.contract_3: random.Random | None = None   # from the quarter contract 3 applies (2026-Q4)

    def _size(self) -> int:
        figure = reference.latest_agency_headcount(self.la.code, self.q.start)
        if figure is None:
            return self.rng.randint(10, 30)
        return max(5, round(figure[1] * self.rng.uniform(0.9, 1.1)))

    def _new_swe(self) -> str:
        self.next_worker += 1
        return _swe(self.la.code, self.next_worker - 1)

    def build(self) -> Sample:
        rows = [self._assignment(i) for i in range(self.n)]
        rows += self._cross_la_assignments(len(rows))
        if self.contract_3 is not None:
            self._contract_3(rows)
        self._plant_queries(rows)
        teams = self._project_teams(rows)
        sheets = {
            "Assignments": rows,
            "ProjectTeams": teams,
            "MonthlyCosts": self._monthly(rows, teams),
            "Compliance": self._compliance(rows),
            "Agencies": self._agencies(rows),
            "Leavers": self._leavers(),
            "JobMapping": ([{"local_job_title": t, "role_category": r} for r, t in self.titles.items()]
                           if self.rng.random() < 0.35 or self.flavour == "messy" else []),
        }
        sample = Sample(self.la, self.q, self._return_values(), sheets, self.planted)
        if self.flavour == "errors":
            _plant_errors(sample)
        return sample

    # -- assignments -------------------------------------------------------------------------------
    def _assignment(self, i: int, *, start: dt.date | None = None) -> dict:
        rng, q = self.rng, self.q
        role = rng.choices(ROLE_CATEGORIES, ROLE_WEIGHTS)[0]
        if start is None:
            start = (q.start + dt.timedelta(days=rng.randint(0, 75)) if rng.random() < 0.25
                     else q.start - dt.timedelta(days=rng.randint(1, 330)))
        roll = rng.random()
        if roll < 0.55:
            end = None
        elif roll < 0.75:
            end = max(start, q.start) + dt.timedelta(days=rng.randint(14, 60))
            end = min(end, q.end)
        else:
            end = q.end + dt.timedelta(days=rng.randint(1, 120))
        row = {
            "assignment_ref": f"{self.la.name[:3].upper()}-{self.q.year % 100}{i + 1:04d}",
            "swe_number": self._new_swe(),
            "local_job_title": self.titles[role],
            "role_category": role,
            "service_area": rng.choice(SERVICE_AREAS),
            "agency": rng.choice(self.agencies),
            "msp": self.msp,
            "payment_route": rng.choices(("PAYE", "Umbrella company", "Limited company"), (25, 55, 20))[0],
            "engagement_model": "Individual",
            "start_date": start,
            "end_date": end,
            "hours_per_week": rng.choice((37, 37, 37, 37, 37, 36, 35, 37.5, 30, 22.5)),
            "pqe_years": rng.randint(3, 25),
            "left_permanent_post": rng.choices(("No", "Yes"), (93, 7))[0],
            "reference_obtained": rng.choice((2, 2, 2, 3, "Yes")),
            "notice_period_weeks": rng.choice((4, 4, 4, 4, 6, 8, 12)),
        }
        if row["notice_period_weeks"] == 4 and rng.random() < 0.1:   # the permanent equivalent's shorter notice
            row.update(notice_period_weeks=3, permanent_notice_weeks=3)
        if row["left_permanent_post"] == "Yes":   # from another region: the cool-off does not apply
            row.update(previous_la_code=rng.choice(self.elsewhere), cool_off_exception="Different region",
                       date_left_permanent_post=start - dt.timedelta(days=rng.randint(14, 80)))
        self._price(row, rng.uniform(0.86, 0.985))
        return row

    def _contract_3(self, rows: list[dict]) -> None:
        """Contract 3's values: some all-in (limited-company) rates paid to self-employed workers, and for
        each assignment that ended in the quarter its end reason, end-of-placement review and the
        reference the LA provided (always, so Q519 is not planted)."""
        rng = self.contract_3
        for row in rows:
            if row["payment_route"] == "Limited company" and rng.random() < 0.3:
                row["payment_route"] = "Self-employed"
            if row["end_date"] is not None and row["end_date"] <= self.q.end:
                row.update(end_reason=rng.choices(END_REASONS, (15, 50, 10, 15, 5, 5))[0],
                           end_of_placement_review=rng.choices(("Yes", "No"), (80, 20))[0], reference_provided="Yes")

    def _cap(self, row) -> float:
        """The cap the rules judge the row by (pipeline.rules.caps.cap_day): its start date, not before the
        rules came into force, and for a quarter ending after caps_apply_to_existing_from, a row still
        running then is held to the cap in force on that day."""
        day = max(row["start_date"], self.in_force)
        if self.q.end > self.existing_from and (row["end_date"] is None or row["end_date"] >= self.existing_from):
            day = max(day, self.existing_from)
        return self.caps.cap(self.la.region_code, row["role_category"], day)

    def _price(self, row: dict, cap_share: float) -> None:
        """Set the pay components so the cap-basis rate is `cap_share` of the cap, and the costs from them."""
        target = self._cap(row) * cap_share
        if row["payment_route"] in ("Limited company", "Self-employed"):   # all-in rates
            pay, holiday, ni, levy = round(target, 2), 0.0, 0.0, 0.0
        else:
            pay = round((target + EMPLOYER_NI * NI_THRESHOLD_PER_HOUR) / ((1 + HOLIDAY) * (1 + EMPLOYER_NI + LEVY)), 2)
            holiday = round(pay * HOLIDAY, 2)
            ni = round(EMPLOYER_NI * max(0.0, pay + holiday - NI_THRESHOLD_PER_HOUR), 2)
            levy = round(LEVY * (pay + holiday), 2)
        fee = round(self.rng.uniform(1.8, 5.5), 2)
        msp_fee = round(self.rng.uniform(0.6, 1.1), 2) if self.msp else 0.0
        row.update(hourly_pay_rate=pay, holiday_pay_per_hour=holiday, employer_ni_per_hour=ni,
                   apprenticeship_levy_per_hour=levy, agency_fee_per_hour=fee,
                   charge_rate_per_hour=round(pay + holiday + ni + levy + fee + msp_fee, 2))
        row["_msp_fee"] = msp_fee
        row["cost_in_quarter"] = round(_weekly(row, "charge_rate_per_hour") * _weeks(row, self.q.start, self.q.end), 2)

    def _cross_la_assignments(self, first: int) -> list[dict]:
        rows = []
        for case in self.shared:
            if case.code == "X601":   # la_a engaged the worker 8 weeks before la_b did; both still going
                start = case.day - dt.timedelta(weeks=8) if case.la_a == self.la.code else case.day
            elif case.la_b == self.la.code:   # X602: engaged 5 weeks after leaving la_a, not declared
                start = case.day + dt.timedelta(weeks=5)
            else:
                continue
            row = self._assignment(first + len(rows), start=start)
            row.update(swe_number=case.swe, end_date=None, left_permanent_post="No", engagement_model="Individual")
            for key in ("previous_la_code", "cool_off_exception", "date_left_permanent_post"):
                row.pop(key, None)
            self._price(row, 0.95)
            rows.append(row)
            self.planted.append(Planted(case.code, f"Assignments {row['assignment_ref']} ({case.swe}, with LA "
                                                   f"{case.la_b if case.la_a == self.la.code else case.la_a})", ref=row["assignment_ref"]))
        return rows

    def _plant_queries(self, rows: list[dict]) -> None:
        """About 10% above the cap (some approved), and a few rows for each other query."""
        rng = self.rng
        eligible = [r for r in rows if r["start_date"] >= self.in_force and r["swe_number"] not in
                    {c.swe for c in self.shared}]
        rng.shuffle(eligible)
        n_breach = max(1, round(len(rows) * 0.1))
        for row in eligible[:n_breach]:
            self._price(row, rng.uniform(1.04, 1.15))
            approver = rng.choices(("DCS", "Chief Executive", "DCS and Chief Executive", "Other", None), (35, 10, 10, 20, 25))[0]
            if approver:
                row.update(cap_approved_by=approver, cap_approval_date=row["start_date"] - dt.timedelta(days=rng.randint(1, 10)),
                           cap_breach_reason=rng.choice(("Hard-to-fill court team post", "Specialist disabled children's experience",
                                                          "Cover for long-term sickness", "No candidates at cap after 6 weeks")))
            row["cap_reported_to_riia"] = "Yes"
            code = "Q502" if approver == "Other" else "Q501" if approver is None else ""
            if code:
                self._note(row, code)
            elif "Q518" not in {p.code for p in self.planted}:   # one approved breach the RIIA was not told of
                row["cap_reported_to_riia"] = rng.choice(("No", None))
                self._note(row, "Q518")
        others = eligible[n_breach:]
        changes = {
            "Q503": {"pqe_years": 2},
            "Q506": {"notice_period_weeks": 2, "permanent_notice_weeks": None},
            "Q507": {"hours_per_week": 50},
            "Q505": rng.choice(({"reference_obtained": "No"}, {"reference_obtained": 1}, {"reference_obtained": None})),
            "Q515": {"payment_route": "Umbrella company", "holiday_pay_per_hour": None, "employer_ni_per_hour": None},
        }
        for code, change in changes.items():   # Q515 always: MSP extracts routinely leave on-costs blank
            if others and (code == "Q515" or rng.random() < min(1.0, 0.3 + len(rows) / 80)):
                row = others.pop()
                row.update(change)
                self._note(row, code)
        if others and rng.random() < min(1.0, 0.3 + len(rows) / 80):
            self._plant_cool_off(others.pop(), rng.choice(COOL_OFF_CASES))
        if others and rng.random() < min(1.0, 0.2 + len(rows) / 100):
            row = others.pop()   # a note naming the worker it replaces, by SWE number
            row["notes"] = NOTES["Q516"].format(swe=_swe(self.la.code, MAX_WORKERS - 1 - self.rng.randrange(50)))
            self.planted.append(Planted("Q516", f"Assignments {row['assignment_ref']} (Notes)", True, row["assignment_ref"]))
        for row in rows:   # hours may have changed
            row["cost_in_quarter"] = round(_weekly(row, "charge_rate_per_hour") * _weeks(row, self.q.start, self.q.end), 2)

    def _plant_cool_off(self, row: dict, case: str) -> None:
        """One Q504 of the kind councils send: a declared same-region move, 'Unknown', 'Different region'
        with a previous LA in this region, or the LA's own recent leaver (on its Leavers sheet)."""
        left = row["start_date"] - dt.timedelta(days=30)
        if case == "unknown":
            row.update(left_permanent_post="Unknown")
        elif case == "own_leaver":
            row.update(left_permanent_post="No")
            self.own_leavers.append({"swe_number": row["swe_number"], "date_left": left, "reason": "Resigned"})
        elif self.neighbours:
            row.update(left_permanent_post="Yes", previous_la_code=self.rng.choice(self.neighbours),
                       cool_off_exception="Different region" if case == "different_region" else "None",
                       date_left_permanent_post=left)
        else:
            return
        self._note(row, "Q504")
        self.planted[-1].where += f" ({case.replace('_', ' ')})"

    def _note(self, row: dict, code: str) -> None:
        noted = self.rng.random() < 0.5
        if noted:
            row["notes"] = NOTES[code]
        self.planted.append(Planted(code, f"Assignments {row['assignment_ref']}", noted, row["assignment_ref"]))

    # -- the other sheets -----------------------------------------------------------------------------
    def _project_teams(self, rows: list[dict]) -> list[dict]:
        rng = self.rng
        if not (self.flavour == "errors" or (len(rows) >= 8 and rng.random() < 0.45)):
            return []
        free = [r for r in rows[8:] if not r.get("notes") and r["swe_number"] not in {c.swe for c in self.shared}]
        teams, budget = [], max(3, len(rows) // 4)   # teams are a minority of a council's agency workers
        for k in range(1 if len(free) < 12 else rng.randint(1, 2)):
            size = min(len(free), budget, rng.randint(3, 6))
            budget -= size
            members = [free.pop(rng.randrange(len(free))) for _ in range(size)]
            if not members:
                break
            model = rng.choice(("Project team", "Packaged model"))
            ref, supplier = f"PT-{self.la.code}-{k + 1:02d}", rng.choice(TEAM_SUPPLIERS)
            for m in members:
                m.update(engagement_model=model, project_team_ref=ref, agency=supplier)
            worker = round(sum(m["cost_in_quarter"] for m in members), 2)
            other = round(worker * rng.uniform(0.03, 0.08), 2)
            ends = [m["end_date"] for m in members]
            teams.append({
                "project_team_ref": ref, "supplier": supplier, "model": model,
                "start_date": min(m["start_date"] for m in members),
                "end_date": None if None in ends else max(ends),
                "number_of_workers": len(members), "all_workers_identified": "Yes", "la_retains_control": "Yes",
                "worker_costs": worker, "other_costs": other, "total_cost": round(worker + other, 2),
            })
        return teams

    def _monthly(self, rows: list[dict], teams: list[dict]) -> list[dict]:
        """Each month's costs from the assignments active in it (pay with a little accrual noise)."""
        out = []
        other_total = sum(t["other_costs"] for t in teams)
        for i, month in enumerate(self.q.months):
            last = (self.q.months[i + 1] if i < 2 else self.q.end + dt.timedelta(days=1)) - dt.timedelta(days=1)
            weeks = [(_weeks(r, month, last)) for r in rows]
            pay = sum(w * r["hours_per_week"] * (r["charge_rate_per_hour"] - r["agency_fee_per_hour"] - r["_msp_fee"])
                      for w, r in zip(weeks, rows)) * self.rng.uniform(0.99, 1.01)
            fees = sum(w * r["hours_per_week"] * r["agency_fee_per_hour"] for w, r in zip(weeks, rows))
            msp = sum(w * r["hours_per_week"] * r["_msp_fee"] for w, r in zip(weeks, rows))
            other = round(other_total / 3, 2) if i < 2 else round(other_total - 2 * round(other_total / 3, 2), 2)
            parts = [round(pay, 2), round(fees, 2), round(msp, 2), other]
            out.append({
                "month": month,
                "agency_headcount": sum(r["start_date"] <= last and (r["end_date"] is None or r["end_date"] >= last) for r in rows),
                "worker_pay": parts[0], "agency_fees": parts[1], "msp_fees": parts[2], "project_team_other_costs": parts[3],
                "total_monthly_cost": round(sum(parts), 2),
            })
        return out

    def _compliance(self, rows: list[dict]) -> list[dict]:
        """Partially compliant wherever the assignments show a breach, so Q512 has nothing to say."""
        found = {p.code for p in self.planted}
        breaches = {"Price caps": {"Q501", "Q502", "Q518"} & found or any(r.get("cap_approved_by") for r in rows),
                    "Notice periods": "Q506" in found, "Cool-off period": "Q504" in found,
                    "Post-qualifying experience": "Q503" in found, "References": "Q505" in found}
        why = {"Price caps": "Some assignments above the regional cap: hard-to-fill posts; approvals recorded where given.",
               "Notice periods": "One agency's terms give less than 4 weeks' notice.",
               "Cool-off period": "One worker's cool-off not met or not checked.",
               "Post-qualifying experience": "One worker with under 3 years' PQE in a specialist role.",
               "References": "References outstanding or not recorded for one worker."}
        out = []
        for rule in COMPLIANCE_RULES:
            partial = bool(breaches.get(rule))
            out.append({"rule": rule, "status": "Partially compliant" if partial else "Fully compliant",
                        "prevented_by_contract": "Yes" if partial and rule == "Notice periods" else "No",
                        "explanation": why[rule] if partial else None})
        return out

    def _agencies(self, rows: list[dict]) -> list[dict]:
        flagged = [(r["agency"], rule) for r in rows for rule, key, bad in
                   (("Notice periods", "notice_period_weeks", 2), ("References", "reference_obtained", "No"))
                   if r.get(key) == bad]
        return [{"agency": a, "rule_affected": rule, "description": f"{a} did not meet the {rule.lower()} rule."}
                for a, rule in flagged[:2]]

    def _leavers(self) -> list[dict]:
        rng = self.rng
        out = [{"swe_number": self._new_swe(), "date_left": self.q.start + dt.timedelta(days=rng.randint(-85, 85)),
                "reason": rng.choices(("Resigned", "Retired", "Redundancy", "Probation", "Other"), (70, 10, 5, 5, 10))[0]}
               for _ in range(rng.randint(0, 4))]
        out += self.own_leavers
        for case in self.shared:
            if case.code == "X602" and case.la_a == self.la.code:
                out.append({"swe_number": case.swe, "date_left": case.day, "reason": "Resigned"})
                self.planted.append(Planted("X602", f"Leavers {case.swe} (engaged by LA {case.la_b})"))
        return sorted(out, key=lambda r: r["date_left"])

    def _return_values(self) -> dict:
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        domain = "".join(ch for ch in self.la.name.lower() if ch.isalnum())
        return {"la_code": self.la.code, "la_name": self.la.name, "quarter": str(self.q),
                "prepared_by": f"{first} {last}", "contact_email": f"{first}.{last}@{domain}.gov.uk".lower(),
                "date_prepared": self.q.end + dt.timedelta(days=self.rng.randint(10, 40))}


def _weeks(row: dict, start: dt.date, end: dt.date) -> float:
    """Weeks the assignment is active between two dates (inclusive)."""
    first, last = max(row["start_date"], start), min(row["end_date"] or end, end)
    return max(0, (last - first).days + 1) / 7


def _weekly(row: dict, rate: str) -> float:
    return row[rate] * row["hours_per_week"]


def _plant_errors(sample: Sample) -> None:
    """One of each planted error, on Individual rows free of planted queries, and the first project team."""
    q, rows = sample.quarter, sample.rows["Assignments"]
    taken = {p.ref for p in sample.planted}
    individual = [r for r in rows[1:] if r["engagement_model"] == "Individual" and r["assignment_ref"] not in taken]
    dup, swe, role, dates, pay, route, team = individual[:7]
    edits = (
        ("E101", dup, {"assignment_ref": rows[0]["assignment_ref"]}, "duplicates the first row's reference"),
        ("E102", swe, {"swe_number": "SW12345678"}, "SWE number with 8 digits"),
        ("E103", role, {"role_category": "Social Worker (Level 3)"}, "role category outside the five"),
        ("E105", dates, {"start_date": q.start + dt.timedelta(days=30), "end_date": q.start + dt.timedelta(days=20)},
         "end date before start date"),
        ("E107", pay, {"hourly_pay_rate": 0}, "hourly pay rate 0"),
        ("E109", route, {"payment_route": "Cash"}, "payment route 'Cash'"),
        ("E108", team, {"engagement_model": "Project team", "project_team_ref": "PT-UNKNOWN"},
         "project team reference not on ProjectTeams"),
    )
    for code, row, change, what in edits:
        ref = row["assignment_ref"]
        row.update(change)
        sample.planted.append(Planted(code, f"Assignments {ref}: {what}", ref=ref))
    first = sample.rows["ProjectTeams"][0]
    first["total_cost"] = round(first["total_cost"] + 250, 2)
    sample.planted.append(Planted("E203", f"ProjectTeams {first['project_team_ref']}: total £250 more than worker + other"))
    dropped = sample.rows["MonthlyCosts"].pop()
    sample.planted.append(Planted("E301", f"MonthlyCosts: {dropped['month']:%B %Y} missing"))
    compliance = sample.rows["Compliance"]
    compliance[:] = [r for r in compliance if r["rule"] != "Data return"]
    sample.planted.append(Planted("E401", "Compliance: 'Data return' row missing"))
    refs = next(r for r in compliance if r["rule"] == "References")
    refs.update(status="Partially compliant", explanation=None)
    sample.planted.append(Planted("E403", "Compliance: References partially compliant with no explanation"))


# -- the messy flavour: what pasting an MSP extract into the template produces -------------------------
def _write_messy(path: Path, sample: Sample, created: dt.datetime) -> Path:
    """Title rows, alias headers in odd case, shuffled columns, text dates and money, a Total row..."""
    rng = random.Random(f"messy:{sample.la.code}:{sample.quarter}")
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"created": created})
    fmt = {"date": wb.add_format({"num_format": "dd/mm/yyyy"}), "money": wb.add_format({"num_format": "#,##0.00"})}
    ws = wb.add_worksheet("Return details")
    for r, (key, value) in enumerate(sample.values.items()):
        col = SHEETS_BY_NAME["Return"].column(key)
        ws.write_string(r, 0, _messy_header(rng, SHEETS_BY_NAME["Return"], col))
        value = int(value) if key == "la_code" else value
        _messy_cell(ws, r, 1, value, col.kind, rng, fmt)
    for name, sheet_name in (("Assignments", "Agency workers"), ("ProjectTeams", "ProjectTeams"),
                             ("MonthlyCosts", "Monthly costs"), ("Compliance", "Compliance"),
                             ("Agencies", "Agencies"), ("Leavers", "Leavers"), ("JobMapping", "Job titles")):
        _messy_table(wb.add_worksheet(sheet_name), SHEETS_BY_NAME[name], sample, rng, fmt)
    raw = wb.add_worksheet("MSP raw")
    raw.write_row(0, 0, ["Export id", "Generated"])
    raw.write_row(1, 0, [f"EXP-{sample.la.code}-{sample.quarter}", f"{created:%d/%m/%Y %H:%M}"])
    raw.hide()
    wb.close()
    return path


def _messy_table(ws, sheet, sample: Sample, rng: random.Random, fmt) -> None:
    rows = sample.rows[sheet.name]
    columns = list(sheet.columns)
    first, rest = columns[:1], columns[1:]
    if sheet.name == "Assignments":
        rng.shuffle(rest)
        rest.insert(rng.randrange(len(rest)), None)   # an extra column the contract does not know
        rows = _blank_role_for_mapped_title(rows, sample)
        ws.write_string(0, 0, f"Agency workers report - {sample.la.name} - {sample.quarter} "
                              f"(exported from {rows[0]['msp'] or 'agency portal'})")
        top = 2
    else:
        top = 0
    columns = first + rest
    for c, col in enumerate(columns):
        ws.write_string(top, c, "Cost centre" if col is None else _messy_header(rng, sheet, col))
    r = top
    for i, row in enumerate(rows):
        r += 1
        if sheet.name == "Assignments" and i == len(rows) // 2:
            r += 1   # a blank row in the middle
        for c, col in enumerate(columns):
            value = f"CSC{rng.randint(1000, 9999)}" if col is None else row.get(col.key)
            _messy_cell(ws, r, c, value, None if col is None else col.kind, rng, fmt)
    if sheet.name == "Assignments":
        cost = columns.index(sheet.column("cost_in_quarter"))
        ws.write_string(r + 1, 0, "Total")
        ws.write_number(r + 1, cost, round(sum(x["cost_in_quarter"] for x in rows), 2), fmt["money"])


def _blank_role_for_mapped_title(rows: list[dict], sample: Sample) -> list[dict]:
    """One row relies on JobMapping for its role category, as councils' extracts often do."""
    mapped = {m["local_job_title"] for m in sample.rows["JobMapping"]}
    rows = [dict(r) for r in rows]
    for row in rows:
        if row["local_job_title"] in mapped:
            row["role_category"] = None
            break
    return rows


def _messy_header(rng: random.Random, sheet, col) -> str:
    """An alias (or the header) in odd case, spacing and punctuation that still matches the column."""
    lookup = header_lookup(sheet)
    names = [a for a in (col.header, *col.aliases) if lookup.get(normalise_header(a)) == col.key]
    text = rng.choice(names)
    style = rng.randrange(5)
    text = (text.upper(), text.lower(), text.title(), text.replace(" ", "_"), f" {text} ")[style]
    return f"{text} (£)" if col.kind == "money" and rng.random() < 0.5 else text


def _messy_cell(ws, r: int, c: int, value, kind, rng: random.Random, fmt) -> None:
    if value is None or value == "":
        return
    roll = rng.random()
    if isinstance(value, dt.date):
        if kind == "month" and roll < 0.5:
            ws.write_string(r, c, f"{value:%Y-%m}")
        elif roll < 0.3:
            ws.write_string(r, c, f"{value:%d/%m/%Y}")
        else:
            ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), fmt["date"])
    elif kind == "money":
        if roll < 0.3:
            ws.write_string(r, c, f"£{value:,.2f}")
        else:
            ws.write_number(r, c, value, fmt["money"])
    elif kind == "number" and isinstance(value, (int, float)):
        if roll < 0.3 and float(value).is_integer():
            ws.write_string(r, c, f"{float(value):.1f}")   # '10.0' in an integer field
        else:
            ws.write_number(r, c, value)
    elif kind == "choice" and VALUE_ALIASES.get(value) and roll < 0.35:   # 'IRO', 'Ltd', 'Y', 'Umbrella'...
        ws.write_string(r, c, rng.choice(VALUE_ALIASES[value]))
    elif kind == "swe" and roll < 0.3:
        ws.write_string(r, c, f"sw {int(value[2:]):07d}")
    elif isinstance(value, str):
        ws.write_string(r, c, value + ("  " if roll < 0.3 else ""))
    else:
        ws.write(r, c, value)


# -- the bundled sample set and the command line --------------------------------------------------------
BUNDLED_QUARTER = "2025-Q2"
BUNDLED = {   # LA code -> flavour; three regions, cross-LA cases planted in each region with 2+ LAs
    "205": "clean", "212": "clean", "213": "clean",      # London
    "867": "clean", "869": "clean", "872": "messy",      # South East
    "926": "errors", "935": "clean",                     # East of England
}


def write_bundled(out_dir, *, seed: int = 0) -> list[Path]:
    """The sample_data/ set, with a README.md saying what each file holds."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    samples = build_samples(BUNDLED_QUARTER, seed=seed, la_codes=list(BUNDLED), flavours=BUNDLED)
    paths = [write_sample(out_dir / f"{s.la.code}_{s.quarter}.xlsx", s, BUNDLED[s.la.code]) for s in samples]
    lines = [
        "# Sample returns", "",
        f"Generated by `python -m pipeline.outputs.sample --bundled --out sample_data` (seed {seed}); do not edit by hand.",
        f"Quarter {BUNDLED_QUARTER}. Synthetic data: names, agencies and SWE numbers are invented.",
        "Each line is a finding planted on purpose; \"(noted)\" means the row carries a Note, so the query is explained.",
        "X601/X602 are cross-LA findings: they appear only in the regional outputs after `build`.",
        "Q517 (the file name names another LA) is not planted: copy a file under another LA's code "
        "(e.g. 205_2025-Q2.xlsx as 212_2025-Q2.xlsx) to see it.", "",
    ]
    for path, sample in zip(paths, samples):
        flavour = BUNDLED[sample.la.code]
        rows = sample.rows
        lines += [f"## {path.name}: {sample.la.name} ({sample.la.region}), {flavour}", "",
                  f"{len(rows['Assignments'])} assignments, {len(rows['ProjectTeams'])} project teams, "
                  f"{len(rows['Leavers'])} leavers, {len(rows['Agencies'])} agencies affecting compliance, "
                  f"JobMapping {'yes' if rows['JobMapping'] else 'no'}.", ""]
        if flavour == "messy":
            lines += ["Messy but valid: title row and blank row above the headers, alias headers in odd case, "
                      "shuffled columns, an extra 'Cost centre' column, dates and money as text, '10.0' in whole-number "
                      "fields, trailing spaces, a blank row mid-table, a 'Total' row, a hidden 'MSP raw' sheet, "
                      "'sw 000…' SWE numbers, list values written as their aliases ('IRO', 'Senior SW', 'Ltd', "
                      "'Umbrella', 'Y'/'N', 'N/A'), one role category left blank for JobMapping, sheets named by alias.", ""]
        expect = ("errors (rejected); the pay rate of 0 also raises Q508 and the missing month Q511"
                  if flavour == "errors" else "no errors (accepted)")
        lines.append(f"Expected: {expect}.")
        lines += [f"- {p.code} {p.where}{' (noted)' if p.noted else ''}" for p in sample.planted]
        lines.append("")
    (out_dir / "README.md").write_text("\n".join(lines), encoding="utf-8")
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pipeline.outputs.sample", description="Write sample upload workbooks.")
    ap.add_argument("--quarter", default=BUNDLED_QUARTER, help="e.g. 2025-Q2")
    ap.add_argument("--out", required=True, help="directory to write into")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--las", help="comma-separated LA codes (default: every live LA)")
    ap.add_argument("--bundled", action="store_true", help="write the bundled sample_data set (quarter 2025-Q2)")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    try:
        if args.bundled:
            paths = write_bundled(args.out, seed=args.seed)
        else:
            las = [c.strip() for c in args.las.split(",")] if args.las else None
            paths = generate(args.quarter, args.out, seed=args.seed, la_codes=las)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(paths)} workbooks to {args.out} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
