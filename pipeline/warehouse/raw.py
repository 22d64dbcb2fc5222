"""The raw files kept: each submission's exact bytes as data/raw/<sha256>.xlsx (0600 in a 0700
folder), listed in received order in data/raw/received.jsonl before the warehouse commits, so
`rebuild` can replay them exactly."""
from __future__ import annotations

import json
import os
from pathlib import Path

from pipeline.core.private import private_dir, write_private
from pipeline.warehouse.connection import Paths


def keep_raw(where: Paths, sha: str, data: bytes) -> Path:
    """Keep a file's bytes as <data>/raw/<sha256>.xlsx (owner-only, written whole), once: the path."""
    private_dir(where.raw)
    target = where.raw / f"{sha}.xlsx"
    if not target.exists():
        write_private(target, data)
    return target


def list_received(where: Paths, entries: list[dict]) -> None:
    """Lines in received.jsonl, on disk (one write, one fsync) before the warehouse records the files."""
    if not entries:
        return
    fd = os.open(where.index, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write("".join(json.dumps(entry) + "\n" for entry in entries))
        fh.flush()
        os.fsync(fh.fileno())


def received(where: Paths) -> list[dict]:
    """The entries of received.jsonl in order; a line a crash cut short is skipped."""
    if not where.index.exists():
        return []
    entries = []
    for line in where.index.read_text(encoding="utf-8").splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return entries
