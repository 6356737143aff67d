"""The offline engine inside the app: our server on a thread of its own, on loopback."""

from __future__ import annotations

from app.cartesia.voices_types import Voice
from app.engine.server import ServerConfig, ThreadedServer
from app.engine.synth.base import Synthesizer
from app.engine.synth.tones import VOICE_ID as TONES_VOICE_ID
from app.engine.synth.tones import ToneSynthesizer


def offline_synthesizers() -> list[Synthesizer]:
    return [ToneSynthesizer()]


def offline_voices() -> list[Voice]:
    """The offline voices, without starting the server or loading any model."""
    return [voice for synth in offline_synthesizers() for voice in synth.voices()]


def offline_voice_ids() -> frozenset[str]:
    return frozenset(voice.id for voice in offline_voices())


def offline_default_voice() -> str:
    return TONES_VOICE_ID


class LocalEngine:
    """Starts lazily; ``url`` is valid after :meth:`start`."""

    def __init__(self, config: ServerConfig | None = None) -> None:
        self._server: ThreadedServer | None = None
        self._config = config
        self.url = ""

    def start(self) -> str:
        if self._server is None:
            self._server = ThreadedServer(offline_synthesizers(), self._config)
            self.url = self._server.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
