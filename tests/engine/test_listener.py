"""Work follows the listener: the engine stops what nobody waits for, at once, and a
short request never waits behind a long one for more than about a sentence.

Piper (the natural voice) is the engine of these tests, not espeak: its sentences
take hundreds of milliseconds (0.2-0.8 s for the one below on our 2-core machines,
idle to busy), so waiting behind one shows, and it is the engine that went on
working for minutes after its clients had hung up. The long texts are as long as one
context may be (100,000 characters); ten of them make the ~1 MB of the report.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from app.cartesia import messages as m
from app.cartesia.client import TTSClient
from app.cartesia.config import ClientConfig, Timeouts
from app.engine.server import MAX_TRANSCRIPT_CHARS, ServerConfig, ThreadedServer
from app.engine.synth.espeak import EspeakSynthesizer
from app.engine.synth.piper_voice import VOICE_ID as PIPER
from app.engine.synth.piper_voice import PiperSynthesizer
from app.engine.synth.tones import VOICE_ID as TONES
from app.engine.synth.tones import ToneSynthesizer
from tests.cartesia.collect import collect
from tests.engine.conftest import run

KEY = "sk_listener_test_0123456789"
SENTENCE = "The brown fox jumps over the lazy dog. "
LONG = (SENTENCE * (MAX_TRANSCRIPT_CHARS // len(SENTENCE) + 1))[:MAX_TRANSCRIPT_CHARS]
SHORT = "Welcome to the voice preview."
ESPEAK = "e5beac00-0000-4000-8000-00000000e001"


@pytest.fixture(scope="module")
def piper() -> PiperSynthesizer:
    synth = PiperSynthesizer(deterministic=True)
    synth.load()
    return synth


@pytest.fixture
def server(piper: PiperSynthesizer) -> Iterator[ThreadedServer]:
    synths = [piper, EspeakSynthesizer(), ToneSynthesizer()]
    with ThreadedServer(synths, ServerConfig(api_key=KEY)) as srv:
        yield srv
    assert srv.leftover_tasks == []


def request(context_id: str, text: str, voice: str = PIPER) -> str:
    return json.dumps({"model_id": "sonic-3", "transcript": text, "voice": {"id": voice},
                       "context_id": context_id, "language": "en",
                       "output_format": {"container": "raw", "encoding": "pcm_s16le",
                                         "sample_rate": 16000}})


def cancel(context_id: str) -> str:
    return json.dumps({"context_id": context_id, "cancel": True})


async def connect(server: ThreadedServer) -> ClientConnection:
    return await websockets.connect(server.url.replace("http", "ws", 1) + "/tts/websocket",
                                    additional_headers={"Authorization": f"Bearer {KEY}"},
                                    max_size=None)


async def first_chunk(ws: ClientConnection, context_id: str) -> None:
    while True:
        message = json.loads(await ws.recv())
        if message["context_id"] == context_id:
            assert message["type"] == "chunk", message
            return


async def say_short(config: ClientConfig, voice: str) -> float:
    """Seconds until a short line in ``voice`` is all there (checked word by word)."""
    async with TTSClient(config) as client:
        started = time.perf_counter()
        got = await collect(await client.generate(m.GenerationRequest(
            "sonic-3", SHORT, voice, "", m.OutputFormat("pcm_s16le", 16000))))
        took = time.perf_counter() - started
    assert [w for w, _, _ in got.words] == SHORT.split()
    return took


async def idle_after(server: ThreadedServer, since: float, limit: float) -> float:
    """Seconds from ``since`` until no context, synthesis or step is left (at most
    ``limit``: then the stats are returned in the failure)."""
    while True:
        stats = await asyncio.to_thread(server.stats)
        if stats["contexts"] == stats["syntheses"] == stats["steps"] == 0:
            return time.perf_counter() - since
        assert time.perf_counter() - since < limit, f"still working: {stats}"
        await asyncio.sleep(0.005)


def test_a_hung_up_client_frees_the_engine_and_held_up_no_one(server: ThreadedServer) -> None:
    config = ClientConfig(server.url, api_key=KEY,
                          timeouts=Timeouts(connect=5, first_chunk=10, inactivity=10))

    async def scenario() -> tuple[float, dict[str, int], float, float]:
        async with await connect(server) as hung_up:
            for k in range(10):
                await hung_up.send(request(f"long-{k}", LONG))
            await first_chunk(hung_up, "long-0")
            # Another client, meanwhile: its short line is answered while ten long
            # ones keep the engine busy.
            short_took = await say_short(config, PIPER)
            busy = await asyncio.to_thread(server.stats)
            # The hang-up: the socket is cut, no close frame.
            hung_up.transport.abort()
            cut = time.perf_counter()
            freed_after = await idle_after(server, cut, limit=5.0)
        cpu = time.process_time()
        await asyncio.sleep(0.5)
        return short_took, busy, freed_after, time.process_time() - cpu

    short_took, busy, freed_after, cpu = run(scenario(), timeout=60)
    assert busy["contexts"] == 10 and busy["syntheses"] >= 1  # they were still running
    assert short_took < 2.0
    assert freed_after < 1.0
    assert cpu < 0.1  # seconds of CPU in half a second: nothing is synthesizing


def test_cancel_stops_the_synthesis_within_100_ms(server: ThreadedServer) -> None:
    async def scenario() -> list[float]:
        took = []
        async with await connect(server) as ws:
            for k in range(5):
                await ws.send(request(f"c{k}", LONG))
                await first_chunk(ws, f"c{k}")
                await asyncio.sleep(0.05 + 0.11 * k)  # somewhere in a sentence
                await ws.send(cancel(f"c{k}"))
                took.append(await idle_after(server, time.perf_counter(), limit=5.0))
        return took

    took = run(scenario(), timeout=60)
    assert max(took) < 0.1, took


def test_closing_the_socket_stops_every_synthesis_on_it(server: ThreadedServer) -> None:
    async def scenario() -> float:
        async with await connect(server) as ws:
            await ws.send(request("piper", LONG))
            await ws.send(request("espeak", LONG, voice=ESPEAK))
            await ws.send(request("tones", "word " * 10_000, voice=TONES))
            await first_chunk(ws, "piper")
            await first_chunk(ws, "espeak")
        return await idle_after(server, time.perf_counter(), limit=5.0)

    assert run(scenario(), timeout=60) < 0.1


def test_a_rest_client_that_hangs_up_stops_its_synthesis(server: ThreadedServer) -> None:
    body = json.loads(request("", LONG))

    async def scenario() -> float:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {KEY}"}) as session:
            post = asyncio.ensure_future(session.post(server.url + "/tts/bytes", json=body))
            for _ in range(500):  # until it synthesizes
                if (await asyncio.to_thread(server.stats))["steps"]:
                    break
                await asyncio.sleep(0.01)
            else:
                raise AssertionError("the REST synthesis never started")
            post.cancel()  # the client gives up and closes its connection
            with contextlib.suppress(asyncio.CancelledError):
                await post
        return await idle_after(server, time.perf_counter(), limit=5.0)

    assert run(scenario(), timeout=60) < 0.1


def test_espeak_takes_turns_a_sentence_at_a_time(server: ThreadedServer) -> None:
    """espeak is one engine for the whole process: a long text must not hold it until
    the end, nor make audio far ahead of its listener."""
    config = ClientConfig(server.url, api_key=KEY,
                          timeouts=Timeouts(connect=5, first_chunk=10, inactivity=10))

    async def scenario() -> tuple[float, dict[str, int]]:
        async with await connect(server) as ws:
            for k in range(4):
                await ws.send(request(f"long-{k}", LONG, voice=ESPEAK))
            await first_chunk(ws, "long-0")
            took = await say_short(config, ESPEAK)
            return took, await asyncio.to_thread(server.stats)

    took, busy = run(scenario(), timeout=60)
    assert busy["contexts"] == 4
    assert took < 0.5


def test_cancel_then_reuse_of_a_context_id(piper: PiperSynthesizer) -> None:
    """Fifty rounds of: open, cancel, open again with the same id, cancel again. After
    the last cancel nothing more comes for the id; no work is left once the socket
    closes, and none once the server stops."""
    with ThreadedServer([ToneSynthesizer()], ServerConfig(api_key=KEY, pace=1.0)) as srv:
        async def scenario() -> tuple[int, dict[str, int], dict[str, int]]:
            async with await connect(srv) as ws:
                for _ in range(50):
                    for _ in range(2):
                        await ws.send(request("reused", "syllable " * 60, voice=TONES))
                        await first_chunk(ws, "reused")
                        await ws.send(cancel("reused"))
                await drain(ws, 0.3)  # what was on its way before the cancel
                late = await drain(ws, 0.7)
                open_now = await asyncio.to_thread(srv.stats)
            closed = await asyncio.to_thread(srv.stats)
            return late, open_now, closed

        late, open_now, closed = run(scenario(), timeout=60)
    assert late == 0
    assert open_now["contexts"] == 0 and open_now["syntheses"] == 0
    assert closed == {"connections": 0, "contexts": 0, "tasks": 0, "syntheses": 0,
                      "steps": 0}
    assert srv.leftover_tasks == []


async def drain(ws: ClientConnection, seconds: float) -> int:
    """Frames received in ``seconds``."""
    count = 0
    deadline = time.perf_counter() + seconds
    while (left := deadline - time.perf_counter()) > 0:
        try:
            message: Any = await asyncio.wait_for(ws.recv(), left)
        except TimeoutError:
            break
        count += message is not None
    return count
