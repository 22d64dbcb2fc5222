"""The guard's checked package handed to the reader of the same file, so nothing is unpacked twice.

The guard unpacks and checks every part of a file; the reader then takes those parts from here
instead of unpacking the file again. Keyed by the file's identity, so a file changed in between
is read afresh; taken once, and only a few kept, so nothing large lingers.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict

from pipeline.read.ooxml import Package

_REMEMBERED: OrderedDict[tuple, Package] = OrderedDict()
_REMEMBERED_LOCK = threading.Lock()
_REMEMBER_AT_MOST = 4


def remember(path, pkg: Package) -> None:
    """Keep a checked package (its `unpacked` parts filled in) for the reader of the same file."""
    key = _identity(path)
    if key is None or pkg.unpacked is None:
        return
    with _REMEMBERED_LOCK:
        _REMEMBERED[key] = pkg
        while len(_REMEMBERED) > _REMEMBER_AT_MOST:
            _REMEMBERED.popitem(last=False)


def remembered(path) -> Package | None:
    """The package `remember` kept for this very file (same path, size, time and inode), taken once."""
    key = _identity(path)
    with _REMEMBERED_LOCK:
        return _REMEMBERED.pop(key, None) if key is not None else None


def _identity(path) -> tuple | None:
    try:
        st = os.stat(path)
        return os.path.abspath(os.fspath(path)), st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev
    except (OSError, TypeError, ValueError):
        return None
