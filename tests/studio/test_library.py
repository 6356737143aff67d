"""The voice library: pages, a cache with a stable name, favourites, ids from the command
line, and previews that never send the key to another origin."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np

from app.audio.wav import encode_wav
from app.cartesia.config import ClientConfig
from app.cartesia.voices_types import Voice
from app.engine.local import LocalEngine, offline_voices
from app.engine.server import ThreadedServer
from app.engine.synth.tones import VOICE_ID, ToneSynthesizer
from app.settings import FAVOURITES, Settings
from app.studio.endpoints import Endpoints
from app.studio.library import (
    FavouritesChanged,
    LibraryEvent,
    LoadingChanged,
    VoiceLibrary,
    VoicesAdded,
    VoicesReset,
    cache_name,
)
from app.studio.options import RunOptions
from tests.conftest import serve_files
from tests.studio.conftest import KEY, online, run

ROOT = Path(__file__).resolve().parents[2]


def test_the_cache_name_is_the_same_in_every_run() -> None:
    # hash() is salted per process: a new cache file piled up on every start.
    names = {subprocess.run([sys.executable, "-c", "from app.studio.library import "
                             "cache_name; print(cache_name('https://api.cartesia.ai'))"],
                            capture_output=True, text=True, cwd=ROOT, check=True).stdout
             for _ in range(2)}
    digest = hashlib.sha256(b"https://api.cartesia.ai").hexdigest()[:16]
    assert names == {f"voices-{digest}.json\n"}
    assert cache_name("https://api.cartesia.ai/") == cache_name("https://api.cartesia.ai")
    assert cache_name(None) == "voices-offline.json"


def test_load_pages_cache_and_show_the_cache_next_time(server: ThreadedServer,
                                                       tmp_path: Path) -> None:
    async def scenario() -> None:
        endpoints = online(server)
        library = VoiceLibrary(endpoints, Settings(None), tmp_path)
        events: list[LibraryEvent] = []
        library.events.connect(events.append)
        try:
            await library.refresh()
            # The next run: the cache is shown before anything is loaded.
            again = VoiceLibrary(endpoints, Settings(None), tmp_path)
            shown: list[LibraryEvent] = []
            again.events.connect(shown.append)
            await again.load_cached()
        finally:
            await endpoints.close()
        offline_ids = [v.id for v in offline_voices()]
        added = [e for e in events if isinstance(e, VoicesAdded)]
        assert [v.id for v in added[0].voices] == offline_ids  # offline voices first
        assert [v.id for v in added[1].voices] == [VOICE_ID]  # the server's page
        assert not added[1].voices[0].offline  # served by that server, not ours
        assert isinstance(events[0], LoadingChanged) and events[0].busy
        (reset,) = [e for e in events if isinstance(e, VoicesReset)]
        assert [v.id for v in reset.voices] == offline_ids  # one entry per id
        assert [type(e) for e in shown] == [VoicesReset]

    run(scenario())
    assert list(tmp_path.iterdir()) == [tmp_path / cache_name(server.url)]


def test_favourites_are_a_setting_and_announced(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.json")
    library = VoiceLibrary(Endpoints(settings, environ={}), settings, None)
    seen: list[LibraryEvent] = []
    library.events.connect(seen.append)
    library.toggle_favourite("b")
    library.toggle_favourite("a")
    library.toggle_favourite("b")
    assert settings.get(FAVOURITES) == ["a"]
    assert seen[-1] == FavouritesChanged(frozenset({"a"}))
    assert library.favourites == {"a"}


def test_a_voice_id_from_the_command_line(server: ThreadedServer) -> None:
    async def scenario() -> tuple[Voice, Voice, Voice]:
        offline = Endpoints(Settings(None), environ={})
        with_base = online(server)
        try:
            return (await VoiceLibrary(offline, Settings(None), None).voice_for_id(VOICE_ID),
                    await VoiceLibrary(with_base, Settings(None), None).voice_for_id(VOICE_ID),
                    await VoiceLibrary(offline, Settings(None), None).voice_for_id("abc"))
        finally:
            await offline.close()
            await with_base.close()

    ours, theirs, unknown = run(scenario())
    assert ours.offline and ours.name == "Test Tones"
    assert not theirs.offline  # a base URL was given: that server is asked
    assert not unknown.offline and unknown.name == "abc"


def test_the_key_goes_only_to_the_apis_own_origin() -> None:
    assert ClientConfig("https://api.cartesia.ai").same_origin(
        "https://api.cartesia.ai:443/voices/x/preview.wav")
    for other in ("https://api.cartesia.ai.evil/x.wav", "http://api.cartesia.ai/x.wav",
                  "https://api.cartesia.ai:8443/x.wav", "https://cdn.cartesia.ai/x.wav",
                  "https://evil.example/?https://api.cartesia.ai", "https://api.cartesia.ai@evil.example/x.wav",
                  "not a url"):
        assert not ClientConfig("https://api.cartesia.ai").same_origin(other), other


def test_a_preview_clip_on_another_origin_gets_no_key(server: ThreadedServer) -> None:
    clip = (0.25 * np.sin(np.arange(4000) / 4)).astype(np.float32)
    seen: list[dict[str, str]] = []

    async def scenario() -> None:
        runner = await serve_files({"/clip.wav": encode_wav(clip, 8000, "float32")}, seen)
        port = runner.addresses[0][1]
        endpoints = Endpoints(Settings(None), RunOptions(api_key=KEY, base_url=server.url),
                              engine=LocalEngine(synthesizers=[ToneSynthesizer()]), environ={})
        try:
            library = VoiceLibrary(endpoints, Settings(None), None)
            voice = Voice(id="v", name="Clip", preview_file_url=f"http://127.0.0.1:{port}"
                          "/clip.wav")
            take = await library.preview_clip(voice)
        finally:
            await endpoints.close()
            await runner.cleanup()
        np.testing.assert_array_equal(take.samples, clip)

    run(scenario())
    assert len(seen) == 1 and "Authorization" not in seen[0]
