"""A real loopback server for the client tests: our engine server with the tone voice,
able to misbehave (:mod:`tests.faults`)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from app.cartesia.config import ClientConfig, Timeouts
from app.engine.server import ServerConfig, ThreadedServer
from app.engine.synth.tones import ToneSynthesizer
from tests.faults import FaultyServer

T = TypeVar("T")
KEY = "sk_test_loopback_0123456789"


def run(coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
    """Run a scenario on a fresh event loop, bounded so a hang fails instead of blocking."""
    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)
    return asyncio.run(bounded())


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    srv = ThreadedServer([ToneSynthesizer()], ServerConfig(api_key=KEY),
                         server_class=FaultyServer)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def config(server: ThreadedServer) -> ClientConfig:
    return ClientConfig(server.url, api_key=KEY,
                        timeouts=Timeouts(connect=5, first_chunk=5, inactivity=5))
