"""The HMAC key SWE numbers are hashed with (`AGENCY_RETURN_KEY`, else <data>/secret.key), its
fingerprint kept in the warehouse so a wrong key stops a write before anything is kept."""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import pyarrow as pa

from pipeline.core.config import data_dir
from pipeline.core.private import private_dir, write_private
from pipeline.warehouse.connection import read_meta, write_meta

KEY_ENV = "AGENCY_RETURN_KEY"


class KeyProblem(ValueError):
    """The HMAC key is missing, empty or not the one the warehouse's hashes were made with: writing
    would silently break cross-LA and cross-quarter matching (X601, X602), so nothing is written."""


def swe_key(data: Path | None = None, *, create: bool = False) -> bytes:
    """The HMAC key: AGENCY_RETURN_KEY, else <data>/secret.key. With `create` (a new warehouse only)
    a missing key file is generated (owner-only). Raises KeyProblem if it is missing or empty."""
    if KEY_ENV in os.environ:
        env = os.environ[KEY_ENV].strip()
        if not env:
            raise KeyProblem(f"{KEY_ENV} is set but empty: set it to the warehouse's key, or unset it")
        return env.encode("utf-8")
    path = (data if data is not None else data_dir()) / "secret.key"
    if not path.exists():
        if not create:
            raise KeyProblem(f"the HMAC key file {path} is missing, and the warehouse's SWE number hashes were made "
                             f"with it: restore it from backup (or set {KEY_ENV}), or run `agency-return rekey` to "
                             "hash every kept file again with a new key")
        return new_key_file(path)
    key = path.read_text().strip()
    if not key:
        raise KeyProblem(f"the HMAC key file {path} is empty: restore it from backup, or run `agency-return rekey`")
    return key.encode("utf-8")


def new_key_file(path: Path) -> bytes:
    """Write a new random key to `path` (owner-only, replacing any) and return it."""
    private_dir(path.parent)
    key = secrets.token_hex(32).encode("utf-8")
    write_private(path, key)
    return key


def key_fingerprint(key: bytes) -> str:
    """Identifies a key without revealing it: HMAC of a fixed text under the key."""
    return hmac.new(key, b"agency-return key fingerprint", hashlib.sha256).hexdigest()[:16]


def stored_fingerprint(con) -> str | None:
    return read_meta(con, "key_fingerprint")


def adopt_key(con, key: bytes) -> None:
    """Record `key` as the one this warehouse's hashes are made with."""
    write_meta(con, "key_fingerprint", key_fingerprint(key))


def writing_key(con, data: Path) -> bytes:
    """The key to hash with, checked against the warehouse's fingerprint (a new warehouse adopts it).
    Raises KeyProblem if the key is missing, empty or different."""
    stored = stored_fingerprint(con)
    held = con.execute("SELECT (SELECT count(*) FROM fact_assignment) + (SELECT count(*) FROM fact_leaver)").fetchone()[0]
    key = swe_key(data, create=stored is None and not held)
    if stored is None:
        adopt_key(con, key)   # a warehouse from before fingerprints: the key in use is taken as its key
    elif key_fingerprint(key) != stored:
        raise KeyProblem("the HMAC key is not the one this warehouse's SWE number hashes were made with (its "
                         f"fingerprint differs), so cross-LA and cross-quarter matching would silently break: "
                         f"restore the right key (secret.key or {KEY_ENV}), or run `agency-return rekey` to hash "
                         "every kept file again with this one")
    return key


def hash_swe(values: pa.ChunkedArray | pa.Array, key: bytes) -> pa.Array:
    """HMAC-SHA256 (hex) of each normalised SWE number of an Arrow text column (null stays null)."""
    return pa.array([None if v is None else hmac.digest(key, str(v).encode("utf-8"), "sha256").hex()
                     for v in values.to_pylist()], type=pa.large_string())
