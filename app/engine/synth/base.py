"""The interface every offline synthesizer implements.

A synthesizer turns one piece of transcript (Cartesia markup allowed) into a
stream of events. It is blocking code: the server runs it in a worker thread
and pulls events one by one, so a cancelled context simply stops pulling.
Timestamps are in seconds from the start of *this* call; the server adds the
offset of earlier inputs of the same context.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from app.audio.codecs import Float32Array
from app.cartesia.voices_types import Voice


@dataclass(frozen=True)
class SynthRequest:
    text: str
    voice_id: str
    sample_rate: int
    language: str = "en"
    speed: float = 1.0
    volume: float = 1.0
    emotion: str | None = None
    want_phonemes: bool = False


@dataclass(frozen=True)
class AudioOut:
    """Mono float32 samples at the request's sample rate."""

    samples: Float32Array


@dataclass(frozen=True)
class WordsOut:
    words: tuple[str, ...]
    start: tuple[float, ...]
    end: tuple[float, ...]


@dataclass(frozen=True)
class PhonemesOut:
    phonemes: tuple[str, ...]
    start: tuple[float, ...]
    end: tuple[float, ...]


SynthEvent = AudioOut | WordsOut | PhonemesOut


class Synthesizer(Protocol):
    """One engine (test tones, espeak-ng, piper) and the voices it offers."""

    name: str

    def voices(self) -> list[Voice]:
        """Voices in the REST API's shape, with stable ids and ``offline=True``."""
        ...

    def synthesize(self, request: SynthRequest) -> Iterator[SynthEvent]:
        """Events in time order; audio of a word comes no later than its timestamps."""
        ...
