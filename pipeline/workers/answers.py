"""Answers handed back by worker processes through a private folder: each a pickled object (a
verdict, which holds the workbook's rows, SWE numbers included) with an optional file beside it (a
feedback workbook), taken once and only if it is for the bytes the caller holds now.

The folder is 0700 and named for the process that owns it (`remove_stale` clears those of processes
killed mid-batch); each answer is a 0600 file. Only an answer's name goes through a pool's pipe: a
worker killed (say by the out-of-memory killer) while writing a large answer into the pipe would
leave the pool waiting forever for the rest of it, whereas a write of a few bytes is all-or-nothing,
so a dead worker is always noticed.
"""
from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import uuid
from concurrent.futures import Future
from pathlib import Path


def private_folder(prefix: str, folder: Path | None = None) -> Path:
    """A new folder (0700) `<prefix><this process's id>-…` in `folder` (else the system's temporary one)."""
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=folder))


def remove_stale(prefix: str, folder: Path | None = None) -> int:
    """Remove the `private_folder`s of `prefix` whose process no longer runs (killed mid-batch); how many."""
    removed = 0
    for path in Path(folder or tempfile.gettempdir()).glob(f"{prefix}*"):
        try:
            pid = int(path.name[len(prefix):].split("-", 1)[0])
        except ValueError:
            continue
        try:
            os.kill(pid, 0)
            continue                     # still running
        except ProcessLookupError:
            pass
        except PermissionError:
            continue                     # someone else's live process
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    return removed


def new_file(folder: Path, suffix: str) -> Path:
    """A name for a file no one else will write in `folder`."""
    return folder / f"{uuid.uuid4().hex}{suffix}"


def put(answer, folder: Path, name: str | None = None, file: Path | None = None) -> tuple[Path, Path | None]:
    """Worker: `answer` pickled into a new 0600 file `name` (else a new name) in `folder`, and `file`
    (written beside it, if any) made 0600; what the caller is handed back. Raises FileExistsError if
    `name` is there already."""
    pickled = folder / name if name else new_file(folder, ".pickle")
    fd = os.open(pickled, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    if file is not None:
        os.chmod(file, 0o600)
    return pickled, file


class Answers:
    """The answers expected for files, each from a future that gives what `put` returned; `folder`
    (a `private_folder`, if any) is removed on `close`. An answer has the `sha256` of the bytes it
    was computed from."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder
        self._pending: dict[Path, Future] = {}
        self._held: dict[int, tuple[object, Path]] = {}   # id(answer) -> (answer, the file that came with it)

    def expect(self, path, future: Future) -> None:
        """The answer for the file at `path` will come from `future`."""
        self._pending[Path(path).resolve()] = future

    def take(self, path, sha256: str):
        """The answer for the file at `path` (waiting for it), if it is for the bytes `sha256`; else None,
        as when it was never expected, was taken already, or its worker died or failed."""
        future = self._pending.pop(Path(path).resolve(), None)
        if future is None:
            return None
        try:
            pickled, file = future.result()
            answer = pickle.loads(pickled.read_bytes())
            pickled.unlink()
        except Exception:  # noqa: BLE001 - its worker died or failed: the caller computes it itself
            return None
        if answer.sha256 != sha256:     # the file changed after its worker read it
            if file is not None:
                file.unlink(missing_ok=True)
            return None
        if file is not None:
            self._held[id(answer)] = (answer, file)
        return answer

    def place(self, answer, out: Path) -> Path | None:
        """Move the file that came with this very answer (the object `take` gave) to `out`; None if
        there is none, or it was placed already."""
        held = self._held.pop(id(answer), None)
        if held is None or held[0] is not answer:
            return None
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        return Path(shutil.move(str(held[1]), out))

    def close(self) -> None:
        """Forget what is expected and held, and remove the folder with whatever is left in it."""
        self._pending.clear()
        self._held.clear()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
