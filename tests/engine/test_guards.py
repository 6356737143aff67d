"""The engine the app starts is the app's alone: its key on every request, no browser
origin and no rebinding host, on the WebSocket and on REST alike.

Requests are sent with plain ``aiohttp``, which lets a test set ``Host`` and
``Origin`` the way a web page's browser would.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from app.cartesia import messages as m
from app.cartesia.client import TTSClient
from app.cartesia.config import ClientConfig
from app.cartesia.errors import AuthError
from app.cartesia.voices_types import Voice
from app.engine.local import LocalEngine
from app.engine.server import ServerConfig, ThreadedServer
from app.engine.synth.tones import VOICE_ID, ToneSynthesizer
from app.settings import Settings
from app.studio.endpoints import Endpoints
from app.studio.options import RunOptions
from tests.cartesia.collect import collect
from tests.engine.conftest import run

KEY = "sk_guard_test_0123456789"
ALLOWED = "https://app.example"
OFFLINE_VOICE = Voice(id=VOICE_ID, name="Test Tones", offline=True)
GENERATION = {"model_id": "sonic-3", "transcript": "Hi there.", "voice": {"id": VOICE_ID},
              "output_format": {"container": "raw", "encoding": "pcm_s16le",
                                "sample_rate": 16000}}


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    config = ServerConfig(api_key=KEY, allowed_origins=(ALLOWED,))
    with ThreadedServer([ToneSynthesizer()], config) as srv:
        yield srv
    assert srv.leftover_tasks == []


def port_of(url: str) -> int:
    port = urllib.parse.urlsplit(url).port
    assert port is not None
    return port


async def ask(url: str, path: str, headers: dict[str, str], method: str = "GET",
              body: bytes | None = None) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Status, JSON body (``{}`` if audio or none) and headers of one request."""
    async with aiohttp.ClientSession() as session, session.request(
            method, url + path, headers=headers, data=body) as response:
        raw = await response.read()
        is_json = response.content_type == "application/json"
        return response.status, json.loads(raw) if is_json else {}, dict(response.headers)


async def upgrade(url: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """The WebSocket upgrade's status (101 when accepted) and error body."""
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(url.replace("http", "ws", 1) + "/tts/websocket",
                                          headers=headers) as ws:
                await ws.send_str(json.dumps(GENERATION | {"context_id": "g"}))
                message = await ws.receive_json(timeout=5)
                assert message["type"] in ("chunk", "timestamps"), message
                return 101, {}
        except aiohttp.WSServerHandshakeError as exc:
            async with session.get(url + "/voices", headers=headers) as response:
                return exc.status, json.loads(await response.read())


BEARER = {"Authorization": f"Bearer {KEY}"}


def test_a_rebinding_host_is_refused_on_the_websocket_and_rest(server: ThreadedServer) -> None:
    port = port_of(server.url)
    bad = [f"evil.example:{port}", "evil.example", f"127.0.0.1:{port + 1}",
           f"127.0.0.1.nip.io:{port}", f"localhost.evil.example:{port}"]
    good = [f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", f"LOCALHOST:{port}"]

    async def scenario() -> list[tuple[str, int, int, int, dict[str, Any]]]:
        out = []
        for host in bad + good:
            headers = BEARER | {"Host": host}
            rest, body, _ = await ask(server.url, "/voices", headers)
            posted, _, _ = await ask(server.url, "/tts/bytes", headers | {
                "Content-Type": "text/plain"}, "POST", json.dumps(GENERATION).encode())
            socket, _ = await upgrade(server.url, headers)
            out.append((host, rest, posted, socket, body))
        return out

    for host, rest, posted, socket, body in run(scenario()):
        if host in good:
            assert (rest, posted, socket) == (200, 200, 101), host
        else:
            assert (rest, posted, socket) == (403, 403, 403), host
            assert body["error_code"] == "host_not_allowed" and host in body["message"]
            assert server.url in body["message"]


def test_a_foreign_origin_is_refused_on_the_websocket_and_rest(server: ThreadedServer) -> None:
    origins = ["https://evil.example", "null", "http://127.0.0.1:8000", ALLOWED + ".evil"]

    async def scenario() -> list[tuple[str, int, int, int, dict[str, Any]]]:
        out = []
        for origin in origins:
            headers = BEARER | {"Origin": origin}
            rest, body, _ = await ask(server.url, "/voices", headers)
            # The request a web page can send without a preflight.
            posted, _, _ = await ask(server.url, "/tts/bytes", {
                "Origin": origin, "Content-Type": "text/plain"}, "POST",
                json.dumps(GENERATION).encode())
            socket, _ = await upgrade(server.url, headers)
            out.append((origin, rest, posted, socket, body))
        return out

    for origin, rest, posted, socket, body in run(scenario()):
        assert (rest, posted, socket) == (403, 403, 403), origin
        assert body["error_code"] == "origin_not_allowed"
        assert f"--allow-origin {origin}" in body["message"]


def test_an_allowed_origin_may_use_the_server_from_a_browser(server: ThreadedServer) -> None:
    async def scenario() -> tuple[int, dict[str, str], int, dict[str, str], int, int]:
        origin = {"Origin": ALLOWED}
        preflight, _, asked = await ask(server.url, "/tts/bytes", origin | {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"}, "OPTIONS")
        listed, _, answered = await ask(server.url, "/voices", BEARER | origin)
        keyless, _, _ = await ask(server.url, "/voices", origin)
        socket, _ = await upgrade(server.url, BEARER | origin)
        return preflight, asked, listed, answered, keyless, socket

    preflight, asked, listed, answered, keyless, socket = run(scenario())
    assert preflight == 204 and asked["Access-Control-Allow-Origin"] == ALLOWED
    assert "Authorization" in asked["Access-Control-Allow-Headers"]
    assert listed == 200 and answered["Access-Control-Allow-Origin"] == ALLOWED
    assert keyless == 401  # an allowed origin still needs the key
    assert socket == 101


def test_a_request_without_the_engines_key_is_refused() -> None:
    engine = LocalEngine(synthesizers=[ToneSynthesizer()])
    url = engine.start()
    try:
        async def scenario() -> tuple[list[int], int, BaseException | None]:
            statuses = []
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"X-API-Key": "wrong"},
                            {"Authorization": f"Bearer {engine.key}"}):
                status, _, _ = await ask(url, "/voices", headers)
                statuses.append(status)
            socket, _ = await upgrade(url, {})
            error = None
            try:
                async with TTSClient(ClientConfig(url, None)) as client:
                    await collect(await client.generate(m.GenerationRequest(
                        "sonic-3", "Hi.", VOICE_ID, "", m.OutputFormat())))
            except AuthError as exc:
                error = exc
            return statuses, socket, error

        statuses, socket, error = run(scenario())
    finally:
        engine.stop()
    assert statuses == [401, 401, 401, 200]
    assert socket == 401
    assert isinstance(error, AuthError)
    assert len(engine.key) >= 40 and engine.key != LocalEngine().key  # random per launch


def test_the_apps_endpoints_reach_the_engine_with_its_key() -> None:
    engine = LocalEngine(synthesizers=[ToneSynthesizer()])

    async def scenario() -> tuple[ClientConfig, list[str]]:
        endpoints = Endpoints(Settings(None), RunOptions(offline=True), engine=engine,
                              environ={})
        try:
            route = await endpoints.route(OFFLINE_VOICE)
            client = await endpoints.client_for(OFFLINE_VOICE)
            got = await collect(await client.generate(m.GenerationRequest(
                "sonic-3", "With the key.", VOICE_ID, "", m.OutputFormat())))
        finally:
            await endpoints.close()
        return route.config, [w for w, _, _ in got.words]

    config, words = run(scenario())
    assert config.api_key == engine.key
    assert words == ["With", "the", "key."]


def test_the_engine_child_gets_its_key_off_the_command_line() -> None:
    """The child process: its key is nowhere another user can read (command line,
    environment), and it requires it."""
    engine = LocalEngine(environ={"PATH": "/usr/bin:/bin"})
    try:
        url = engine.start()
        assert engine.pid is not None
        cmdline = Path(f"/proc/{engine.pid}/cmdline").read_bytes()
        environ = Path(f"/proc/{engine.pid}/environ").read_bytes()

        async def scenario() -> list[int]:
            return [(await ask(url, "/voices", headers))[0]
                    for headers in ({}, {"Authorization": f"Bearer {engine.key}"},
                                    {"Authorization": f"Bearer {engine.key}",
                                     "Host": "evil.example"})]

        statuses = run(scenario(), timeout=30)
    finally:
        engine.stop()
    assert b"--key-from-stdin" in cmdline
    assert engine.key.encode() not in cmdline and engine.key.encode() not in environ
    assert statuses == [401, 200, 403]


def test_the_guards_hold_while_contexts_run(server: ThreadedServer) -> None:
    """Refusals cost the running work nothing: a socket keeps streaming meanwhile."""
    async def scenario() -> bool:
        async with aiohttp.ClientSession() as session, session.ws_connect(
                server.url.replace("http", "ws", 1) + "/tts/websocket",
                headers=BEARER) as ws:
            await ws.send_str(json.dumps(GENERATION | {"context_id": "kept",
                                                       "transcript": "word " * 40}))
            refused = await asyncio.gather(*(
                ask(server.url, "/voices", BEARER | {"Origin": "null"}) for _ in range(20)))
            assert {status for status, _, _ in refused} == {403}
            while (message := await ws.receive_json(timeout=5))["type"] != "done":
                assert message["type"] != "error", message
            return True

    assert run(scenario())
