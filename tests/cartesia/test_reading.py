"""Who reads the socket: the only open context's own consumer, or the reader task when
there are none or several; switching between the two loses and reorders nothing, and
errors and timeouts arrive the same way in both."""

from __future__ import annotations

import asyncio
import time

import numpy as np

from app.cartesia import messages as m
from app.cartesia.client import Audio, TTSClient
from app.cartesia.config import ClientConfig, Timeouts
from app.cartesia.errors import Timeout
from app.engine.server import ThreadedServer
from app.engine.synth.tones import VOICE_ID
from tests.cartesia.collect import Received, collect
from tests.cartesia.conftest import KEY, run
from tests.cartesia.expected import expected_audio, expected_words


def request(text: str) -> m.GenerationRequest:
    return m.GenerationRequest("sonic-3", text, VOICE_ID, "",
                               m.OutputFormat("pcm_f32le", 24000))


def reader_running() -> bool:
    return any(t.get_name() == "cartesia-reader" and not t.done()
               for t in asyncio.all_tasks())


def test_the_only_context_is_read_by_its_own_consumer(config: ClientConfig) -> None:
    text = " ".join(["alone"] * 12)

    async def scenario() -> tuple[Received, list[bool], bool]:
        async with TTSClient(config) as client:
            gen = await client.generate(request(text))
            got = Received(gen.context_id)
            routed: list[bool] = []
            async for event in gen:
                if isinstance(event, Audio):
                    got.raw += event.data
                    got.chunks.append(event)
                elif isinstance(event, m.WordTimestamps):
                    got.words += zip(event.words, event.start, event.end, strict=True)
                if not isinstance(event, m.Done):  # after done, the reader is back
                    routed.append(reader_running())
            await asyncio.sleep(0.05)
            return got, routed, reader_running()

    got, routed, idle_reader = run(scenario())
    np.testing.assert_array_equal(got.samples(), expected_audio(text, 24000))
    assert got.words == expected_words(text, 24000)
    # The first frame may still come through the idle reader, handing over; none after.
    assert not any(routed[1:]), routed
    assert idle_reader  # no context: the reader task watches the socket again


def test_contexts_opening_and_ending_mid_stream_lose_and_reorder_nothing(
        server: ThreadedServer, config: ClientConfig) -> None:
    """A is read directly, B opens while A's consumer waits inside recv (routed), B
    ends (A direct again), C opens after A ended: every sample and word in order."""
    server.server.config.pace = 4.0  # so the contexts overlap
    texts = {"a": " ".join(["first"] * 16), "b": "second one here",
             "c": " ".join(["third"] * 4)}
    seen: list[bool] = []

    async def watch(gen_done: asyncio.Event) -> None:
        while not gen_done.is_set():
            seen.append(reader_running())
            await asyncio.sleep(0.01)

    async def later(client: TTSClient, delay: float, key: str) -> Received:
        await asyncio.sleep(delay)
        return await collect(await client.generate(request(texts[key])))

    async def scenario() -> dict[str, Received]:
        async with TTSClient(config) as client:
            done = asyncio.Event()
            watcher = asyncio.create_task(watch(done))
            a = await client.generate(request(texts["a"]))
            got_a, got_b = await asyncio.gather(collect(a), later(client, 0.2, "b"))
            got_c = await collect(await client.generate(request(texts["c"])))
            done.set()
            await watcher
            assert client.connects == 1 and client.open_generations == 0
            return {"a": got_a, "b": got_b, "c": got_c}

    results = run(scenario())
    for key, got in results.items():
        np.testing.assert_array_equal(got.samples(), expected_audio(texts[key], 24000))
        assert got.words == expected_words(texts[key], 24000), key
        assert got.done
    assert any(seen) and not all(seen)  # both ways of reading were used


def test_a_stall_with_several_contexts_is_a_timeout_for_each(
        server: ThreadedServer, config: ClientConfig) -> None:
    server.server.faults.stall_after_chunks = 4
    # The same limit for both: one context may stall before its first chunk.
    quick = ClientConfig(config.base_url, api_key=KEY,
                         timeouts=Timeouts(connect=5, first_chunk=0.3, inactivity=0.3))

    async def scenario() -> tuple[list[BaseException], float]:
        async with TTSClient(quick) as client:
            gens = [await client.generate(request(" ".join(["stalled"] * 20)))
                    for _ in range(2)]
            results = await asyncio.gather(*(collect(g) for g in gens),
                                           return_exceptions=True)
            ended = time.perf_counter()
            fired = server.server.faults.fired_at
            assert fired is not None
            return [r for r in results if isinstance(r, BaseException)], ended - fired

    errors, after = run(scenario())
    assert len(errors) == 2 and all(isinstance(e, Timeout) for e in errors), errors
    assert after < 0.3 + 1.0  # loose: the timeout plus what a loaded machine adds
