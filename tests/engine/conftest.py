"""A keyed loopback server for the compatibility tests, and what our own client gets from it.

The server holds several tone voices (all the deterministic test voice underneath) so
the SDK's auto-pager has real pages to walk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from app.cartesia import messages as m
from app.cartesia.client import TTSClient
from app.cartesia.config import ClientConfig, Timeouts
from app.cartesia.voices_types import Voice
from app.engine.server import ServerConfig, ThreadedServer
from app.engine.synth.base import SynthEvent, SynthRequest
from app.engine.synth.tones import VOICE_ID, ToneSynthesizer
from tests.cartesia.collect import Received, collect

T = TypeVar("T")
KEY = "sk_test_compat_0123456789"
#: Five voices in all, so ``limit=2`` gives pages of 2, 2 and 1.
EXTRA_VOICES = 4


def run(coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
    """Run a scenario on a fresh loop, bounded so a hang fails instead of blocking."""
    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)
    return asyncio.run(bounded())


class ManyTones:
    """The tone voice under several ids: pagination needs more than one voice."""

    name = "many-tones"

    def __init__(self, count: int) -> None:
        self._tones = ToneSynthesizer()
        base = self._tones.voices()[0]
        self._voices = [
            Voice(id=f"7e57701e-0000-4000-8000-1000000000{i:02d}", name=f"Test Tones {i}",
                  description=base.description, language=base.language, gender=base.gender,
                  tagline=base.tagline, locales=base.locales, offline=True,
                  created_at=base.created_at)
            for i in range(count)]

    def voices(self) -> list[Voice]:
        return list(self._voices)

    def synthesize(self, request: SynthRequest) -> Iterator[SynthEvent]:
        return self._tones.synthesize(request)


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    srv = ThreadedServer([ToneSynthesizer(), ManyTones(EXTRA_VOICES)],
                         ServerConfig(api_key=KEY))
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def ws_base(server: ThreadedServer) -> str:
    return server.url.replace("http://", "ws://", 1)


def our_client_receives(server: ThreadedServer, transcript: str, encoding: str, rate: int,
                        **kw: Any) -> Received:
    """What :class:`TTSClient` gets for one whole-transcript request (the reference)."""
    config = ClientConfig(server.url, api_key=KEY,
                          timeouts=Timeouts(connect=5, first_chunk=5, inactivity=5))
    request = m.GenerationRequest("sonic-3", transcript, VOICE_ID, "",
                                  m.OutputFormat(encoding, rate), **kw)

    async def scenario() -> Received:
        async with TTSClient(config) as client:
            return await collect(await client.generate(request))

    return run(scenario())
