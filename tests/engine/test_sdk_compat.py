"""The official ``cartesia`` SDK (4.2.x), unchanged, against our loopback server.

Every server message and voice the SDK receives is also validated against the SDK's
own typed models (it only builds them unchecked), so a field our server leaves out
or shapes wrongly fails here even where the SDK would not notice.
"""

from __future__ import annotations

import io
import wave
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import websockets
from cartesia import AsyncCartesia, AuthenticationError, NotFoundError
from cartesia.types.voice import Voice as SdkVoice

from app.audio import codecs
from app.audio.codecs import ENCODINGS
from app.cartesia.config import ClientConfig, Timeouts
from app.cartesia.voices import VoicesClient
from app.engine.server import ThreadedServer
from app.engine.synth.tones import VOICE_ID
from tests.cartesia.expected import expected_audio, expected_words
from tests.engine.conftest import EXTRA_VOICES, KEY, our_client_receives, run, ws_base

PARTS = ("Hello there, ", "wonderful ", "world.")
TEXT = "".join(PARTS)
VOICE = {"mode": "id", "id": VOICE_ID}


@asynccontextmanager
async def sdk(server: ThreadedServer, key: str = KEY,
              requests: list[httpx.Request] | None = None) -> AsyncIterator[AsyncCartesia]:
    """The SDK as its docs say to point it elsewhere; ``requests`` records REST calls."""
    async def record(request: httpx.Request) -> None:
        if requests is not None:
            requests.append(request)

    http = httpx.AsyncClient(event_hooks={"request": [record]})
    client = AsyncCartesia(api_key=key, base_url=server.url,
                           websocket_base_url=ws_base(server), http_client=http)
    try:
        yield client
    finally:
        await client.close()
        await http.aclose()


def strictly(event: Any) -> Any:
    """Re-validate an event the SDK built unchecked against its own model."""
    return type(event).model_validate(event.to_dict())


@pytest.mark.parametrize(("encoding", "rate"), [
    ("pcm_f32le", 44100), ("pcm_s16le", 24000), ("pcm_mulaw", 8000), ("pcm_alaw", 16000)])
def test_websocket_stream_gets_exactly_what_our_client_gets(server: ThreadedServer,
                                                            encoding: str, rate: int) -> None:
    fmt = {"container": "raw", "encoding": encoding, "sample_rate": rate}

    async def scenario() -> tuple[bytes, list[tuple[str, float, float]], list[str], Any]:
        audio, words, types = bytearray(), [], []
        async with sdk(server) as client, client.tts.websocket_connect() as conn:
            # Text arrives in parts, as from an LLM; a long buffer delay keeps the
            # parts one generation whatever the machine's load.
            ctx = conn.context(model_id="sonic-3", voice=VOICE, output_format=fmt,
                               language="en", add_timestamps=True, max_buffer_delay_ms=5000)
            for part in PARTS:
                await ctx.push(part)
            await ctx.no_more_inputs()
            async for event in ctx.receive():
                strictly(event)
                types.append(event.type)
                if event.type == "chunk":
                    assert event.context_id == ctx._context_id
                    audio += event.audio
                elif event.type == "timestamps":
                    stamps = event.word_timestamps
                    words += zip(stamps.words, stamps.start, stamps.end, strict=True)
            headers = conn._connection.request.headers
        return bytes(audio), words, types, headers

    audio, words, types, headers = run(scenario())
    ours = our_client_receives(server, TEXT, encoding, rate)
    assert audio == bytes(ours.raw)
    assert audio == codecs.encode(expected_audio(TEXT, rate), encoding)
    assert words == ours.words == expected_words(TEXT, rate)
    assert types[-1] == "done" and "error" not in types
    # The SDK's conventions: the key as a Bearer header, the version as a header.
    assert headers["Authorization"] == f"Bearer {KEY}"
    assert headers["cartesia-version"] >= "2026-03-01"


def test_flush_and_phoneme_timestamps(server: ThreadedServer) -> None:
    fmt = {"container": "raw", "encoding": "pcm_s16le", "sample_rate": 16000}

    async def scenario() -> list[Any]:
        async with sdk(server) as client, client.tts.websocket_connect() as conn:
            ctx = conn.context(model_id="sonic-3", voice=VOICE, output_format=fmt,
                               add_timestamps=True, add_phoneme_timestamps=True)
            await ctx.push("Hi there. ")
            await ctx.push("", flush=True)
            await ctx.push("Bye.")
            await ctx.no_more_inputs()
            return [strictly(event) async for event in ctx.receive()]

    events = run(scenario())
    kinds = [e.type for e in events]
    assert kinds.count("flush_done") == 1
    flushed = kinds.index("flush_done")
    assert events[flushed].flush_id == 1
    # Audio after the flush carries its id; before it, none.
    assert {e.flush_id for e in events[:flushed] if e.type == "chunk"} == {None}
    assert {e.flush_id for e in events[flushed:] if e.type == "chunk"} == {1}
    phonemes = [p for e in events if e.type == "phoneme_timestamps"
                for p in e.phoneme_timestamps.phonemes]
    assert phonemes == list("hitherebye")
    words = [(w, s) for e in events if e.type == "timestamps"
             for w, s in zip(e.word_timestamps.words, e.word_timestamps.start, strict=True)]
    assert [w for w, _ in words] == ["Hi", "there.", "Bye."]
    # Cumulative from the start of the context across the two generations.
    first_part = len(codecs.encode(expected_audio("Hi there.", 16000), "pcm_s16le")) // 2
    assert words[2][1] == pytest.approx(first_part / 16000)
    assert kinds[-1] == "done"


def test_error_in_band_reaches_the_sdk_as_an_error_event(server: ThreadedServer) -> None:
    fmt = {"container": "raw", "encoding": "pcm_s16le", "sample_rate": 24000}

    async def scenario() -> list[Any]:
        async with sdk(server) as client, client.tts.websocket_connect() as conn:
            ctx = conn.context(model_id="sonic-9000", voice=VOICE, output_format=fmt)
            await ctx.push("Hello.", continue_=False)
            return [strictly(event) async for event in ctx.receive()]

    events = run(scenario())
    assert [e.type for e in events] == ["error"]
    error = events[0]
    assert error.status_code == 400 and error.error_code == "model_not_found"
    assert error.context_id and error.request_id
    assert "sonic-9000" in error.error


def test_voice_list_pages_through_every_voice(server: ThreadedServer) -> None:
    requests: list[httpx.Request] = []

    async def scenario() -> tuple[list[Any], list[str]]:
        async with sdk(server, requests=requests) as client:
            sdk_voices = [v async for v in client.voices.list(limit=2)]
        config = ClientConfig(server.url, api_key=KEY, timeouts=Timeouts(rest=5))
        async with VoicesClient(config) as ours:
            our_ids = [v.id for v in await ours.list()]
        return sdk_voices, our_ids

    voices, our_ids = run(scenario())
    assert len(voices) == 1 + EXTRA_VOICES
    assert [v.id for v in voices] == our_ids
    for voice in voices:
        SdkVoice.model_validate(voice.to_dict())
    tones = next(v for v in voices if v.id == VOICE_ID)
    assert tones.name == "Test Tones" and tones.language == "en"
    assert tones.locales[0].locale == "en-US" and tones.locales[0].is_native
    # Pages of 2, 2 and 1, then one request too many: the SDK ignores has_more.
    cursors = [r.url.params.get("starting_after") for r in requests]
    assert cursors == [None, our_ids[1], our_ids[3], our_ids[4]]
    assert all(r.headers["Authorization"] == f"Bearer {KEY}" for r in requests)


def test_get_one_voice_and_a_missing_one(server: ThreadedServer) -> None:
    async def scenario() -> tuple[Any, NotFoundError]:
        async with sdk(server) as client:
            voice = await client.voices.get(VOICE_ID)
            with pytest.raises(NotFoundError) as missing:
                await client.voices.get("7e57701e-0000-4000-8000-00000000dead")
        return voice, missing.value

    voice, missing = run(scenario())
    SdkVoice.model_validate(voice.to_dict())
    assert voice.id == VOICE_ID and voice.name == "Test Tones"
    assert missing.status_code == 404
    assert missing.body["error_code"] == "voice_not_found"


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_bytes_endpoint_gives_the_streamed_audio(server: ThreadedServer, encoding: str) -> None:
    fmt = {"container": "raw", "encoding": encoding, "sample_rate": 22050}

    async def scenario() -> bytes:
        async with sdk(server) as client:
            response = await client.tts.generate(model_id="sonic-3", transcript=TEXT,
                                                 voice=VOICE, output_format=fmt, language="en")
            return await response.read()

    assert run(scenario()) == bytes(our_client_receives(server, TEXT, encoding, 22050).raw)


def test_bytes_endpoint_wav_container(server: ThreadedServer) -> None:
    fmt = {"container": "wav", "encoding": "pcm_s16le", "sample_rate": 24000}

    async def scenario() -> bytes:
        async with sdk(server) as client:
            response = await client.tts.generate(model_id="sonic-3", transcript=TEXT,
                                                 voice=VOICE, output_format=fmt)
            return await response.read()

    with wave.open(io.BytesIO(run(scenario()))) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 24000)
        frames = wav.readframes(wav.getnframes())
    assert frames == bytes(our_client_receives(server, TEXT, "pcm_s16le", 24000).raw)


def test_a_wrong_key_is_refused_on_rest_and_at_the_upgrade(server: ThreadedServer) -> None:
    async def scenario() -> tuple[AuthenticationError, websockets.InvalidStatus]:
        async with sdk(server, key="sk_wrong") as client:
            with pytest.raises(AuthenticationError) as rest:
                await client.voices.get(VOICE_ID)
            with pytest.raises(websockets.InvalidStatus) as upgrade:
                async with client.tts.websocket_connect():
                    pass
        return rest.value, upgrade.value

    rest, upgrade = run(scenario())
    assert rest.status_code == 401
    assert upgrade.response.status_code == 401
