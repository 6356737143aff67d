"""The interface every offline synthesizer implements.

A synthesizer turns one piece of transcript (Cartesia markup allowed) into a
stream of events. It is blocking code: the server pulls events one by one on
worker threads (:mod:`app.engine.scheduler`), and a context's turn ends with
each event, so one ``next()`` must do a bounded amount of work, about one
sentence: that is how long a short request waits behind a long one, and how
long the work of a cancelled one goes on.

When nobody waits for the result any more, the server sets the request's
:class:`Cancel` from another thread while a ``next()`` may be running; the
synthesizer then returns early from that call (it may stop mid-sentence) and
ends the iteration.

Timestamps are in seconds from the start of *this* call; the server adds the
offset of earlier inputs of the same context.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from app.audio.codecs import Float32Array
from app.cartesia.voices_types import Voice


class Cancel:
    """Set once, from any thread, when a synthesis is no longer wanted.

    A synthesizer polls :meth:`is_set` between steps, and registers with
    :meth:`on_set` what interrupts a wait or a native call in progress.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._set = False
        self._callbacks: list[Callable[[], None]] = []

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        with self._lock:
            if self._set:
                return
            self._set = True
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def on_set(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` when set (at once if it is); returns what unregisters it."""
        with self._lock:
            if not self._set:
                self._callbacks.append(callback)
                return lambda: self._forget(callback)
        callback()
        return lambda: None

    def _forget(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)


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
    cancel: Cancel = field(default_factory=Cancel, compare=False, repr=False)


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
