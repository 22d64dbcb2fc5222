"""Reading a multipart upload straight to disk, the size limit enforced while reading.

Starlette's `request.form()` would spool the whole file before anything could refuse it; this
reads the body as it arrives (python-multipart's streaming parser), writes the one file part to
a private folder, and stops as soon as the file passes the limit. Text fields (the CSRF token,
the quarter) are capped at a few KB. Whatever the browser says the file is, is ignored: the guard
decides (`pipeline.read.guard` through `validate_file`).
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.multipart import MultipartParser, parse_options_header

MAX_FIELD_BYTES = 4096
# Slack for the multipart framing and text fields on top of the file itself.
FRAMING_BYTES = 64 * 1024


class UploadRefused(Exception):
    """The request is not a multipart form this service reads (no boundary, a field too long…)."""


@dataclass
class Upload:
    """One request's form: its text fields and the one file, kept on disk in `folder`."""

    folder: Path
    fields: dict[str, str] = field(default_factory=dict)
    path: Path | None = None          # the file part, if any, under its (cleaned) original name
    size: int = 0                     # bytes of the file read (stops just past the limit)
    too_large: bool = False
    declared_size: int = 0            # the request's Content-Length, when given
    discarded: bool = False

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.discarded = True


def safe_name(name: str | None) -> str:
    """A file name fit to keep: the last path part, plain characters only, at most 100 of them."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[^A-Za-z0-9._ ()-]+", "_", base).strip(" .")[-100:]
    return base or "upload.xlsx"


async def read_upload(request, *, file_field: str, work: Path, max_bytes: int) -> Upload:
    """Read `request`'s multipart body: fields into `.fields`, the file part `file_field` to disk.

    Raises UploadRefused for a body that is not multipart/form-data. An over-limit file sets
    `too_large` and stops the reading; the caller answers E006 and calls `discard()`.
    """
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise UploadRefused("send the workbook as multipart/form-data")
    work.mkdir(parents=True, exist_ok=True)
    os.chmod(work, 0o700)
    folder = work / secrets.token_hex(8)
    folder.mkdir(mode=0o700)
    upload = Upload(folder)
    try:
        upload.declared_size = int(request.headers.get("content-length") or 0)
    except ValueError:
        upload.declared_size = 0
    if upload.declared_size > max_bytes + FRAMING_BYTES:
        upload.too_large = True
        return upload
    reader = _PartReader(upload, file_field, max_bytes)
    parser = MultipartParser(boundary, reader.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if upload.too_large:
                break
        else:
            parser.finalize()
    except UploadRefused:
        upload.discard()
        raise
    except Exception as exc:   # a malformed body: python-multipart's own errors
        upload.discard()
        raise UploadRefused("the form could not be read") from exc
    finally:
        reader.close()
    return upload


class _PartReader:
    """python-multipart callbacks: the current part's headers, then its bytes to a field or the file."""

    def __init__(self, upload: Upload, file_field: str, max_bytes: int):
        self.upload, self.file_field, self.max_bytes = upload, file_field, max_bytes
        self.header_name, self.header_value = b"", b""
        self.headers: dict[bytes, bytes] = {}
        self.name: str | None = None
        self.text = bytearray()
        self.out = None

    def callbacks(self) -> dict:
        return {"on_part_begin": self.part_begin, "on_header_field": self.header_field,
                "on_header_value": self.header_val, "on_header_end": self.header_end,
                "on_headers_finished": self.headers_finished, "on_part_data": self.part_data,
                "on_part_end": self.part_end}

    def part_begin(self) -> None:
        self.headers, self.name, self.text, self.out = {}, None, bytearray(), None

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def header_val(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def header_end(self) -> None:
        self.headers[self.header_name.lower()] = self.header_value
        self.header_name, self.header_value = b"", b""

    def headers_finished(self) -> None:
        _, params = parse_options_header(self.headers.get(b"content-disposition", b""))
        self.name = params.get(b"name", b"").decode("utf-8", "replace")
        filename = params.get(b"filename")
        if self.name == self.file_field and filename is not None:
            if self.upload.path is not None:
                raise UploadRefused("send one workbook at a time")
            self.upload.path = self.upload.folder / safe_name(filename.decode("utf-8", "replace"))
            fd = os.open(self.upload.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            self.out = os.fdopen(fd, "wb")

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self.out is not None:
            self.upload.size += end - start
            if self.upload.size > self.max_bytes:
                self.upload.too_large = True
                return
            self.out.write(data[start:end])
        elif self.name is not None:
            self.text += data[start:end]
            if len(self.text) > MAX_FIELD_BYTES:
                raise UploadRefused(f"the form field {self.name!r} is too long")

    def part_end(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out = None
        elif self.name:
            self.upload.fields[self.name] = self.text.decode("utf-8", "replace")

    def close(self) -> None:
        if self.out is not None:
            self.out.close()
