"""Finding and removing what looks like an SWE registration number in free text: the one detector the
warehouse, the publish gate, file names and Q516 all use.

SWE numbers are `SW` followed by digits (data-contract §2). Typed into free text they come in
every disguise a keyboard or a copy from another system gives them, so the text is looked at the
way a reader would see it: NFKC-normalised (full-width `ＳＷ１２３`, ligatures), with zero-width
and other invisible format characters dropped, and letters that look like S and W in other
scripts (Cyrillic `Ѕ`, `Ԝ`, Greek …) read as S and W; any number of digits counts, with spaces,
dots or dashes between the letters and the digits. Only text that matched is changed: the rest
of the string keeps its exact characters.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

REPLACEMENT = "[SWE number removed]"
FILE_NAME_REPLACEMENT = "SWE-number-removed"

# letters that look like S / W (and their lower case) in other scripts
_LOOK_ALIKE = str.maketrans({
    "Ѕ": "S", "ѕ": "s", "Ꮪ": "S", "Տ": "S", "ꜱ": "s",
    "Ԝ": "W", "ԝ": "w", "Ꮃ": "W", "Ѡ": "W", "ѡ": "w", "ω": "w", "ꮃ": "w",
})
# SW, up to 3 separators (space, dot, dash, slash, colon, #), then any number of digits (spaces between
# them allowed), not part of a longer word: `SW1A` (a postcode) is not one
_SWE = re.compile(r"(?<![A-Za-z])S\s*W[\s.\-/:#_]{0,3}\d(?:[ \d]*\d)?(?![A-Za-z\d])", re.IGNORECASE)


# A looser pattern than _SWE for ASCII text, in the dialect of Arrow's regex engine (RE2: no look-around):
# every separator _SWE allows is neither letter nor digit, so whatever _SWE finds in ASCII text, this finds
_ASCII_SUSPECT = r"s[^a-z0-9]*w[^a-z0-9]{0,3}[0-9]"


def _is_invisible(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf"   # zero-width space/joiners, BOM, bidi marks, soft hyphen


@lru_cache(maxsize=4096)
def _as_seen(ch: str) -> bool:
    """Whether a reader sees `ch` as itself (`_visible` keeps it as it is): a visible character NFKC
    leaves alone and no look-alike of S or W, such as £ or é in a message."""
    return not _is_invisible(ch) and unicodedata.normalize("NFKC", ch) == ch and ch.translate(_LOOK_ALIKE) == ch


def _visible(text: str) -> tuple[str, list[int]]:
    """The text as a reader sees it, and for each of its characters the index it came from in `text`."""
    out, origin = [], []
    for i, ch in enumerate(text):
        if _is_invisible(ch):
            continue
        for norm in unicodedata.normalize("NFKC", ch).translate(_LOOK_ALIKE):
            if not _is_invisible(norm):
                out.append(norm)
                origin.append(i)
    return "".join(out), origin


def find_swe_like(text) -> list[tuple[int, int]]:
    """Spans (start, end) of `text` (a str; anything else has none) that look like an SWE number.

    Indexes are into the original string, so `text[start:end]` is exactly what the council typed
    (invisible characters inside it included)."""
    if not isinstance(text, str) or not text:
        return []
    if text.isascii() or all(map(_as_seen, set(text))):   # a reader sees exactly these characters
        return [m.span() for m in _SWE.finditer(text)]
    seen, origin = _visible(text)
    spans = []
    for m in _SWE.finditer(seen):
        start, end = origin[m.start()], origin[m.end() - 1] + 1
        while end < len(text) and _is_invisible(text[end]):   # take invisible characters right after it too
            end += 1
        spans.append((start, end))
    return spans


def suspects(values) -> np.ndarray:
    """Which of `values` (a column: pandas Series, Arrow or numpy array, list) the detector must look at,
    as a boolean mask: every value but blanks and ASCII text that cannot hold an SWE-like number, found
    for the whole column at once by Arrow's string kernels (a text column of a quarter's returns is
    clean in all but a few cells, and `find_swe_like` costs ~6 µs a call). A column that is not all
    text is looked at whole."""
    try:
        text = pa.array(values, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return np.ones(len(values), dtype=bool)
    found = pc.or_kleene(pc.invert(pc.string_is_ascii(text)),
                         pc.match_substring_regex(text, _ASCII_SUSPECT, ignore_case=True))
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def redact(text, replacement: str = REPLACEMENT):
    """`text` with every SWE-like part replaced; anything that is not a str is returned as it is."""
    spans = find_swe_like(text)
    if not spans:
        return text
    parts, last = [], 0
    for start, end in spans:
        parts += [text[last:start], replacement]
        last = end
    parts.append(text[last:])
    return "".join(parts)


def redact_name(name: str) -> str:
    """A file name safe to show in logs, Prefect, the ledger: SWE-like parts replaced by a plain token."""
    return redact(name, FILE_NAME_REPLACEMENT)
