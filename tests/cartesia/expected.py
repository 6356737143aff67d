"""The tone voice's audio and timings computed independently from its documented formula."""

from __future__ import annotations

import math

import numpy as np

GAP = 0.05


def tone_words(text: str) -> list[str]:
    return text.split()


def expected_audio(text: str, rate: int, speed: float = 1.0, volume: float = 1.0
                   ) -> np.ndarray:
    parts = []
    for i, word in enumerate(tone_words(text)):
        n = round((0.08 + 0.02 * len(word)) / speed * rate)
        gap = round(GAP / speed * rate)
        t = np.arange(n, dtype=np.float64) / rate
        freq = 300.0 + 50.0 * (i % 8)
        parts.append(0.5 * volume * np.sin(2 * math.pi * freq * t))
        parts.append(np.zeros(gap))
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)


def expected_words(text: str, rate: int, offset: float = 0.0, speed: float = 1.0
                   ) -> list[tuple[str, float, float]]:
    out, cursor = [], 0
    for word in tone_words(text):
        n = round((0.08 + 0.02 * len(word)) / speed * rate)
        gap = round(GAP / speed * rate)
        out.append((word, offset + cursor / rate, offset + (cursor + n) / rate))
        cursor += n + gap
    return out
