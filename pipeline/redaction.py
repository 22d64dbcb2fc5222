"""Finding and removing what looks like an SWE registration number in free text.

One detector for everything that must keep SWE numbers out of text: rule Q516 (a council's Notes,
breach reasons and other free text) and the warehouse, which stores such text only redacted.
SWE numbers are personal data (data-contract §5); a number typed into a note must not reach
shared outputs, so the detector errs on the side of finding one:

- text is compared after Unicode NFKC normalisation (full-width `ＳＷ１２３` is `SW123`);
- letters that look like S and W in other scripts count (Cyrillic `Ѕ`/`ѕ`, `Ԝ`/`ԝ`, `ѡ`, small
  capitals);
- invisible characters (zero-width space/joiners, word joiner, soft hyphen, BOM) are ignored;
- `SW` may be followed by spaces, `-`, `.`, `:`, `#` or `/` before the digits, and any number of
  digits counts (a mistyped 8-digit number is still personal data), leading zeros included;
- `SW` must not be the end of a longer word (`ASW12` is not one), and the digits must not run on
  into letters or further digits.
"""
from __future__ import annotations

import re
import unicodedata

PLACEHOLDER = "[SWE number]"

# Characters that render as S or W (or nothing) but are not them, mapped to what a reader sees.
_LOOK_ALIKE = {
    "\u0405": "S", "\u0455": "s",      # Cyrillic DZE
    "\u051c": "W", "\u051d": "w",      # Cyrillic WE
    "\ua731": "s",                     # Latin letter small capital S
    "\u1d21": "w",                     # Latin letter small capital W
    "\u0461": "w",                     # Cyrillic small omega (w-like in many fonts)
}
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u2061", "\u2062", "\u2063"}
_SWE_LIKE = re.compile(r"(?<![A-Za-z0-9])SW[\s\-.:#/]*\d+(?![A-Za-z0-9])", re.IGNORECASE)


def _normalised(text: str) -> tuple[str, list[int]]:
    """The text as compared, and for each of its characters the index of the original character."""
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if ch in _INVISIBLE:
            continue
        for out in unicodedata.normalize("NFKC", _LOOK_ALIKE.get(ch, ch)):
            if out in _INVISIBLE:
                continue
            chars.append(_LOOK_ALIKE.get(out, out))
            origin.append(i)
    return "".join(chars), origin


def find_swe_like(text: object) -> list[tuple[int, int]]:
    """Spans (start, end) of the original `text` that look like an SWE registration number.

    Returns [] for anything that is not a string. Spans index the text as given (before
    normalisation), so `text[start:end]` is what was typed, invisible characters included.
    """
    if not isinstance(text, str) or not text:
        return []
    norm, origin = _normalised(text)
    spans = []
    for m in _SWE_LIKE.finditer(norm):
        spans.append((origin[m.start()], origin[m.end() - 1] + 1))
    return spans


def redact(text):
    """`text` with each SWE-like number replaced by '[SWE number]'; anything not a string unchanged."""
    spans = find_swe_like(text)
    if not spans:
        return text
    out, last = [], 0
    for start, end in spans:
        out.append(text[last:start])
        out.append(PLACEHOLDER)
        last = end
    out.append(text[last:])
    return "".join(out)
