"""Who may see what (`web.access`): every route declares its rule; a table of roles against pages;
the region, status and submission rules on small hand-made cases, and the submissions query agreeing
with the rule it stands for."""
from __future__ import annotations

import pandas as pd
import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient

from tests.webservice import LONDON, QUARTER, SOUTH_EAST, prepare_home, sign_in
from web import access, accounts, db
from web.accounts import User
from web.app import create_app
from web.settings import Settings
from web.submissions import NOT_RECORDED, Submission


def routes_of(app) -> list:
    routes = []
    for entry in app.routes:
        routes += getattr(getattr(entry, "original_router", None), "routes", [entry])
    return routes


@pytest.mark.parametrize("gov_uk_domain", [False, True])
def test_every_route_declares_who_may_use_it(tmp_path, gov_uk_domain):
    """Each route names its roles on the route (`Allow`) or declares `anyone`: none declares nobody."""
    app = create_app(Settings(data=tmp_path / "data", secret_key="test secret", gov_uk_domain=gov_uk_domain))
    checked, undeclared = 0, []
    for route in routes_of(app):
        dependant = getattr(route, "dependant", None)
        if dependant is None:      # the static file mounts: GOV.UK Frontend and the service's own CSS and JS
            continue
        allowed = [d.call for d in dependant.dependencies if isinstance(d.call, access.Allow)]
        if not allowed and getattr(route.endpoint, "access", None) != access.ANYONE:
            undeclared.append(f"{sorted(route.methods)} {route.path}")
        checked += 1
    assert not undeclared, f"routes that declare nobody: {undeclared}"
    assert checked >= 25


def test_the_routes_anyone_may_use_are_signing_in_and_out_the_emailed_links_start_page_health_and_assets(tmp_path):
    app = create_app(Settings(data=tmp_path / "data", secret_key="test secret"))
    anyone = {route.path for route in routes_of(app)
              if getattr(getattr(route, "endpoint", None), "access", None) == access.ANYONE}
    assert anyone == {"/", "/healthz", "/sign-in", "/sign-in/oidc", "/sign-in/oidc/callback", "/signed-out",
                      "/account/reset", "/account/{purpose}/{token}", "/account/{purpose}/set",
                      "/static/govuk-frontend/govuk-frontend.min.css", "/assets/fonts/{name}"}


def test_a_rule_must_name_known_roles():
    for roles in ((), ("la", "council")):
        with pytest.raises(ValueError, match="name the roles allowed"):
            access.Allow(*roles)


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    home = tmp_path_factory.mktemp("web-access")
    prepare_home(home)
    return {"home": home, "app": create_app(Settings(data=home / "data", secret_key="test secret"))}


@pytest.fixture(scope="module")
def clients(service):
    """A signed-in client per role (and one signed out), each following no redirect."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AGENCY_RETURN_HOME", str(service["home"]))
        out = {}
        for name in (None, "la205", "riia", "riia_se", "dfe", "admin"):
            out[name] = TestClient(service["app"], follow_redirects=False)
            if name:
                assert sign_in(out[name], name).status_code == 303
    return out


PAGES = {   # page -> the status each of: signed out, la205, riia (London), riia_se, dfe, admin
    "/sign-in": (200, 200, 200, 200, 200, 200),
    "/upload": (303, 200, 404, 404, 404, 404),
    "/submissions": (303, 200, 404, 404, 404, 404),
    "/template": (303, 200, 404, 404, 404, 404),
    f"/analyst/status?quarter={QUARTER}": (303, 404, 200, 200, 200, 404),
    f"/analyst/regions?quarter={QUARTER}": (303, 404, 303, 303, 200, 404),
    f"/analyst/regions/{LONDON}?quarter={QUARTER}": (303, 404, 200, 404, 200, 404),
    f"/analyst/regions/{SOUTH_EAST}?quarter={QUARTER}": (303, 404, 404, 200, 200, 404),
    "/analyst/scenarios/caps": (303, 404, 200, 200, 200, 404),
    f"/analyst/scenarios/caps?run=yes&region={LONDON}&cap-team-manager=50": (303, 404, 200, 404, 200, 404),
    "/admin/users": (303, 404, 404, 404, 404, 200),
    "/admin/collection": (303, 404, 404, 404, 404, 200),
    "/admin/audit": (303, 404, 404, 404, 404, 200),
}


@pytest.mark.parametrize("page", PAGES)
def test_each_role_gets_the_status_its_rule_gives_on_each_page(service, clients, monkeypatch, page):
    monkeypatch.setenv("AGENCY_RETURN_HOME", str(service["home"]))
    got = tuple(client.get(page).status_code for client in clients.values())
    assert got == PAGES[page]


def user(role: str, *, id: int = 1, la: str | None = None, region: str | None = None) -> User:
    return User(id, f"{role}{id}@example.gov.uk", role, la, region, True)


LA205, LA205_COLLEAGUE, LA213 = user("la", id=1, la="205"), user("la", id=2, la="205"), user("la", id=3, la="213")
RIIA, DFE, ADMIN = user("riia", id=4, region=LONDON), user("dfe", id=5), user("admin", id=6)


@pytest.mark.parametrize("who, region, seen", [(RIIA, LONDON, True), (RIIA, SOUTH_EAST, False), (DFE, SOUTH_EAST, True),
                                               (DFE, "E99999999", False), (ADMIN, LONDON, True)])
def test_a_riia_user_sees_only_their_region_and_nobody_an_unknown_one(who, region, seen):
    if seen:
        assert access.region_or_404(who, region) == region
    else:
        with pytest.raises(HTTPException) as refused:
            access.region_or_404(who, region)
        assert refused.value.status_code == 404


STATUS = pd.DataFrame({"la_code": ["205", "213", "926"], "region_code": [LONDON, LONDON, "E12000006"]})


@pytest.mark.parametrize("who, las", [(LA205, ["205"]), (RIIA, ["205", "213"]), (DFE, ["205", "213", "926"]),
                                      (ADMIN, ["205", "213", "926"])])
def test_status_rows_are_the_las_own_the_riias_region_or_every_la(who, las):
    assert access.visible_status(who, QUARTER, STATUS)["la_code"].tolist() == las


def submission(id: int, uploader: User, la: str | None, ledger: str = "accepted") -> Submission:
    return Submission(id, uploader.id, la, str(QUARTER), f"{id:064x}", "accepted", ledger, ledger != NOT_RECORDED,
                      "2025-07-20T10:00:00+00:00", {}, None)


SUBMISSIONS = [
    submission(1, LA205, "205"),                        # their own
    submission(2, LA205_COLLEAGUE, "205"),              # a colleague's, recorded
    submission(3, LA205_COLLEAGUE, "213", NOT_RECORDED),   # a colleague's upload of another LA's return (E009)
    submission(4, LA205, "213", NOT_RECORDED),          # their own upload of another LA's return (E009)
    submission(5, LA213, "213"),                        # another LA's
    submission(6, LA213, None, "unreadable"),           # another LA's unreadable file
]
SEES = {LA205: {1, 2, 4}, LA205_COLLEAGUE: {1, 2, 3}, LA213: {5, 6}, RIIA: set(), DFE: {1, 2, 3, 4, 5, 6},
        ADMIN: set()}


@pytest.mark.parametrize("who", list(SEES), ids=lambda u: u.email)
def test_a_submission_is_seen_by_its_la_its_uploader_and_dfe_only(who):
    assert {s.id for s in SUBMISSIONS if access.may_see_submission(who, s)} == SEES[who]
    assert not access.may_see_submission(who, None)


def test_a_councils_submissions_are_those_the_rule_lets_it_see_newest_first(tmp_path):
    database = tmp_path / "web.sqlite"
    db.initialise(database)
    for u in (LA205, LA205_COLLEAGUE, LA213):
        accounts.add_user(database, u.email, "la", la_code=u.la_code)
    with db.connect(database) as con:
        for s in SUBMISSIONS:
            con.execute("INSERT INTO submissions (id, user_id, la_code, quarter, sha256, status, ledger_status, recorded,"
                        " received_at, result_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '{}')",
                        (s.id, s.user_id, s.la_code, s.quarter, s.sha256, s.status, s.ledger_status, int(s.recorded),
                         s.received_at))
    for who in (LA205, LA205_COLLEAGUE, LA213):
        assert [s.id for s in access.council_submissions(database, who)] == sorted(SEES[who], reverse=True)
