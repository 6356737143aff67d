"""Every way a generation can fail ends in a specific exception, fast, never a hang."""

from __future__ import annotations

import asyncio
import time

import pytest

from app.cartesia import messages as m
from app.cartesia.client import Audio, TTSClient
from app.cartesia.config import ClientConfig, Timeouts
from app.cartesia.errors import (
    AuthError,
    ConnectError,
    ConnectionLost,
    NotFound,
    ProtocolError,
    RateLimited,
    ServerError,
    Timeout,
)
from app.engine.server import ThreadedServer
from app.engine.synth.tones import VOICE_ID
from tests.cartesia.collect import collect
from tests.cartesia.conftest import KEY, run

LONG = " ".join(["syllable"] * 30)


def request(text: str = LONG, model: str = "sonic-3", **kw: object) -> m.GenerationRequest:
    return m.GenerationRequest(model, text, VOICE_ID, "", m.OutputFormat("pcm_s16le", 16000),
                               **kw)  # type: ignore[arg-type]


async def stream_until_failure(client: TTSClient, req: m.GenerationRequest
                               ) -> tuple[int, BaseException, float]:
    """Audio chunks received, the exception, and seconds from the last event to it."""
    gen = await client.generate(req)
    chunks, last = 0, time.perf_counter()
    try:
        async for event in gen:
            last = time.perf_counter()
            if isinstance(event, Audio):
                chunks += 1
    except Exception as exc:
        return chunks, exc, time.perf_counter() - last
    raise AssertionError("the generation ended normally")


@pytest.mark.parametrize(("fault", "expected"), [
    ("drop_after_chunks", ConnectionLost),
    ("close_after_chunks", ConnectionLost),
    ("malformed_after_chunks", ProtocolError),
])
def test_transport_faults_fail_fast_and_the_client_reconnects(
        server: ThreadedServer, config: ClientConfig, fault: str,
        expected: type[Exception]) -> None:
    setattr(server.server.faults, fault, 3)

    async def scenario() -> tuple[int, BaseException, float, list[str], int]:
        async with TTSClient(config) as client:
            chunks, exc, lag = await stream_until_failure(client, request())
            server.server.faults.clear()
            again = await collect(await client.generate(request("back again")))
            return chunks, exc, lag, [w for w, _, _ in again.words], client.connects

    chunks, exc, lag, words, connects = run(scenario())
    assert chunks == 3
    assert isinstance(exc, expected), exc
    assert lag < 1.0
    assert words == ["back", "again"]
    assert connects == 2
    if fault == "close_after_chunks":
        assert isinstance(exc, ConnectionLost) and exc.code == 1011


def test_a_drop_fails_every_open_generation(server: ThreadedServer,
                                            config: ClientConfig) -> None:
    server.server.config.pace = 1.0

    async def scenario() -> list[BaseException]:
        async with TTSClient(config) as client:
            gens = [await client.generate(request()) for _ in range(3)]
            await asyncio.sleep(0.2)
            server.server.faults.drop_after_chunks = 0
            results = await asyncio.gather(*(collect(g) for g in gens),
                                           return_exceptions=True)
            return [r for r in results if isinstance(r, BaseException)]

    errors = run(scenario())
    assert len(errors) == 3
    assert all(isinstance(e, ConnectionLost) for e in errors)


def test_error_mid_stream_is_never_a_normal_end(server: ThreadedServer,
                                                config: ClientConfig) -> None:
    faults = server.server.faults
    faults.error_after_chunks, faults.error_status, faults.error_code = 2, 500, "internal_error"

    async def scenario() -> tuple[int, BaseException, float]:
        async with TTSClient(config) as client:
            return await stream_until_failure(client, request())

    chunks, exc, lag = run(scenario())
    assert chunks == 2
    assert isinstance(exc, ServerError)
    assert exc.status == 500 and exc.code == "internal_error" and exc.request_id
    assert lag < 1.0


def test_old_api_versions_error_shape_is_understood(server: ThreadedServer,
                                                   config: ClientConfig) -> None:
    server.server.faults.error_after_chunks = 1
    old = ClientConfig(config.base_url, api_key=KEY, api_version="2025-04-16")

    async def scenario() -> BaseException:
        async with TTSClient(old) as client:
            return (await stream_until_failure(client, request()))[1]

    exc = run(scenario())
    assert isinstance(exc, ServerError) and "injected error mid-stream" in str(exc)


def test_stall_past_the_timeout_raises_timeout(server: ThreadedServer,
                                               config: ClientConfig) -> None:
    server.server.faults.stall_after_chunks = 2
    quick = ClientConfig(config.base_url, api_key=KEY,
                         timeouts=Timeouts(first_chunk=0.5, inactivity=0.3))

    async def scenario() -> tuple[int, BaseException, float]:
        async with TTSClient(quick) as client:
            return await stream_until_failure(client, request())

    chunks, exc, lag = run(scenario())
    assert chunks == 2
    assert isinstance(exc, Timeout) and exc.seconds == 0.3
    assert 0.3 <= lag < 1.0


def test_no_first_chunk_raises_timeout(server: ThreadedServer, config: ClientConfig) -> None:
    server.server.config.first_chunk_delay = 5.0
    quick = ClientConfig(config.base_url, api_key=KEY,
                         timeouts=Timeouts(first_chunk=0.4, inactivity=5))

    async def scenario() -> BaseException:
        async with TTSClient(quick) as client:
            return (await stream_until_failure(client, request()))[1]

    exc = run(scenario())
    assert isinstance(exc, Timeout) and exc.what == "first audio"


def test_wrong_key_is_rejected_at_the_upgrade(config: ClientConfig) -> None:
    bad = ClientConfig(config.base_url, api_key="sk_wrong_key_987654321")

    async def scenario() -> None:
        async with TTSClient(bad):
            pass

    with pytest.raises(AuthError) as info:
        run(scenario())
    assert info.value.status == 401
    assert "sk_wrong_key_987654321" not in str(info.value)


def test_no_server_is_a_connect_error() -> None:
    async def scenario() -> None:
        async with TTSClient(ClientConfig("http://127.0.0.1:9", api_key=KEY)):
            pass

    with pytest.raises(ConnectError, match=r"cannot connect to ws://127\.0\.0\.1:9"):
        run(scenario())


@pytest.mark.parametrize(("model", "code"), [("sonic-9", "model_not_found"),
                                             ("sonic-english", "model_sunsetted")])
def test_bad_models_get_the_apis_error_codes(config: ClientConfig, model: str,
                                             code: str) -> None:
    async def scenario() -> BaseException:
        async with TTSClient(config) as client:
            return (await stream_until_failure(client, request(model=model)))[1]

    exc = run(scenario())
    assert isinstance(exc, ServerError) and exc.code == code and exc.status == 400


def test_unknown_voice_is_not_found(config: ClientConfig) -> None:
    async def scenario() -> BaseException:
        async with TTSClient(config) as client:
            req = m.GenerationRequest("sonic-3", "hi", "no-such-voice", "")
            return (await stream_until_failure(client, req))[1]

    assert isinstance(run(scenario()), NotFound)


def test_concurrency_limit_is_rate_limited(server: ThreadedServer,
                                           config: ClientConfig) -> None:
    server.server.faults.concurrency_limit = 1
    server.server.config.pace = 1.0

    async def scenario() -> BaseException:
        async with TTSClient(config) as client:
            first = await client.generate(request())
            second = await client.generate(request())
            exc = (await asyncio.gather(collect(second), return_exceptions=True))[0]
            await first.cancel()
            assert isinstance(exc, BaseException)
            return exc

    exc = run(scenario())
    assert isinstance(exc, RateLimited) and exc.code == "concurrency_limited"


def test_idle_close_is_reopened_transparently(server: ThreadedServer,
                                              config: ClientConfig) -> None:
    server.server.config.idle_timeout = 0.3

    async def scenario() -> tuple[list[str], int]:
        async with TTSClient(config) as client:
            await collect(await client.generate(request("first")))
            await asyncio.sleep(1.5)  # the server closes with 1000 "connection idle timeout"
            assert not client.connected
            got = await collect(await client.generate(request("second")))
            return [w for w, _, _ in got.words], client.connects

    words, connects = run(scenario())
    assert words == ["second"] and connects == 2


#: Loose on purpose: a fault must be reported, and the client closed, well before
#: websockets' 2 s close timeout, yet a loaded 2-core machine must never fail this.
#: The precise figures (tens of milliseconds) are bench/client.py's --faults table.
PROMPT = 1.0

#: fault -> (the Faults fields that set it off, the exception the caller gets)
FAULTS: dict[str, tuple[dict[str, object], type[Exception]]] = {
    "drop": ({"drop_after_chunks": 3}, ConnectionLost),
    "close 1011": ({"close_after_chunks": 3}, ConnectionLost),
    "malformed frame": ({"malformed_after_chunks": 3, "burst_after_malformed": 64},
                        ProtocolError),
    "in-band error": ({"error_after_chunks": 3}, ServerError),
    "stall": ({"stall_after_chunks": 3}, Timeout),
    "concurrency limit": ({"concurrency_limit": 0}, RateLimited),
    "upgrade refused": ({"reject_upgrade": 500}, ServerError),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_every_fault_is_reported_and_closed_at_once(server: ThreadedServer, fault: str) -> None:
    """From the fault (a stall: from its timeout) to the caller's exception and to
    close() returning, with the server going on as fast as it can (pace 0)."""
    fields, expected = FAULTS[fault]
    faults = server.server.faults
    for name, value in fields.items():
        setattr(faults, name, value)
    quick = ClientConfig(server.url, api_key=KEY,
                         timeouts=Timeouts(connect=5, first_chunk=5, inactivity=0.3))

    async def scenario() -> tuple[BaseException, float, float]:
        client = TTSClient(quick)
        try:
            await stream_until_failure(client, request())
        except AssertionError:
            raise
        except Exception as exc:  # refused before any generation: at connect
            reported, error = time.perf_counter(), exc
        else:
            raise AssertionError("unreachable")
        await client.close()
        return error, reported, time.perf_counter()

    async def streamed() -> tuple[BaseException, float, float]:
        client = TTSClient(quick)
        _, error, _ = await stream_until_failure(client, request())
        reported = time.perf_counter()
        await client.close()
        return error, reported, time.perf_counter()

    error, reported, closed = run(scenario() if fault == "upgrade refused" else streamed())
    assert isinstance(error, expected), error
    assert faults.fired_at is not None
    cause = faults.fired_at + (0.3 if fault == "stall" else 0.0)
    assert 0 <= reported - cause < PROMPT, f"reported {reported - cause:.3f} s after the fault"
    assert closed - cause < PROMPT, f"closed {closed - cause:.3f} s after the fault"


def test_closing_in_the_middle_of_a_take_does_not_wait_for_the_close_timeout(
        config: ClientConfig) -> None:
    """The server runs ahead (unpaced) while nobody reads: its close frame comes after
    all it sent, which close() reads and drops instead of waiting 2 s for it."""
    async def scenario() -> float:
        client = TTSClient(config)
        gen = await client.generate(m.GenerationRequest(
            "sonic-3", " ".join(["syllable"] * 200), VOICE_ID, "",
            m.OutputFormat("pcm_f32le", 44100)))
        async for _event in gen:
            break
        await asyncio.sleep(0.2)  # the server's chunks pile up unread
        await gen.cancel()
        started = time.perf_counter()
        await client.close()
        return time.perf_counter() - started

    assert run(scenario()) < PROMPT
