"""Prefect against a real server started here (a free port, its own database), in other processes as
in production: `serve` stops cleanly, and the quarterly flow runs on a work pool with two process
workers, its files' validation spread across them and the recording done by the quarterly run alone.
(~15 s to start the server, once; the work-pool run ~30–60 s on 2 busy cores.)"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pipeline.core.contract import Quarter
from pipeline.warehouse import queries

PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
QUARTER = "2025-Q2"
SAMPLES = sorted((PROJECT / "sample_data").glob("*.xlsx"))
REJECTED = {"926_2025-Q2.xlsx"}      # the sample with planted errors (sample_data/README.md)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(url: str, path: str, body: dict | None = None):
    request = urllib.request.Request(url + path, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _start(args: list, env: dict, log: Path, cwd: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`prefect server start` on a free port with a fresh database; the environment to reach it."""
    root = tmp_path_factory.mktemp("prefect-server")
    url = f"http://127.0.0.1:{_free_port()}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "AGENCY_RETURN_"))}
    env.update(PREFECT_HOME=str(root / "prefect"), PREFECT_API_URL=url, PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_LOGGING_LEVEL="WARNING", PREFECT_API_BLOCKS_REGISTER_ON_START="false",
               PREFECT_WORKER_QUERY_SECONDS="1", PREFECT_WORKER_PREFETCH_SECONDS="1")
    proc = _start([BIN / "prefect", "server", "start", "--host", "127.0.0.1", "--port", url.split(":")[2].split("/")[0]],
                  env, root / "server.log", root)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if _api(url, "/health") is True:
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, (root / "server.log").read_text()[-2000:]
            time.sleep(0.5)
        yield {"url": url, "env": env, "root": root}
    finally:
        _stop(proc)


def test_serve_stops_cleanly_and_pauses_its_schedules(server, tmp_path):
    env = {**server["env"], "AGENCY_RETURN_HOME": str(tmp_path)}
    log = tmp_path / "serve.log"
    proc = _start([sys.executable, "-m", "flows.serve", "--inbox", str(tmp_path / "inbox")], env, log, PROJECT)
    try:
        deadline = time.monotonic() + 60
        while "Serving" not in log.read_text() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0, log.read_text()
    finally:
        _stop(proc)
    out = log.read_text()
    assert "never awaited" not in out and "Traceback" not in out, out
    assert _api(server["url"], "/deployments/name/quarterly-return/quarterly")["paused"] is True


def test_quarterly_flow_on_a_work_pool_spreads_files_over_two_workers(server, tmp_path):
    home = tmp_path / "home"
    inbox = home / "inbox"
    inbox.mkdir(parents=True)
    for path in SAMPLES:
        shutil.copy2(path, inbox / path.name)
    env = {**server["env"], "AGENCY_RETURN_HOME": str(home)}
    prefect = str(BIN / "prefect")
    subprocess.run([prefect, "work-pool", "create", "councils", "--type", "process"], env=env, check=True,
                   capture_output=True, cwd=tmp_path)
    subprocess.run([sys.executable, "-m", "flows.serve", "--pool", "councils", "--inbox", str(inbox), "--batches", "3"],
                   env=env, check=True, capture_output=True, cwd=PROJECT)
    workers = [_start([prefect, "worker", "start", "--pool", "councils", "--name", f"worker-{i}", "--limit", "2"],
                      env, tmp_path / f"worker-{i}.log", tmp_path) for i in (1, 2)]
    try:
        run = subprocess.run([prefect, "deployment", "run", "quarterly-return/pool", "--param", f"quarter={QUARTER}",
                              "--watch", "--watch-timeout", "300"], env=env, capture_output=True, text=True, cwd=tmp_path)
    finally:
        for w in workers:
            _stop(w)
    logs = {i: (tmp_path / f"worker-{i}.log").read_text() for i in (1, 2)}
    assert run.returncode == 0 and "Completed" in run.stdout, run.stdout + run.stderr + "".join(logs.values())

    # per-file validation ran on both workers; every file was validated once
    validated = {i: re.findall(r"(\S+\.xlsx) validated and answered", text) for i, text in logs.items()}
    assert validated[1] and validated[2], logs
    assert sorted(validated[1] + validated[2]) == [p.name for p in SAMPLES]

    # recorded by the quarterly run: filed, answered and in the warehouse
    for path in SAMPLES:
        folder = inbox / ("rejected" if path.name in REJECTED else "processed")
        assert (folder / path.name).exists() and (folder / f"{path.stem}_feedback.xlsx").exists()
    status = queries.status(Quarter.parse(QUARTER), home=home).set_index("la_code")["status"]
    assert {status[p.name[:3]] for p in SAMPLES if p.name not in REJECTED} == {"accepted"}
    assert (home / "outputs" / QUARTER / "national.xlsx").exists()
    assert not list(inbox.glob(".validating-*"))

    # the UI shows the flows' per-file INFO lines for these deployment runs, not Prefect's own INFO lines
    messages = [log["message"] for log in _api(server["url"], "/logs/filter", {"limit": 200})]
    assert f"{SAMPLES[0].name}: LA {SAMPLES[0].name[:3]} accepted" in "\n".join(messages)
    assert not any("Finished in state" in m for m in messages)
    assert not any(re.search(r"\bSW\d", m) for m in messages)
