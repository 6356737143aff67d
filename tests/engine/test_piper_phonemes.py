"""Piper's phoneme timestamps: whole phonemes as Cartesia reports them, in order."""

from __future__ import annotations

import itertools

import pytest

from app.engine.synth.base import PhonemesOut, SynthRequest
from app.engine.synth.piper_voice import VOICE_ID, PiperSynthesizer


@pytest.fixture(scope="module")
def piper() -> PiperSynthesizer:
    synth = PiperSynthesizer(deterministic=True)
    synth.load()
    return synth


def test_diphthongs_and_affricates_are_one_phoneme_but_never_across_words(
        piper: PiperSynthesizer) -> None:
    phonemes: list[tuple[str, float, float]] = []
    request = SynthRequest("Hello, which child chose that shoe?", VOICE_ID, 24000,
                           want_phonemes=True)
    for event in piper.synthesize(request):
        if isinstance(event, PhonemesOut):
            phonemes += zip(event.phonemes, event.start, event.end, strict=True)
    assert [p for p, _, _ in phonemes] == [
        "h", "ə", "l", "oʊ", "w", "ɪ", "tʃ", "tʃ", "aɪ", "l", "d", "tʃ", "oʊ", "z",
        "ð", "æ", "t", "ʃ", "u"]
    for (_, s1, e1), (_, s2, _) in itertools.pairwise(phonemes):
        assert s1 < e1 <= s2 + 1e-9
