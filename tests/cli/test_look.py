"""`make look` without LibreOffice says how to install it (make test never needs LibreOffice)."""
from pipeline.cli import look


def test_make_look_says_how_to_install_libreoffice_when_it_is_missing(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(look.shutil, "which", lambda name: None)
    assert look.main(["--out", str(tmp_path / "look")]) == 2
    err = capsys.readouterr().err
    assert "libreoffice-calc" in err and "poppler-utils" in err
    assert not (tmp_path / "look").exists()
