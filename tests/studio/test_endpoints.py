"""Where generations go: run options over settings, the key looked up once, sockets
closed when their configuration is replaced, an engine child that never sees the key."""

from __future__ import annotations

import asyncio
import io
import logging
from pathlib import Path

import pytest

from app.cartesia.voices_types import Voice
from app.engine.local import LocalEngine
from app.engine.server import ThreadedServer
from app.engine.synth.tones import VOICE_ID, ToneSynthesizer
from app.settings import BASE_URL, OFFLINE_ONLY, Settings
from app.studio.endpoints import Endpoints, KeyringProblem
from app.studio.errors import NeedsCartesia
from app.studio.options import RunOptions
from tests.studio.conftest import KEY, run, start_server

CARTESIA_VOICE = Voice(id="a0e99841-438c-4a64-b679-ae501e7d6091", name="Cartesia voice")
OFFLINE_VOICE = Voice(id=VOICE_ID, name="Test Tones", offline=True)




def test_run_options_win_over_the_environment_and_settings() -> None:
    settings = Settings(None)
    settings.set(BASE_URL, "http://settings.example")
    env = {"CARTESIA_BASE_URL": "http://env.example", "CARTESIA_API_VERSION": "2025-04-16"}
    assert Endpoints(settings, environ=env).base_url == "http://env.example"
    assert Endpoints(settings, environ={}).base_url == "http://settings.example"
    given = Endpoints(settings, RunOptions(base_url="http://run.example",
                                           api_version="2024-11-13"), environ=env)
    assert given.base_url == "http://run.example" and given.api_version == "2024-11-13"
    assert Endpoints(settings, environ=env).api_version == "2025-04-16"
    # --offline is for this run: the setting is untouched.
    assert Endpoints(settings, RunOptions(offline=True), environ={}).offline_only
    assert settings.get(OFFLINE_ONLY) is False


def test_without_a_key_only_offline_voices_play(no_keyring: None) -> None:
    async def scenario() -> None:
        endpoints = Endpoints(Settings(None), environ={})
        problems: list[object] = []
        endpoints.events.connect(problems.append)
        try:
            assert await endpoints.online() is None
            assert await endpoints.online() is None
            with pytest.raises(NeedsCartesia, match="no API key is set"):
                await endpoints.route(CARTESIA_VOICE)
        finally:
            await endpoints.close()
        # The keyring could not be read: said once per run, however often it is asked.
        assert [type(p) for p in problems] == [KeyringProblem]

    run(scenario())


def test_a_key_given_never_asks_the_keyring(no_keyring: None) -> None:
    async def scenario() -> None:
        for endpoints in (Endpoints(Settings(None), RunOptions(api_key="sk_run_1234567"),
                                    environ={}),
                          Endpoints(Settings(None), environ={"CARTESIA_API_KEY": KEY}),
                          Endpoints(Settings(None), RunOptions(offline=True), environ={})):
            problems: list[object] = []
            endpoints.events.connect(problems.append)
            await endpoints.online()
            await endpoints.close()
            assert problems == []

    run(scenario())


def test_the_key_is_scrubbed_from_logs_once_it_is_known() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logging.getLogger().addHandler(handler)

    async def scenario() -> None:
        endpoints = Endpoints(Settings(None), environ={"CARTESIA_API_KEY": KEY})
        await endpoints.online()
        await endpoints.close()

    try:
        run(scenario())
        logging.getLogger("somewhere.else").warning("Authorization: Bearer %s", KEY)
    finally:
        logging.getLogger().removeHandler(handler)
    assert KEY not in stream.getvalue() and "[redacted]" in stream.getvalue()


def test_a_replaced_configuration_closes_its_socket() -> None:
    first, second = start_server(), start_server()
    try:
        async def scenario() -> None:
            settings = Settings(None)
            settings.set(BASE_URL, first.url)
            endpoints = Endpoints(settings, environ={"CARTESIA_API_KEY": KEY},
                                  engine=LocalEngine(synthesizers=[ToneSynthesizer()]))
            try:
                assert await endpoints.connect() == f"connected to {first.url}"
                old = await endpoints.client_for(CARTESIA_VOICE)
                assert old.connected
                settings.set(BASE_URL, second.url)
                assert await endpoints.connect() == f"connected to {second.url}"
                new = await endpoints.client_for(CARTESIA_VOICE)
                assert new is not old and new.connected
                assert not old.connected  # closed, not left open beside the new one
            finally:
                await endpoints.close()

        run(scenario())
    finally:
        first.stop()
        second.stop()


def test_the_engine_child_never_sees_the_key(tmp_path: Path) -> None:
    async def scenario() -> None:
        endpoints = Endpoints(Settings(None), environ={"CARTESIA_API_KEY": KEY,
                                                       "PATH": "/usr/bin:/bin"})
        try:
            route = await endpoints.route(OFFLINE_VOICE)
            engine = endpoints.engine
            assert engine is not None and engine.pid is not None
            # The engine's own key for this launch, never the user's.
            assert route.offline and route.config.api_key == engine.key != KEY
            environ = await asyncio.to_thread(Path(f"/proc/{engine.pid}/environ").read_bytes)
            assert b"PATH=/usr/bin:/bin" in environ
            assert b"CARTESIA_API_KEY" not in environ and KEY.encode() not in environ
        finally:
            await endpoints.close()

    run(scenario(), timeout=90)


def test_offline_voices_go_to_the_engine_even_with_a_key(server: ThreadedServer) -> None:
    async def scenario() -> None:
        endpoints = Endpoints(Settings(None), RunOptions(api_key=KEY, base_url=server.url),
                              engine=LocalEngine(synthesizers=[ToneSynthesizer()]), environ={})
        try:
            offline = await endpoints.route(OFFLINE_VOICE)
            cloud = await endpoints.route(CARTESIA_VOICE)
        finally:
            await endpoints.close()
        assert offline.offline and offline.config.base_url != server.url
        assert not cloud.offline and cloud.config.base_url == server.url
        assert cloud.config.api_key == KEY

    run(scenario())


def test_the_keyring_is_asked_once_even_when_two_ask_at_once() -> None:
    import keyring
    from keyring.backend import KeyringBackend

    class Counting(KeyringBackend):
        """A keyring holding no key, counting how often it is asked (a D-Bus call each)."""

        priority = 1  # type: ignore[assignment]
        asked = 0

        def get_password(self, service: str, username: str) -> str | None:
            Counting.asked += 1
            return None

        def set_password(self, service: str, username: str, password: str) -> None:
            raise NotImplementedError

        def delete_password(self, service: str, username: str) -> None:
            raise NotImplementedError

    previous = keyring.get_keyring()
    keyring.set_keyring(Counting())

    async def scenario() -> None:
        endpoints = Endpoints(Settings(None), environ={})
        try:  # connecting and loading the voice library start together
            assert await asyncio.gather(endpoints.online(), endpoints.online()) == [None, None]
        finally:
            await endpoints.close()

    try:
        run(scenario())
    finally:
        keyring.set_keyring(previous)
    assert Counting.asked == 1
