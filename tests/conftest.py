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
