"""The LiveKit plugin (livekit-plugins-cartesia 1.8.x), unchanged, against our loopback server.

Importing livekit costs about a second, so every LiveKit test lives in this module.
The plugin reads every encoding as 16-bit PCM, so only ``pcm_s16le`` is meaningful here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from livekit.agents import APIConnectOptions, APIStatusError
from livekit.agents.types import USERDATA_TIMED_TRANSCRIPT
from livekit.plugins import cartesia

from app.engine.server import ThreadedServer
from app.engine.synth.tones import VOICE_ID
from tests.engine.conftest import KEY, our_client_receives, run

TEXT = "Hello there, wonderful world."
#: No retries: a refused key must fail the test at once, not after back-off.
ONCE = APIConnectOptions(max_retry=0, timeout=5)


@asynccontextmanager
async def plugin(server: ThreadedServer, rate: int = 24000, key: str = KEY,
                 seen: list[tuple[str, str, dict[str, str]]] | None = None
                 ) -> AsyncIterator[cartesia.TTS]:
    """The plugin as its docs say to point it elsewhere; ``seen`` records its requests."""
    async def on_start(session: aiohttp.ClientSession, ctx: SimpleNamespace,
                       params: aiohttp.TraceRequestStartParams) -> None:
        if seen is not None:
            seen.append((params.method, str(params.url), dict(params.headers)))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        tts = cartesia.TTS(api_key=key, base_url=server.url, http_session=session,
                           voice=VOICE_ID, model="sonic-3", sample_rate=rate)
        try:
            yield tts
        finally:
            await tts.aclose()


def frame_bytes(event: Any) -> bytes:
    return bytes(event.frame.data.cast("B"))


@pytest.mark.parametrize("rate", [16000, 24000, 44100])
def test_stream_gets_exactly_what_our_client_gets(server: ThreadedServer, rate: int) -> None:
    seen: list[tuple[str, str, dict[str, str]]] = []

    async def scenario() -> tuple[bytes, list[Any]]:
        audio, words = bytearray(), []
        async with plugin(server, rate, seen=seen) as tts:
            stream = tts.stream(conn_options=ONCE)
            stream.push_text(TEXT)
            stream.end_input()
            async for event in stream:
                audio += frame_bytes(event)
                words += event.frame.userdata.get(USERDATA_TIMED_TRANSCRIPT, [])
            await stream.aclose()
        return bytes(audio), words

    audio, words = run(scenario())
    ours = our_client_receives(server, TEXT, "pcm_s16le", rate)
    assert audio == bytes(ours.raw)
    # The aligned transcript: the plugin re-attaches the spaces of the text it sent.
    assert [(w.strip(), w.start_time, w.end_time) for w in words] == ours.words
    assert "".join(words) == TEXT
    # The plugin's conventions: X-API-Key, and the version in the WebSocket's query.
    method, url, headers = seen[0]
    assert method == "GET" and "/tts/websocket?cartesia_version=2025-04-16" in url
    assert headers["X-API-Key"] == KEY and "Authorization" not in headers


def test_synthesize_uses_the_bytes_endpoint(server: ThreadedServer) -> None:
    seen: list[tuple[str, str, dict[str, str]]] = []

    async def scenario() -> list[Any]:
        async with plugin(server, seen=seen) as tts:
            return [event async for event in tts.synthesize(TEXT, conn_options=ONCE)]

    events = run(scenario())
    audio = b"".join(frame_bytes(e) for e in events)
    ours = bytes(our_client_receives(server, TEXT, "pcm_s16le", 24000).raw)
    # After the body, the plugin's emitter adds one 10 ms silent frame to carry
    # is_final; it is LiveKit's, not the server's.
    marker = 24000 // 100 * 2
    assert events[-1].is_final and len(frame_bytes(events[-1])) == marker
    assert audio == ours + bytes(marker)
    assert [(m, u.split("?")[0].removeprefix(server.url)) for m, u, _ in seen] == [
        ("POST", "/tts/bytes")]
    assert seen[0][2]["X-API-Key"] == KEY and seen[0][2]["Cartesia-Version"] == "2025-04-16"


def test_a_wrong_key_is_refused_for_stream_and_synthesize(server: ThreadedServer) -> None:
    async def scenario() -> list[APIStatusError]:
        errors = []
        async with plugin(server, key="sk_wrong") as tts:
            with pytest.raises(APIStatusError) as bytes_refused:
                async for _ in tts.synthesize(TEXT, conn_options=ONCE):
                    pass
            errors.append(bytes_refused.value)
            stream = tts.stream(conn_options=ONCE)
            stream.push_text(TEXT)
            stream.end_input()
            with pytest.raises(APIStatusError) as upgrade_refused:
                async for _ in stream:
                    pass
            errors.append(upgrade_refused.value)
            await stream.aclose()
        return errors

    assert [e.status_code for e in run(scenario())] == [401, 401]
