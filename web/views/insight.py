"""Section 7 on the web: "How you compare" for a council (its own LA beside its region and England,
and its benchmark workbook), the regions an analyst may see side by side and together, and the
sections through the API (GET /api/v1/regions/{region}/{benchmark|workforce|trends|agencies|tenure}).
The region page's sections are `web/templates/views/analyst/insight-sections.html`."""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from pipeline.core import calendar
from pipeline.outputs.kit import TERMS
from pipeline.warehouse import connection
from web import access, audit, insight, summaries
from web.access import Allow
from web.pages import render
from web.sessions import client_address
from web.views.analyst import quarter_or_collecting
from web.views.api import quarter_or_422

router = APIRouter()
COUNCIL = Allow("la")
ANALYST = Allow("riia", "dfe")
API_ANALYSTS = Allow("riia", "dfe", api=True)


@router.get("/compare")
async def compare_page(request: Request, quarter: str | None = None, user=Depends(COUNCIL)):
    """How you compare: the council's own LA beside its region and England, by role; no other LA's
    figures below the region but its ranks."""
    q = quarter_or_collecting(request, quarter)
    built = summaries.built(q)
    tables = await run_in_threadpool(insight.compare_la, q, user.la_code) if built else {}
    reported = built and len(tables["benchmark"]) > 0
    return render(request, "views/council/compare.html", quarter=q, quarters=calendar.collection_quarters(),
                  built=built, reported=reported, terms=TERMS,
                  tables={name: insight.page_table(name, t) for name, t in tables.items()} if reported else {})


@router.get("/compare/benchmark.xlsx")
def compare_download(request: Request, quarter: str | None = None, user=Depends(COUNCIL)):
    """The council's own benchmark workbook (outputs/<quarter>/benchmark/<la_code>.xlsx)."""
    q = quarter_or_collecting(request, quarter)
    path = connection.paths().outputs / str(q) / "benchmark" / f"{user.la_code}.xlsx"
    if not path.is_file():
        raise HTTPException(404)
    audit.record(request.app.state.settings.database, audit.DOWNLOAD, user.email, f"benchmark {q} LA {user.la_code}",
                 client_address(request))
    return FileResponse(path, filename=f"benchmark_{user.la_code}_{q}.xlsx",
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@router.get("/analyst/compare")
async def regions_compared(request: Request, quarter: str | None = None, user=Depends(ANALYST)):
    """The regions the user may see (`access.visible_regions`) side by side and together: workforce
    and agency rate, and each region's trends."""
    q = quarter_or_collecting(request, quarter)
    regions = list(access.visible_regions(user))
    built = summaries.built(q)
    together = await run_in_threadpool(insight.together, q, regions) if built else None
    trends = await run_in_threadpool(insight.section, q, "trends", regions) if built else None
    return render(request, "views/analyst/compare.html", quarter=q, quarters=calendar.collection_quarters(),
                  built=built, regions=access.visible_regions(user), terms=TERMS,
                  together=insight.page_table("workforce", together) if built else None,
                  trends=insight.page_table("trends", trends[trends["la_code"] == "ALL"]) if built else None)


@router.get("/api/v1/regions/{region}/{name}")
def read_region_section(request: Request, region: str, name: str, quarter: str, user=Depends(API_ANALYSTS)):
    """One section 7 table as JSON for a region (a riia user: theirs; dfe: any), England's rows beside
    it: {"region_code", "quarter", "section", "rows"}; suppressed figures null with `suppressed` true."""
    code = access.region_or_404(user, region)
    if name not in insight.SECTIONS:
        raise HTTPException(404)
    q = quarter_or_422(quarter)
    if not summaries.built(q):
        raise HTTPException(404, f"No outputs have been built for {q} yet.")
    audit.record(request.app.state.settings.database, audit.DOWNLOAD, user.email, f"{name} {q} {code} by API",
                 client_address(request))
    return JSONResponse({"region_code": code, "quarter": str(q), "section": name,
                         "rows": insight.as_records(insight.section(q, name, [code]))})
