"""A corpus of broken and hostile uploads, each a file a council or an attacker could really produce.

`build(directory)` writes them all (about a second, a few MB) and returns {name: path}; each
builder can also be called alone. Zip bombs are built without ever holding their unpacked size:
one declares a huge size in its headers, one streams repetitive bytes through zipfile.
"""
from __future__ import annotations

import random
import struct
import zipfile
import zlib
from functools import lru_cache
from io import BytesIO
from pathlib import Path

import xlsxwriter

from pipeline.core.config import DATA_DIR

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_HEAD = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
BILLION_LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1 or "") + ";") * 10}">'.encode() for i in range(1, 10))
                  + f']>\n<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'.encode())


# --- building blocks ---------------------------------------------------------------------------

def _column(n: int) -> str:
    letters = ""
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def _sheet_xml(rows, dimension: str | None = None, prolog: bytes = XML_HEAD):
    """A worksheet part as a stream of byte chunks, so a million rows never sit in memory twice."""
    yield prolog + f'<worksheet xmlns="{MAIN_NS}">'.encode()
    if dimension:
        yield f'<dimension ref="{dimension}"/>'.encode()
    yield b"<sheetData>"
    yield from rows
    yield b"</sheetData></worksheet>"


def _cells(values: list[list]) -> list[bytes]:
    out = []
    for r, row in enumerate(values, 1):
        cells = "".join(f'<c r="{_column(c)}{r}" t="inlineStr"><is><t>{v}</t></is></c>' if isinstance(v, str)
                        else f'<c r="{_column(c)}{r}"><v>{v}</v></c>' for c, v in enumerate(row, 1))
        out.append(f'<row r="{r}">{cells}</row>'.encode())
    return out


def _workbook(path: Path, sheets: dict, extra: dict | None = None, level: int = 6) -> Path:
    """A minimal .xlsx written part by part, as other systems' exporters do; sheet bodies may stream."""
    extra = extra or {}
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(1, len(sheets) + 1))
    if "xl/sharedStrings.xml" in extra:
        overrides += ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                      'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
    parts = {
        "[Content_Types].xml": XML_HEAD + (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            f'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{overrides}</Types>').encode(),
        "_rels/.rels": XML_HEAD + (
            f'<Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" Type="{REL_NS}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>').encode(),
        "xl/workbook.xml": XML_HEAD + (
            f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>'
            + "".join(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>' for i, name in enumerate(sheets, 1))
            + "</sheets></workbook>").encode(),
        "xl/_rels/workbook.xml.rels": XML_HEAD + (
            f'<Relationships xmlns="{PKG_REL_NS}">'
            + "".join(f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                      for i in range(1, len(sheets) + 1))
            + (f'<Relationship Id="rIdS" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'
               if "xl/sharedStrings.xml" in extra else "") + "</Relationships>").encode(),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
        for i, body in enumerate(sheets.values(), 1):
            with zf.open(f"xl/worksheets/sheet{i}.xml", "w", force_zip64=True) as fh:
                for chunk in body:
                    fh.write(chunk)
        for name, data in extra.items():
            zf.writestr(name, data)
    return path


def _zip(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data, zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED)
    return path


def _png(width: int, height: int, seed: int = 1) -> bytes:
    """A real PNG of noise: incompressible, so its size on disk is predictable."""
    raw = random.Random(seed).randbytes(width * height * 3)
    rows = b"".join(b"\x00" + raw[y * width * 3:(y + 1) * width * 3] for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b""))


def _cfb(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE compound file (the container of .xls and of password-encrypted .xlsx).

    512-byte sectors: header, one FAT sector, one directory sector (root + up to three streams),
    then each stream padded to whole sectors (at least 4096 bytes, so no mini stream is needed).
    """
    free, end, fat_sect, nostream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    fat, data, entries = [fat_sect, end], b"", []
    for i, (name, body) in enumerate(streams.items(), 1):
        body = body.ljust(max(4096, -(-len(body) // 512) * 512), b"\x00")
        start, count = len(fat), len(body) // 512
        fat += list(range(start + 1, start + count)) + [end]
        data += body
        right = i + 1 if i < len(streams) else nostream
        entries.append((name, 2, nostream, right, nostream, start, len(body)))
    entries.insert(0, ("Root Entry", 5, nostream, nostream, 1, end, 0))

    def entry(name, kind, left, right, child, start, size) -> bytes:
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        return (encoded.ljust(64, b"\x00") + struct.pack("<HBB3I", len(encoded), kind, 1, left, right, child)
                + bytes(16 + 4 + 16) + struct.pack("<IQ", start, size))
    directory = b"".join(entry(*e) for e in entries).ljust(512, b"\x00")
    header = (bytes.fromhex("D0CF11E0A1B11AE1") + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
              + struct.pack("<109I", 0, *[free] * 108))
    fat_sector = struct.pack(f"<{128}I", *(fat + [free] * (128 - len(fat))))
    return header + fat_sector + directory + data


def _declare_size(path: Path, part: str, size: int) -> Path:
    """Rewrite a part's unpacked size in its local header and central directory: a lying-header bomb."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        offset, start_dir = zf.getinfo(part).header_offset, zf.start_dir
    struct.pack_into("<I", data, offset + 22, size)
    central = data.index(part.encode(), start_dir) - 46
    struct.pack_into("<I", data, central + 24, size)
    path.write_bytes(bytes(data))
    return path


@lru_cache(maxsize=1)
def _million_rows() -> tuple[bytes, ...]:
    """1,000,001 one-cell rows in 10,000-row chunks, shared by the two million-row files.

    Cells without their optional r="A1" reference (as some exporters write) keep the files ~2.5 MB.
    """
    n = 1_000_001
    return tuple("".join(f'<row r="{r}"><c><v>1</v></c></row>' for r in range(lo, min(lo + 10_000, n + 1)))
                 .encode() for lo in range(1, n + 1, 10_000))


# --- the corpus --------------------------------------------------------------------------------

def normal(d: Path) -> Path:
    """An ordinary small return written by xlsxwriter, as the template would be: the guard passes it."""
    path = d / "normal.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        ret = wb.add_worksheet("Return")
        for r, (k, v) in enumerate([("LA code", "202"), ("LA name", "Camden"), ("Quarter", "2025-Q1")]):
            ret.write_row(r, 0, [k, v])
        ws = wb.add_worksheet("Assignments")
        ws.write_row(0, 0, ["Assignment reference", "SWE registration number", "Hourly pay rate"])
        ws.write_row(1, 0, ["A1", "SW123456", 38.5])
        ws.write_row(2, 0, ["A2", "SW654321", 41.0])
    return path


def empty(d: Path) -> Path:
    """A 0-byte file: an upload or download that failed."""
    path = d / "empty.xlsx"
    path.write_bytes(b"")
    return path


def corrupt_bytes(d: Path) -> Path:
    """Random bytes with an .xlsx name (disk or transfer damage)."""
    path = d / "corrupt_bytes.xlsx"
    path.write_bytes(random.Random(7).randbytes(4096))
    return path


def truncated(d: Path) -> Path:
    """A real workbook cut off two-thirds of the way through (an interrupted upload or copy)."""
    data = normal(d).read_bytes()
    path = d / "truncated.xlsx"
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


def damaged_crc(d: Path) -> Path:
    """A real workbook with one byte of a sheet's packed data flipped: its CRC no longer matches."""
    path = d / "damaged_crc.xlsx"
    data = bytearray(normal(d).read_bytes())
    with zipfile.ZipFile(BytesIO(data)) as zf:
        info = zf.getinfo("xl/worksheets/sheet2.xml")
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    data[info.header_offset + 30 + name_len + extra_len + info.compress_size // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def legacy_xls(d: Path) -> Path:
    """An Excel 97-2003 workbook (a 'Workbook' stream in a compound file) renamed to .xlsx."""
    path = d / "legacy_xls.xlsx"
    path.write_bytes(_cfb({"Workbook": b"\x09\x08\x10\x00\x00\x06\x05\x00" + bytes(600)}))
    return path


def password_xls(d: Path) -> Path:
    """An Excel 97-2003 workbook saved with a password: its workbook stream's BOF record is followed
    by a FILEPASS record (RC4 encryption header)."""
    path = d / "password_xls.xlsx"
    bof = b"\x09\x08\x10\x00" + b"\x00\x06\x05\x00" + bytes(12)
    filepass = b"\x2f\x00\x36\x00" + b"\x01\x00\x01\x00\x01\x00" + random.Random(5).randbytes(48)
    path.write_bytes(_cfb({"Workbook": bof + filepass + bytes(600)}))
    return path


def password(d: Path) -> Path:
    """An .xlsx saved with File > Info > Protect Workbook > Encrypt with Password: Excel wraps the
    encrypted package in a compound file with EncryptionInfo and EncryptedPackage streams."""
    path = d / "password.xlsx"
    info = b"\x04\x00\x04\x00\x40\x00\x00\x00" + b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<encryption/>'
    package = struct.pack("<Q", 6000) + random.Random(3).randbytes(6000)
    path.write_bytes(_cfb({"EncryptionInfo": info, "EncryptedPackage": package}))
    return path


def csv_renamed(d: Path) -> Path:
    """Excel's 'CSV UTF-8' output (with its byte-order mark) renamed to .xlsx."""
    path = d / "csv_renamed.xlsx"
    path.write_bytes("\ufeffAssignment reference,SWE registration number,Hourly pay rate\r\n"
                     "A1,SW123456,£38.50\r\nA2,SW654321,£41.00\r\n".encode("utf-8"))
    return path


def html_export(d: Path) -> Path:
    """A case-management system's 'Export to Excel': an HTML table saved with an .xlsx name."""
    path = d / "html_export.xlsx"
    path.write_text('<html xmlns:o="urn:schemas-microsoft-com:office:office" '
                    'xmlns:x="urn:schemas-microsoft-com:office:excel"><head><meta charset="utf-8">'
                    "<!--[if gte mso 9]><xml><x:ExcelWorkbook></x:ExcelWorkbook></xml><![endif]--></head>"
                    "<body><table><tr><th>Assignment reference</th><th>Hourly pay rate</th></tr>"
                    "<tr><td>A1</td><td>38.50</td></tr></table></body></html>", encoding="utf-8")
    return path


def pdf(d: Path) -> Path:
    """A printed-to-PDF return renamed to .xlsx."""
    path = d / "pdf.xlsx"
    path.write_bytes(b"%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>"
                     b"endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    return path


def image(d: Path) -> Path:
    """A screenshot of the return saved with an .xlsx name."""
    path = d / "image.xlsx"
    path.write_bytes(_png(16, 16))
    return path


def docx(d: Path) -> Path:
    """A Word document (the covering letter) uploaded instead of the workbook."""
    return _zip(d / "docx.xlsx", {
        "[Content_Types].xml": XML_HEAD + b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "_rels/.rels": XML_HEAD + f'<Relationships xmlns="{PKG_REL_NS}"/>'.encode(),
        "word/document.xml": XML_HEAD + b'<w:document xmlns:w="http://schemas.openxmlformats.org/'
                                        b'wordprocessingml/2006/main"><w:body/></w:document>'})


def ods(d: Path) -> Path:
    """A LibreOffice / Google Sheets OpenDocument spreadsheet renamed to .xlsx."""
    return _zip(d / "ods.xlsx", {
        "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
        "content.xml": XML_HEAD + b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:'
                                  b'xmlns:office:1.0"/>',
        "META-INF/manifest.xml": XML_HEAD + b"<manifest/>"})


def xlsb(d: Path) -> Path:
    """An Excel Binary Workbook (.xlsb) renamed to .xlsx."""
    return _zip(d / "xlsb.xlsx", {
        "[Content_Types].xml": XML_HEAD + b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "_rels/.rels": XML_HEAD + f'<Relationships xmlns="{PKG_REL_NS}"/>'.encode(),
        "xl/workbook.bin": b"\x83\x01\x00\x80\x01\x00", "xl/worksheets/sheet1.bin": b"\x81\x01\x00"})


def plain_zip(d: Path) -> Path:
    """The return's sheets exported as CSVs and zipped, with an .xlsx name."""
    return _zip(d / "plain_zip.xlsx", {"Return.csv": b"LA code,202\r\n", "Assignments.csv": b"Assignment reference\r\nA1\r\n"})


def no_sheets(d: Path) -> Path:
    """A workbook whose sheet list is empty (a hand-rolled exporter; Excel always keeps one sheet)."""
    return _workbook(d / "no_sheets.xlsx", {})


def zip_bomb(d: Path) -> Path:
    """A sheet whose headers declare 1 GiB unpacked: readers that trust the size allocate it."""
    path = _workbook(d / "zip_bomb.xlsx", {"Assignments": _sheet_xml([b" " * (1 << 20)])})
    return _declare_size(path, "xl/worksheets/sheet1.xml", 1 << 30)


def ratio_bomb(d: Path) -> Path:
    """A sheet that really unpacks to 20 MiB of padding from ~20 KB: over the compression ratio limit."""
    return _workbook(d / "ratio_bomb.xlsx", {"Assignments": _sheet_xml([b" " * (1 << 20)] * 20)}, level=9)


def many_parts(d: Path) -> Path:
    """A workbook padded with 10,001 tiny parts: each costs a parser an object and a lookup."""
    return _workbook(d / "many_parts.xlsx", {"Assignments": _sheet_xml(_cells([["A1"]]), "A1")},
                     {f"customXml/item{i}.xml": b"<a/>" for i in range(10_001)}, level=1)


def billion_laughs(d: Path) -> Path:
    """Nested entities in sharedStrings.xml that expand to 10^9 'lol's in a naive XML parser."""
    return _workbook(d / "billion_laughs.xlsx",
                     {"Assignments": _sheet_xml([b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'], "A1")},
                     {"xl/sharedStrings.xml": BILLION_LAUGHS})


def xxe(d: Path) -> Path:
    """A sheet whose cell is an external entity: a naive parser inlines /etc/passwd into the data."""
    prolog = XML_HEAD + b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    rows = [b'<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>']
    return _workbook(d / "xxe.xlsx", {"Assignments": _sheet_xml(rows, "A1", prolog)})


def xxe_utf16(d: Path) -> Path:
    """The same external entity in a UTF-16 sheet part, which a byte search for ASCII would miss."""
    text = ('<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c>'
            "</row></sheetData></worksheet>")
    return _workbook(d / "xxe_utf16.xlsx", {"Assignments": [text.encode("utf-16")]})


def million_rows(d: Path) -> Path:
    """An Assignments sheet of 1,000,001 rows with a correct <dimension> (a whole-column paste)."""
    return _workbook(d / "million_rows.xlsx", {"Assignments": _sheet_xml(_million_rows(), "A1:A1000001")}, level=1)


def million_rows_no_dimension(d: Path) -> Path:
    """The same rows without a <dimension>, as some exporters write: only the reader can count them."""
    return _workbook(d / "million_rows_no_dimension.xlsx", {"Assignments": _sheet_xml(_million_rows())}, level=1)


def wide_sheet(d: Path) -> Path:
    """An Assignments sheet 300 columns wide (an MSP extract pasted whole)."""
    return _workbook(d / "wide_sheet.xlsx", {"Assignments": _sheet_xml(_cells([[f"h{c}" for c in range(300)]]),
                                                                       f"A1:{_column(300)}1")})


def oversize(d: Path) -> Path:
    """A real workbook with a 1.5 MB photo on it: over the limit from `small_file_limit`, fine otherwise."""
    path = d / "oversize.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet("Return")
        ws.write_row(0, 0, ["LA code", "202"])
        ws.insert_image("D2", "photo.png", {"image_data": BytesIO(_png(700, 700))})
    return path


def small_file_limit(d: Path, mb: int = 1) -> Path:
    """A copy of thresholds.toml with max_file_mb = mb, for AGENCY_RETURN_THRESHOLDS."""
    text = (DATA_DIR / "thresholds.toml").read_text(encoding="utf-8")
    head, _, rest = text.partition("[max_file_mb]\nvalue = ")
    path = d / "thresholds_small_file.toml"
    path.write_text(f"{head}[max_file_mb]\nvalue = {mb}\n{rest.partition(chr(10))[2]}", encoding="utf-8")
    return path


BUILDERS = [normal, empty, corrupt_bytes, truncated, damaged_crc, legacy_xls, password_xls, password, csv_renamed, html_export,
            pdf, image, docx, ods, xlsb, plain_zip, no_sheets, zip_bomb, ratio_bomb, many_parts, billion_laughs,
            xxe, xxe_utf16, million_rows, million_rows_no_dimension, wide_sheet, oversize]


def build(directory) -> dict[str, Path]:
    """Write the whole corpus into `directory`; {builder name: path}."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return {b.__name__: b(directory) for b in BUILDERS}
