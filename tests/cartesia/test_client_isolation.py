"""Our client keeps contexts apart: a transcript that cannot be sent fails alone, an
abandoned generation stops buffering and is cancelled on the server, REST calls end
within their total deadline."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Iterator

import pytest

from app.cartesia import messages as m
from app.cartesia.client import TTSClient
from app.cartesia.config import ClientConfig, Timeouts
from app.cartesia.errors import ConnectError, InvalidText
from app.cartesia.voices import VoicesClient
from app.engine.server import ThreadedServer
from app.engine.synth.tones import VOICE_ID
from tests.cartesia.collect import collect
from tests.cartesia.expected import expected_audio
from tests.studio.conftest import KEY, listening, run, start_server


@pytest.fixture
def paced() -> Iterator[ThreadedServer]:
    srv = start_server(pace=1.0)
    yield srv
    srv.stop()


def request(text: str) -> m.GenerationRequest:
    return m.GenerationRequest("sonic-3", text, VOICE_ID, "",
                               m.OutputFormat("pcm_s16le", 16000))


def test_a_lone_surrogate_fails_its_generation_alone() -> None:
    server = start_server()
    try:
        async def scenario() -> None:
            config = ClientConfig(server.url, api_key=KEY)
            async with TTSClient(config) as client:
                healthy = [await client.generate(request(f"healthy number {i}"))
                           for i in range(3)]
                # What invalid UTF-8 on stdin becomes under surrogateescape.
                with pytest.raises(InvalidText, match=r"character 5 .* is \\udcff"):
                    await client.generate(request("bad \udcff bytes"))
                results = await asyncio.gather(*(collect(g) for g in healthy))
                assert all(len(r.samples()) > 0 for r in results)
                assert client.connects == 1  # the socket was never torn down

        run(scenario())
        assert len(listening(server).frames) == 3  # the bad one never left the client
    finally:
        server.stop()


def test_an_abandoned_generation_is_released_and_cancelled(paced: ThreadedServer) -> None:
    async def scenario() -> str:
        async with TTSClient(ClientConfig(paced.url, api_key=KEY)) as client:
            generation = await client.generate(request(" ".join(["long"] * 60)))
            context_id = generation.context_id
            async for _event in generation:
                break  # the caller walks away without cancel()
            del generation, _event
            gc.collect()
            assert client.open_generations == 0
            await asyncio.sleep(0.3)  # the cancel goes out on the loop
            return context_id

    context_id = run(scenario())
    assert listening(paced).cancels() == [context_id]



def test_rest_calls_end_within_their_total_deadline(black_hole: str) -> None:
    assert Timeouts().rest_total == 15.0

    async def scenario() -> None:
        config = ClientConfig(black_hole, timeouts=Timeouts(rest=1.0, rest_total=2.5))
        async with VoicesClient(config) as client:
            with pytest.raises(ConnectError, match=r"no answer within 2\.5 s"):
                await client.list()

    started = time.monotonic()
    run(scenario())
    assert time.monotonic() - started < 3.5


def test_a_slow_consumer_slows_the_socket_not_fills_memory() -> None:
    server = start_server()
    try:
        async def scenario() -> tuple[int, int]:
            limit = 256 * 1024
            async with TTSClient(ClientConfig(server.url, api_key=KEY),
                                 buffer_limit=limit) as client:
                generation = await client.generate(request(" ".join(["slow"] * 600)))
                frames, most = 0, 0
                async for event in generation:
                    if frames == 0:
                        await asyncio.sleep(1.0)  # the consumer falls far behind
                        most = client.buffered_audio
                    if hasattr(event, "samples"):
                        frames += len(event.samples)  # type: ignore[union-attr]
                assert client.buffered_audio == 0
                return most, frames

        most, frames = run(scenario())
        # One socket read past the limit at most; the server waited on TCP meanwhile.
        assert most <= 256 * 1024 + 64 * 1024, most
        assert frames == len(expected_audio(" ".join(["slow"] * 600), 16000))
    finally:
        server.stop()
