"""The sans-I/O context machines of both ends, fed frames copied from Cartesia's docs.

The frames below are pasted from the documentation, not produced by our code, so
our client and our server cannot agree on a shared mistake. Where a test needs a
variant (another flush id, an unknown type) it changes one field of a pasted frame.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import uuid
from typing import Any

import pytest

from app.cartesia import messages as m
from app.cartesia.errors import (
    CartesiaError,
    ConnectionLost,
    ProtocolError,
    RateLimited,
    ServerError,
)
from app.cartesia.protocol import (
    CancelContext,
    ClientProtocol,
    ConnectionFailed,
    ContextFailed,
    InvalidFrame,
    MoreInput,
    NewContext,
    ServerContext,
    ServerProtocol,
)

# --- from https://docs.cartesia.ai/2026-03-01/api-reference/tts/websocket -----------
# (the same frames are on https://docs.cartesia.ai/2024-11-13/api-reference/tts/websocket)

DOC_REQUEST = """{
"model_id": "sonic-3.5",
"transcript": "Hello, world! I'm generating audio on Cartesia!",
"voice": {
"mode": "id",
"id": "a0e99841-438c-4a64-b679-ae501e7d6091"
},
"language": "en",
"context_id": "ab977222-f9e0-4563-a1c0-5a934ae8fdd6",
"output_format": {
"container": "raw",
"encoding": "pcm_s16le",
"sample_rate": 8000
},
"add_timestamps": true,
"continue": false
}"""

DOC_CANCEL = """{
"context_id": "50dc3b5e-5841-4aa1-9f94-60cfb9aead79",
"cancel": true
}"""

DOC_CHUNK = """{
"type": "chunk",
"data": "aSDinaTvuI8gbWludGxpZnk=",
"done": false,
"status_code": 206,
"step_time": 123,
"context_id": "50dc3b5e-5841-4aa1-9f94-60cfb9aead79"
}"""

DOC_FLUSH_DONE = """{
"type": "flush_done",
"done": false,
"flush_done": true,
"flush_id": 1,
"status_code": 206,
"context_id": "50dc3b5e-5841-4aa1-9f94-60cfb9aead79"
}"""

DOC_DONE = """{
"type": "done",
"done": true,
"status_code": 206,
"context_id": "50dc3b5e-5841-4aa1-9f94-60cfb9aead79"
}"""

DOC_TIMESTAMPS = """{
"type": "timestamps",
"done": false,
"status_code": 206,
"context_id": "872ec12d-bc63-4e1e-a241-4f58c879d105",
"word_timestamps": {
"words": [
"Hello",
"world"
],
"start": [
0,
0.5
],
"end": [
0.4,
0.9
]
}
}"""

DOC_PHONEME_TIMESTAMPS = """{
"type": "phoneme_timestamps",
"done": false,
"status_code": 206,
"context_id": "872ec12d-bc63-4e1e-a241-4f58c879d105",
"phoneme_timestamps": {
"phonemes": [
"h",
"ə",
"l",
"oʊ"
],
"start": [
0.093,
0.174,
0.255,
0.337
],
"end": [
0.174,
0.255,
0.337,
0.418
]
}
}"""

# --- from https://docs.cartesia.ai/2024-11-13/api-reference/tts/websocket ----------
# The error shape of API versions before 2026-03-01.

DOC_ERROR_LEGACY = """{
"type": "error",
"done": true,
"error": "Invalid model: The model is not valid, make sure it is a valid model ID.",
"status_code": 400,
"context_id": "50dc3b5e-5841-4aa1-9f94-60cfb9aead79"
}"""

# --- from https://docs.cartesia.ai/ja-jp/use-the-api/api-errors.md -----------------
# "WebSocket error event" (the English page, /use-the-api/api-errors, documents the
# same object field by field): the structured shape from 2026-03-01 on.

DOC_ERROR_STRUCTURED = """{
  "type": "error",
  "done": true,
  "status_code": 429,
  "error_code": "concurrency_limited",
  "title": "Too many concurrent requests",
  "message": "You have exceeded your plan's concurrency limit.",
  "request_id": "550e8400-e29b-41d4-a716-446655440000:happy-monkeys-fly:8a0f5f3a-3b2f-4f28-b73e-8c5f27e2f8bb",
  "context_id": "happy-monkeys-fly"
}"""  # noqa: E501

CHUNK_CTX = "50dc3b5e-5841-4aa1-9f94-60cfb9aead79"
STAMPS_CTX = "872ec12d-bc63-4e1e-a241-4f58c879d105"


def variant(frame: str, **fields: Any) -> str:
    """A documented frame with some fields changed."""
    return json.dumps(json.loads(frame) | fields)


def request(context_id: str, transcript: str = "Hello, world! ", continue_: bool = False
            ) -> m.GenerationRequest:
    return m.GenerationRequest("sonic-3.5", transcript,
                               "a0e99841-438c-4a64-b679-ae501e7d6091", context_id,
                               m.OutputFormat("pcm_s16le", 8000), continue_=continue_)


def opened(*context_ids: str, continue_: bool = False) -> ClientProtocol:
    client = ClientProtocol()
    for context_id in context_ids:
        client.open(request(context_id, continue_=continue_))
    return client


# --- client ----------------------------------------------------------------------


def test_the_first_frame_says_what_the_documented_request_says() -> None:
    client = ClientProtocol()
    doc = json.loads(DOC_REQUEST)
    ctx, frame = client.open(m.GenerationRequest(
        doc["model_id"], doc["transcript"], doc["voice"]["id"], doc["context_id"],
        m.OutputFormat("pcm_s16le", 8000), language="en", add_timestamps=True))
    sent = json.loads(frame)
    assert {key: sent[key] for key in doc} == doc
    assert ctx.context_id == doc["context_id"] and ctx.awaiting_output


def test_an_empty_context_id_gets_a_fresh_uuid4() -> None:
    client = ClientProtocol()
    first, frame = client.open(request(""))
    second, _ = client.open(request(""))
    assert uuid.UUID(first.context_id).version == 4
    assert first.context_id != second.context_id
    assert json.loads(frame)["context_id"] == first.context_id
    with pytest.raises(CartesiaError, match="already open"):
        client.open(request(first.context_id))


def test_frames_are_routed_to_their_context() -> None:
    client = opened(CHUNK_CTX, STAMPS_CTX)

    [chunk] = client.receive(DOC_CHUNK)
    assert isinstance(chunk, m.Chunk) and chunk.context_id == CHUNK_CTX
    assert chunk.data == base64.b64decode("aSDinaTvuI8gbWludGxpZnk=")
    assert chunk.step_time == 123 and chunk.flush_id is None

    [words] = client.receive(DOC_TIMESTAMPS)
    assert words == m.WordTimestamps(STAMPS_CTX, ("Hello", "world"), (0.0, 0.5), (0.4, 0.9))
    [phonemes] = client.receive(DOC_PHONEME_TIMESTAMPS)
    assert phonemes == m.PhonemeTimestamps(STAMPS_CTX, ("h", "ə", "l", "oʊ"),
                                           (0.093, 0.174, 0.255, 0.337),
                                           (0.174, 0.255, 0.337, 0.418))

    assert client.receive(DOC_DONE) == [m.Done(CHUNK_CTX)]
    assert client.context(CHUNK_CTX) is None
    other = client.context(STAMPS_CTX)
    assert other is not None and other.open and other.awaiting_output
    assert client.receive(DOC_CHUNK) == [] and client.dropped == 1


@pytest.mark.parametrize("frame", [DOC_ERROR_LEGACY, DOC_ERROR_STRUCTURED])
def test_an_error_ends_its_context_and_is_never_a_normal_done(frame: str) -> None:
    client = opened(CHUNK_CTX, "happy-monkeys-fly", STAMPS_CTX)
    target = json.loads(frame)["context_id"]

    [event] = client.receive(frame)
    assert isinstance(event, ContextFailed) and event.context_id == target
    assert client.context(target) is None
    assert client.context(STAMPS_CTX) is not None and client.alive
    assert client.receive(variant(DOC_DONE, context_id=target)) == []


def test_both_documented_error_shapes_keep_their_facts() -> None:
    client = opened(CHUNK_CTX, "happy-monkeys-fly")
    [legacy] = client.receive(DOC_ERROR_LEGACY)
    [structured] = client.receive(DOC_ERROR_STRUCTURED)
    assert isinstance(legacy, ContextFailed) and isinstance(structured, ContextFailed)
    assert isinstance(legacy.error, ServerError) and legacy.error.status == 400
    assert "The model is not valid" in str(legacy.error)
    error = structured.error
    assert isinstance(error, RateLimited) and error.code == "concurrency_limited"
    assert error.status == 429 and error.title == "Too many concurrent requests"
    assert error.request_id is not None and error.request_id.startswith("550e8400")


def test_an_error_for_no_context_fails_the_connection() -> None:
    client = opened(CHUNK_CTX)
    no_context = json.loads(DOC_ERROR_STRUCTURED)
    del no_context["context_id"]

    events = client.receive(json.dumps(no_context))
    assert [type(e) for e in events] == [ContextFailed, ConnectionFailed]
    assert isinstance(events[1], ConnectionFailed)
    assert isinstance(events[1].error, RateLimited) and not client.alive


def test_flush_ids_and_awaiting_output() -> None:
    client = opened(CHUNK_CTX, continue_=True)
    ctx = client.context(CHUNK_CTX)
    assert ctx is not None and ctx.awaiting_output

    flush_id, frame = client.flush(CHUNK_CTX)
    sent = json.loads(frame)
    assert flush_id == 1
    assert (sent["flush"], sent["continue"], sent["transcript"]) == (True, True, "")
    second, _ = client.flush(CHUNK_CTX)
    assert second == 2
    client.receive(DOC_FLUSH_DONE)  # flush 1 is done; flush 2 still owes its output
    assert ctx.awaiting_output and ctx.flushes_done == 1
    assert client.receive(variant(DOC_FLUSH_DONE, flush_id=2)) == [m.FlushDone(CHUNK_CTX, 2)]
    assert not ctx.awaiting_output  # nothing is owed: the timeout watchdog may rest

    client.push(CHUNK_CTX, "more words ")
    assert ctx.awaiting_output
    client.flush(CHUNK_CTX)
    client.end(CHUNK_CTX)  # after the flush: `done` is still owed when its flush_done comes
    client.receive(variant(DOC_FLUSH_DONE, flush_id=3))
    assert ctx.awaiting_output
    client.receive(DOC_DONE)
    assert not ctx.awaiting_output and not ctx.open


def test_inputs_after_the_last_one_or_the_end_are_refused() -> None:
    client = opened(CHUNK_CTX, continue_=True)
    frame = client.end(CHUNK_CTX, "bye.")
    assert json.loads(frame)["continue"] is False
    with pytest.raises(CartesiaError, match="last input"):
        client.push(CHUNK_CTX, "more")
    client.receive(DOC_DONE)
    with pytest.raises(CartesiaError, match="already ended"):
        client.flush(CHUNK_CTX)


def test_cancel_closes_at_once_and_drops_what_follows() -> None:
    client = opened(CHUNK_CTX, STAMPS_CTX)
    frame = client.cancel(CHUNK_CTX)
    assert frame is not None and json.loads(frame) == json.loads(DOC_CANCEL)
    assert client.context(CHUNK_CTX) is None
    assert client.cancel(CHUNK_CTX) is None  # nothing left to stop

    for late in (DOC_CHUNK, DOC_FLUSH_DONE, DOC_DONE, DOC_ERROR_LEGACY):
        assert client.receive(late) == []
    assert client.dropped == 4
    assert client.alive and client.context(STAMPS_CTX) is not None


def test_unknown_message_types_are_skipped() -> None:
    client = opened(CHUNK_CTX)
    assert client.receive(variant(DOC_CHUNK, type="audio_metadata")) == []
    assert client.skipped == 1
    assert client.alive and client.receive(DOC_CHUNK) != []


@pytest.mark.parametrize("frame", [
    DOC_CHUNK[:40],                                      # cut short: not JSON
    DOC_CHUNK + "{}",                                    # a whole chunk, then more
    "[" + DOC_CHUNK + "]",                               # JSON, not an object
    variant(DOC_CHUNK, data="not base64!"),
    variant(DOC_TIMESTAMPS, word_timestamps={"words": ["Hello"], "start": [0, 1],
                                             "end": [1]}),
    json.dumps({k: v for k, v in json.loads(DOC_CHUNK).items() if k != "context_id"}),
])
def test_a_malformed_frame_fails_every_context_and_the_connection(frame: str) -> None:
    client = opened(CHUNK_CTX, STAMPS_CTX)
    events = client.receive(frame)
    assert {e.context_id for e in events if isinstance(e, ContextFailed)} == {
        CHUNK_CTX, STAMPS_CTX}
    assert isinstance(events[-1], ConnectionFailed)
    assert isinstance(events[-1].error, ProtocolError)
    assert all(e.error is events[-1].error for e in events if isinstance(e, ContextFailed))
    with pytest.raises(ProtocolError):
        client.push(CHUNK_CTX, "more")
    with pytest.raises(ProtocolError):
        client.open(request("another"))
    assert client.receive(DOC_CHUNK) == []


@pytest.mark.parametrize(("fields", "reported"), [
    ({"context_id": 5}, "chunk message lacks 'context_id'"),
    ({"context_id": None}, "chunk message lacks 'context_id'"),
    ({"data": 5}, "chunk message has a bad 'data': int"),
    ({"data": None}, "chunk message has a bad 'data': NoneType"),
    ({"data": ["aSDi"]}, "chunk message has a bad 'data': list"),
    ({"data": "aSDinaTvuI8gbWludGxpZnk"}, "chunk data is not valid base64"),  # odd length
    ({"data": "aSDi naTv"}, "chunk data is not valid base64"),
    ({"data": "aSDinaTv=uI8"}, "chunk data is not valid base64"),
])
def test_a_chunk_with_a_bad_field_is_reported_as_that_field(fields: dict[str, Any],
                                                           reported: str) -> None:
    # Chunks take a shorter path than other frames: it must keep every check.
    client = opened(CHUNK_CTX)
    events = client.receive(variant(DOC_CHUNK, **fields))
    assert isinstance(events[-1], ConnectionFailed)
    assert str(events[-1].error) == reported
    with pytest.raises(ProtocolError, match=reported):
        m.decode_server_message(variant(DOC_CHUNK, **fields))


def test_a_chunk_without_data_is_reported_as_lacking_it() -> None:
    frame = json.dumps({k: v for k, v in json.loads(DOC_CHUNK).items() if k != "data"})
    with pytest.raises(ProtocolError, match="chunk message lacks 'data'"):
        m.decode_server_message(frame)


@pytest.mark.parametrize(("frame", "step_time", "flush_id"), [
    (DOC_CHUNK, 123.0, None),
    ("  " + DOC_CHUNK + "\n", 123.0, None),                # whitespace around the JSON
    (DOC_CHUNK.encode(), 123.0, None),                     # a binary frame
    (variant(DOC_CHUNK, step_time=None, flush_id=2), None, 2),
    (variant(DOC_CHUNK, step_time="12", flush_id=2.0), None, None),  # wrong types: left out
    (variant(DOC_CHUNK, step_time=True, flush_id=False), 1.0, False),  # as before (bool is int)
])
def test_every_chunk_decodes_to_the_same_frozen_message(frame: str | bytes,
                                                        step_time: float | None,
                                                        flush_id: int | None) -> None:
    chunk = m.decode_server_message(frame)
    expected = m.Chunk(CHUNK_CTX, base64.b64decode("aSDinaTvuI8gbWludGxpZnk="), step_time,
                       flush_id)
    assert chunk == expected and hash(chunk) == hash(expected)
    assert isinstance(chunk, m.Chunk)
    assert type(chunk.step_time) is type(expected.step_time)
    with pytest.raises(dataclasses.FrozenInstanceError):
        chunk.data = b""  # type: ignore[misc]


def test_connection_loss_fails_every_open_context_once() -> None:
    client = opened(CHUNK_CTX, STAMPS_CTX)
    client.receive(DOC_DONE)  # this one had ended: nothing to fail
    lost = ConnectionLost("the connection dropped without a close frame")
    events = client.connection_lost(lost)
    assert events == [ContextFailed(STAMPS_CTX, lost), ConnectionFailed(lost)]
    assert client.open_contexts == [] and not client.alive
    assert client.connection_lost(ConnectionLost("again")) == []
    assert client.failure is lost


# --- server ----------------------------------------------------------------------


def served(*frames: str, version: str = m.DEFAULT_API_VERSION
           ) -> tuple[ServerProtocol, list[ServerContext]]:
    """A server protocol that accepted each frame's new context."""
    server = ServerProtocol(version)
    contexts = []
    for frame in frames:
        [event] = server.receive(frame)
        assert isinstance(event, NewContext)
        contexts.append(server.accept(event.request))
    return server, contexts


def test_the_documented_request_opens_a_context() -> None:
    server = ServerProtocol()
    [event] = server.receive(DOC_REQUEST)
    assert isinstance(event, NewContext)
    req = event.request
    assert (req.model_id, req.voice_id, req.context_id) == (
        "sonic-3.5", "a0e99841-438c-4a64-b679-ae501e7d6091",
        "ab977222-f9e0-4563-a1c0-5a934ae8fdd6")
    assert req.output_format == m.OutputFormat("pcm_s16le", 8000)
    assert req.add_timestamps and not req.continue_ and req.language == "en"
    assert server.context(req.context_id) is None  # opened only when accepted
    ctx = server.accept(req)
    assert server.context(req.context_id) is ctx and ctx.open


def test_more_input_goes_to_the_open_context() -> None:
    server, [ctx] = served(variant(DOC_REQUEST, **{"continue": True}))
    [more] = server.receive(variant(DOC_REQUEST, transcript=" And more.", flush=True))
    assert isinstance(more, MoreInput) and more.context is ctx
    assert more.request.transcript == " And more." and more.request.flush
    assert not more.request.continue_


def test_the_documented_cancel_closes_its_context() -> None:
    server, [ctx, other] = served(variant(DOC_REQUEST, context_id=CHUNK_CTX), DOC_REQUEST)
    assert server.receive(DOC_CANCEL) == [CancelContext(ctx)]
    assert not ctx.open and server.context(CHUNK_CTX) is None
    assert server.output(ctx, m.Chunk(CHUNK_CTX, b"late")) is None
    assert server.done(ctx) is None
    assert server.receive(DOC_CANCEL) == [] and server.dropped == 1
    assert other.open


@pytest.mark.parametrize("how", ["cancel", "done", "error"])
def test_a_context_id_used_again_opens_a_new_context(how: str) -> None:
    first_request = variant(DOC_REQUEST, context_id=CHUNK_CTX)
    server, [old] = served(first_request)
    if how == "cancel":
        server.receive(DOC_CANCEL)
    elif how == "done":
        assert server.done(old) is not None
    else:
        assert server.error(m.ErrorMessage(CHUNK_CTX, 500, "boom"), old) is not None

    [event] = server.receive(first_request)
    assert isinstance(event, NewContext)
    new = server.accept(event.request)
    assert new is not old and new.open and not old.open
    server.close(old)  # the old context's work ends late: the new one stays
    [more] = server.receive(variant(first_request, transcript="again"))
    assert isinstance(more, MoreInput) and more.context is new
    assert server.output(old, m.Chunk(CHUNK_CTX, b"x")) is None
    assert server.output(new, m.Chunk(CHUNK_CTX, b"x")) is not None


def test_what_the_server_sends_is_what_the_docs_show() -> None:
    server, [chunk_ctx, stamps_ctx] = served(
        variant(DOC_REQUEST, context_id=CHUNK_CTX, **{"continue": True}),
        variant(DOC_REQUEST, context_id=STAMPS_CTX))

    def sent(frame: str | None) -> object:
        assert frame is not None
        return json.loads(frame)

    data = base64.b64decode("aSDinaTvuI8gbWludGxpZnk=")
    assert sent(server.output(chunk_ctx, m.Chunk(CHUNK_CTX, data, step_time=123))) \
        == json.loads(DOC_CHUNK)
    assert sent(server.flush_done(chunk_ctx)) == json.loads(DOC_FLUSH_DONE)
    assert chunk_ctx.flush_id == 1
    assert sent(server.output(stamps_ctx, m.WordTimestamps(
        STAMPS_CTX, ("Hello", "world"), (0, 0.5), (0.4, 0.9)))) == json.loads(DOC_TIMESTAMPS)
    assert sent(server.output(stamps_ctx, m.PhonemeTimestamps(
        STAMPS_CTX, ("h", "ə", "l", "oʊ"), (0.093, 0.174, 0.255, 0.337),
        (0.174, 0.255, 0.337, 0.418)))) == json.loads(DOC_PHONEME_TIMESTAMPS)
    assert sent(server.done(chunk_ctx)) == json.loads(DOC_DONE)
    assert server.flush_done(chunk_ctx) is None  # closed by `done`


@pytest.mark.parametrize(("version", "doc"), [("2026-03-01", DOC_ERROR_STRUCTURED),
                                              ("2024-11-13", DOC_ERROR_LEGACY)])
def test_errors_take_the_documented_shape_of_the_version(version: str, doc: str) -> None:
    expected = json.loads(doc)
    context_id = expected["context_id"]
    server, [ctx] = served(variant(DOC_REQUEST, context_id=context_id), version=version)
    if version == "2026-03-01":
        error = m.ErrorMessage(context_id, 429, expected["message"], expected["error_code"],
                               expected["title"], request_id=expected["request_id"])
    else:
        error = m.ErrorMessage(context_id, 400,
                               "The model is not valid, make sure it is a valid model ID.",
                               "model_not_found", "Invalid model")
    frame = server.error(error, ctx)
    assert frame is not None and json.loads(frame) == expected
    assert not ctx.open and server.context(context_id) is None


def test_an_invalid_request_becomes_an_in_band_error() -> None:
    server = ServerProtocol()
    [event] = server.receive(variant(DOC_REQUEST, output_format={
        "container": "raw", "encoding": "pcm_s24le", "sample_rate": 8000}))
    assert isinstance(event, InvalidFrame) and event.context is None
    frame = server.error(event.error)
    assert frame is not None
    sent = json.loads(frame)
    assert sent["type"] == "error" and sent["done"] is True and sent["status_code"] == 400
    assert sent["context_id"] == "ab977222-f9e0-4563-a1c0-5a934ae8fdd6"
    assert "pcm_s24le" in sent["message"] and sent["request_id"]

    [event] = server.receive(DOC_CHUNK[:40])
    assert isinstance(event, InvalidFrame) and event.error.context_id is None


def test_an_invalid_input_for_an_open_context_ends_it() -> None:
    server, [ctx] = served(variant(DOC_REQUEST, **{"continue": True}))
    [event] = server.receive(variant(DOC_REQUEST, voice={"mode": "embedding",
                                                          "embedding": [0.1]}))
    assert isinstance(event, InvalidFrame) and event.context is ctx
    assert server.error(event.error, event.context) is not None
    assert not ctx.open and server.open_contexts == []


# --- the server's reading of bad requests: every field named, never an exception ------


@pytest.mark.parametrize(("fields", "named"), [
    ({"max_buffer_delay_ms": 10**400}, "max_buffer_delay_ms"),
    ({"max_buffer_delay_ms": -5}, "max_buffer_delay_ms"),
    ({"max_buffer_delay_ms": 999999}, "max_buffer_delay_ms"),
    ({"max_buffer_delay_ms": 12.5}, "max_buffer_delay_ms"),
    ({"max_buffer_delay_ms": "100"}, "max_buffer_delay_ms"),
    ({"max_buffer_delay_ms": True}, "max_buffer_delay_ms"),
    ({"generation_config": {"speed": 10**400}}, "generation_config.speed"),
    ({"generation_config": {"speed": 0.5}}, "generation_config.speed"),
    ({"generation_config": {"speed": "fast"}}, "generation_config.speed"),
    ({"generation_config": {"volume": 2.5}}, "generation_config.volume"),
    ({"generation_config": {"volume": -(10**400)}}, "generation_config.volume"),
    ({"generation_config": {"emotion": 3}}, "generation_config.emotion"),
    ({"generation_config": "fast"}, "generation_config"),
    ({"add_timestamps": "false"}, "add_timestamps"),
    ({"continue": 1}, "continue"),
    ({"flush": "yes"}, "flush"),
    ({"language": ["en"]}, "language"),
    ({"model_id": 3}, "model_id"),
    ({"transcript": None}, "transcript"),
    ({"output_format": {"container": "raw", "encoding": "pcm_s16le",
                        "sample_rate": 8000.5}}, "output_format.sample_rate"),
    ({"output_format": {"container": "raw", "encoding": "pcm_s16le",
                        "sample_rate": 10**400}}, "output_format.sample_rate"),
    ({"output_format": {"container": "mp3", "encoding": "pcm_s16le",
                        "sample_rate": 8000}}, "output_format.container"),
    ({"pronunciation_dict_id": {}}, "pronunciation_dict_id"),
])
def test_each_bad_field_is_refused_by_name(fields: dict[str, Any], named: str) -> None:
    server = ServerProtocol()
    [event] = server.receive(variant(DOC_REQUEST, **fields))
    assert isinstance(event, InvalidFrame)
    assert event.error.status_code == 400 and event.error.message.startswith(named + " ")
    assert event.error.context_id == "ab977222-f9e0-4563-a1c0-5a934ae8fdd6"
    assert len(event.error.message) < 200  # 10**400 is not quoted whole


def test_the_apis_ranges_are_accepted_at_their_ends() -> None:
    for delay in (0, 5000):
        [event] = ServerProtocol().receive(variant(DOC_REQUEST, max_buffer_delay_ms=delay))
        assert isinstance(event, NewContext) and event.request.max_buffer_delay_ms == delay
    [event] = ServerProtocol().receive(variant(DOC_REQUEST, generation_config={
        "speed": 0.6, "volume": 2}, language=None, add_timestamps=None))
    assert isinstance(event, NewContext)
    assert event.request.generation_config == m.GenerationConfig(0.6, 2.0)
    assert event.request.language is None and not event.request.add_timestamps


@pytest.mark.parametrize("frame", [
    "[" * 100_000 + "]" * 100_000,
    '{"context_id": "deep", "a": ' + "[" * 100_000 + "]" * 100_000 + "}",
    '{"context_id": "deep", "a": ' + "[" * 20 + "]" * 20 + "}",
])
def test_deep_nesting_is_an_error_not_an_exception(frame: str) -> None:
    [event] = ServerProtocol().receive(frame)
    assert isinstance(event, InvalidFrame) and "nested too deeply" in event.error.message
    assert event.error.context_id in (None, "deep")


@pytest.mark.parametrize(("fields", "named"), [
    ({"transcript": "Hello \ud800 world"}, "transcript"),
    ({"context_id": "take-\udc00"}, "context_id"),
    ({"voice": {"mode": "id", "id": "\ud83d"}}, "voice.id"),
    ({"model_id": "sonic-\udfff"}, "model_id"),
])
def test_a_lone_surrogate_is_refused_and_the_error_can_be_sent(fields: dict[str, Any],
                                                               named: str) -> None:
    frame = json.dumps(json.loads(DOC_REQUEST) | fields)  # JSON carries it as \ud800
    server = ServerProtocol()
    [event] = server.receive(frame)
    assert isinstance(event, InvalidFrame) and event.error.message.startswith(named + " ")
    assert "lone surrogate" in event.error.message
    sent = server.error(event.error)
    assert sent is not None
    sent.encode("utf-8")  # what the socket must be able to send
    assert json.loads(sent)["context_id"] == fields.get("context_id", json.loads(
        DOC_REQUEST)["context_id"])


def test_a_bad_cancel_flag_is_refused() -> None:
    [event] = ServerProtocol().receive(variant(DOC_CANCEL, cancel="yes"))
    assert isinstance(event, InvalidFrame) and event.error.message.startswith("cancel ")
