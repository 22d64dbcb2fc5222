"""The web service for tests: accounts for every role, signing in, reading a page's CSRF token,
checking a page the way the GOV.UK Design System expects, and a live server on a free port."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import lxml.html

from pipeline.core.contract import Quarter
from pipeline.warehouse import submit

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_data"
QUARTER = Quarter(2025, 2)
PASSWORD = "a long enough passphrase"
LONDON, SOUTH_EAST = "E12000007", "E12000008"
# name -> (email, role, la_code, region_code)
USERS = {
    "la205": ("data@hammersmith.example", "la", "205", None),
    "la213": ("data@westminster.example", "la", "213", None),
    "la926": ("data@norfolk.example", "la", "926", None),
    "riia": ("analyst@london-riia.example", "riia", None, LONDON),
    "riia_se": ("analyst@se-riia.example", "riia", None, SOUTH_EAST),
    "dfe": ("analyst@dfe.example", "dfe", None, None),
    "admin": ("admin@dfe.example", "admin", None, None),
}
SWE = re.compile(r"\bSW\d{1,7}\b", re.IGNORECASE)


PRELOADED = ["212", "213", "867", "869", "872", "935"]


def prepare_home(home: Path) -> None:
    """A service home with six LAs' returns recorded (London, South East, East of England) and 2025-Q2
    built, a user per role (USERS) and 2025-Q2 being collected: a copy of one made once per test run."""
    shutil.copytree(_prepared(), home, dirs_exist_ok=True)


@lru_cache(maxsize=1)
def _prepared() -> Path:
    import atexit
    import tempfile

    import pytest

    from pipeline.outputs.build import build_quarter
    from web import collection, db
    from web.settings import Settings
    home = Path(tempfile.mkdtemp(prefix="web-service-home-"))
    atexit.register(shutil.rmtree, home, True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AGENCY_RETURN_HOME", str(home))
        submit.submit_files([SAMPLES / f"{la}_{QUARTER}.xlsx" for la in PRELOADED], QUARTER)
        build_quarter(QUARTER)
    settings = Settings(data=home / "data", secret_key="test secret")
    db.initialise(settings.database)
    add_users(settings.database)
    collection.set_collecting_quarter(settings.database, QUARTER)
    return home


def add_users(database: Path) -> None:
    from web import accounts
    for email, role, la, region in USERS.values():
        accounts.add_user(database, email, role, la_code=la, region_code=region, password=PASSWORD)


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client, name: str, password: str = PASSWORD):
    """Sign `client` (a TestClient or httpx.Client) in as USERS[name]; returns the response."""
    token = csrf(client.get("/sign-in").text)
    return client.post("/sign-in", data={"email": USERS[name][0], "password": password, "csrf_token": token,
                                         "next": "/"})


def check_page(html: str) -> lxml.html.HtmlElement:
    """What every page must be: one h1, a title starting with it, no duplicate ids, GOV.UK classes on
    links and paragraphs, forms with an action (a post form with a CSRF token), no inline script."""
    doc = lxml.html.fromstring(html)
    h1 = doc.xpath("//h1")
    assert len(h1) == 1, "exactly one h1"
    heading = " ".join(h1[0].text_content().split())
    title = " ".join(doc.findtext(".//title").split())
    assert title.replace("Error: ", "", 1).startswith(heading), (title, heading)
    ids = Counter(doc.xpath("//@id"))
    assert not [i for i, n in ids.items() if n > 1], f"duplicate ids: {[i for i, n in ids.items() if n > 1]}"
    own = "not(ancestor::div[contains(@class, 'govuk-error-summary')])"   # the component styles its own
    for a in doc.xpath(f"//main//a[{own}]"):
        assert "govuk-" in (a.get("class") or ""), f"link without a GOV.UK class: {lxml.html.tostring(a)[:120]}"
    for p in doc.xpath(f"//main//p[{own}]"):
        assert "govuk-" in (p.get("class") or ""), f"paragraph without a GOV.UK class: {lxml.html.tostring(p)[:120]}"
    for form in doc.xpath("//form"):
        assert form.get("action"), "a form without an action"
        if form.get("method", "get").lower() == "post":
            assert form.xpath(".//input[@name='csrf_token']"), f"a post form without a CSRF token: {form.get('action')}"
    for script in doc.xpath("//script"):
        assert script.get("src") and not (script.text or "").strip(), "inline script (the CSP forbids it)"
    return doc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def service_env(home: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENCY_RETURN_")}
    return {**env, "AGENCY_RETURN_HOME": str(home), **extra}


@contextmanager
def live_server(home: Path, *, port: int | None = None, **env):
    """`agency-return web` on `port` (default a free one) of 127.0.0.1, in its own process, with `env` added
    to its environment; yields (base URL, log path)."""
    port = port or free_port()
    log = home / "web.log"
    exe = shutil.which("agency-return", path=str(Path(sys.executable).parent)) or "agency-return"
    with open(log, "wb") as out:
        proc = subprocess.Popen([exe, "web", "--port", str(port)], env=service_env(home, **env), stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the service did not start: {log.read_text()[-2000:]}")
                time.sleep(0.2)
        yield base, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
