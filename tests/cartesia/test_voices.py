"""The voices REST client against our server: pages, filters, retries, errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.cartesia.config import ClientConfig
from app.cartesia.errors import AuthError, NotFound, RateLimited, ServerError
from app.cartesia.rest import RetryPolicy
from app.cartesia.voices import VoiceQuery, VoicesClient
from app.cartesia.voices_types import Locale, Voice
from app.engine.server import ServerConfig, ThreadedServer
from app.engine.synth.base import SynthEvent, SynthRequest
from tests.cartesia.conftest import KEY, run
from tests.faults import FaultyServer


class Library:
    """A synthesizer that offers many voices (it is never asked to speak here)."""

    name = "library"

    def __init__(self, n: int) -> None:
        languages = ["en", "de", "fr"]
        self._voices = [
            Voice(id=f"00000000-0000-4000-8000-{i:012d}", name=f"Voice {i:03d}",
                  description="calm narrator" if i % 5 == 0 else "bright",
                  language=languages[i % 3], gender="feminine" if i % 2 else "masculine",
                  locales=(Locale(f"{languages[i % 3]}-XX", True),))
            for i in range(n)]

    def voices(self) -> list[Voice]:
        return self._voices

    def synthesize(self, request: SynthRequest) -> Iterator[SynthEvent]:
        return iter(())


@pytest.fixture
def library() -> Iterator[ThreadedServer]:
    srv = ThreadedServer([Library(250)], ServerConfig(api_key=KEY), server_class=FaultyServer)
    srv.start()
    yield srv
    srv.stop()


def client_for(srv: ThreadedServer, key: str = KEY, **kw: object) -> VoicesClient:
    slept: list[float] = []

    async def no_sleep(seconds: float) -> None:
        slept.append(seconds)

    client = VoicesClient(ClientConfig(srv.url, api_key=key, **kw),  # type: ignore[arg-type]
                          RetryPolicy(attempts=4, base_delay=0.01), sleep=no_sleep)
    client.slept = slept  # type: ignore[attr-defined]
    return client


def test_every_page_and_no_extra_request(library: ThreadedServer) -> None:
    async def scenario() -> tuple[list[Voice], int]:
        async with client_for(library) as client:
            return await client.list(page_size=100), client.requests

    voices, requests = run(scenario())
    assert len(voices) == 250
    assert len({v.id for v in voices}) == 250
    assert requests == 3  # stops on has_more=false (the SDK makes a fourth)


def test_filters(library: ThreadedServer) -> None:
    async def scenario() -> tuple[list[Voice], list[Voice]]:
        async with client_for(library) as client:
            calm_fr = await client.list(VoiceQuery(q="calm", language="fr"), page_size=7)
            fem = await client.list(VoiceQuery(gender="feminine"))
            return calm_fr, fem

    calm_fr, fem = run(scenario())
    assert calm_fr and all("calm" in v.description and v.language == "fr" for v in calm_fr)
    assert len(calm_fr) == len([i for i in range(250) if i % 5 == 0 and i % 3 == 2])
    assert len(fem) == 125 and all(v.gender == "feminine" for v in fem)


def test_get_one_and_unknown(library: ThreadedServer) -> None:
    async def scenario() -> Voice:
        async with client_for(library) as client:
            voice = await client.get("00000000-0000-4000-8000-000000000007")
            with pytest.raises(NotFound, match="No voice with id"):
                await client.get("nope")
            return voice

    assert run(scenario()).name == "Voice 007"


def test_429_then_success_honours_retry_after(library: ThreadedServer) -> None:
    library.server.faults.rest_statuses = [429, 503]
    library.server.faults.retry_after = 0.25

    async def scenario() -> tuple[int, int, list[float]]:
        client = client_for(library)
        async with client:
            voices = await client.list(limit=5)
            return len(voices), client.requests, client.slept  # type: ignore[attr-defined]

    count, requests, slept = run(scenario())
    assert count == 5
    assert requests == 3
    assert slept == [0.25, 0.25]


def test_rate_limit_that_never_ends_is_reported(library: ThreadedServer) -> None:
    library.server.faults.rest_statuses = [429] * 10
    library.server.faults.retry_after = 3

    async def scenario() -> None:
        async with client_for(library) as client:
            await client.list()

    with pytest.raises(RateLimited) as info:
        run(scenario())
    assert info.value.retry_after == 3 and info.value.status == 429


def test_wrong_key_is_auth_error_without_retry(library: ThreadedServer) -> None:
    async def scenario() -> int:
        client = client_for(library, key="sk_bad_key_00000")
        async with client:
            with pytest.raises(AuthError, match="Invalid or missing API key"):
                await client.list()
            return client.requests

    assert run(scenario()) == 1


def test_server_errors_are_retried_then_raised(library: ThreadedServer) -> None:
    library.server.faults.rest_statuses = [500] * 4

    async def scenario() -> None:
        async with client_for(library) as client:
            await client.list()

    with pytest.raises(ServerError) as info:
        run(scenario())
    assert info.value.status == 500


def test_bare_array_of_old_api_version(library: ThreadedServer) -> None:
    async def scenario() -> list[Voice]:
        async with client_for(library, api_version="2024-06-10") as client:
            return await client.list()

    assert len(run(scenario())) == 250
