"""Analyst pages: every LA's status for a quarter, the regional summary with its charts, and the
downloads `agency-return pull` gives. `riia` users see their region, `dfe` users every region.
No page shows an SWE number: the tables come from the built outputs, which hold none."""
from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from pipeline.core import calendar
from pipeline.core.contract import Quarter
from pipeline.core.reference import REGIONS
from pipeline.outputs import pull
from pipeline.outputs.kit import TERMS
from pipeline.warehouse import connection, queries
from web import access, audit, charts, collection, insight, summaries
from web.access import Allow
from web.filters import counted, money, rate
from web.pages import render
from web.sessions import client_address

router = APIRouter()
ANALYST = Allow("riia", "dfe")
FORMATS = ("xlsx", "csv", "parquet")


def quarter_or_collecting(request: Request, quarter: str | None) -> Quarter:
    """The quarter asked for, else the one being collected; a malformed one is 404, one outside the
    collection raises calendar.QuarterNotCollected (an error summary)."""
    if not quarter:
        return collection.collecting_quarter(request.app.state.settings.database)
    q = Quarter.parse(quarter)
    if q is None:
        raise HTTPException(404)
    return calendar.check_collected(q)


@router.get("/analyst/status")
async def status_page(request: Request, quarter: str | None = None, user=Depends(ANALYST)):
    q = quarter_or_collecting(request, quarter)
    every = await run_in_threadpool(queries.status, q)
    rows = access.visible_status(user, q, every)
    counts = rows["status"].value_counts().to_dict()
    late = int(rows["late"].fillna(False).astype(bool).sum())
    returns = dfe_returns(q) if user.role == "dfe" else {}
    return render(request, "views/analyst/status.html", quarter=q, rows=rows.to_dict("records"), counts=counts,
                  late=late, returns=returns, outputs=summaries.freshness(q, every), quarters=calendar.collection_quarters(), regions=REGIONS)


def dfe_returns(quarter: Quarter) -> dict[str, Path]:
    """LA code -> its built DfE return workbook (outputs/<quarter>/dfe/<la>_<quarter>.xlsx)."""
    folder = connection.paths().outputs / str(quarter) / "dfe"
    suffix = f"_{quarter}.xlsx"
    return {p.name[:-len(suffix)]: p for p in folder.glob(f"*{suffix}")} if folder.is_dir() else {}


@router.get("/analyst/dfe-returns/{la_code}")
def dfe_return(request: Request, la_code: str, quarter: str | None = None, user=Depends(Allow("dfe"))):
    """One LA's DfE return as built: the assignment-level data DfE collects (with SWE numbers, so for
    `dfe` users only)."""
    q = quarter_or_collecting(request, quarter)
    path = dfe_returns(q).get(la_code)
    if path is None:
        raise HTTPException(404)
    audit.record(request.app.state.settings.database, audit.DOWNLOAD, user.email, f"DfE return of LA {la_code} {q}",
                 client_address(request))
    return Response(path.read_bytes(), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{path.name}"'})


@router.get("/analyst/regions")
def regions_page(request: Request, quarter: str | None = None, user=Depends(ANALYST)):
    q = quarter_or_collecting(request, quarter)
    if user.role == "riia":
        return RedirectResponse(f"/analyst/regions/{user.region_code}?quarter={q}", status_code=303)
    return render(request, "views/analyst/regions.html", quarter=q, regions=REGIONS)


@router.get("/analyst/regions/{region}")
def region_page(request: Request, region: str, quarter: str | None = None, user=Depends(ANALYST)):
    code = access.region_or_404(user, region)
    q = quarter_or_collecting(request, quarter)
    quarters = calendar.collection_quarters()
    outputs = summaries.freshness(q)
    if not outputs["built"]:
        return render(request, "views/analyst/region.html", quarter=q, region=code, name=REGIONS[code], built=False,
                      quarters=quarters, outputs=outputs)
    tables = summaries.region_tables(q, code)
    return render(request, "views/analyst/region.html", quarter=q, region=code, name=REGIONS[code], built=True,
                  quarters=quarters, outputs=outputs, tables={k: v.to_dict("records") for k, v in tables.items()},
                  **region_charts(tables), **insight.region_sections(q, code), terms=TERMS)


def region_charts(tables) -> dict:
    """The geometry of the region page's charts (each is also shown as a table)."""
    trend = tables["cost_trend"]
    monthly = (trend.groupby("month", sort=True)
               .agg(total=("total_monthly_cost", "sum"), las=("la_code", "nunique")).reset_index())
    months = [m.strftime("%b %Y") if hasattr(m, "strftime") else str(m)[:7] for m in monthly["month"]]
    rates = tables["rates_vs_cap"]
    breaches = tables["cap_breaches"].groupby("la_name").size().sort_values(ascending=False)
    cross = tables["cross_la"]["code"].value_counts().reindex(["X601", "X602"], fill_value=0)
    return {
        "trend_rows": [(m, money(t), n) for m, t, n in zip(months, monthly["total"], monthly["las"])],
        "trend_chart": charts.line(months, monthly["total"].tolist(),
                                   notes=[counted(n, "LA") for n in monthly["las"]], fmt=money),
        "rates_chart": charts.bars(rates["role_category"].tolist(),   # no assignments: no bar, 'z'
                                   rates["median_rate"].where(rates["assignments"].fillna(0) > 0).tolist(),
                                   markers=rates["cap"].tolist(), fmt=rate),
        "breaches_chart": charts.bars(breaches.index.tolist(), breaches.tolist(), fmt=lambda v: f"{v:.0f}"),
        "breach_counts": list(breaches.items()),
        "cross_chart": charts.bars(cross.index.tolist(), cross.tolist(), fmt=lambda v: f"{v:.0f}"),
        "cross_counts": list(cross.items()),
    }


@router.get("/analyst/regions/{region}/download")
async def region_download(request: Request, region: str, quarter: str | None = None, format: str = "xlsx",
                          user=Depends(ANALYST)):
    """What `agency-return pull --quarter Q --region R --format F` writes: the xlsx as it is, CSV or
    Parquet tables zipped."""
    code = access.region_or_404(user, region)
    q = quarter_or_collecting(request, quarter)
    if format not in FORMATS or not summaries.built(q):
        raise HTTPException(404)
    folder = Path(tempfile.mkdtemp(prefix="pull-"))
    try:
        files = await run_in_threadpool(pull.pull, q, code, format, folder)
        if format == "xlsx" and len(files) == 1:
            data, name, media = files[0].read_bytes(), files[0].name, \
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            data, name, media = _zip(files), f"{REGIONS[code].replace(' ', '_')}_{q}_{format}.zip", "application/zip"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    audit.record(request.app.state.settings.database, audit.DOWNLOAD, user.email,
                 f"pull {q} region {code} {format}", client_address(request))
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _zip(files: list[Path]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            zf.write(f, f.name)
    return buf.getvalue()
