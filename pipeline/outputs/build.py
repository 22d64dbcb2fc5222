"""`build --quarter Q`, the spine of the outputs: the cross-LA checks (X601, X602: `cross_la`) → the
marts (`marts`) → the statistics and what they revised (`publication`) → the writers (each LA's
`dfe_return`, the `regional` and `national` workbooks, the `ees` open data, revisions.csv, the
`extracts`) → the quality gate → publish, whole.

Outputs are written to a temporary folder next to outputs/<quarter>/ and swapped in only when
every file is written and the quality gate passes; the cross-LA findings are committed to the
warehouse in the same step. A failed build leaves the last published outputs and the warehouse
as they were.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.core import reference
from pipeline.core.contract import ASSIGNMENTS, Quarter
from pipeline.core.private import private_dir
from pipeline.core.reference import REGIONS, cap_table
from pipeline.outputs import cross_la, dfe_return, ees, extracts, insight, kit, marts, national, publication, regional
from pipeline.read import workbook
from pipeline.warehouse.connection import paths, writing
from pipeline.workers import pool

# Below this many LAs the DfE returns are written in-process: a pool's start-up would cost more.
PARALLEL_MIN_LAS = 16
PRELOAD = ["pipeline.outputs.dfe_return", "pipeline.outputs.insight", "pipeline.read.workbook"]   # the per-LA workers' imports


@dataclass
class BuildSummary:
    quarter: str
    out_dir: Path
    las_accepted: int
    las_live: int
    total_cost_by_region: dict[str, float]
    cross_la: dict[str, int]
    files: list[Path] = field(default_factory=list)
    revised: int = 0     # published figures of the quarter this build changed (revisions.csv)

    def describe(self) -> str:
        lines = [f"Built {self.quarter}: {self.las_accepted} of {self.las_live} LAs accepted; "
                 f"{len(self.files)} files in {self.out_dir}",
                 f"Cross-LA findings: X601 {self.cross_la.get('X601', 0)}, X602 {self.cross_la.get('X602', 0)}"]
        lines += [f"  {region}: £{cost:,.2f}" for region, cost in self.total_cost_by_region.items()]
        if self.revised:
            lines.append(f"Revised {self.revised} figures published before (revisions.csv says what and why)")
        return "\n".join(lines)


def build_quarter(quarter: Quarter | str, *, home=None, out_dir=None) -> BuildSummary:
    """Build every output of `quarter` ('2025-Q2') from the accepted returns held: the cross-LA checks
    (X601, X602, kept in the warehouse), the marts, each LA's DfE return, the regional and national
    workbooks and the Parquet extracts, into outputs/<quarter>/ (or `out_dir`), published whole.

    Under the warehouse's write lock, in one transaction: a failure (or the quality gate refusing
    text that looks like an SWE number) leaves the last published outputs and the warehouse as they
    were. Returns what was built (LAs accepted of those live, total cost by region in £, cross-LA
    counts, files). Raises locks.WarehouseBusy if the warehouse stays busy."""
    q = Quarter.parse(quarter) if isinstance(quarter, str) else quarter
    where = paths(home)
    final = Path(out_dir) if out_dir else where.outputs / str(q)
    if out_dir:
        final.parent.mkdir(parents=True, exist_ok=True)
    else:
        private_dir(final.parent)
    with writing(where) as con:
        # under the write lock no other build runs: any folder a killed build left is stale
        for stale in final.parent.glob(f".{final.name}.building-*"):
            shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.building-", dir=final.parent))
        con.execute("BEGIN TRANSACTION")
        try:
            cross = cross_la.cross_la(con, q)
            tables = marts.materialise(con, q)
            built = dt.datetime.now(dt.timezone.utc)
            published = publication.publish(con, q, built)
            files = _write_all(con, where, staging, q, tables, published, built)
            _quality_gate(tables, files)
            _record_inputs(con, q, built)
            _publish(staging, final)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            shutil.rmtree(staging, ignore_errors=True)
            raise
    costs = tables["regional_costs"]
    return BuildSummary(
        str(q), final,
        las_accepted=int(costs.loc[costs["region_code"] == "E92000001", "las_accepted"].iloc[0]),
        las_live=int(costs.loc[costs["region_code"] == "E92000001", "las_live"].iloc[0]),
        total_cost_by_region=dict(zip(costs["region_name"], costs["total_cost"].astype(float))),
        cross_la=cross["code"].value_counts().to_dict(),
        files=[final / f.relative_to(staging) for f in files], revised=published.revised_now)


# --- files ---------------------------------------------------------------------------------

def _write_all(con, where, folder: Path, q: Quarter, tables: dict[str, pd.DataFrame],
               published: publication.Publication, built_at: dt.datetime) -> list[Path]:
    built = built_at.strftime("%Y-%m-%d %H:%M UTC")
    caps = cap_table().version
    common = [("Quarter", str(q)), ("Built", built), ("Cap table", caps),
              ("Source", "Accepted returns held in the warehouse when the outputs were built.")]
    files: list[Path] = []
    (folder / "dfe").mkdir()
    (folder / "regional").mkdir()
    standing = con.execute("""
        SELECT c.la_code, l.sha256 FROM current_submission AS c JOIN ledger AS l USING (submission_id)
        WHERE c.quarter = ? ORDER BY c.la_code""", [str(q)]).fetchall()
    per_la = dfe_return.by_la(tables, [la_code for la_code, _ in standing])
    (folder / "benchmark").mkdir()
    regions = dict(zip(tables["status"]["la_code"], tables["status"]["region_code"]))
    compared, widths = insight.la_parts(tables, {la_code: regions[la_code] for la_code, _ in standing})
    jobs = [(folder / "dfe", la_code, str(q), per_la[la_code], where.raw / f"{sha}.xlsx",
             [("LA code", la_code), *common, ("Submission", sha),
              ("Personal data", "Contains SWE registration numbers: for DfE only."), *kit.TERMS.items()],
             folder / "benchmark" / f"{la_code}.xlsx", compared[la_code], widths,
             [("LA code", la_code), *common,
              ("Other LAs", "No other LA's figures below the region are shown: only this LA's ranks in its region.")])
            for la_code, sha in standing]
    with _per_la_pool(len(jobs)) as workers:
        if workers is None:
            files += [f for job in jobs for f in _dfe_return(*job)]
            return files + _shared_outputs(con, folder, q, tables, common, published)
        # The per-LA DfE returns go to the workers; this process writes the shared outputs meanwhile,
        # then writes the returns no worker has started yet, from the last one back.
        dfe = [workers.submit(_dfe_return, *job) for job in jobs]
        shared = _shared_outputs(con, folder, q, tables, common, published)
        here = {i: _dfe_return(*jobs[i]) for i in reversed(range(len(jobs))) if dfe[i].cancel()}
        return files + [f for i, done in enumerate(dfe) for f in (here[i] if i in here else done.result())] + shared


def _shared_outputs(con, folder: Path, q: Quarter, tables: dict[str, pd.DataFrame],
                    common: list[tuple[str, str]], published: publication.Publication) -> list[Path]:
    """The regional workbooks, national.xlsx, the EES files, revisions.csv, status.csv and the Parquet
    tables (no SWE numbers)."""
    files: list[Path] = []
    costs = tables["regional_costs"].set_index("region_code")
    for code, name in REGIONS.items():
        about = [("Region", f"{name} ({code})"), *common,
                 ("LAs accepted", f"{int(costs.at[code, 'las_accepted'])} of {int(costs.at[code, 'las_live'])} live"),
                 ("Cross-LA findings", "X601 (same worker, two LAs, overlapping dates, across England) and X602 "
                                       "(engaged within the cool-off period of leaving a permanent post at another "
                                       "LA of the region): for the RIIA only, never shown to an LA."),
                 ("FTE in the quarter", "Hours per week / 37; assignments without hours add no FTE (the "
                                        "section 7 figures count blank hours as 37: Terms below)."),
                 ("Cap-basis rate", "Hourly pay + holiday pay + employer NI + apprenticeship levy.")]
        path = folder / "regional" / f"{reference.file_stem(name)}.xlsx"
        files.append(regional.write(path, code, name, tables, about))
    about = [("Coverage", "England by region"), *common,
             ("Disclosure control", "Counts under 5 are shown as 'c'; further cells are suppressed so that "
                                    "totals cannot reveal them (secondary suppression).")]
    files.append(national.write(folder / "national.xlsx", tables, about, published))
    files += ees.write(folder / "ees", published.series)
    files.append(kit.write_csv(published.revisions, folder / "revisions.csv"))
    files.append(kit.write_csv(tables["status"], folder / "status.csv"))
    files += extracts.parquet(con, list(tables), folder / "parquet")
    return files


@contextmanager
def _per_la_pool(las: int):
    """Worker processes for the per-LA DfE returns (one per core), or None when there are too few LAs
    to be worth a pool's start-up (~0.5 s of CPU in its server, which overlaps the shared outputs) or
    no core is idle now (`pool.spare_cores`): on a saturated 2-core host more processes get no more
    CPU, and the pool's overhead made the build 0.65–0.9× as fast (benchmarks). Workers fork from a
    server that has imported only the writers (`pool.start`); a worker's error fails the build."""
    workers = pool.how_many(las)
    if workers < 2 or las < PARALLEL_MIN_LAS or pool.spare_cores() < 1:
        yield None
        return
    with pool.started(workers, PRELOAD) as started:
        yield started


def _dfe_return(folder: Path, la_code: str, quarter: str, mine: dict[str, pd.DataFrame], raw: Path,
                about: list[tuple[str, object]], benchmark: Path,
                compared: dict[str, pd.DataFrame], widths: dict[str, dict],
                benchmark_about: list[tuple[str, object]]) -> list[Path]:
    """One LA's DfE return (`dfe_return.write`), with its SWE numbers read back from its kept raw file,
    and its benchmark (`insight.write_benchmark`: the LA beside its region and England)."""
    return [*dfe_return.write(folder, la_code, quarter, mine, _swe_numbers(raw), about),
            insight.write_benchmark(benchmark, compared, widths, benchmark_about)]


def _swe_numbers(raw: Path) -> dict[int, str]:
    """Excel row -> SWE number, read back from the kept raw file (the warehouse holds only hashes)."""
    return {int(row): value for row, value in workbook.read_column(raw, ASSIGNMENTS, "swe_number").items()}


def _quality_gate(tables: dict[str, pd.DataFrame], files: list[Path]) -> None:
    """Publish only if every file was written and the regional figures add up to England's."""
    missing = [f for f in files if not f.exists() or f.stat().st_size == 0]
    if missing:
        raise RuntimeError(f"build incomplete, nothing published: {missing[:3]}")
    costs = tables["regional_costs"]
    england = costs.loc[costs["region_code"] == "E92000001", "total_cost"].iloc[0]
    regions = costs.loc[costs["region_code"] != "E92000001", "total_cost"].sum()
    if abs(england - regions) > 0.01:
        raise RuntimeError(f"regional costs add to {regions:.2f}, England shows {england:.2f}: nothing published")


def _record_inputs(con, q: Quarter, built: dt.datetime) -> None:
    """Which accepted submission of each LA these outputs are built from (`status` shows what changed since)."""
    con.execute("DELETE FROM build_input WHERE quarter = ?", [str(q)])
    con.execute("DELETE FROM build_run WHERE quarter = ?", [str(q)])
    con.execute("INSERT INTO build_run VALUES (?, ?)", [str(q), built])
    con.execute("INSERT INTO build_input SELECT quarter, ?, la_code, submission_id FROM current_submission "
                "WHERE quarter = ?", [built, str(q)])


def _private(folder: Path) -> None:
    """Owner-only files (0600) and folders (0700) under `folder`, whatever the umask."""
    os.chmod(folder, 0o700)
    for path in folder.rglob("*"):
        os.chmod(path, 0o700 if path.is_dir() else 0o600)


def _publish(staging: Path, final: Path) -> None:
    """Swap the finished folder into place; the previous outputs are removed only afterwards."""
    _private(staging)
    old = final.with_name(f".{final.name}.previous")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        os.replace(final, old)
    os.replace(staging, final)
    shutil.rmtree(old, ignore_errors=True)
