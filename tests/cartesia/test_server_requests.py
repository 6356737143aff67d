"""Our server against what our client would never send: every bad field is a 400 that
names it, as an ``error`` event with ``done: true`` for that context alone, and the
socket goes on serving. Raw ``websockets`` and ``aiohttp`` send the frames."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from app.cartesia.config import ClientConfig
from app.engine.synth.tones import VOICE_ID
from tests.cartesia.conftest import run


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


async def post(config: ClientConfig, payload: bytes) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession(headers=config.headers()) as session, \
            session.post(config.http_url("/tts/bytes"), data=payload,
                         headers={"Content-Type": "application/json"}) as response:
        return response.status, json.loads(await response.read())


@pytest.mark.parametrize(("fields", "named"), [
    *BAD_FIELDS,
    ({"transcript": "a \udc00 b"}, "transcript"),
])
def test_rest_refuses_each_bad_field_by_name(config: ClientConfig, fields: dict[str, Any],
                                             named: str) -> None:
    status, body = run(post(config, json.dumps(request("", **fields)).encode()))
    assert status == 400 and body["message"].startswith(named + " ")
