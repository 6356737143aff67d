"""A loopback server with the tone voice for the command-line tests, able to misbehave."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.engine.server import ServerConfig, ThreadedServer
from app.engine.synth.tones import ToneSynthesizer
from tests.faults import FaultyServer

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk_cli_test_key_0123456789"


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    srv = ThreadedServer([ToneSynthesizer()], ServerConfig(api_key=KEY),
                         server_class=FaultyServer)
    srv.start()
    yield srv
    srv.stop()
