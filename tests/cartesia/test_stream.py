"""The streaming client against our loopback server: exact audio, timings, contexts."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Iterator, Sequence

import numpy as np
import pytest

from app.audio import codecs
from app.audio.codecs import ENCODINGS, SAMPLE_RATES
from app.cartesia import messages as m
from app.cartesia.client import Audio, TTSClient
from app.cartesia.config import ClientConfig, Timeouts
from app.cartesia.errors import Cancelled
from app.cartesia.protocol import ServerContext
from app.engine.server import Connection, EngineServer, ServerConfig, ThreadedServer
from app.engine.synth.base import Synthesizer
from app.engine.synth.tones import VOICE_ID, ToneSynthesizer
from tests.cartesia.collect import Received, collect
from tests.cartesia.conftest import KEY, run
from tests.cartesia.expected import expected_audio, expected_words

TEXT = "Hello there, wonderful world."


def request(text: str = TEXT, encoding: str = "pcm_f32le", rate: int = 24000,
            **kw: object) -> m.GenerationRequest:
    return m.GenerationRequest("sonic-3", text, VOICE_ID, "",
                               m.OutputFormat(encoding, rate), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("rate", SAMPLE_RATES)
def test_exact_audio_for_every_encoding_and_rate(config: ClientConfig, encoding: str,
                                                 rate: int) -> None:
    async def scenario() -> Received:
        async with TTSClient(config) as client:
            return await collect(await client.generate(request(encoding=encoding, rate=rate)))

    got = run(scenario())
    expected = expected_audio(TEXT, rate)
    assert bytes(got.raw) == codecs.encode(expected, encoding)
    samples = got.samples()
    assert samples.dtype == np.float32
    assert len(samples) == len(expected)
    np.testing.assert_array_equal(samples, codecs.decode(codecs.encode(expected, encoding),
                                                         encoding))
    # The duration is right for every width (the LiveKit plugin gets 18 of 24 wrong).
    assert len(samples) / rate == pytest.approx(len(expected) / rate)


def test_float_audio_is_a_read_only_view_of_its_chunk(config: ClientConfig) -> None:
    # No copy per chunk: the samples are the bytes as they arrived, and nobody can
    # change them under the take that stores them.
    async def scenario() -> list[Audio]:
        async with TTSClient(config) as client:
            return [event async for event in await client.generate(request())
                    if isinstance(event, Audio)]

    chunks = run(scenario())
    assert len(chunks) > 1
    for audio in chunks:
        assert np.shares_memory(audio.samples, np.frombuffer(audio.data, np.uint8))
        assert not audio.samples.flags.writeable and audio.samples.dtype == np.float32
        np.testing.assert_array_equal(audio.samples, codecs.decode(audio.data, "pcm_f32le"))
        assert dataclasses.astuple(audio)[2:] == (audio.data, audio.flush_id)
    np.testing.assert_array_equal(np.concatenate([a.samples for a in chunks]),
                                  expected_audio(TEXT, 24000))
    with pytest.raises(dataclasses.FrozenInstanceError):
        chunks[0].data = b""  # type: ignore[misc]


def test_exact_word_and_phoneme_timestamps(config: ClientConfig) -> None:
    async def scenario() -> Received:
        async with TTSClient(config) as client:
            gen = await client.generate(request(rate=16000, add_phoneme_timestamps=True))
            return await collect(gen)

    got = run(scenario())
    assert got.words == expected_words(TEXT, 16000)
    letters = [c.lower() for c in TEXT if c.isalnum()]
    assert [p for p, _, _ in got.phonemes] == letters
    starts = [s for _, s, _ in got.phonemes]
    assert starts == sorted(starts)
    assert got.phonemes[0][1] == 0.0
    assert got.phonemes[-1][2] == pytest.approx(got.words[-1][2])


def test_speed_and_volume_reach_the_voice(config: ClientConfig) -> None:
    async def scenario() -> Received:
        async with TTSClient(config) as client:
            gen = await client.generate(request(
                generation_config=m.GenerationConfig(speed=1.25, volume=1.5)))
            return await collect(gen)

    got = run(scenario())
    np.testing.assert_array_equal(got.samples(), expected_audio(TEXT, 24000, 1.25, 1.5))


def test_eight_concurrent_contexts_share_one_socket(config: ClientConfig) -> None:
    texts = [" ".join(f"w{i}x{j}" for j in range(i + 2)) for i in range(8)]

    async def scenario() -> tuple[list[Received], int]:
        async with TTSClient(config) as client:
            gens = [await client.generate(request(t)) for t in texts]
            results = await asyncio.gather(*(collect(g) for g in gens))
            return list(results), client.connects

    results, connects = run(scenario())
    assert connects == 1
    assert len({r.context_id for r in results}) == 8
    for text, got in zip(texts, results, strict=True):
        np.testing.assert_array_equal(got.samples(), expected_audio(text, 24000))
        assert got.words == expected_words(text, 24000)


def test_cancel_stops_the_context_and_the_socket_lives_on(server: ThreadedServer,
                                                         config: ClientConfig) -> None:
    server.server.config.pace = 1.0  # real time, so there is something left to cancel
    long_text = " ".join(["stretch"] * 40)

    async def scenario() -> tuple[int, Received, int]:
        async with TTSClient(config) as client:
            gen = await client.generate(request(long_text))
            chunks = 0
            async for event in gen:
                if isinstance(event, Audio):
                    chunks += 1
                    if chunks == 3:
                        await gen.cancel()
                        break
            with pytest.raises(Cancelled):
                await gen.__anext__()
            server.server.config.pace = 0.0
            after = await collect(await client.generate(request("still here")))
            return chunks, after, client.connects

    chunks, after, connects = run(scenario())
    assert chunks == 3
    assert after.words == expected_words("still here", 24000)
    assert connects == 1


def test_continue_and_flush_stream_text_in_parts(config: ClientConfig) -> None:
    parts = ["One two ", "three ", "four five"]

    async def scenario() -> Received:
        async with TTSClient(config) as client:
            gen = await client.generate(request(parts[0], continue_=True,
                                                max_buffer_delay_ms=5000))
            await gen.push(parts[1])
            flush_id = await gen.flush()
            assert flush_id == 1
            await gen.end(parts[2])
            return await collect(gen)

    got = run(scenario())
    first, second = "One two three", "four five"
    assert got.flushes == [1]
    rate = 24000
    head = expected_audio(first, rate)
    np.testing.assert_array_equal(got.samples(), np.concatenate(
        [head, expected_audio(second, rate)]))
    # Timestamps are cumulative from the start of the context.
    assert got.words == expected_words(first, rate) + expected_words(
        second, rate, offset=len(head) / rate)
    # Chunks after the flush carry its id; those before carry none.
    ids = [c.flush_id for c in got.chunks]
    assert ids[0] is None and ids[-1] == 1


def test_buffer_delay_speaks_what_was_sent(config: ClientConfig) -> None:
    async def scenario() -> list[str]:
        async with TTSClient(config) as client:
            gen = await client.generate(request("waiting words", continue_=True,
                                                max_buffer_delay_ms=100))
            words: list[str] = []
            async for event in gen:
                if isinstance(event, m.WordTimestamps):
                    words += event.words
                    if len(words) == 2:
                        await gen.end()
            return words

    assert run(scenario()) == ["waiting", "words"]


def test_nothing_owed_after_a_flush_is_never_a_timeout(server: ThreadedServer,
                                                      config: ClientConfig) -> None:
    quick = ClientConfig(config.base_url, api_key=KEY,
                         timeouts=Timeouts(first_chunk=0.5, inactivity=0.3))

    async def scenario() -> Received:
        async with TTSClient(quick) as client:
            gen = await client.generate(request("One two ", continue_=True,
                                                max_buffer_delay_ms=5000))
            await gen.flush()
            async for event in gen:
                if isinstance(event, m.FlushDone):
                    break
            await asyncio.sleep(0.8)  # thinking of what to say next: nothing is owed
            await gen.end("three")
            return await collect(gen)

    got = run(scenario())
    assert got.done
    assert [w for w, _, _ in got.words] == ["three"]


class SlowToStop(EngineServer):
    """Its first context stalls before its first chunk and, when cancelled, finishes
    stopping only after a new context with the same id has opened: the order in which
    the old context's work once removed the new context from the server's books."""

    def __init__(self, synthesizers: Sequence[Synthesizer],
                 config: ServerConfig | None = None) -> None:
        super().__init__(synthesizers, config)
        self.stalled = threading.Event()
        self._first: ServerContext | None = None
        self._reopened: asyncio.Event | None = None

    def admit(self, conn: Connection, request: m.GenerationRequest) -> None:
        if self._reopened is not None and self._first is not None \
                and request.context_id == self._first.context_id:
            self._reopened.set()

    async def before_chunk(self, conn: Connection, context: ServerContext,
                           chunk: m.Chunk) -> bool:
        if self._first is None:
            self._first, self._reopened = context, asyncio.Event()
            self.stalled.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                await self._reopened.wait()
                raise
        return True


@pytest.fixture
def slow_to_stop() -> Iterator[ThreadedServer]:
    srv = ThreadedServer([ToneSynthesizer()], ServerConfig(api_key=KEY),
                         server_class=SlowToStop)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def test_a_context_id_reused_after_cancel_is_a_new_context(
        slow_to_stop: ThreadedServer) -> None:
    config = ClientConfig(slow_to_stop.url, api_key=KEY,
                          timeouts=Timeouts(connect=5, first_chunk=5, inactivity=5))
    server = slow_to_stop.server
    assert isinstance(server, SlowToStop)

    async def scenario() -> tuple[Received, int]:
        async with TTSClient(config) as client:
            old = await client.generate(m.GenerationRequest(
                "sonic-3", "never heard", VOICE_ID, "take-1", m.OutputFormat("pcm_f32le",
                                                                            24000)))
            assert await asyncio.to_thread(server.stalled.wait, 5)
            await old.cancel()
            new = await client.generate(m.GenerationRequest(
                "sonic-3", "One two ", VOICE_ID, "take-1", m.OutputFormat("pcm_f32le", 24000),
                continue_=True, max_buffer_delay_ms=5000))
            await asyncio.sleep(0.2)  # the old work has finished stopping by now
            await new.end("three")  # must reach the new context, not open another
            return await collect(new), client.connects

    got, connects = run(scenario())
    text = "One two three"
    np.testing.assert_array_equal(got.samples(), expected_audio(text, 24000))
    assert got.words == expected_words(text, 24000)
    assert connects == 1
