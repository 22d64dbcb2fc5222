"""16 councils upload at once while an admin builds the quarter and the CLI reads status: each file
recorded or rejected on its merits, none lost, no 5xx, no traceback."""
from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from pipeline.core.reference import live_las
from pipeline.outputs.sample import generate
from tests.webservice import PASSWORD, QUARTER, USERS, csrf, live_server, prepare_home, service_env
from web import accounts

SAMPLE_LAS = {"205", "212", "213", "867", "869", "872", "926", "935"}


def test_sixteen_councils_upload_at_once_while_a_build_runs_and_the_cli_reads_status(tmp_path):
    home = tmp_path / "service"
    home.mkdir()
    prepare_home(home)
    codes = [la.code for la in live_las(QUARTER) if la.code not in SAMPLE_LAS][:16]
    files = dict(zip(codes, generate(QUARTER, tmp_path / "returns", la_codes=codes)))
    database = home / "data" / "web.sqlite"
    tokens = {}
    for code in codes:
        accounts.add_user(database, f"data@{code}.example", "la", la_code=code, password=PASSWORD)
        tokens[code] = accounts.new_token(database, f"data@{code}.example")
    dfe = accounts.new_token(database, USERS["dfe"][0])
    # What each council sends: most their own return; two another council's (E009); two a broken file.
    wrong_la = {codes[0]: files[codes[1]], codes[2]: files[codes[3]]}
    broken = {codes[4], codes[5]}
    junk = tmp_path / "broken.xlsx"
    junk.write_bytes(b"PK\x03\x04 this is not a workbook")
    sends = {code: wrong_la.get(code, junk if code in broken else files[code]) for code in codes}

    exe = shutil.which("agency-return", path=str(Path(sys.executable).parent))
    with live_server(home) as (base, log):
        admin = httpx.Client(base_url=base, timeout=120)
        token = csrf(admin.get("/sign-in").text)
        admin.post("/sign-in", data={"email": USERS["admin"][0], "password": PASSWORD, "csrf_token": token})
        build_token = csrf(admin.get("/admin/collection").text)
        start = threading.Barrier(16 + 1)
        done = threading.Event()
        took: dict[str, float] = {}

        def send(code):
            start.wait()
            began = time.monotonic()
            with open(sends[code], "rb") as fh:
                r = httpx.post(base + "/api/v1/submissions", headers={"Authorization": f"Bearer {tokens[code]}"},
                               files={"workbook": (sends[code].name, fh)}, timeout=180)
            took[code] = time.monotonic() - began
            return code, r

        def cli_status():
            runs = []
            while not done.is_set():
                runs.append(subprocess.run([exe, "status", "--quarter", str(QUARTER), "--json"], env=service_env(home),
                                           capture_output=True, text=True, timeout=120))
            return runs

        with ThreadPoolExecutor(18) as pool:
            cli = pool.submit(cli_status)
            uploads = [pool.submit(send, code) for code in codes]
            start.wait()
            build = pool.submit(admin.post, "/admin/build", data={"quarter": str(QUARTER), "csrf_token": build_token})
            answers = dict(u.result() for u in uploads)
            built = build.result()
            done.set()
            status_runs = cli.result()
        times = sorted(took.values())
        print(f"16 uploads at once, with a build: p50 {times[7]:.2f} s, slowest {times[-1]:.2f} s; "
              f"{len(status_runs)} CLI status runs, {sum(r.returncode == 0 for r in status_runs)} answered")

        assert built.status_code == 200 and "Built 2025-Q2" in built.text
        for code, r in answers.items():
            assert r.status_code in (200, 422), (code, r.status_code, r.text[:300])
            body = r.json()
            if code in wrong_la:
                assert r.status_code == 422 and body["findings"][0]["code"] == "E009" and not body["recorded"]
            elif code in broken:
                assert r.status_code == 422 and body["status"] == "unreadable"
            else:
                assert r.status_code == 200 and body["status"] == "accepted" and body["recorded"], (code, body["findings"][:3])
        rows = {r["la_code"]: r for r in httpx.get(base + f"/api/v1/status?quarter={QUARTER}",
                                                   headers={"Authorization": f"Bearer {dfe}"}, timeout=60).json()}
        for code in codes:
            # A broken file names no LA, and another LA's return is never recorded: both leave the LA missing.
            expected = "missing" if code in broken or code in wrong_la else "accepted"
            assert rows[code]["status"] == expected, (code, rows[code]["status"])
        # The CLI read status while the service worked: it waited its turn and answered every time.
        assert status_runs
        for run in status_runs:
            assert "Traceback" not in run.stderr
            assert run.returncode == 0, run.stderr[-500:]
        log_text = log.read_text()
    assert "Traceback" not in log_text and " 500 " not in log_text
    final = subprocess.run([exe, "status", "--quarter", str(QUARTER), "--json"], env=service_env(home),
                           capture_output=True, text=True, timeout=120)
    assert final.returncode == 0
