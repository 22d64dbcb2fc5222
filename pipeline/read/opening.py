"""Opening a workbook to read: which sheet is which contract sheet, the facts of their XML that
calamine does not give (date system, error values, formulas never calculated, percentage formats), and what calamine
opens (the file, or a copy it can read)."""
from __future__ import annotations

import zipfile
from dataclasses import dataclass, field

import python_calamine

from pipeline.core.contract import SHEETS_BY_NAME
from pipeline.read.handoff import remembered
from pipeline.read.ooxml import (
    CALAMINE_ERRORS,
    CellFacts,
    Package,
    SheetChoice,
    calamine_safe,
    cell_facts,
    choose_sheets,
    part_name,
)

ARROW_FROM_BYTES = 1 << 20    # a table sheet whose XML is this large is read by fastexcel straight into Arrow


@dataclass
class Opened:
    """What the package itself says, read once before calamine reads the cells."""

    choice: SheetChoice
    visible: dict[str, bool]
    facts: dict[str, CellFacts]
    date1904: bool
    source: object            # what calamine opens: the path, or a repaired copy in memory
    arrow: dict[str, str] = field(default_factory=dict)   # large table sheet -> its part (`arrow.read_large_sheet`)


def open_file(path, defer_large: bool = False) -> Opened:
    """What the package at `path` says (`_opened`), from the parts the guard handed over if it did."""
    checked = remembered(path)       # the parts the guard has just unpacked and checked, if it has
    if checked is not None:
        return _opened(checked, path, defer_large)
    with zipfile.ZipFile(path) as zf:
        return _opened(Package.of(zf), path, defer_large)


def _opened(pkg: Package, path, defer_large: bool) -> Opened:
    """The sheets chosen and the facts of their XML. With `defer_large`, a large table sheet's XML
    is left to be read once, after fastexcel has read its cells (`arrow.read_large_sheet`), when
    calamine can open the file itself."""
    sheets = pkg.sheets()
    choice = choose_sheets(sheets)
    parts = {sp.name: sp.part for sp in sheets}
    date1904 = pkg.date1904()
    percent = pkg.percent_styles()
    found, repaired, deferred = {}, {}, {}
    for contract, name in choice.chosen.items():
        if not parts.get(name):
            continue
        if defer_large and pkg.unpacked is None and not date1904 and not SHEETS_BY_NAME[contract].key_value \
                and pkg.entries[part_name(parts[name])].file_size >= ARROW_FROM_BYTES:
            deferred[name] = parts[name]
            continue
        _facts(pkg, name, parts[name], found, repaired, percent)
    source = pkg.for_calamine(path, repaired)
    if deferred and not isinstance(source, str):      # calamine reads a copy: every sheet's facts now
        for name, part in deferred.items():
            _facts(pkg, name, part, found, repaired, percent)
        deferred, source = {}, pkg.for_calamine(path, repaired)
    return Opened(choice, {sp.name: sp.visible for sp in sheets}, found, date1904, source, deferred)


def _facts(pkg: Package, name: str, part: str, found: dict, repaired: dict, percent: frozenset[int]) -> None:
    """A sheet's cell facts into `found`, and into `repaired` its XML made safe for calamine if needed."""
    data = pkg.read(part)
    found[name] = cell_facts(data, percent)
    if any(e not in CALAMINE_ERRORS for e in found[name].errors.values()):
        repaired[part] = calamine_safe(data)


def calamine_workbook(opened: Opened):
    """python-calamine's workbook over what calamine opens: the file, or its repaired copy."""
    if isinstance(opened.source, str):
        return python_calamine.CalamineWorkbook.from_path(opened.source)
    return python_calamine.CalamineWorkbook.from_filelike(opened.source)
