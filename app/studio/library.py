"""The voice library: offline voices, then every page of the server's, cached, with favourites.

The last full list is cached per server (the file name is a hash of the base
URL, stable across runs), so the next start shows the library at once and
refreshes it in the background. Loading reads and writes the cache off the
loop. Favourites are a setting. Whether a voice speaks a language is one rule
(:meth:`Voice.speaks`) for the filters, the warnings and ``voices --language``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from app.atomic import WriteError, write_bytes
from app.audio.wav import decode_wav_bytes
from app.cartesia.config import ClientConfig
from app.cartesia.voices import VoiceQuery, VoicesClient
from app.cartesia.voices_types import Voice
from app.engine.local import offline_voices
from app.engine.synth.registry import DEFAULT_OFFLINE_VOICE_ID
from app.errors import VoiceboothError
from app.events import Emitter
from app.settings import FAVOURITES, VOICE_ID, SettingChanged, Settings
from app.studio.endpoints import Endpoints
from app.takes.take import Take, TakeSettings, TakeStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoicesReset:
    """The whole list, replacing what was shown (cache read, or a load completed)."""

    voices: tuple[Voice, ...]


@dataclass(frozen=True)
class VoicesAdded:
    """One more page arrived."""

    voices: tuple[Voice, ...]


@dataclass(frozen=True)
class LoadingChanged:
    loaded: int
    busy: bool


@dataclass(frozen=True)
class LoadFailed:
    message: str


@dataclass(frozen=True)
class FavouritesChanged:
    ids: frozenset[str]


LibraryEvent = VoicesReset | VoicesAdded | LoadingChanged | LoadFailed | FavouritesChanged


def cache_name(base_url: str | None) -> str:
    """The cache file for a server: the same name in every run (``hash()`` is not)."""
    if base_url is None:
        return "voices-offline.json"
    digest = hashlib.sha256(base_url.rstrip("/").encode("utf-8")).hexdigest()
    return f"voices-{digest[:16]}.json"


class VoiceLibrary:
    def __init__(self, endpoints: Endpoints, settings: Settings, cache_dir: Path | None) -> None:
        self.endpoints = endpoints
        self.settings = settings
        self.cache_dir = cache_dir
        self.voices: list[Voice] = []
        self.events: Emitter[LibraryEvent] = Emitter()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe = settings.changed.connect(self._setting_changed)

    # --- favourites ----------------------------------------------------------------

    @property
    def favourites(self) -> frozenset[str]:
        ids: list[str] = self.settings.get(FAVOURITES)
        return frozenset(ids)

    def toggle_favourite(self, voice_id: str) -> None:
        self.settings.set(FAVOURITES, sorted(self.favourites ^ {voice_id}))

    def _setting_changed(self, event: SettingChanged) -> None:
        if event.name == FAVOURITES.name:
            self.events.emit(FavouritesChanged(self.favourites))

    # --- finding ---------------------------------------------------------------------

    def preferred_ids(self) -> list[str]:
        """Which voice to select first: the last session's, else the default offline voice."""
        return [i for i in (self.settings.get(VOICE_ID), DEFAULT_OFFLINE_VOICE_ID) if i]

    async def voice_for_id(self, voice_id: str) -> Voice:
        """A voice given by id on the command line, without listing the library.

        An offline voice's id goes to the built-in engine, unless a base URL was
        given: that server may be another Voicebooth engine, so it is asked.
        """
        if self.endpoints.base_url is None or self.endpoints.offline_only:
            offline = await _offline_voices()
            found = next((v for v in offline if v.id == voice_id), None)
            if found is not None:
                return found
        return Voice(id=voice_id, name=voice_id)

    # --- loading ---------------------------------------------------------------------

    async def load_cached(self) -> None:
        """Show the last list at once (read off the loop)."""
        path = await self._cache_path()
        if path is None:
            return
        cached = await asyncio.get_running_loop().run_in_executor(None, _read_cache, path)
        if cached and not self.voices:
            self.voices = cached
            self.events.emit(VoicesReset(tuple(cached)))

    def refresh(self) -> asyncio.Task[None]:
        """Load the library again in the background (one load at a time)."""
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._load())
        return self._task

    async def _load(self) -> None:
        loaded: list[Voice] = []
        self.events.emit(LoadingChanged(0, True))
        try:
            async for page in self.pages():
                loaded.extend(page)
                self.events.emit(VoicesAdded(tuple(page)))
                self.events.emit(LoadingChanged(len(loaded), True))
        except VoiceboothError as exc:
            self.events.emit(LoadFailed(str(exc)))
        finally:
            self.events.emit(LoadingChanged(len(loaded), False))
        if loaded:
            unique = _first_of_each_id(loaded)
            self.voices = unique  # voices the library no longer has are dropped
            self.events.emit(VoicesReset(tuple(unique)))
            path = await self._cache_path()
            if path is not None:
                await asyncio.get_running_loop().run_in_executor(None, _write_cache, path,
                                                                 unique)

    async def pages(self, query: VoiceQuery | None = None) -> AsyncIterator[list[Voice]]:
        """Offline voices first, then the server's pages (when online)."""
        query = query or VoiceQuery(with_preview=True)
        yield [v for v in await _offline_voices() if query.matches(v)]
        online = await self.endpoints.online()
        if online is None:
            return
        async with VoicesClient(online) as client:
            async for page in client.pages(query, page_size=100):
                # "Offline" means served by our built-in engine; voices of the
                # configured server go to that server, whatever engine it runs.
                yield [replace(v, offline=False) for v in page]

    async def _cache_path(self) -> Path | None:
        if self.cache_dir is None:
            return None
        online = await self.endpoints.online()
        return self.cache_dir / cache_name(online.base_url if online else None)

    # --- previews ----------------------------------------------------------------------

    async def preview_clip(self, voice: Voice) -> Take:
        """The voice's own preview clip as a take; :class:`VoiceboothError` if it cannot
        be played (not WAV, unreachable), so the caller can generate a sample instead."""
        if voice.preview_file_url is None:
            raise VoiceboothError(f"{voice.name} has no preview clip")
        online = await self.endpoints.online()
        parts = urlsplit(voice.preview_file_url)
        # The key goes only to the API's own origin (VoicesClient checks it exactly).
        config = online or ClientConfig(f"{parts.scheme}://{parts.netloc}")
        async with VoicesClient(config) as client:
            data = await client.preview_clip(voice.preview_file_url)
        wav = decode_wav_bytes(data, "the preview clip")  # WavError: not a WAV file
        take = Take(TakeSettings(text=f"Preview clip of {voice.name}", voice_id=voice.id,
                                 voice_name=voice.name, sample_rate=wav.sample_rate,
                                 base_url=config.base_url))
        take.append_audio(wav.samples)
        take.finish(TakeStatus.DONE)
        return take

    async def close(self) -> None:
        self._unsubscribe()
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def _first_of_each_id(voices: Sequence[Voice]) -> list[Voice]:
    """The offline voice wins over a server's voice with the same id: it is listed first."""
    seen: dict[str, Voice] = {}
    for voice in voices:
        seen.setdefault(voice.id, voice)
    return list(seen.values())


async def _offline_voices() -> list[Voice]:
    # Listing them loads the synthesizer registry (espeak's library): off the loop.
    return await asyncio.get_running_loop().run_in_executor(None, offline_voices)


def _read_cache(path: Path) -> list[Voice]:
    try:
        data = json.loads(path.read_text("utf-8"))
        return [Voice.from_json(item) for item in data]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _write_cache(path: Path, voices: Sequence[Voice]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(path, json.dumps([v.to_json(with_preview=True) for v in voices]).encode())
    except (OSError, WriteError) as exc:
        log.info("voice cache not written: %s", exc)
