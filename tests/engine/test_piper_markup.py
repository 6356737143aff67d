"""Piper: punctuation right after phoneme input (pronunciations, spelled letters).

Piper hands what follows ``[[phonemes]]`` to espeak on its own, where a lone
"!" is read as the word "exclamation". Punctuation must stay a pause, never
become speech.
"""

from __future__ import annotations

import pytest

from app.engine.synth.align import NOT_SOUNDS
from app.engine.synth.base import PhonemesOut, SynthRequest, WordsOut
from app.engine.synth.piper_voice import VOICE_ID, PiperSynthesizer

RATE = 22050


@pytest.fixture(scope="module")
def piper() -> PiperSynthesizer:
    synth = PiperSynthesizer(deterministic=True)
    synth.load()
    return synth


def sounds_and_words(piper: PiperSynthesizer, text: str) -> tuple[str, list[str]]:
    sounds: list[str] = []
    words: list[str] = []
    for event in piper.synthesize(SynthRequest(text, VOICE_ID, RATE, want_phonemes=True)):
        if isinstance(event, PhonemesOut):
            sounds += [p for p in event.phonemes if p not in NOT_SOUNDS]
        elif isinstance(event, WordsOut):
            words += event.words
    return "".join(sounds), words


@pytest.mark.parametrize("mark", ["!", "?", ".", ",", ";"])
def test_punctuation_after_a_pronunciation_is_not_spoken(piper: PiperSynthesizer,
                                                         mark: str) -> None:
    bare, _ = sounds_and_words(piper, "Say <<t|ˈ|oʊ|m|ɑ|t|oʊ>> now")
    marked, words = sounds_and_words(piper, f"Say <<t|ˈ|oʊ|m|ɑ|t|oʊ>>{mark} now")
    assert words == ["Say", f"tˈoʊmɑtoʊ{mark}", "now"]
    assert marked == bare  # the same sounds: the mark added none ("ɛkskləmeɪʃən")


def test_punctuation_after_spelled_letters_is_not_spoken(piper: PiperSynthesizer) -> None:
    bare, _ = sounds_and_words(piper, "Code <spell>AB</spell> now")
    marked, words = sounds_and_words(piper, "Code <spell>AB</spell>! now")
    assert words == ["Code", "A", "B!", "now"]
    assert marked == bare
