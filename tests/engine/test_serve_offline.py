"""`python main.py serve` with the real offline voices, used by the official SDK and
the LiveKit plugin unchanged, and by our own client for two contexts at once."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cartesia import AsyncCartesia
from livekit.agents import APIConnectOptions
from livekit.agents.types import USERDATA_TIMED_TRANSCRIPT
from livekit.plugins import cartesia as lk_cartesia

from app.cartesia import messages as m
from app.cartesia.client import TTSClient
from app.cartesia.config import ClientConfig
from app.cartesia.voices import VoicesClient
from app.engine.synth.piper_voice import VOICE_ID as PIPER
from tests.cartesia.collect import Received, collect
from tests.engine.conftest import run

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk_serve_test_0123456789"
ESPEAK_DE = "e5beac00-0000-4000-8000-00000000e003"
TEXT = "Welcome to the voice preview."


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARTESIA_")}
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve", "--api-key", KEY],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", proc.stdout.readline())
        assert match
        yield match.group(1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_voices_are_listed_in_cartesias_shape(served: str) -> None:
    async def scenario() -> list[Any]:
        async with VoicesClient(ClientConfig(served, api_key=KEY)) as client:
            return await client.list()

    voices = run(scenario())
    by_id = {v.id: v for v in voices}
    assert by_id[PIPER].name == "Joe (offline)" and by_id[PIPER].offline
    assert "non-commercial" in by_id[PIPER].description
    assert by_id[ESPEAK_DE].language == "de"


def test_sdk_streams_the_piper_voice(served: str) -> None:
    async def scenario() -> tuple[int, list[str]]:
        client = AsyncCartesia(api_key=KEY, base_url=served,
                               websocket_base_url=served.replace("http", "ws", 1))
        audio, words = 0, []
        try:
            async with client.tts.websocket_connect() as conn:
                ctx = conn.context(model_id="sonic-3", voice={"mode": "id", "id": PIPER},
                                   output_format={"container": "raw", "encoding": "pcm_f32le",
                                                  "sample_rate": 24000},
                                   language="en", add_timestamps=True)
                await ctx.push(TEXT)
                await ctx.no_more_inputs()
                async for event in ctx.receive():
                    if event.type == "chunk":
                        audio += len(event.audio or b"")
                    elif event.type == "timestamps":
                        words += event.word_timestamps.words
        finally:
            await client.close()
        return audio, words

    audio, words = run(scenario(), timeout=60)
    assert audio / 4 / 24000 > 1.0
    assert words == TEXT.split()


def test_livekit_plugin_streams_the_piper_voice(served: str) -> None:
    async def scenario() -> tuple[int, list[Any]]:
        audio, words = 0, []
        async with aiohttp.ClientSession() as session:
            tts = lk_cartesia.TTS(api_key=KEY, base_url=served, http_session=session,
                                  voice=PIPER, model="sonic-3", sample_rate=24000)
            stream = tts.stream(conn_options=APIConnectOptions(max_retry=0, timeout=30))
            stream.push_text(TEXT)
            stream.end_input()
            async for event in stream:
                audio += len(bytes(event.frame.data.cast("B")))
                words += event.frame.userdata.get(USERDATA_TIMED_TRANSCRIPT, [])
            await stream.aclose()
            await tts.aclose()
        return audio, words

    audio, words = run(scenario(), timeout=60)
    assert audio / 2 / 24000 > 1.0
    assert [w.strip() for w in words] == TEXT.split()
    starts = [w.start_time for w in words]
    assert starts == sorted(starts)


def test_two_contexts_at_once_piper_and_espeak(served: str) -> None:
    def request(voice: str, text: str, language: str) -> m.GenerationRequest:
        return m.GenerationRequest("sonic-3", text, voice, "", m.OutputFormat("pcm_s16le",
                                   16000), language=language)

    async def scenario() -> list[Received]:
        async with TTSClient(ClientConfig(served, api_key=KEY)) as client:
            a = await client.generate(request(PIPER, TEXT, "en"))
            b = await client.generate(request(ESPEAK_DE, "Guten Morgen zusammen.", "de"))
            return list(await asyncio.gather(collect(a), collect(b)))

    english, german = run(scenario(), timeout=60)
    assert [w for w, _, _ in english.words] == TEXT.split()
    assert [w for w, _, _ in german.words] == ["Guten", "Morgen", "zusammen."]
    for got in (english, german):
        ends = [e for _, _, e in got.words]
        assert ends == sorted(ends) and ends[-1] <= len(got.samples()) / 16000 + 1e-6


def serve(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARTESIA_")}
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "serve", *args],
                          input=stdin, capture_output=True, text=True, timeout=60, env=env)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1", ""])
def test_serve_beyond_loopback_without_a_key_refuses_to_start(host: str) -> None:
    # Refused before binding: nothing in the tests listens beyond 127.0.0.1.
    done = serve("--host", host)
    assert done.returncode == 2
    assert "refusing to listen" in done.stderr and "no key" in done.stderr
    assert "--api-key" in done.stderr and "--insecure" in done.stderr
    assert "listening on" not in done.stdout


def test_serve_key_options_are_checked() -> None:
    empty = serve("--key-from-stdin", stdin="\n")
    assert empty.returncode == 2 and "gave no key" in empty.stderr
    both = serve("--key-from-stdin", "--api-key", KEY)
    assert both.returncode == 2 and "not allowed with" in both.stderr
    public = serve("--host", "0.0.0.0", "--key-from-stdin")  # stdin closed: no key
    assert public.returncode == 2 and "listening on" not in public.stdout
