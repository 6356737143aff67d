"""Our server against what our client would never send: every bad field is a 400 that
names it, as an ``error`` event with ``done: true`` for that context alone, and the
socket goes on serving. Raw ``websockets`` and ``aiohttp`` send the frames."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from app.cartesia import messages as m
from app.cartesia.config import ClientConfig
from app.engine.server import (
    MAX_TRANSCRIPT_CHARS,
    Connection,
    EngineServer,
    ServerConfig,
    ThreadedServer,
)
from app.engine.synth.base import AudioOut, SynthEvent, SynthRequest
from app.engine.synth.tones import VOICE_ID, ToneSynthesizer
from tests.cartesia.conftest import KEY, run

FAILING_VOICE = "fa11ed00-0000-4000-8000-000000000001"


def request(context_id: str, transcript: str = "Hello there.", **fields: Any) -> dict[str, Any]:
    return {"model_id": "sonic-3", "transcript": transcript,
            "voice": {"mode": "id", "id": VOICE_ID}, "language": "en",
            "context_id": context_id, "add_timestamps": True,
            "output_format": {"container": "raw", "encoding": "pcm_s16le",
                              "sample_rate": 16000}} | fields


async def connect(config: ClientConfig) -> ClientConnection:
    # close_timeout: a test that stops reading cannot see the server's close frame.
    return await websockets.connect(config.ws_url(), additional_headers=config.headers(),
                                    max_size=None, close_timeout=1)


async def until_end(ws: ClientConnection, context_id: str) -> dict[str, Any]:
    """The message that ends ``context_id`` (``done`` or ``error``); others are skipped."""
    while True:
        message = json.loads(await ws.recv())
        if message.get("context_id") == context_id and message["done"]:
            return message


async def still_serves(ws: ClientConnection) -> bool:
    await ws.send(json.dumps(request("after")))
    return (await until_end(ws, "after"))["type"] == "done"


BAD_FIELDS = [
    ({"max_buffer_delay_ms": 10**400}, "max_buffer_delay_ms"),
    ({"max_buffer_delay_ms": -5}, "max_buffer_delay_ms"),
    ({"max_buffer_delay_ms": 999999}, "max_buffer_delay_ms"),
    ({"generation_config": {"speed": 10**400}}, "generation_config.speed"),
    ({"generation_config": {"volume": 0.1}}, "generation_config.volume"),
    ({"add_phoneme_timestamps": "yes"}, "add_phoneme_timestamps"),
    ({"output_format": {"container": "raw", "encoding": "pcm_s24le",
                        "sample_rate": 16000}}, "output_format.encoding"),
]


@pytest.mark.parametrize(("fields", "named"), BAD_FIELDS)
def test_each_bad_field_is_an_error_event_and_the_socket_lives_on(
        config: ClientConfig, fields: dict[str, Any], named: str) -> None:
    async def scenario() -> tuple[dict[str, Any], bool]:
        async with await connect(config) as ws:
            await ws.send(json.dumps(request("bad", **fields)))
            return await until_end(ws, "bad"), await still_serves(ws)

    error, alive = run(scenario())
    assert error["type"] == "error" and error["done"] is True
    assert error["status_code"] == 400 and error["message"].startswith(named + " ")
    assert alive


def test_a_bad_field_in_a_later_input_ends_that_context(config: ClientConfig) -> None:
    async def scenario() -> tuple[dict[str, Any], bool]:
        async with await connect(config) as ws:
            await ws.send(json.dumps(request("later", "One ", **{"continue": True})))
            await ws.send(json.dumps(request("later", "two", max_buffer_delay_ms=10**400)))
            return await until_end(ws, "later"), await still_serves(ws)

    error, alive = run(scenario())
    assert error["type"] == "error" and error["message"].startswith("max_buffer_delay_ms ")
    assert alive


def test_json_nested_100k_deep_is_an_error_event_not_a_dropped_connection(
        config: ClientConfig) -> None:
    async def scenario() -> tuple[dict[str, Any], bool]:
        async with await connect(config) as ws:
            await ws.send("[" * 100_000 + "]" * 100_000)
            error = json.loads(await ws.recv())
            return error, await still_serves(ws)

    error, alive = run(scenario())
    assert error["type"] == "error" and error["done"] is True and error["status_code"] == 400
    assert "nested too deeply" in error["message"]
    assert alive


def test_a_lone_surrogate_fails_one_of_four_generations_only(config: ClientConfig) -> None:
    texts = {"a": "First one.", "b": "Broken \ud800 text.", "c": "Third one.",
             "d": "Fourth one."}

    async def scenario() -> dict[str, dict[str, Any]]:
        async with await connect(config) as ws:
            for context_id, text in texts.items():
                # json.dumps escapes it (\ud800), as a careless client would send it.
                await ws.send(json.dumps(request(context_id, text)))
            ends = {}
            while len(ends) < len(texts):
                message = json.loads(await ws.recv())
                if message["done"]:
                    ends[message["context_id"]] = message
            ends["after"] = {"type": "done" if await still_serves(ws) else "?"}
            return ends

    ends = run(scenario())
    assert ends["b"]["type"] == "error" and ends["b"]["status_code"] == 400
    assert ends["b"]["message"].startswith("transcript ") and "surrogate" in ends["b"]["message"]
    assert {k: v["type"] for k, v in ends.items() if k != "b"} == {
        "a": "done", "c": "done", "d": "done", "after": "done"}


def test_transcripts_are_bounded_per_context_with_a_clear_error(config: ClientConfig) -> None:
    limit = MAX_TRANSCRIPT_CHARS
    part = "word " * (limit // 10)  # half the limit

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], str, bool]:
        async with await connect(config) as ws:
            await ws.send(json.dumps(request("at-once", "x" * (limit + 1))))
            at_once = await until_end(ws, "at-once")
            await ws.send(json.dumps(request("in-parts", part, **{"continue": True})))
            await ws.send(json.dumps(request("in-parts", part, **{"continue": True})))
            await ws.send(json.dumps(request("in-parts", "one more")))
            in_parts = await until_end(ws, "in-parts")
            # Exactly the limit is accepted: audio comes, then we cancel.
            await ws.send(json.dumps(request("full", "y " * (limit // 2))))
            while (first := json.loads(await ws.recv()))["context_id"] != "full":
                pass
            await ws.send(json.dumps({"context_id": "full", "cancel": True}))
            return at_once, in_parts, first["type"], await still_serves(ws)

    at_once, in_parts, first, alive = run(scenario())
    for error in (at_once, in_parts):
        assert error["type"] == "error" and error["status_code"] == 400
        assert error["message"].startswith("transcript is too long")
        assert "100,000" in error["message"]
    assert "100,008" in in_parts["message"]  # what it would have come to
    assert first == "chunk" and alive


async def post(config: ClientConfig, payload: bytes) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession(headers=config.headers()) as session, \
            session.post(config.http_url("/tts/bytes"), data=payload,
                         headers={"Content-Type": "application/json"}) as response:
        return response.status, json.loads(await response.read())


@pytest.mark.parametrize(("fields", "named"), [
    *BAD_FIELDS,
    ({"transcript": "z" * (MAX_TRANSCRIPT_CHARS + 1)}, "transcript is too long:"),
    ({"transcript": "a \udc00 b"}, "transcript"),
])
def test_rest_refuses_each_bad_field_by_name(config: ClientConfig, fields: dict[str, Any],
                                             named: str) -> None:
    status, body = run(post(config, json.dumps(request("", **fields)).encode()))
    assert status == 400 and body["message"].startswith(named + " ")


def test_rest_refuses_deep_json_and_a_cancel(config: ClientConfig) -> None:
    status, body = run(post(config, b"[" * 100_000 + b"]" * 100_000))
    assert status == 400 and "nested too deeply" in body["message"]
    status, body = run(post(config, json.dumps({"context_id": "x", "cancel": True}).encode()))
    assert status == 400 and "cancel" in body["message"]


class Failing:
    """Tones whose synthesis fails after the first word: a synthesizer's bug."""

    name = "failing"

    def __init__(self) -> None:
        voice = ToneSynthesizer().voices()[0]
        self._voice = replace(voice, id=FAILING_VOICE)

    def voices(self) -> list[Any]:
        return [self._voice]

    def synthesize(self, request: SynthRequest) -> Iterator[SynthEvent]:
        for event in ToneSynthesizer().synthesize(request):
            yield event
            if isinstance(event, AudioOut):
                raise RuntimeError("the synthesizer broke")


def test_a_failing_synthesizer_ends_its_context_with_an_error_event() -> None:
    with ThreadedServer([ToneSynthesizer(), Failing()], ServerConfig(api_key=KEY)) as server:
        config = ClientConfig(server.url, api_key=KEY)

        async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
            async with await connect(config) as ws:
                await ws.send(json.dumps(request("broken", voice={"id": FAILING_VOICE})))
                await ws.send(json.dumps(request("fine")))
                return await until_end(ws, "broken"), await until_end(ws, "fine")

        broken, fine = run(scenario())
    assert broken["type"] == "error" and broken["done"] is True
    assert broken["status_code"] == 500 and "the synthesizer broke" in broken["message"]
    assert fine["type"] == "done"
    assert server.leftover_tasks == []


def test_no_task_outlives_the_server(config: ClientConfig, server: ThreadedServer) -> None:
    async def scenario() -> tuple[float, int]:
        async with await connect(config) as ws, aiohttp.ClientSession(
                headers=config.headers()) as session:
            for k in range(4):
                await ws.send(json.dumps(request(f"long-{k}", "word " * 2000)))
            await ws.recv()
            rest = asyncio.ensure_future(session.post(
                config.http_url("/tts/bytes"), json=request("", "word " * 19_000)))
            for _ in range(500):  # until the REST one runs too
                if server.stats()["syntheses"] == 5:
                    break
                await asyncio.sleep(0.01)
            else:
                raise AssertionError("the REST synthesis never started")
            # Stopped with contexts running, the socket open and a REST answer owed.
            started = time.perf_counter()
            await asyncio.to_thread(server.stop)
            took = time.perf_counter() - started
            with contextlib.suppress(aiohttp.ClientError):
                (await rest).close()
            return took, len(server.leftover_tasks)

    took, left = run(scenario())
    assert left == 0
    assert took < 1.0


class FailingHook(EngineServer):
    """A server whose admission check (a subclass's hook) fails for one context id."""

    def admit(self, conn: Connection, request: m.GenerationRequest) -> m.InvalidRequest | None:
        if request.context_id == "boom":
            raise RuntimeError("the admission check broke")
        return None


def test_a_failure_while_handling_a_frame_ends_that_context_only() -> None:
    with ThreadedServer([ToneSynthesizer()], ServerConfig(api_key=KEY),
                        server_class=FailingHook) as server:
        config = ClientConfig(server.url, api_key=KEY)

        async def scenario() -> tuple[dict[str, Any], bool]:
            async with await connect(config) as ws:
                await ws.send(json.dumps(request("boom")))
                return await until_end(ws, "boom"), await still_serves(ws)

        error, alive = run(scenario())
    assert error["type"] == "error" and error["status_code"] == 500
    assert "the admission check broke" in error["message"]
    assert alive
