"""The HMAC key (pipeline/warehouse/keys.py)."""


from pipeline.warehouse import submit
from tests.warehouse.returns import Q, book, read_facts


def test_key_from_environment_gives_a_different_hash(tmp_path, service_home, monkeypatch):
    submit.submit_file(book(tmp_path, "a.xlsx"), Q, home=service_home)
    generated = read_facts(service_home)["swe_hash"].tolist()
    monkeypatch.setenv("AGENCY_RETURN_KEY", "another key")
    other = tmp_path / "other"
    submit.submit_file(book(tmp_path, "a.xlsx"), Q, home=other)
    assert read_facts(other)["swe_hash"].tolist() != generated
