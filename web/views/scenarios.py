"""The cap scenarios page (data-contract §7): a GET form of regions and a candidate cap per role, the
results as charts with tables of the same figures, and the same as a workbook or CSV. A thin shell
over `pipeline.outputs.scenarios`; a riia user chooses among the regions they may see (any other is 404).
A scenario changes no finding and no output."""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from pipeline.core import calendar
from pipeline.core.contract import ROLE_CATEGORIES
from pipeline.outputs.scenarios import cap_scenario, parse_cap, write_scenario
from web import access, audit, charts
from web.access import Allow
from web.filters import money
from web.pages import render
from web.sessions import client_address
from web.views.analyst import quarter_or_collecting

router = APIRouter()
ANALYST = Allow("riia", "dfe")
DOWNLOADS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv"}
# each role's form field: 'cap-senior-social-worker'
FIELDS = {role: "cap-" + re.sub(r"[^a-z]+", "-", role.lower()).strip("-") for role in ROLE_CATEGORIES}


def _asked(request: Request, user) -> tuple[list[str], dict[str, float], dict[str, str], dict[str, str]]:
    """(region codes, role -> candidate cap, field -> text as typed, field -> error) from the query; a
    region the user may not see is 404."""
    params = request.query_params
    codes = access.regions_or_404(user, params.getlist("region"))
    typed = {field: params.get(field, "").strip() for field in FIELDS.values()}
    caps, errors = {}, {}
    if not codes:
        errors["region"] = "Select at least one region"
    for role, field in FIELDS.items():
        if typed[field]:
            try:
                caps[role] = parse_cap(f"{role}={typed[field]}")[1]
            except ValueError:
                errors[field] = f"Enter the candidate cap for {role.lower()} as an amount in pounds per hour, like 40"
    if not caps and not any(field in errors for field in FIELDS.values()):
        errors[FIELDS[ROLE_CATEGORIES[0]]] = "Enter a candidate cap for at least one role category"
    return codes, caps, typed, errors


@router.get("/analyst/scenarios/caps")
async def cap_scenarios_page(request: Request, quarter: str | None = None, user=Depends(ANALYST)):
    q = quarter_or_collecting(request, quarter)
    regions = access.visible_regions(user)
    context = {"quarter": q, "quarters": calendar.collection_quarters(), "regions": regions, "fields": FIELDS,
               "chosen": list(regions) if len(regions) == 1 else [], "typed": {}, "errors": {}, "scenario": None}
    if "run" not in request.query_params:
        return render(request, "views/analyst/cap-scenarios.html", **context)
    codes, caps, typed, errors = _asked(request, user)
    context.update(chosen=codes, typed=typed, errors=errors)
    if errors:
        return render(request, "views/analyst/cap-scenarios.html", 400, error_title=True, **context)
    scenario = await run_in_threadpool(cap_scenario, q, codes, caps)
    audit.record(request.app.state.settings.database, audit.DOWNLOAD, user.email,
                 f"cap scenario {q} {','.join(codes)}", client_address(request))
    context.update(scenario=scenario, query=request.url.query, charts_by_role=[_chart(r) for r in scenario["roles"]])
    return render(request, "views/analyst/cap-scenarios.html", **context)


def _chart(role: dict) -> dict:
    """£ above the candidate cap in the quarter, a bar per region (the table beside has the same)."""
    regions = role["by_region"]
    return charts.bars([r["region_name"] for r in regions], [r["excess_gbp"] for r in regions], fmt=money)


@router.get("/analyst/scenarios/caps/download")
async def cap_scenario_download(request: Request, quarter: str | None = None, format: str = "xlsx",
                                user=Depends(ANALYST)):
    """The scenario the page shows, as a workbook (xlsx) or the same table as CSV."""
    q = quarter_or_collecting(request, quarter)
    codes, caps, _, errors = _asked(request, user)
    if format not in DOWNLOADS or errors:
        raise HTTPException(404)
    scenario = await run_in_threadpool(cap_scenario, q, codes, caps)
    with tempfile.TemporaryDirectory(prefix="scenario-") as folder:
        xlsx, csv = await run_in_threadpool(write_scenario, scenario, Path(folder))
        path = xlsx if format == "xlsx" else csv
        data = path.read_bytes()
    audit.record(request.app.state.settings.database, audit.DOWNLOAD, user.email,
                 f"cap scenario {q} {','.join(codes)} {format}", client_address(request))
    return Response(data, media_type=DOWNLOADS[format],
                    headers={"Content-Disposition": f'attachment; filename="{path.name}"'})
