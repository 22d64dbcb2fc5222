"""pipeline/core/redaction.py: the one detector for SWE-like numbers in free text (Q516 and the store)."""
import pytest

from pipeline.core.redaction import REPLACEMENT as PLACEHOLDER
from pipeline.core.redaction import find_swe_like, redact


@pytest.mark.parametrize("text, found", [
    ("SW123456", "SW123456"),
    ("sw 000123", "sw 000123"),
    ("SW-1234567890", "SW-1234567890"),              # any digit count
    ("SW:12", "SW:12"),
    ("ＳＷ１２３４５", "ＳＷ１２３４５"),                  # full-width (NFKC)
    ("\u0405W98765", "\u0405W98765"),                  # Cyrillic DZE for S
    ("S\u051c4567", "S\u051c4567"),                    # Cyrillic WE for W
    ("SW\u200b12\u200d345", "SW\u200b12\u200d345"),    # zero-width characters inside
    ("S\u00adW 77", "S\u00adW 77"),                    # soft hyphen
])
def test_finds_swe_like_numbers_however_typed(text, found):
    (span,) = find_swe_like(f"Note: {text}.")
    assert f"Note: {text}."[slice(*span)] == found
    assert redact(f"Note: {text}.") == f"Note: {PLACEHOLDER}."


@pytest.mark.parametrize("text", ["ASW12", "SW12b", "Sweden 2025", "SW", "SWE check pending", None, 12345, ""])
def test_leaves_other_text_alone(text):
    assert find_swe_like(text) == []
    assert redact(text) == text


def test_every_number_in_a_text_is_redacted():
    assert redact("SW1 and sw 22, then ЅW333") == f"{PLACEHOLDER} and {PLACEHOLDER}, then {PLACEHOLDER}"


def test_suspects_flags_every_text_the_detector_finds_something_in():
    """The whole-column prefilter never skips a cell the detector would change: every separator, case
    and script above, ASCII whitespace of every kind, and a few thousand random ASCII strings."""
    import random
    import string

    from pipeline.core.redaction import suspects
    rng = random.Random(16)
    alphabet = "SsWw0123456789 .-/:#_\t\n\x0b\x0c\r\x1c\x1fAbZ"
    texts = [f"Note: {t}." for t in ("SW123456", "sw 000123", "SW-1234567890", "SW:12", "ＳＷ１２３４５",
                                     "\u0405W98765", "S\u051c4567", "SW\u200b12\u200d345", "S\u00adW 77",
                                     "s\x1c\x1fw#_1", "S\x0bW\x0c 9")]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(5000)]
    texts += ["ASW12", "Sweden 2025", "", string.printable]
    flagged = suspects(texts + [None])
    assert not flagged[-1]
    missed = [t for t, f in zip(texts, flagged) if find_swe_like(t) and not f]
    assert missed == []
    assert sum(bool(find_swe_like(t)) for t in texts) > 20   # the random texts did hold some
    assert not suspects(["Sweden 2025", "plain text", "SW"]).any()
    assert suspects([1, "SW1"]).all()   # not all text: every value is looked at


def test_text_whose_characters_a_reader_sees_as_they_are_is_read_directly():
    """The short cut for text such as '£35.20/h' (every character kept by NFKC, visible, no look-alike)
    finds exactly what reading it as a reader sees it finds, on random mixes of both kinds of character."""
    import random

    from pipeline.core import redaction
    rng = random.Random(16)
    alphabet = "SsWw0123 .-£é’–\u00a0\u200bＳ\u0405１ω"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 10)))
        seen, origin = redaction._visible(text)
        slow = []
        for m in redaction._SWE.finditer(seen):
            start, end = origin[m.start()], origin[m.end() - 1] + 1
            while end < len(text) and redaction._is_invisible(text[end]):
                end += 1
            slow.append((start, end))
        assert find_swe_like(text) == slow, text
    assert find_swe_like("The rate £35.20/h, SW 123 – ok") == [(19, 25)]
