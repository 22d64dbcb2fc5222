"""Pre-flight check of an uploaded file, before any Excel parser opens it (E001 / E006).

Parsers trust what a file says about itself: an old .xls, a renamed CSV or a password-protected
workbook gives a cryptic parser error, and a zip bomb or an XML entity trick can exhaust memory.
This module looks only at magic bytes, the zip directory and bounded streams of the XML parts, so
it runs in bounded time and memory, and tells a council data team in plain English what is wrong.
It never raises: an unexpected failure is itself reported as E001.
"""
from __future__ import annotations

import re
import struct
import zipfile
import zlib
from pathlib import Path
from xml.etree.ElementTree import ParseError

from pipeline.core.config import threshold
from pipeline.core.findings import Finding, finding
from pipeline.read.handoff import remember
from pipeline.read.ooxml import (
    CONTENT_TYPES,
    DEFAULT_WORKBOOK,
    PACKAGE_RELS,
    Package,
    SheetPart,
    choose_sheets,
    column_number,
    part_name,
)

MB = 1 << 20
MAX_ENTRIES = 10_000       # a real workbook has a few dozen parts
KEEP_UNPACKED_MB = 2       # a file unpacking to no more than this is handed to the reader unpacked
RATIO_FLOOR = 1 * MB       # a part unpacking to less than this is never called a bomb
ROW_SLACK = 30             # title and header rows above the data, as pipeline.ingest allows
CHUNK = 1 << 20            # multiple of 128, so CFB directory entries never straddle chunks
HEAD = 1 << 16
CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_DECLARATIONS = [w.encode(enc) for w in ("<!DOCTYPE", "<!ENTITY") for enc in ("utf-8", "utf-16-le", "utf-16-be")]
_DTD = re.compile(b"|".join(map(re.escape, _DECLARATIONS)))
_OVERLAP = max(map(len, _DECLARATIONS))
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z0-9:]+)"')
_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet\b")
_ATTR_R = re.compile(rb"""\br\s*=\s*["']([0-9]+)["']""")
_LAST_CELL = re.compile(r"([A-Z]{1,3})(\d+)$")
_NOT_XML = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".svg", ".bin")
_MAGIC = [(b"%PDF", "a PDF document"), (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
          (b"GIF8", "a GIF image"), (b"{\\rtf", "a Rich Text (RTF) document")]
# A zip that is not a workbook: (a part it holds, what it is, the E001 message that says what to do).
_OTHER_ZIPS = [("xl/workbook.bin", "an Excel Binary Workbook (.xlsb)", "xlsb"),
               ("word/document.xml", "a Word document (.docx)", "document"),
               ("ppt/presentation.xml", "a PowerPoint presentation (.pptx)", "document"),
               ("mimetype", "an OpenDocument file (such as LibreOffice's .ods)", "ods")]
_BIFF_BOF = re.compile(rb"\x09\x08[\x08\x10]\x00")        # an .xls workbook stream's first record (BOF)


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
        return [finding("E001", "missing", file=path.name or str(path))]
    size, limit_mb = path.stat().st_size, threshold("max_file_mb")
    if size == 0:
        return [_unreadable("the file is empty (0 bytes): saving or uploading it may have failed")]
    if size > limit_mb * MB:
        return [finding("E006", "file_size", size_mb=size / MB, limit_mb=limit_mb)]
    with path.open("rb") as fh:
        head = fh.read(HEAD)
        if head.startswith(CFB_MAGIC):
            if _has_cfb_entry(fh, _ENCRYPTED):
                return [finding("E001", "password")]
            return [finding("E001", "xls_password" if _xls_encrypted(path) else "xls")]
        if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            return [_unreadable(_describe(head, path.suffix.lower()))]
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
        return _inspect_zip(zf, path)


def _inspect_zip(zf: zipfile.ZipFile, path: Path) -> list[Finding]:
    infos = zf.infolist()
    pkg = Package.of(zf)
    if not pkg.has(CONTENT_TYPES) or not (pkg.has(PACKAGE_RELS) or pkg.has(DEFAULT_WORKBOOK)):
        return [_not_a_workbook({i.filename for i in infos})]
    limit_mb, ratio = threshold("max_unpacked_mb"), threshold("max_compression_ratio")
    total = sum(i.file_size for i in infos)
    if total > limit_mb * MB:
        return [finding("E006", "unpacked", limit_mb=limit_mb, reason=f"its parts declare {total / MB:,.0f} MB in total")]
    for i in infos:
        if i.file_size > RATIO_FLOOR and i.file_size > ratio * max(i.compress_size, 1):
            return [finding("E006", "unpacked_ratio", part=i.filename, ratio=i.file_size / max(i.compress_size, 1),
                            limit=ratio)]
    small = total <= KEEP_UNPACKED_MB * MB and path.stat().st_size <= KEEP_UNPACKED_MB * MB
    unpacked = {} if small else None           # a usual file: read once, every part unpacked in memory
    unsafe = _scan_parts(zf, infos, unpacked, path.read_bytes() if small else None)
    if unsafe:
        return [unsafe]
    if unpacked is not None and len(unpacked) == len(pkg.entries):    # every part unpacked: the reader may take them
        pkg.unpacked = unpacked
    try:
        if pkg.workbook_part() is None:
            return [_not_a_workbook({i.filename for i in infos})]
        sheets = pkg.sheets()
    except ParseError as exc:
        return [_unreadable(f"its list of sheets is damaged ({exc})")]
    if not sheets:
        return [_unreadable("it contains no sheets")]
    found = _dimension_findings(pkg, sheets)
    if not found:
        remember(path, pkg)          # the reader takes the checked parts instead of unpacking them again
    return found


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


def _describe(head: bytes, suffix: str) -> str:
    """What a file that is not a zip looks like, from its first bytes: 'renamed to .xlsx' only when its
    name says it is a workbook (a `.csv` is simply a CSV file)."""
    kind, note = _kind(head)
    if kind is None:
        return "its contents are not in the .xlsx format: it is damaged, or another kind of file renamed to .xlsx"
    if suffix in (".xlsx", ".xlsm"):
        return f"this looks like {kind} renamed to {suffix}{note}"
    return f"this is {kind}{note}, not an Excel workbook"


def _kind(head: bytes) -> tuple[str | None, str]:
    """('a CSV file', '') or ('a web page (HTML)', ', as …'): the kind of file its first bytes show."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind, ""
    text = _as_text(head)
    if text is None:
        return None, ""
    low = text.lstrip().lower()
    if "<html" in low or "<table" in low:
        return "a web page (HTML)", ", as many systems' 'Export to Excel' buttons produce"
    if low.startswith("<"):
        return "an XML file (such as an 'XML Spreadsheet 2003')", ""
    first = low.splitlines()[0] if low else ""
    if "\t" in first:
        return "a tab-separated text file", ""
    if "," in first or ";" in first:
        return "a CSV file", ""
    return "a plain text file", ""


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


def _not_a_workbook(names: set[str]) -> Finding:
    """E001 for a zip that is not a workbook, with the advice that fits what it holds: an .ods or
    .xlsb saved as .xlsx, a document that is not the return, a zip of files opened and the return
    inside it uploaded."""
    parts = {part_name(n) for n in names}
    for part, kind, variant in _OTHER_ZIPS:
        if part in parts:
            return finding("E001", variant, reason=f"this is {kind}, not an .xlsx workbook")
    if not names:
        return finding("E001", "zip", reason="this is an empty zip archive", inside="nothing")
    shown = ", ".join(sorted(names)[:3]) + (", ..." if len(names) > 3 else "")
    return finding("E001", "zip", reason=f"this is a zip archive of other files ({shown}), not an Excel workbook",
                   inside=shown)


def _xls_encrypted(path: Path) -> bool:
    """Whether an .xls (a compound file) is protected with a password: its workbook stream's first
    record (BOF) is followed by a FILEPASS record (0x002F), as every encrypted BIFF8 file has it."""
    data = path.read_bytes()[: 1 << 20]
    for bof in _BIFF_BOF.finditer(data):
        at = bof.end() + int.from_bytes(data[bof.start() + 2:bof.start() + 4], "little")
        if data[at:at + 2] == b"\x2f\x00":
            return True
    return False


def _scan_parts(zf: zipfile.ZipFile, infos, unpacked: dict[str, bytes] | None = None,
                whole: bytes | None = None) -> Finding | None:
    """E001 for the first XML part that is damaged or declares a DTD or entities (billion laughs, XXE).

    Every part is streamed in bounded chunks (its size is already bounded), which also checks
    its CRC; a part of a file held `whole` in memory is first unpacked straight from it, and only
    one that does not check out plainly there goes the streamed way. A literal '<!DOCTYPE' can
    only be markup: cell text holding it is escaped. Given `unpacked`, every part (checked or not)
    is kept there by its entry name.
    """
    ends = _data_ends(zf, infos) if whole is not None else {}
    for info in infos:
        if info.is_dir():
            continue
        checked = not info.filename.lower().endswith(_NOT_XML)
        if not checked and unpacked is None:
            continue
        data = _unpack(whole, info, ends.get(info.header_offset, 0)) if whole is not None else None
        if data is not None:
            if checked and _declares_dtd(data):
                return finding("E001", "entities", reason=f"a document type or entity declaration in {info.filename}")
            if unpacked is not None:
                unpacked[info.filename] = data
            continue
        chunks = []
        try:
            with zf.open(info) as part:
                tail = b""
                while chunk := part.read(CHUNK):
                    if checked and _declares_dtd(tail + chunk):
                        return finding("E001", "entities",
                                       reason=f"a document type or entity declaration in {info.filename}")
                    tail = chunk[-_OVERLAP:]
                    if unpacked is not None:
                        chunks.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError):
            if checked:
                return _unreadable(f"it is damaged: its part {info.filename} does not unpack correctly")
            continue
        if unpacked is not None:
            unpacked[info.filename] = b"".join(chunks)
    return None


def _data_ends(zf: zipfile.ZipFile, infos) -> dict[int, int]:
    """Where each entry's data must end: at the next entry's header, or at the central directory
    (an entry with no such bound is not listed, and goes the streamed way)."""
    starts = sorted({i.header_offset for i in infos} | {zf.start_dir})
    return {s: e for s, e in zip(starts, starts[1:])}


def _unpack(whole: bytes, info: zipfile.ZipInfo, end: int) -> bytes | None:
    """A part unpacked from the file's bytes if it plainly checks out (its local header matches,
    stored or deflated, not encrypted, inside its own span, its size and CRC right); None sends
    it the streamed way, where zipfile says what is wrong."""
    at = info.header_offset
    if whole[at:at + 4] != b"PK\x03\x04" or at + 30 > min(end, len(whole)) or info.file_size > len(whole) * 1032:
        return None                   # deflate never packs more than 1032:1
    flags, method = struct.unpack_from("<HH", whole, at + 6)
    name_len, extra_len = struct.unpack_from("<HH", whole, at + 26)
    name = whole[at + 30:at + 30 + name_len].decode("utf-8" if flags & 0x800 else "cp437", "replace")
    start = at + 30 + name_len + extra_len
    stop = start + info.compress_size
    if flags & 0x61 or method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or name != info.orig_filename \
            or stop > end:
        return None
    if method == zipfile.ZIP_STORED:
        data = whole[start:stop]
    else:
        try:
            data = zlib.decompressobj(-15).decompress(whole[start:stop], info.file_size + 1)
        except (zlib.error, ValueError, OverflowError, MemoryError):
            return None
    return data if len(data) == info.file_size and zlib.crc32(data) == info.CRC else None


def _declares_dtd(buf: bytes) -> bool:
    """Fast literal pre-checks spare a regex pass over large sheets: a '!' at all (one byte, rare in
    a sheet: a byte search ten times quicker than one for '<!'), then '<!' in UTF-8 or UTF-16."""
    return b"!" in buf and (b"<!" in buf or b"<\x00!" in buf) and _DTD.search(buf) is not None


def _dimension_findings(pkg: Package, sheets: list[SheetPart]) -> list[Finding]:
    """Sheets the return reads whose cells holding values go past the row or column limit.

    A sheet's declared <dimension> is only a cheap first look: tools declare `A1:XFD1048576` for
    a 13-row sheet, or count a styled empty cell, so a declared size over the limit is checked by
    streaming the sheet for cells that hold a value, stopping as soon as one is past the limit
    (bounded time and memory for a million-row paste). Sheets the return never reads are not
    counted (data-contract §3, E006); a sheet without a <dimension> is counted by the reader.
    """
    for sp in sheets:
        if sp.part is None:
            return [_unreadable(f"it is damaged: the data of sheet '{sp.name}' is missing")]
    read = set(choose_sheets(sheets).chosen.values())
    max_rows, max_cols = threshold("max_rows"), threshold("max_columns")
    out = []
    for sp in sheets:
        if sp.name not in read:
            continue
        with pkg.open(sp.part) as fh:
            head = fh.read(HEAD)
        found = _DIMENSION.search(head)
        last = _LAST_CELL.search(found.group(1).decode()) if found else None
        if not last:
            continue
        ref = found.group(1).decode()
        rows_over = int(last.group(2)) > max_rows + ROW_SLACK
        cols_over = column_number(last.group(1)) > max_cols
        if not (rows_over or cols_over):
            continue
        past_rows, past_cols = _values_past(pkg, sp.part, head, max_rows + ROW_SLACK if rows_over else None,
                                            max_cols if cols_over else None)
        if past_rows:
            out.append(finding("E006", "rows", sheet=sp.name, value=ref, limit=max_rows))
        if past_cols:
            out.append(finding("E006", "columns", sheet=sp.name, value=ref, limit=max_cols))
    return out


def _values_past(pkg: Package, part: str, head: bytes, max_row: int | None, max_col: int | None) -> tuple[bool, bool]:
    """Whether any cell holding a value lies below row `max_row` / right of column `max_col`.

    Streams the part in chunks (a chunk's tail is carried over so no tag is split) and stops at
    the first proof. A cell holds a value if it has a non-empty <v> or an inline string <is>.
    """
    root = _ROOT.search(head)
    prefix = (root.group(1) + b":") if root and root.group(1) else b""
    value = re.compile(b"<" + re.escape(prefix) + rb"(?:v(?:\s[^>]*)?>[^<]|is[\s>])")
    row_tag = re.compile(b"<" + re.escape(prefix) + rb"row(?=[\s>/])([^>]*)>")
    wide_cell = re.compile(b"<" + re.escape(prefix) + rb"c\s[^>]*?\br\s*=\s*[\"']([A-Z]{1,3})[0-9]+[\"'][^>]*?(/?)>")
    rows_past = cols_past = False
    rows_seen, tail = 0, b""
    with pkg.open(part) as fh:
        while chunk := fh.read(CHUNK):
            buf = tail + chunk if tail else chunk
            cut = max(buf.rfind(b"<"), 0) if len(chunk) == CHUNK else len(buf)   # keep a possibly split tag
            tail = buf[cut:]
            if max_row is not None and not rows_past:
                mark = _last_value(buf, cut, prefix, value)
                if mark >= 0:
                    at = buf.rfind(b"<" + prefix + b"row", 0, mark)
                    m = row_tag.match(buf, at, cut) if at >= 0 else None
                    r = _ATTR_R.search(m.group(1)) if m else None
                    number = int(r.group(1)) if r else rows_seen + _count_rows(buf, prefix, mark)
                    rows_past = number > max_row
                rows_seen += _count_rows(buf, prefix, cut)
            if max_col is not None and not cols_past:
                for m in wide_cell.finditer(buf, 0, cut):
                    if not m.group(2) and column_number(m.group(1).decode()) > max_col \
                            and value.search(buf, m.end(), buf.find(b"</", m.end(), cut) + 1 or cut):
                        cols_past = True
                        break
            if (rows_past or max_row is None) and (cols_past or max_col is None):
                break
    return rows_past, cols_past


def _last_value(body: bytes, stop: int, prefix: bytes, value: re.Pattern) -> int:
    """Where the last cell value in `body[:stop]` starts (a non-empty <v> or an inline string), or -1.

    Searched from the end (a real sheet's last tag is nearly always a value); a run of empty
    values falls back to one regex pass that only stops at non-empty ones.
    """
    best, tries = -1, 0
    for tag in (b"<" + prefix + b"v>", b"<" + prefix + b"v ", b"<" + prefix + b"is>", b"<" + prefix + b"is "):
        end = stop
        while (at := body.rfind(tag, 0, end)) > best:
            if value.match(body, at, stop):
                best = at
                break
            end, tries = at, tries + 1
            if tries > 8:
                for m in value.finditer(body, best + 1, stop):
                    best = m.start()
                return best
    return best


def _count_rows(body: bytes, prefix: bytes, end: int) -> int:
    return body.count(b"<" + prefix + b"row ", 0, end) + body.count(b"<" + prefix + b"row>", 0, end)
