"""IPA help: every palette symbol has an example word made of palette-grade IPA, and a
symbol outside IPA inside << >> is an error at its own line and column."""

from __future__ import annotations

from app.markup import sonic3, validate
from app.markup.ipa import EXAMPLES, PALETTE, first_non_ipa, is_ipa, known_in_english, markup


def test_every_palette_symbol_has_an_example_that_uses_it() -> None:
    symbols = [s for _, group in PALETTE for s in group]
    assert set(symbols) == set(EXAMPLES)
    for symbol in symbols:
        example = EXAMPLES[symbol]
        assert example.word and example.hint
        assert any(symbol in p for p in example.phonemes), symbol
        assert all(is_ipa(p) and known_in_english(p) for p in example.phonemes), symbol
        assert example.describe().startswith(f"{symbol} — ")
        # What is rendered to hear it is a valid pronunciation.
        assert not validate(example.markup() + ".", sonic3()), symbol
    assert EXAMPLES["ʃ"].describe() == "ʃ — sh as in ship"
    assert EXAMPLES["ʃ"].markup() == "<<ʃ|ɪ|p>>"
    assert markup(()) == ""


def test_a_symbol_outside_ipa_is_an_error_at_its_line_and_column() -> None:
    found = validate("First line.\nSay <<k|Q|r>> now.", sonic3())
    assert [(d.severity, d.start.line, d.start.column) for d in found] == [("error", 2, 9)]
    assert "'Q' is not an IPA symbol" in found[0].message
    # Inside a phoneme the error points at the bad symbol, not at the phoneme's start.
    found = validate("Say <<kɑ|ɹtQe>>.", sonic3())
    assert [(d.start.line, d.start.column, d.span.end - d.span.start) for d in found
            if d.severity == "error"] == [(1, 12, 1)]
    assert first_non_ipa("ɹtQe") == 2 and first_non_ipa("ɹte") is None
    assert not validate("Say <<k|ɑ|ɹ|ˈt|i|ʒ|ə>>.", sonic3())
