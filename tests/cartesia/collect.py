"""Everything one generation sent, gathered by the tests (the app gathers into a Take)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from app.audio.codecs import Float32Array
from app.cartesia import messages as m
from app.cartesia.client import Audio, Generation


@dataclass
class Received:
    """A generation's events: audio as it arrived and decoded, timings, flush ids."""

    context_id: str
    raw: bytearray = field(default_factory=bytearray)
    chunks: list[Audio] = field(default_factory=list)
    words: list[tuple[str, float, float]] = field(default_factory=list)
    phonemes: list[tuple[str, float, float]] = field(default_factory=list)
    flushes: list[int] = field(default_factory=list)
    done: bool = False

    def samples(self) -> Float32Array:
        if not self.chunks:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate([c.samples for c in self.chunks])


async def collect(generation: Generation) -> Received:
    """Iterate the generation to its end; its exception, if any, propagates."""
    got = Received(generation.context_id)
    async for event in generation:
        if isinstance(event, Audio):
            got.raw += event.data
            got.chunks.append(event)
        elif isinstance(event, m.WordTimestamps):
            got.words += zip(event.words, event.start, event.end, strict=True)
        elif isinstance(event, m.PhonemeTimestamps):
            got.phonemes += zip(event.phonemes, event.start, event.end, strict=True)
        elif isinstance(event, m.FlushDone):
            got.flushes.append(event.flush_id)
        elif isinstance(event, m.Done):
            got.done = True
    return got
