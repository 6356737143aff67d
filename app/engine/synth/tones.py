"""The deterministic test voice: every word a tone burst, silence between words.

Its audio and timestamps are known exactly, which makes it the oracle of the
protocol tests: word ``i`` (0-based within one input) is a sine
of :func:`word_frequency` at amplitude ``0.5 * volume``, lasting
:func:`word_seconds` ``/ speed``, followed by :data:`GAP_SECONDS` ``/ speed`` of
silence. Phonemes are the word's letters, splitting its tone evenly.
Markup tags are stripped (never spoken); the tone voice ignores their meaning.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Final

import numpy as np

from app.cartesia.voices_types import Voice
from app.engine.synth.base import AudioOut, PhonemesOut, SynthEvent, SynthRequest, WordsOut
from app.engine.voice_table import TONES, TONES_VOICE_ID, VOICES

VOICE_ID: Final = TONES_VOICE_ID
GAP_SECONDS: Final = 0.05
AMPLITUDE: Final = 0.5
_TAG = re.compile(r"<<[^<>]*>>|</?[A-Za-z][^<>]*>")


def word_frequency(index: int) -> float:
    return 300.0 + 50.0 * (index % 8)


def word_seconds(word: str) -> float:
    return 0.08 + 0.02 * len(word)


def words_of(text: str) -> list[str]:
    return _TAG.sub(" ", text).split()


def n_samples(seconds: float, rate: int) -> int:
    return round(seconds * rate)


class ToneSynthesizer:
    """Synthesizer of the test voice."""

    name = "tones"

    def voices(self) -> list[Voice]:
        return list(VOICES[TONES])

    def synthesize(self, request: SynthRequest) -> Iterator[SynthEvent]:
        rate = request.sample_rate
        speed = request.speed if request.speed > 0 else 1.0
        amplitude = AMPLITUDE * request.volume
        cursor = 0  # samples emitted so far in this call
        for index, word in enumerate(words_of(request.text)):
            n = n_samples(word_seconds(word) / speed, rate)
            gap = n_samples(GAP_SECONDS / speed, rate)
            t = np.arange(n, dtype=np.float64) / rate
            tone = (amplitude * np.sin(2 * math.pi * word_frequency(index) * t))
            audio = np.concatenate([tone, np.zeros(gap)]).astype(np.float32)
            start, end = cursor / rate, (cursor + n) / rate
            yield AudioOut(audio)
            yield WordsOut((word,), (start,), (end,))
            if request.want_phonemes:
                letters = [c for c in word if c.isalnum()] or [word]
                step = (end - start) / len(letters)
                yield PhonemesOut(tuple(c.lower() for c in letters),
                                  tuple(start + i * step for i in range(len(letters))),
                                  tuple(start + (i + 1) * step for i in range(len(letters))))
            cursor += n + gap
