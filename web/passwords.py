"""The password policy (ASVS 2.1): at least 12 characters and at most 128 (any characters, spaces and
emoji included; nothing is truncated), and not one of the 19,640 passwords common in breaches in the
bundled list (`web/data/common-passwords.txt.gz`, see its README), checked without any network. No
rules about character classes and no expiry (ASVS 2.1.9, 2.1.10). Passwords are kept as Argon2 hashes
(`web.accounts`)."""
from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

COMMON = Path(__file__).parent / "data" / "common-passwords.txt.gz"
MIN_LENGTH, MAX_LENGTH = 12, 128


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The bundled list, lower case."""
    with gzip.open(COMMON, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip().lower() for line in fh if line.strip())


def problem(password: str) -> str | None:
    """What is wrong with `password` in plain words (a GOV.UK error message), or None when it may be used."""
    if not password:
        return "Enter a password"
    if len(password) < MIN_LENGTH:
        return f"Password must be {MIN_LENGTH} characters or more"
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer"
    if password.strip().lower() in common_passwords() or len(set(password)) == 1:
        return "Password is too easy to guess because it is commonly used. Choose a different password"
    return None
