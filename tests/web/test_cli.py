"""`agency-return users …`: accounts from the command line; the password only ever from stdin."""
from __future__ import annotations

import io
import sqlite3

import pytest

from pipeline.cli.main import main
from tests.smtp import smtp_server  # noqa: F401
from web import accounts
from web.settings import from_environment


def test_users_add_list_password_token_disable(service_home, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("first passphrase\n"))
    assert main(["users", "add", "admin@dfe.example", "--role", "admin", "--password-stdin"]) == 0
    assert main(["users", "add", "data@camden.example", "--role", "la", "--la", "202"]) == 0
    assert main(["users", "add", "riia@london.example", "--role", "riia", "--region", "E12000007"]) == 0
    database = from_environment().database
    assert accounts.authenticate(database, "admin@dfe.example", "first passphrase")
    monkeypatch.setattr("sys.stdin", io.StringIO("second passphrase\n"))
    assert main(["users", "password", "admin@dfe.example"]) == 0
    assert accounts.authenticate(database, "admin@dfe.example", "second passphrase")
    assert not accounts.authenticate(database, "admin@dfe.example", "first passphrase")
    capsys.readouterr()
    assert main(["users", "token", "data@camden.example"]) == 0
    token = capsys.readouterr().out.strip()
    assert accounts.user_for_token(database, token).la_code == "202"
    assert main(["users", "list"]) == 0
    listed = capsys.readouterr().out
    assert "data@camden.example\tla\tCamden (LA 202)\tactive" in listed and "London" in listed
    assert main(["users", "disable", "data@camden.example"]) == 0
    assert accounts.user_for_token(database, token) is None
    assert (service_home / "data" / "web.sqlite").stat().st_mode & 0o777 == 0o600
    con = sqlite3.connect(database)
    stored = " ".join(str(v) for row in con.execute("SELECT * FROM users") for v in row)
    stored += " ".join(str(v) for row in con.execute("SELECT * FROM audit") for v in row)
    con.close()
    assert "passphrase" not in stored and token not in stored


@pytest.mark.parametrize("args, says", [
    (["users", "add", "x@y.example", "--role", "la"], "--la: Enter the 3-digit DfE code of the council"),
    (["users", "add", "x@y.example", "--role", "la", "--la", "999"], "--la: Enter the 3-digit DfE code of a council"),
    (["users", "add", "x@y.example", "--role", "riia", "--region", "London"], "--region: Select the region"),
    (["users", "add", "not-an-email", "--role", "dfe"], "EMAIL: Enter an email address in the correct format"),
    (["users", "token", "data@y.example", "--days", "0"], "--days: The token must last between 1 and 366 days"),
    (["users", "token", "nobody@y.example"], "no active user"),
    (["users", "disable", "nobody@y.example"], "no user"),
])
def test_users_refuses_what_cannot_be_right_with_exit_2(service_home, capsys, args, says):
    assert main(args) == 2
    assert says in capsys.readouterr().err


def test_users_invite_enable_sign_out_and_named_tokens(service_home, monkeypatch, capsys, smtp_server):  # noqa: F811
    for name, value in smtp_server.environment("https://returns.example").items():
        monkeypatch.setenv(name, value)
    assert main(["users", "add", "new@camden.example", "--role", "la", "--la", "202"]) == 0
    assert "Sent new@camden.example an invitation" in capsys.readouterr().out
    [email] = smtp_server.to("new@camden.example")
    assert "https://returns.example/account/invitation/" in email.get_content()
    assert main(["users", "invite", "new@camden.example"]) == 0
    assert len(smtp_server.to("new@camden.example")) == 2
    database = from_environment().database
    assert main(["users", "token", "new@camden.example", "--name", "Case system", "--days", "7"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    [listed] = accounts.list_tokens(database, accounts.find_user(database, "new@camden.example").id)
    assert listed.name == "Case system" and (listed.expires_at - listed.created_at).days == 7
    assert main(["users", "sign-out", "new@camden.example"]) == 0
    assert main(["users", "disable", "new@camden.example"]) == 0
    assert accounts.user_for_token(database, token) is None
    assert main(["users", "enable", "new@camden.example"]) == 0
    assert accounts.find_user(database, "new@camden.example").active
