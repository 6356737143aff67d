"""``ServerConfig.max_contexts`` (``serve --max-contexts``): a plan's concurrency, with
Cartesia's own ``concurrency_limited`` frame for a context beyond it, in the shape of
the socket's API version. Frames are read raw (aiohttp), as a foreign client sees them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from app.engine.server import ServerConfig, ThreadedServer
from app.engine.synth.tones import VOICE_ID, ToneSynthesizer
from tests.engine.conftest import run

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk_limit_test_0123456789"
ESPEAK_EN = "e5beac00-0000-4000-8000-00000000e001"
#: Long enough at real-time pace to stay open while the test opens others.
LONG = "one two three four five six seven eight nine ten eleven twelve"


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    # Paced at real time: a context stays open for seconds, long enough to overlap.
    config = ServerConfig(api_key=KEY, pace=1.0, max_contexts=2)
    with ThreadedServer([ToneSynthesizer()], config) as srv:
        yield srv
    assert srv.leftover_tasks == []


def generation(context_id: str, transcript: str = LONG) -> str:
    return json.dumps({"model_id": "sonic-3", "transcript": transcript,
                       "voice": {"mode": "id", "id": VOICE_ID}, "context_id": context_id,
                       "output_format": {"container": "raw", "encoding": "pcm_s16le",
                                         "sample_rate": 8000}})


def ws_url(server: ThreadedServer, version: str) -> str:
    return (server.url.replace("http://", "ws://", 1) + "/tts/websocket"
            f"?cartesia_version={version}")


async def first_frame_of(ws: aiohttp.ClientWebSocketResponse, context_id: str
                         ) -> dict[str, Any]:
    while True:
        frame = json.loads(await ws.receive_str())
        if frame["context_id"] == context_id:
            return frame


async def refused_frame(server: ThreadedServer, version: str) -> dict[str, Any]:
    """The answer to a third context while two run on one socket."""
    headers = {"Authorization": f"Bearer {KEY}"}
    async with aiohttp.ClientSession() as session, session.ws_connect(
            ws_url(server, version), headers=headers) as ws:
        for name in ("a", "b"):
            await ws.send_str(generation(name))
            assert (await first_frame_of(ws, name))["type"] == "chunk"
        await ws.send_str(generation("c"))
        frame = await first_frame_of(ws, "c")
        for name in ("a", "b"):
            await ws.send_str(json.dumps({"context_id": name, "cancel": True}))
        return frame


def test_a_context_beyond_the_limit_gets_cartesias_structured_error(
        server: ThreadedServer) -> None:
    frame = run(refused_frame(server, "2026-03-01"))
    request_id = frame.pop("request_id")
    assert isinstance(request_id, str) and request_id
    # The documented frame (docs.cartesia.ai, api-errors: "WebSocket error event").
    assert frame == {"type": "error", "done": True, "status_code": 429,
                     "error_code": "concurrency_limited",
                     "title": "Too many concurrent requests",
                     "message": "You have exceeded your plan's concurrency limit.",
                     "context_id": "c"}
    assert server.server.peak_contexts == 2


def test_older_versions_get_the_unstructured_error(server: ThreadedServer) -> None:
    frame = run(refused_frame(server, "2025-04-16"))
    assert frame == {"type": "error", "done": True, "status_code": 429,
                     "error": "Too many concurrent requests: You have exceeded your plan's "
                              "concurrency limit.",
                     "context_id": "c"}


def test_the_limit_counts_every_socket_of_the_key_and_frees_at_done(
        server: ThreadedServer) -> None:
    async def scenario() -> list[str]:
        headers = {"Authorization": f"Bearer {KEY}"}
        url = ws_url(server, "2026-03-01")
        async with aiohttp.ClientSession() as session, \
                session.ws_connect(url, headers=headers) as one, \
                session.ws_connect(url, headers=headers) as two:
            await one.send_str(generation("a"))
            await two.send_str(generation("b", "Hi."))
            assert (await first_frame_of(one, "a"))["type"] == "chunk"
            # "b" is short: wait for its done; then its slot is free again.
            while (await first_frame_of(two, "b"))["type"] != "done":
                pass
            await two.send_str(generation("c"))
            await one.send_str(generation("d"))
            kinds = [(await first_frame_of(two, "c"))["type"],
                     (await first_frame_of(one, "d"))["type"]]
            for ws, name in ((one, "a"), (two, "c")):
                await ws.send_str(json.dumps({"context_id": name, "cancel": True}))
            return kinds

    assert run(scenario()) == ["chunk", "error"]
    assert server.server.peak_contexts == 2


def test_no_limit_by_default() -> None:
    with ThreadedServer([ToneSynthesizer()], ServerConfig(api_key=KEY, pace=1.0)) as srv:
        async def scenario() -> list[str]:
            headers = {"Authorization": f"Bearer {KEY}"}
            async with aiohttp.ClientSession() as session, session.ws_connect(
                    ws_url(srv, "2026-03-01"), headers=headers) as ws:
                names = [uuid.uuid4().hex for _ in range(16)]
                for name in names:
                    await ws.send_str(generation(name))
                kinds = [(await first_frame_of(ws, name))["type"] for name in names]
                for name in names:
                    await ws.send_str(json.dumps({"context_id": name, "cancel": True}))
                return kinds

        assert run(scenario()) == ["chunk"] * 16
        assert srv.server.peak_contexts == 16


def test_serve_max_contexts_sets_the_limit() -> None:
    """``voicebooth serve --max-contexts 1``, as a user runs it to rehearse a plan."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARTESIA_")}
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve", "--api-key", KEY,
                             "--max-contexts", "1", "--pace", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", proc.stdout.readline())
        assert match
        url = match.group(1).replace("http://", "ws://", 1) + "/tts/websocket"

        async def scenario() -> list[str]:
            async with aiohttp.ClientSession() as session, session.ws_connect(
                    url, headers={"Authorization": f"Bearer {KEY}"}) as ws:
                first = json.loads(generation("a"))
                first["voice"]["id"] = ESPEAK_EN
                await ws.send_str(json.dumps(first))
                kinds = [(await first_frame_of(ws, "a"))["type"]]
                second = dict(first, context_id="b")
                await ws.send_str(json.dumps(second))
                kinds.append((await first_frame_of(ws, "b")).get("error_code", "?"))
                await ws.send_str(json.dumps({"context_id": "a", "cancel": True}))
                return kinds

        assert run(scenario(), timeout=60) == ["chunk", "concurrency_limited"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
