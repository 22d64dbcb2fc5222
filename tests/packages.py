"""Odd-but-valid .xlsx packages, written part by part from a clean workbook.

Other spreadsheet tools, HR and MSP exporters write packages that Excel and calamine open but
that openpyxl never writes: `\\` in zip entry names, a lower-case `[content_types].xml`, the
workbook part elsewhere than `xl/workbook.xml`, an `x:` prefix on every SpreadsheetML element,
cells without `r=`, Strict Open XML namespaces, the 1904 date system. Each function here copies a
workbook written by `tests.workbooks` and changes only that, so the result must validate exactly
as its clean twin does. `replace_cell` writes one cell's XML by hand (a formula with a cached
error, an empty-string result, a cell Excel never calculated).
"""
from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree as ET

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT = {
    MAIN_NS: "http://purl.oclc.org/ooxml/spreadsheetml/main",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships":
        "http://purl.oclc.org/ooxml/officeDocument/relationships",
}


def rewrite(src: Path, dst: Path, edit: Callable[[str, bytes], tuple[str, bytes] | None]) -> Path:
    """Copy a package entry by entry; `edit(name, data)` returns the new (name, data) or None to drop it."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            out = edit(info.filename, zin.read(info))
            if out is not None:
                zout.writestr(out[0], out[1])
    return dst


def sheet_part(src: Path, sheet: str) -> str:
    """The worksheet part openpyxl wrote for a sheet (sheets are numbered in workbook order)."""
    with zipfile.ZipFile(src) as zf:
        names = re.findall(rb'<sheet [^>]*?name="([^"]*)"', zf.read("xl/workbook.xml"))
    return f"xl/worksheets/sheet{[n.decode() for n in names].index(sheet) + 1}.xml"


def replace_cell(src: Path, dst: Path, sheet: str, ref: str, xml: str) -> Path:
    """Write one cell's XML by hand (the cell must exist, as openpyxl wrote it)."""
    part = sheet_part(src, sheet)
    pattern = re.compile(rf'<c r="{ref}"(?:[^>]*/>|[^>]*>.*?</c>)'.encode())

    def edit(name, data):
        if name == part:
            data, n = pattern.subn(xml.encode(), data, count=1)
            assert n == 1, f"{sheet}!{ref} not found"
        return name, data
    return rewrite(src, dst, edit)


def backslash_names(src: Path, dst: Path) -> Path:
    """Zip entry names with `\\` separators, as some HR/MSP exporters write them."""
    return rewrite(src, dst, lambda name, data: (name.replace("/", "\\"), data))


def lower_case_content_types(src: Path, dst: Path) -> Path:
    return rewrite(src, dst, lambda name, data: (name.lower() if name == "[Content_Types].xml" else name, data))


def moved_workbook(src: Path, dst: Path, to: str = "book/main.xml") -> Path:
    """The workbook part somewhere else, found only through `_rels/.rels` (its relationships made absolute)."""
    folder, _, file = to.rpartition("/")

    def edit(name, data):
        if name == "xl/workbook.xml":
            return to, data
        if name == "xl/_rels/workbook.xml.rels":
            data = re.sub(rb'Target="(?!/)([^"]*)"', lambda m: b'Target="/xl/' + m.group(1) + b'"', data)
            return f"{folder}/_rels/{file}.rels", data
        if name in ("_rels/.rels", "[Content_Types].xml"):
            return name, data.replace(b"xl/workbook.xml", to.encode())
        return name, data
    return rewrite(src, dst, edit)


def _edit_sheets(src: Path, dst: Path, change: Callable[[ET.Element], None], prefix: str = "") -> Path:
    """Every worksheet parsed, changed and written again with its namespace under `prefix`."""
    ET.register_namespace(prefix, MAIN_NS)

    def edit(name, data):
        if name.startswith("xl/worksheets/sheet") and name.endswith(".xml"):
            root = ET.fromstring(data)
            change(root)
            data = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + ET.tostring(root)
        return name, data
    try:
        return rewrite(src, dst, edit)
    finally:
        ET.register_namespace("", MAIN_NS)


def prefixed(src: Path, dst: Path, prefix: str = "x") -> Path:
    """Every worksheet written with an `x:` namespace prefix, as the OpenXML SDK writes it."""
    return _edit_sheets(src, dst, lambda root: None, prefix)


def without_references(src: Path, dst: Path, rows_too: bool = False) -> Path:
    """Cells (and rows) without their optional `r=`: each follows the one before it.

    Blank cells are written out as empty `<c/>` elements so every cell keeps its column.
    """
    def change(root):
        for row in root.iter(f"{{{MAIN_NS}}}row"):
            cells = list(row)
            by_col = {_col(c.get("r")): c for c in cells if c.tag == f"{{{MAIN_NS}}}c"}
            for c in cells:
                row.remove(c)
            for n in range(1, max(by_col, default=0) + 1):
                c = by_col.get(n, ET.Element(f"{{{MAIN_NS}}}c"))
                c.attrib.pop("r", None)
                row.append(c)
            if rows_too:
                row.attrib.pop("r", None)
    return _edit_sheets(src, dst, change)


def strict(src: Path, dst: Path) -> Path:
    """Strict Open XML: the same parts under the ISO/IEC 29500 Strict namespaces."""
    def edit(name, data):
        if name.endswith((".xml", ".rels")):
            for old, new in STRICT.items():
                data = data.replace(old.encode(), new.encode())
        return name, data
    return rewrite(src, dst, edit)


def _col(ref: str) -> int:
    n = 0
    for ch in re.match(r"[A-Z]+", ref).group(0):
        n = n * 26 + ord(ch) - 64
    return n


def copy(src: Path, dst: Path) -> Path:
    return Path(shutil.copyfile(src, dst))


# name -> how to turn a clean workbook into the odd-but-valid one
ODD_PACKAGES: dict[str, Callable[[Path, Path], Path]] = {
    "backslash_names": backslash_names,
    "lower_case_content_types": lower_case_content_types,
    "moved_workbook": moved_workbook,
    "moved_workbook_root": lambda s, d: moved_workbook(s, d, "root/workbook.xml"),
    "x_prefix": prefixed,
    "other_prefix": lambda s, d: prefixed(s, d, "ss"),
    "cells_without_r": without_references,
    "rows_and_cells_without_r": lambda s, d: without_references(s, d, rows_too=True),
    "strict_open_xml": strict,
    "backslash_and_moved": lambda s, d: backslash_names(moved_workbook(s, d.with_suffix(".tmp.xlsx")), d),
}


def moved_folder(src: Path, dst: Path, folder: str = "data", strings: str = "text/strings.xml") -> Path:
    """Every part of xl/ under another folder and the shared strings under another name, each found
    only through the relationships (as some exporters write a package: OPC names no folder)."""
    def edit(name, data):
        if name == "xl/sharedStrings.xml":
            return f"{folder}/{strings}", data
        if name == "xl/_rels/workbook.xml.rels":
            data = data.replace(b'Target="sharedStrings.xml"', b'Target="' + strings.encode() + b'"')
            data = data.replace(b'Target="/xl/sharedStrings.xml"', b'Target="/' + f"{folder}/{strings}".encode() + b'"')
            data = data.replace(b'Target="/xl/', b'Target="/' + folder.encode() + b"/")
            return f"{folder}/_rels/workbook.xml.rels", data
        if name in ("_rels/.rels", "[Content_Types].xml"):
            data = data.replace(b"/xl/sharedStrings.xml", f"/{folder}/{strings}".encode())
            return name, data.replace(b"xl/", folder.encode() + b"/")
        if name.startswith("xl/"):
            return folder + name[2:], data
        return name, data
    return rewrite(src, dst, edit)
