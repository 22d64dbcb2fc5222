"""pipeline/redaction.py: the one detector for SWE-like numbers in free text (Q516 and the store)."""
import pytest

from pipeline.redaction import REPLACEMENT as PLACEHOLDER, find_swe_like, redact


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
