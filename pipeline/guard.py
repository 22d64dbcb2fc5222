"""Pre-flight check of an uploaded file, before any Excel parser opens it (E001 / E006).

Parsers trust what a file says about itself: an old .xls, a renamed CSV or a password-protected
workbook gives a cryptic parser error, and a zip bomb or an XML entity trick can exhaust memory.
This module looks only at magic bytes, the zip directory and bounded streams of the XML parts, so
it runs in bounded time and memory, and tells a council data team in plain English what is wrong.
It never raises: an unexpected failure is itself reported as E001.
"""
from __future__ import annotations

import posixpath
import re
import struct
import zipfile
import zlib
from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml.ElementTree import iterparse

from pipeline.config import threshold
from pipeline.findings import Finding, finding

MB = 1 << 20
MAX_ENTRIES = 10_000       # a real workbook has a few dozen parts
RATIO_FLOOR = 1 * MB       # a part unpacking to less than this is never called a bomb
ROW_SLACK = 30             # title and header rows above the data, as pipeline.ingest allows
CHUNK = 1 << 20            # multiple of 128, so CFB directory entries never straddle chunks
HEAD = 1 << 16
WORKBOOK, CONTENT_TYPES = "xl/workbook.xml", "[Content_Types].xml"   # fixed names, as calamine expects
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_DECLARATIONS = [w.encode(enc) for w in ("<!DOCTYPE", "<!ENTITY") for enc in ("utf-8", "utf-16-le", "utf-16-be")]
_DTD = re.compile(b"|".join(map(re.escape, _DECLARATIONS)))
_OVERLAP = max(map(len, _DECLARATIONS))
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z0-9:]+)"')
_LAST_CELL = re.compile(r"([A-Z]{1,3})(\d+)$")
_NOT_XML = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".svg", ".bin")
_MAGIC = [(b"%PDF", "a PDF document"), (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
          (b"GIF8", "a GIF image"), (b"{\\rtf", "a Rich Text (RTF) document")]
_OTHER_ZIPS = [("xl/workbook.bin", "an Excel Binary Workbook (.xlsb)"), ("word/document.xml", "a Word document (.docx)"),
               ("ppt/presentation.xml", "a PowerPoint presentation (.pptx)"),
               ("mimetype", "an OpenDocument file (such as LibreOffice's .ods)")]


def inspect_file(path) -> list[Finding]:
    """Findings that stop a file being read at all ([] for an ordinary .xlsx); never raises."""
    try:
        return _inspect(Path(path))
    except Exception as exc:  # noqa: BLE001 - the council gets a finding, never a traceback
        return [_unreadable(f"an unexpected problem stopped the check ({type(exc).__name__}); "
                            "if it persists, send the file to the service team")]


def _unreadable(reason: str) -> Finding:
    return finding("E001", reason=reason)


def _inspect(path: Path) -> list[Finding]:
    if not path.is_file():
        return [_unreadable("no file was found")]
    size, limit_mb = path.stat().st_size, threshold("max_file_mb")
    if size == 0:
        return [_unreadable("the file is empty (0 bytes): saving or uploading it may have failed")]
    if size > limit_mb * MB:
        return [finding("E006", "file_size", size_mb=size / MB, limit_mb=limit_mb)]
    with path.open("rb") as fh:
        head = fh.read(HEAD)
        if head.startswith(CFB_MAGIC):
            return [finding("E001", "password" if _has_cfb_entry(fh, _ENCRYPTED) else "xls")]
        if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            return [_unreadable(_describe(head))]
        entries = _declared_entries(fh, size)
    if entries is None:
        return [_unreadable("it starts like an .xlsx but its end is missing: the file was cut off while "
                            "being saved, copied or uploaded")]
    if entries > MAX_ENTRIES:
        return [finding("E006", "unpacked_entries", count=entries, limit=MAX_ENTRIES)]
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, NotImplementedError, OSError, ValueError) as exc:
        return [_unreadable(f"its internal directory is damaged ({exc})")]
    with zf:
        return _inspect_zip(zf)


def _inspect_zip(zf: zipfile.ZipFile) -> list[Finding]:
    infos = zf.infolist()
    names = {i.filename for i in infos}
    if CONTENT_TYPES not in names or WORKBOOK not in names:
        return [_unreadable(_describe_zip(names))]
    limit_mb, ratio = threshold("max_unpacked_mb"), threshold("max_compression_ratio")
    total = sum(i.file_size for i in infos)
    if total > limit_mb * MB:
        return [finding("E006", "unpacked", limit_mb=limit_mb, reason=f"its parts declare {total / MB:,.0f} MB in total")]
    for i in infos:
        if i.file_size > RATIO_FLOOR and i.file_size > ratio * max(i.compress_size, 1):
            return [finding("E006", "unpacked_ratio", part=i.filename, ratio=i.file_size / max(i.compress_size, 1),
                            limit=ratio)]
    unsafe = _scan_parts(zf, infos)
    if unsafe:
        return [unsafe]
    try:
        sheets = sheet_names_and_parts(zf)
    except ParseError as exc:
        return [_unreadable(f"its list of sheets is damaged ({exc})")]
    if not sheets:
        return [_unreadable("it contains no sheets")]
    return _dimension_findings(zf, sheets, names)


def _has_cfb_entry(fh, name: bytes) -> bool:
    """Whether a compound file has a directory entry with this UTF-16LE name.

    Directory entries are 128-byte aligned and store the name's byte length (with its NUL) at
    offset 64, so matching both finds the entry without walking the sector chains.
    """
    fh.seek(0)
    while chunk := fh.read(CHUNK):
        at = chunk.find(name)
        while at >= 0:
            if at % 128 == 0 and chunk[at + 64:at + 66] == struct.pack("<H", len(name) + 2):
                return True
            at = chunk.find(name, at + 1)
    return False


def _describe(head: bytes) -> str:
    """What a file that is not a zip looks like, from its first bytes."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return f"this looks like {kind} renamed to .xlsx"
    text = _as_text(head)
    if text is None:
        return "its contents are not in the .xlsx format: it is damaged, or another kind of file renamed to .xlsx"
    low = text.lstrip().lower()
    if "<html" in low or "<table" in low:
        return ("this looks like a web page (HTML) renamed to .xlsx, as many systems' 'Export to Excel' "
                "buttons produce")
    if low.startswith("<"):
        return "this looks like an XML file (such as an 'XML Spreadsheet 2003') renamed to .xlsx"
    first = low.splitlines()[0] if low else ""
    if "\t" in first:
        return "this looks like a tab-separated text file renamed to .xlsx"
    if "," in first or ";" in first:
        return "this looks like a CSV file renamed to .xlsx"
    return "this looks like a plain text file renamed to .xlsx"


def _as_text(head: bytes) -> str | None:
    """The head decoded as text, or None if it looks binary."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", "replace")
    elif b"\x00" in head:
        return None
    else:
        text = head.decode("utf-8-sig", "replace")
    bad = sum(ch == "\ufffd" or not (ch.isprintable() or ch in "\r\n\t") for ch in text)
    return text if bad <= len(text) // 20 else None


def _declared_entries(fh, size: int) -> int | None:
    """The entry count from the end-of-central-directory record (None if there is none).

    Read before zipfile builds one object per entry, so a directory of a million tiny
    entries costs nothing.
    """
    fh.seek(max(0, size - 22 - 65535))
    tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return None
    count = struct.unpack_from("<H", tail, at + 10)[0]
    loc = tail[at - 20:at] if at >= 20 else b""
    if count == 0xFFFF and loc.startswith(b"PK\x06\x07"):  # zip64: the real count is in another record
        fh.seek(struct.unpack_from("<Q", loc, 8)[0])
        record = fh.read(40)
        if record.startswith(b"PK\x06\x06") and len(record) == 40:
            count = struct.unpack_from("<Q", record, 32)[0]
    return count


def _describe_zip(names: set[str]) -> str:
    """What a zip that is not a workbook holds."""
    for part, kind in _OTHER_ZIPS:
        if part in names:
            return f"this is {kind}, not an .xlsx workbook"
    if not names:
        return "this is an empty zip archive"
    shown = ", ".join(sorted(names)[:3])
    return f"this is a zip archive of other files ({shown}{', ...' if len(names) > 3 else ''}), not an Excel workbook"


def _scan_parts(zf: zipfile.ZipFile, infos) -> Finding | None:
    """E001 for the first XML part that is damaged or declares a DTD or entities (billion laughs, XXE).

    Every part is streamed in bounded chunks (its size is already bounded), which also checks
    its CRC. A literal '<!DOCTYPE' can only be markup: cell text holding it is escaped.
    """
    for info in infos:
        if info.is_dir() or info.filename.lower().endswith(_NOT_XML):
            continue
        try:
            with zf.open(info) as part:
                tail = b""
                while chunk := part.read(CHUNK):
                    if _declares_dtd(tail + chunk):
                        return finding("E001", "entities",
                                       reason=f"a document type or entity declaration in {info.filename}")
                    tail = chunk[-_OVERLAP:]
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError):
            return _unreadable(f"it is damaged: its part {info.filename} does not unpack correctly")
    return None


def _declares_dtd(buf: bytes) -> bool:
    """A fast literal pre-check ('<!' in UTF-8 or UTF-16) spares a regex pass over large sheets."""
    return (b"<!" in buf or b"<\x00!" in buf) and _DTD.search(buf) is not None


def sheet_names_and_parts(zf: zipfile.ZipFile) -> list[tuple[str, str | None, str]]:
    """(sheet name, zip part or None, state) for each sheet, in workbook order.

    The part comes from the workbook's relationships, not from the sheet's position.
    """
    targets = {}
    if WORKBOOK_RELS in zf.namelist():
        targets = {el.get("Id"): _resolve(WORKBOOK, el.get("Target", ""))
                   for el in _elements(zf, WORKBOOK_RELS, "Relationship")}
    return [(el.get("name", ""), targets.get(_rel_id(el)), el.get("state", "visible"))
            for el in _elements(zf, WORKBOOK, "sheet")]


def _rel_id(el) -> str | None:
    """The r:id attribute, whether the workbook uses transitional or Strict OOXML namespaces."""
    return next((v for k, v in el.attrib.items() if k.endswith("}id")), None)


def _elements(zf: zipfile.ZipFile, part: str, local: str):
    """Elements with this local name, streamed (entities and external references refused)."""
    with zf.open(part) as fh:
        for _, el in iterparse(fh):
            if el.tag == local or el.tag.endswith("}" + local):
                yield el


def _resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _dimension_findings(zf: zipfile.ZipFile, sheets, names: set[str]) -> list[Finding]:
    """Sheets whose declared <dimension> is over the row or column limit.

    Only a cheap first look: the reader counts the real rows again, since a dimension may be
    missing or wrong.
    """
    max_rows, max_cols = threshold("max_rows"), threshold("max_columns")
    out = []
    for name, part, _state in sheets:
        if part not in names:
            return [_unreadable(f"it is damaged: the data of sheet '{name}' is missing")]
        with zf.open(part) as fh:
            found = _DIMENSION.search(fh.read(HEAD))
        ref = found.group(1).decode() if found else ""
        last = _LAST_CELL.search(ref)
        if not last:
            continue
        if int(last.group(2)) > max_rows + ROW_SLACK:
            out.append(finding("E006", "rows", sheet=name, value=ref, limit=max_rows))
        if _column_number(last.group(1)) > max_cols:
            out.append(finding("E006", "columns", sheet=name, value=ref, limit=max_cols))
    return out


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n
