"""The offline engine inside the app: our server on a thread of its own, on loopback."""

from __future__ import annotations

import logging
import threading

from app.cartesia.voices_types import Voice
from app.engine.server import ServerConfig, ThreadedServer
from app.engine.synth.base import Synthesizer
from app.engine.synth.registry import DEFAULT_OFFLINE_VOICE_ID, default_synthesizers

log = logging.getLogger(__name__)


def offline_synthesizers() -> list[Synthesizer]:
    return default_synthesizers()


def offline_voices() -> list[Voice]:
    """The offline voices, without starting the server or loading any model."""
    return [voice for synth in offline_synthesizers() for voice in synth.voices()]


def offline_voice_ids() -> frozenset[str]:
    return frozenset(voice.id for voice in offline_voices())


def offline_default_voice() -> str:
    return DEFAULT_OFFLINE_VOICE_ID


class LocalEngine:
    """Starts lazily; ``url`` is valid after :meth:`start`.

    On start, models load on a background thread so the first Play does not
    wait for them (Piper takes about a second).
    """

    def __init__(self, config: ServerConfig | None = None,
                 synthesizers: list[Synthesizer] | None = None) -> None:
        self._server: ThreadedServer | None = None
        self._config = config
        self._synthesizers = synthesizers
        self._warmup: threading.Thread | None = None
        self.url = ""

    def start(self) -> str:
        if self._server is None:
            synths = self._synthesizers or offline_synthesizers()
            self._server = ThreadedServer(synths, self._config)
            self.url = self._server.start()
            self._warmup = threading.Thread(target=self._load, args=(synths,),
                                            name="engine-warmup", daemon=True)
            self._warmup.start()
        return self.url

    @staticmethod
    def _load(synths: list[Synthesizer]) -> None:
        for synth in synths:
            load = getattr(synth, "load", None)
            if load is None:
                continue
            try:
                load()
            except Exception as exc:  # reported again, clearly, when the voice is used
                log.warning("offline engine %s did not load: %s", synth.name, exc)

    def stop(self) -> None:
        if self._warmup is not None:
            self._warmup.join(timeout=30)
            self._warmup = None
        if self._server is not None:
            self._server.stop()
            self._server = None
