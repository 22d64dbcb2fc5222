"""Every test runs with its own service home, so nothing touches the project's data/ or outputs/."""
import pytest


@pytest.fixture(autouse=True)
def service_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("AGENCY_RETURN_HOME", str(home))
    for var in ("AGENCY_RETURN_DATA", "AGENCY_RETURN_WAREHOUSE", "AGENCY_RETURN_OUTPUTS", "AGENCY_RETURN_KEY"):
        monkeypatch.delenv(var, raising=False)
    return home


def pytest_collection_modifyitems(items):
    """Tests that drive the browser run last: Playwright's sync API keeps an asyncio event loop running
    in the main thread from its first use to the end of the session, and any later test that calls
    `asyncio.run` (Prefect's deployments and schedules do) would fail with 'cannot be called from a
    running event loop'."""
    items.sort(key=lambda item: bool({"page", "browser", "context"} & set(getattr(item, "fixturenames", ()))))
