"""An .xlsx package read the way the Open Packaging Conventions (ECMA-376 Part 2) define it.

Spreadsheet tools other than Excel write packages that Excel and calamine open but a reader that
expects Excel's own spelling refuses: zip entry names with `\\`, a lower-case
`[content_types].xml`, the workbook part somewhere other than `xl/workbook.xml`, an `x:` prefix
on every SpreadsheetML element, cells without their optional `r="A1"`. This module finds parts
the way the conventions say (part names are case-insensitive; the workbook is the target of the
package's officeDocument relationship) and reads the few facts the reader needs from the XML
that calamine does not give: the date system, formulas with no cached result and error values.
Transitional and Strict Open XML namespaces are both understood.
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache

from defusedxml.ElementTree import iterparse

from pipeline.core.contract import SHEETS, Sheet, column_letter, normalise_header

CONTENT_TYPES = "[content_types].xml"
PACKAGE_RELS = "_rels/.rels"
DEFAULT_WORKBOOK = "xl/workbook.xml"
MAIN_NAMESPACES = (b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                   b"http://purl.oclc.org/ooxml/spreadsheetml/main")
CALAMINE_ERRORS = ("#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!")   # others stop it
ERROR_VALUES = ("#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
                "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!")
_COPY_SUFFIX = re.compile(r"\s*\(\d+\)$")      # Excel's name for a copied sheet: 'Assignments (2)'


def part_name(name: str) -> str:
    """A zip entry name as an OPC part name for lookups: '/' separators, no leading '/', lower case."""
    return name.replace("\\", "/").lstrip("/").lower()


@dataclass
class SheetPart:
    """One sheet as the workbook lists it."""

    name: str
    part: str | None          # its zip entry name, as stored (None if its relationship is missing)
    visible: bool
    worksheet: bool = True    # False for chartsheets and dialog sheets


@dataclass
class Package:
    """The parts of an opened .xlsx zip, found by OPC part name."""

    zf: zipfile.ZipFile
    entries: dict[str, zipfile.ZipInfo] = field(default_factory=dict)
    _read: tuple[list[SheetPart], bool] | None = field(default=None, repr=False)
    _memo: dict = field(default_factory=dict, repr=False)     # the workbook part, relationships, percentage styles
    unpacked: dict[str, bytes] | None = field(default=None, repr=False)   # every part, once checked (see `handoff`)

    @classmethod
    def of(cls, zf: zipfile.ZipFile) -> Package:
        return cls(zf, {part_name(i.filename): i for i in zf.infolist() if not i.is_dir()})

    def has(self, name: str) -> bool:
        return part_name(name) in self.entries

    def entry(self, name: str) -> str | None:
        """The stored entry name of a part, however it is spelt in the zip."""
        info = self.entries.get(part_name(name))
        return info.filename if info else None

    def open(self, name: str):
        if self.unpacked is not None:
            return io.BytesIO(self.read(name))
        return self.zf.open(self.entries[part_name(name)])

    def read(self, name: str) -> bytes:
        return self._bytes(self.entries[part_name(name)])

    def _bytes(self, info: zipfile.ZipInfo) -> bytes:
        return self.unpacked[info.filename] if self.unpacked is not None else self.zf.read(info)

    def workbook_part(self) -> str | None:
        """The part the package's officeDocument relationship names (OPC §9.3), else xl/workbook.xml."""
        if "workbook" not in self._memo:
            self._memo["workbook"] = self._workbook_part()
        return self._memo["workbook"]

    def _workbook_part(self) -> str | None:
        if self.has(PACKAGE_RELS):
            for rel in self._relationships(PACKAGE_RELS):
                if rel.get("Type", "").endswith("/officeDocument"):
                    target = resolve("", rel.get("Target", ""))
                    return target if self.has(target) else None
        return DEFAULT_WORKBOOK if self.has(DEFAULT_WORKBOOK) else None

    def sheets(self) -> list[SheetPart]:
        """Every sheet in workbook order, its part found through the workbook's relationships."""
        return self._workbook()[0]

    def date1904(self) -> bool:
        """Whether the workbook counts date serials from 1904 (Excel for Mac's old default)."""
        return self._workbook()[1]

    def _workbook(self) -> tuple[list[SheetPart], bool]:
        """The workbook part read once: its sheets and its date system."""
        if self._read is None:
            self._read = self._read_workbook()
        return self._read

    def _read_workbook(self) -> tuple[list[SheetPart], bool]:
        workbook = self.workbook_part()
        if workbook is None:
            return [], False
        rels = rels_part(workbook)
        targets = {}
        if self.has(rels):
            targets = {r.get("Id"): (resolve(workbook, r.get("Target", "")), r.get("Type", ""))
                       for r in self._relationships(rels)}
        out, date1904 = [], False
        for el in _elements(self, workbook, ("sheet", "workbookPr")):
            if el.tag.endswith("workbookPr"):
                date1904 = el.get("date1904", "0").lower() in ("1", "true")
                continue
            target, kind = targets.get(_rel_id(el), (None, ""))
            out.append(SheetPart(el.get("name", ""), self.entry(target) if target else None,
                                 el.get("state", "visible") == "visible", kind.endswith("/worksheet") or not kind))
        return out, date1904

    def _relationships(self, part: str):
        return _elements(self, part, "Relationship")

    def related(self, source: str, kind: str) -> str | None:
        """The part `source` relates to by a relationship of this kind ('styles', 'sharedStrings'),
        found through its relationships wherever it lives; None if there is none."""
        rels = rels_part(source)
        if not self.has(rels):
            return None
        if ("rels", rels) not in self._memo:      # (type, target mode, target) of each, read once
            self._memo["rels", rels] = [(r.get("Type", "").rsplit("/", 1)[-1], r.get("TargetMode"), r.get("Target", ""))
                                        for r in self._relationships(rels)]
        for found, mode, target in self._memo["rels", rels]:
            if found == kind and mode != "External":
                target = resolve(source, target)
                return target if self.has(target) else None
        return None

    def percent_styles(self) -> frozenset[int]:
        """The cell styles (indexes into cellXfs) whose number format shows a percentage: the
        built-in formats 9 and 10 ('0%', '0.00%') and any custom format with a '%' outside quotes."""
        if "percent" not in self._memo:
            self._memo["percent"] = self._percent_styles()
        return self._memo["percent"]

    def _percent_styles(self) -> frozenset[int]:
        workbook = self.workbook_part()
        styles = self.related(workbook, "styles") if workbook else None
        if styles is None or not _MAY_BE_PERCENT.search(self.read(styles)):
            return frozenset()
        custom, out = set(), set()
        for el in _elements(self, styles, ("numFmt", "cellXfs")):    # numFmts come before cellXfs
            if el.tag.endswith("numFmt"):
                if "%" in re.sub(r'"[^"]*"|\\.', "", el.get("formatCode", "")):
                    custom.add(el.get("numFmtId"))
                continue
            xfs = [x for x in el if x.tag.rpartition("}")[2] == "xf"]
            out |= {i for i, xf in enumerate(xfs) if xf.get("numFmtId") in ("9", "10") or xf.get("numFmtId") in custom}
        return frozenset(out)

    def for_calamine(self, path, replace: dict[str, bytes] | None = None) -> object:
        """The file calamine can open: the path itself, or, when the workbook part, its shared
        strings or its styles are not where calamine looks for them, a copy in memory with the
        workbook and its relationships moved to xl/workbook.xml and those parts to their usual names,
        every relationship target made absolute (so nothing else moves) and the content types following.

        `replace` gives new contents for some parts (see `calamine_safe`). The copy holds every
        part unpacked once; the guard has already bounded their total size.
        """
        workbook = self.workbook_part()
        replace = {part_name(k): v for k, v in (replace or {}).items()}
        moves = {}                 # the workbook's parts calamine looks for at fixed names, where they are not
        for kind, standard in _FIXED_PARTS if workbook else ():
            found = self.related(workbook, kind)
            if found and found != standard and not self.has(standard):
                moves[found] = standard
        if workbook is None or (workbook == DEFAULT_WORKBOOK and not replace and not moves):
            return str(path)
        moves[workbook] = DEFAULT_WORKBOOK
        rels = rels_part(workbook)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
            for key, info in self.entries.items():
                data = replace[key] if key in replace else self._bytes(info)
                if key in moves:
                    dst.writestr(moves[key], data)
                elif key == rels:
                    dst.writestr(rels_part(DEFAULT_WORKBOOK), _moved(_absolute_targets(data, workbook), moves, b"Target"))
                elif key in (CONTENT_TYPES, PACKAGE_RELS):     # both name the workbook part, the types every moved one
                    dst.writestr("[Content_Types].xml" if key == CONTENT_TYPES else PACKAGE_RELS,
                                 _moved(data, moves, b"PartName|Target"))
                else:
                    dst.writestr(info.filename.replace("\\", "/").lstrip("/"), data)
        out.seek(0)
        return out


_MAY_BE_PERCENT = re.compile(rb"""%|numFmtId\s*=\s*["'](?:9|10)["']""")   # a styles part that may hold one
# Parts calamine reads from a fixed name, not through the workbook's relationships.
_FIXED_PARTS = (("sharedStrings", "xl/sharedStrings.xml"), ("styles", "xl/styles.xml"))


def _moved(data: bytes, moves: dict[str, str], attributes: bytes) -> bytes:
    """Part names in `attributes` ('PartName|Target') rewritten where `moves` moves the part."""
    for old, new in moves.items():
        named = re.compile(rb'(' + attributes + rb')="/?' + re.escape(old.encode()) + b'"', re.IGNORECASE)
        data = named.sub(rb'\1="/' + new.encode() + b'"', data)
    return data


def rels_part(part: str) -> str:
    """The relationships part of a part: 'xl/workbook.xml' -> 'xl/_rels/workbook.xml.rels'."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve(source: str, target: str) -> str:
    """A relationship target as a part name, relative to the part that holds the relationship."""
    target = target.replace("\\", "/")
    if target.startswith("/"):
        return part_name(target)
    return part_name(posixpath.normpath(posixpath.join(posixpath.dirname(source), target)))


def _absolute_targets(rels: bytes, source: str) -> bytes:
    """Relationship targets rewritten as absolute part names, so the part can move."""
    def absolute(m: re.Match) -> bytes:
        target = m.group(2).decode()
        if "://" in target:
            return m.group(0)
        return m.group(1) + ("/" + resolve(source, target)).encode() + m.group(3)
    return re.sub(rb'(\bTarget\s*=\s*["\'])([^"\']*)(["\'])', absolute, rels)


def _rel_id(el) -> str | None:
    """The r:id attribute, whether the workbook uses transitional or Strict OOXML namespaces."""
    return next((v for k, v in el.attrib.items() if k.endswith("}id")), None)


def _elements(pkg: Package, part: str, local: str | tuple[str, ...]):
    """Elements with this local name (or these names), streamed (entities and external references refused)."""
    names = (local,) if isinstance(local, str) else local
    with pkg.open(part) as fh:
        for _, el in iterparse(fh):
            if el.tag.rpartition("}")[2] in names:
                yield el


# --- which workbook sheet is which contract sheet --------------------------------------------------

@dataclass
class SheetChoice:
    """Contract sheet name -> the workbook sheet read for it; and sheets that could not be told apart."""

    chosen: dict[str, str] = field(default_factory=dict)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)   # contract sheet -> visible candidates


def choose_sheets(sheets: list[SheetPart]) -> SheetChoice:
    """Match workbook sheets to contract sheets by name, alias, or a copy's name ('Assignments (2)').

    A hidden sheet never wins over a visible one (a hidden stale copy is not the return). Among
    visible candidates an exact name wins; two visible candidates of the same rank cannot be told
    apart, so neither is read (E008). Among hidden candidates only, the exact name wins.
    Source: data-contract §3 E008.
    """
    candidates: dict[str, list[tuple[tuple[bool, int], str]]] = {}
    for sp in sheets:
        if not sp.worksheet:
            continue
        norm = normalise_header(sp.name)
        base = normalise_header(_COPY_SUFFIX.sub("", sp.name))
        for sheet, names in _contract_names():
            if norm in names:
                rank = 2 if norm == names[0] else 1
            elif base in names:
                rank = 0
            else:
                continue
            candidates.setdefault(sheet.name, []).append(((sp.visible, rank), sp.name))
            break
    out = SheetChoice()
    for contract, found in candidates.items():
        visible = [name for (vis, _), name in found if vis]
        if len(visible) > 1 and not _one_exact(found):
            out.ambiguous[contract] = visible
            continue
        out.chosen[contract] = max(found, key=lambda c: c[0])[1]
    return out


@lru_cache(maxsize=1)
def _contract_names() -> tuple[tuple[Sheet, list[str]], ...]:
    """Each contract sheet with its normalised name first, then its aliases'."""
    return tuple((sheet, [normalise_header(sheet.name)] + [normalise_header(a) for a in sheet.aliases]) for sheet in SHEETS)


def _one_exact(found) -> bool:
    """Exactly one visible sheet carries the contract name itself (the others are aliases or copies)?

    Only an untouched template sheet next to a renamed one is told apart this way; an edited
    copy ('Assignments (2)') beside a visible original is ambiguous, as the contract says.
    """
    visible = [rank for (vis, rank), _ in found if vis]
    return visible.count(2) == 1 and 0 not in visible


# --- what calamine does not say about a sheet's cells ----------------------------------------------

@dataclass
class CellFacts:
    """Cells of one worksheet that calamine reads as blank but are not: (column letter, row) keys."""

    uncalculated: list[tuple[str, int]] = field(default_factory=list)    # a formula with no cached result
    errors: dict[tuple[str, int], str] = field(default_factory=dict)     # an Excel error value, e.g. '#N/A'
    percent: set[tuple[str, int]] = field(default_factory=set)           # a cell formatted as a percentage


_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet\b([^>]*)>")
# Any spelling of t="e" (t='e', t = "e"; also ht="e", which the close look then passes over): one regex
# pass, which its literal first character keeps fast (a leading \b would cost seven times as much).
_ERROR_TYPE = re.compile(rb"""t\s*=\s*["']e["']""")
_XMLNS = re.compile(rb"""\bxmlns(?::([A-Za-z_][\w.-]*))?\s*=\s*(["'])(.*?)\2""")
_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(["'])(.*?)\2""", re.S)
_REF = re.compile(r"([A-Z]{1,3})([0-9]+)$")


def cell_facts(data: bytes, percent_styles: frozenset[int] = frozenset()) -> CellFacts:
    """Uncalculated formulas, error values and (given the workbook's `percent_styles`,
    `Package.percent_styles`) cells formatted as a percentage in a worksheet part's XML.

    The prefix of the SpreadsheetML namespace is read from the root element, so `<c>` and `<x:c>`
    are the same; a cell without `r=` takes the column after the previous cell and a row without
    `r=` the row after the previous row (ECMA-376 §18.3.1.4, §18.3.1.73). Only cells holding a
    formula or an error are looked at closely: a sheet with neither costs one byte search each.
    A formula whose cached result is the empty string (`t="str"` with `<v/>` or `<v></v>`) is a
    blank cell, not an uncalculated one.
    """
    facts = CellFacts()
    root = _ROOT.search(data)
    if root is None:
        return facts
    prefix = _main_prefix(root.group(2))
    if prefix is None:
        return facts
    p = prefix + b":" if prefix else b""
    start = data.find(b"<" + p + b"sheetData", root.end())
    if start < 0:
        return facts
    end = data.rfind(b"</" + p + b"sheetData", start)
    end = len(data) if end < 0 else end
    percent = _percent_cells(data, start, end, p, percent_styles) if percent_styles else set()
    if data.find(b"<" + p + b"f", start, end) < 0 and _ERROR_TYPE.search(data, start, end) is None:
        facts.percent = percent
        return facts
    # Cells holding a formula or an error are found from those markers; only if one of them has no
    # `r=` must every row and cell before it be counted.
    facts = _scan(data, start, end, p, counted=False) or _scan(data, start, end, p, counted=True)
    facts.percent = percent
    return facts


def _percent_cells(data: bytes, start: int, end: int, p: bytes, styles: frozenset[int]) -> set[tuple[str, int]]:
    """The cells (column letters, row) whose style is one of `styles`, by their `r=` (a cell
    without one is not found: Excel and LibreOffice always write it on a styled cell)."""
    wanted = b"|".join(str(i).encode() for i in sorted(styles))
    cell = re.compile(b"<" + re.escape(p) + rb"c\s[^>]*?\bs\s*=\s*[\"'](?:" + wanted + rb")[\"'][^>]*>")
    out = set()
    for m in cell.finditer(data, start, end):
        ref = re.search(rb"""\br\s*=\s*["']([A-Z]{1,3})([0-9]+)["']""", m.group(0))
        if ref:
            out.add((ref.group(1).decode(), int(ref.group(2))))
    return out


def _scan(data: bytes, start: int, end: int, p: bytes, counted: bool) -> CellFacts | None:
    """The formula and error cells of sheetData; None if not `counted` and one lacks its `r=`."""
    facts = CellFacts()
    formula = b"<" + p + b"f"
    cell = re.compile(b"<" + re.escape(p) + rb"c(?=[\s/>])([^>]*?)(/?)>")
    row_tag = re.compile(b"<" + re.escape(p) + rb"row(?=[\s/>])([^>]*?)(/?)>")
    close_cell = b"</" + p + b"c>"
    value_tag = re.compile(b"<" + re.escape(p) + rb"v(?=[\s/>])[^>]*?(/?)>")
    inline = b"<" + p + b"is"
    row, col, next_row = 0, 0, 0
    rows = list(row_tag.finditer(data, start, end)) if counted else []
    for m in cell.finditer(data, start, end) if counted else _candidate_cells(data, start, end, p, cell):
        attrs = dict((k, v) for k, _, v in _ATTR.findall(m.group(1)))
        while next_row < len(rows) and rows[next_row].start() < m.start():
            ra = dict((k, v) for k, _, v in _ATTR.findall(rows[next_row].group(1)))
            row, col, next_row = (int(ra[b"r"]) if b"r" in ra else row + 1), 0, next_row + 1
        ref = attrs.get(b"r")
        if ref is not None and (found := _REF.match(ref.decode("ascii", "replace"))):
            letters, row = found.group(1), int(found.group(2))
            col = column_number(letters)
        elif not counted:
            return None
        else:
            col += 1
            letters = column_letter(col - 1)
        if m.group(2):                                  # <c .../>: no formula, no value
            continue
        body_end = data.find(close_cell, m.end(), end)
        body = data[m.end():body_end if body_end >= 0 else end]
        kind = attrs.get(b"t", b"n")
        if kind == b"e":
            v = value_tag.search(body)
            text = body[v.end():body.find(b"<", v.end())].decode("utf-8", "replace").strip() if v and not v.group(1) else ""
            facts.errors[(letters, row)] = text or "#N/A"
        elif formula in body:
            v = value_tag.search(body)
            has_value = v is not None and (kind == b"str" or not v.group(1) and body[v.end():v.end() + 1] != b"<")
            if not has_value and inline not in body:
                facts.uncalculated.append((letters, row))
    return facts


def calamine_safe(data: bytes) -> bytes:
    """A worksheet with newer error values (`#SPILL!`, `#CALC!`...) written as text cells.

    Calamine refuses a whole sheet that holds an error it does not know; as text the cell still
    reads as its error value, which the reader reports as E112.
    """
    return _NEWER_ERROR.sub(rb't="str"', data)


_NEWER_ERROR = re.compile(rb"""\bt\s*=\s*(["'])e\1(?=[^>]*>(?:(?!</?(?:[\w.-]+:)?c[\s>/]).){0,4000}?"""
                          rb"""<(?:[\w.-]+:)?v>(?!""" + b"|".join(re.escape(e.encode()) for e in CALAMINE_ERRORS)
                          + rb""")#)""", re.S)


def _candidate_cells(data: bytes, start: int, end: int, p: bytes, cell: re.Pattern):
    """The cells that hold a formula or an error, found from those markers back to their start tag."""
    marks = re.compile(b"<" + re.escape(p) + rb"f(?=[\s/>])|" + rb"""\bt\s*=\s*["']e["']""")
    seen = -1
    open_tag = b"<" + p + b"c"
    for mark in marks.finditer(data, start, end):
        at = mark.start()
        while True:
            at = data.rfind(open_tag, start, at)
            if at < 0 or data[at + len(open_tag):at + len(open_tag) + 1] in (b" ", b"\t", b"\n", b"\r", b">", b"/"):
                break
        if at < 0 or at <= seen:
            continue
        m = cell.match(data, at, end)
        if m:
            seen = at
            yield m


def _main_prefix(root_attrs: bytes) -> bytes | None:
    """The prefix bound to the SpreadsheetML main namespace (b'' if it is the default namespace)."""
    for m in _XMLNS.finditer(root_attrs):
        if m.group(3) in MAIN_NAMESPACES:
            return m.group(1) or b""
    return None


def column_number(letters: str) -> int:
    """Excel column letters -> 1-based number (A -> 1, XFD -> 16384)."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


# --- what a worksheet holds that decides how it can be read -----------------------------------------

_BOOLEAN_TYPE = re.compile(rb"""t\s*=\s*["']b["']""")     # (as _ERROR_TYPE)
_NUMBER = re.compile(rb"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def plain_grid(data: bytes) -> bool:
    """Whether a worksheet's grid reads the same through fastexcel and python-calamine: its first
    cell is A1 and holds a value (so both grids start at A1), and no cells are merged (the reader
    fills merged areas down, from python-calamine's list of them). Found from the first cell and
    the part after the cells, so a large sheet costs next to nothing."""
    root = _ROOT.search(data)
    prefix = _main_prefix(root.group(2)) if root else None
    if prefix is None:
        return False
    p = prefix + b":" if prefix else b""
    start = data.find(b"<" + p + b"sheetData", root.end())
    first = re.compile(b"<" + re.escape(p) + rb"c(?=[\s/>])([^>]*?)(/?)>").search(data, start) if start >= 0 else None
    if first is None or first.group(2) or dict((k, v) for k, _, v in _ATTR.findall(first.group(1))).get(b"r") != b"A1":
        return False
    body = data[first.end():data.find(b"</" + p + b"c>", first.end())]
    if not (re.search(b"<" + re.escape(p) + rb"v>[^<]", body) or b"<" + p + b"is" in body):
        return False
    end = data.rfind(b"</" + p + b"sheetData", start)
    return end >= 0 and data.find(b"<" + p + b"mergeCell", end) < 0


def values_held(data: bytes) -> int:
    """How many cells of a worksheet hold a value: the closing tags of values and inline strings
    in its sheetData (`</v>`, `</is>`; an empty `<v/>` holds none). Two byte counts."""
    root = _ROOT.search(data)
    prefix = _main_prefix(root.group(2)) if root else None
    if prefix is None:
        return -1
    p = prefix + b":" if prefix else b""
    start = data.find(b"<" + p + b"sheetData", root.end())
    end = data.rfind(b"</" + p + b"sheetData", start) if start >= 0 else -1
    if end < 0:
        return -1
    return data.count(b"</" + p + b"v>", start, end) + data.count(b"</" + p + b"is>", start, end)


def has_booleans(data: bytes) -> bool:
    """Whether any cell of a worksheet may be a Boolean (`t="b"` in any spelling): one regex pass."""
    return _BOOLEAN_TYPE.search(data) is not None


def column_cells(data: bytes, columns: list[str]) -> dict[str, dict[int, float | None]]:
    """The cells of some columns (by letters) written in the usual form (`<c r="AD7" ...><v>2</v></c>`,
    with an optional formula), by column and Excel row: the number of a number cell, None for a
    cell of another kind (shared or formula text, an error). Cells in other forms, and numbers
    written other than as plain decimals, are left out: a caller must treat a row it does not find
    as unknown. One regex pass for all the columns (each pass over a 50k-row sheet costs ~0.1 s)."""
    out: dict[str, dict[int, float | None]] = {letters: {} for letters in columns}
    root = _ROOT.search(data)
    prefix = _main_prefix(root.group(2)) if root else None
    if prefix is None or not columns:
        return out
    p = re.escape(prefix + b":" if prefix else b"")
    wanted = b"|".join(letters.encode("ascii") for letters in columns)
    cell = re.compile(b"<" + p + b'c r="(' + wanted + rb')([0-9]+)"([^>]*)>'
                      + b"(?:<" + p + rb"f\b[^>]*>[^<]*</" + p + b"f>|<" + p + rb"f\b[^>]*/>)?"
                      + b"<" + p + rb"v>([^<]*)</" + p + b"v>")
    by_letters = {letters.encode("ascii"): found for letters, found in out.items()}
    number = _NUMBER.fullmatch
    for letters, row, attrs, value in cell.findall(data):
        found = by_letters[letters]
        if b"t" in attrs and dict((k, v) for k, _, v in _ATTR.findall(attrs)).get(b"t", b"n") != b"n":
            found[int(row)] = None
        elif number(value):                     # read as Python and calamine (Rust) both read it: correctly rounded
            found[int(row)] = float(value)
    return out
