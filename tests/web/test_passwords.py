"""The password policy (ASVS 2.1)."""
from __future__ import annotations

import pytest

from web import passwords


@pytest.mark.parametrize("password, says", [
    ("", "Enter a password"),
    ("a", "12 characters or more"),
    ("password", "12 characters or more"),
    ("12345678", "12 characters or more"),
    ("elevenchars", "12 characters or more"),
    ("password1234", "commonly used"),
    ("PASSWORD1234", "commonly used"),
    ("qwertyuiop123", "commonly used"),
    ("aaaaaaaaaaaaaaaa", "commonly used"),
    ("x" * 129, "128 characters or fewer"),
])
def test_short_common_and_breached_passwords_are_refused_in_plain_words(password, says):
    """Issue 26, 4: "a", "password", "12345678" were accepted."""
    assert says in passwords.problem(password)


@pytest.mark.parametrize("password", ["a long enough passphrase", "correct horse battery staple",
                                      "ünïcödé ✓ 密码 passwort",
                                      "x1" * 64, "   spaced    out   "])
def test_long_passwords_of_any_characters_are_accepted_whole(password):
    assert passwords.problem(password) is None


def test_the_bundled_list_is_there_and_large():
    common = passwords.common_passwords()
    assert len(common) > 19_000 and "123456" in common and "password1234" in common
