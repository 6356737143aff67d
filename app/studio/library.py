"""The voice library: offline voices, then every page of the server's, cached, with favourites.

The last full list is cached per server (the file name is a hash of the base
URL, stable across runs), so the next start shows the library at once and
refreshes it in the background. Loading reads and writes the cache off the
loop, in slices of a few dozen voices, each a job of its own for the worker
thread (so the worker holds the GIL for about a millisecond at a time, and not
at all while the loop has not handed it the next slice); a cache that cannot
be read is ignored and logged. Favourites, recent
voices and pasted voices are settings. Whether a voice speaks a language is
one rule (:meth:`Voice.speaks`) for the filters, the warnings and
``voices --language``.

A voice id pasted from Cartesia's site or a colleague is looked up with
``GET /voices/{id}`` (:meth:`VoiceLibrary.paste`) and kept, with what the server
said about it, in the "Pasted" group: it is there on the next start even when
no listed page has it. A voice's own preview clip (``preview_file_url``; Cartesia
serves MP3) is fetched once, kept in the cache folder and decoded with
libsndfile, whatever its format (MP3, WAV, FLAC, Ogg: told from its content).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import itertools
import json
import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import numpy as np

from app.atomic import WriteError, write_bytes
from app.audio.codecs import Float32Array
from app.cartesia.config import ClientConfig
from app.cartesia.errors import CartesiaError, NotFound
from app.cartesia.voices import VoiceQuery, VoicesClient
from app.cartesia.voices_types import Voice
from app.engine.local import offline_voices
from app.engine.synth.registry import DEFAULT_OFFLINE_VOICE_ID
from app.errors import VoiceboothError
from app.events import Emitter
from app.settings import (
    FAVOURITES,
    PASTED_VOICES,
    RECENT_VOICES,
    VOICE_ID,
    SettingChanged,
    Settings,
)
from app.studio.endpoints import Endpoints
from app.studio.errors import PreviewUnplayable, VoiceLookupFailed
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
    """How far a load is: ``loaded`` voices so far, ``online`` of them from the server in
    ``pages`` pages (Cartesia's listing gives no total, so progress is a count)."""

    loaded: int
    busy: bool
    online: int = 0
    pages: int = 0


@dataclass(frozen=True)
class LoadFailed:
    message: str


#: Whose voices a load lists: only the offline ones because there is no key (the picker
#: invites one), only the offline ones by the user's choice, or the server's too.
Reach = Literal["no key", "offline", "online"]


@dataclass(frozen=True)
class ReachChanged:
    """Announced as a load starts: whether the server's voices are part of it, and why not."""

    reach: Reach


@dataclass(frozen=True)
class FavouritesChanged:
    ids: frozenset[str]


@dataclass(frozen=True)
class RecentChanged:
    """The voices last recorded with, newest first."""

    ids: tuple[str, ...]


@dataclass(frozen=True)
class VoicePasted:
    """A pasted id was found: the voice is in the library (and the Pasted group) now."""

    voice: Voice
    pasted: tuple[str, ...]


@dataclass(frozen=True)
class LookupFailed:
    """A pasted id could not be used; ``message`` says why, for the user."""

    voice_id: str
    message: str


LibraryEvent = (VoicesReset | VoicesAdded | LoadingChanged | LoadFailed | ReachChanged
                | FavouritesChanged | RecentChanged | VoicePasted | LookupFailed)

#: How many voices the Recent group and the Pasted group keep.
RECENT_KEPT = 10
PASTED_KEPT = 50
#: Cartesia's voice ids are UUIDs (``a0e99841-438c-4a64-b679-ae501e7d6091``).
VOICE_ID_SHAPE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                            re.IGNORECASE)


def is_voice_id(text: str) -> bool:
    """Whether ``text`` (stripped) has the shape of a voice id."""
    return VOICE_ID_SHAPE.fullmatch(text.strip()) is not None


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
        self._lookups: set[asyncio.Task[Voice | None]] = set()
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
        elif event.name == RECENT_VOICES.name:
            self.events.emit(RecentChanged(self.recent))

    # --- recent and pasted voices ----------------------------------------------------

    @property
    def recent(self) -> tuple[str, ...]:
        ids: list[str] = self.settings.get(RECENT_VOICES)
        return tuple(ids)

    def note_used(self, voice_id: str) -> None:
        """A take was recorded with this voice: it goes first in the Recent group."""
        recent = [voice_id, *(i for i in self.recent if i != voice_id)][:RECENT_KEPT]
        if tuple(recent) != self.recent:
            self.settings.set(RECENT_VOICES, recent)

    @property
    def pasted(self) -> list[Voice]:
        """Voices looked up by id, newest first, as the server described them."""
        kept: list[dict[str, object]] = self.settings.get(PASTED_VOICES)
        out = []
        for item in kept:
            with contextlib.suppress(KeyError, TypeError, ValueError, AttributeError):
                out.append(Voice.from_json(item))
        return out

    def _with_pasted(self, voices: Sequence[Voice]) -> list[Voice]:
        """The list and the pasted voices it lacks (a pasted voice stays in the picker)."""
        known = {v.id for v in voices}
        return [*voices, *(v for v in self.pasted if v.id not in known)]

    def paste(self, text: str) -> asyncio.Task[Voice | None]:
        """Look a pasted id up in the background; :class:`VoicePasted` or
        :class:`LookupFailed` tells how it went."""
        task = asyncio.ensure_future(self._paste(text))
        self._lookups.add(task)
        task.add_done_callback(self._lookups.discard)
        return task

    async def _paste(self, text: str) -> Voice | None:
        try:
            voice = await self.lookup(text)
        except VoiceLookupFailed as exc:
            self.events.emit(LookupFailed(text.strip(), str(exc)))
            return None
        listed = any(v.id == voice.id for v in self.voices)
        if not listed:
            self.voices.append(voice)
            kept = [voice.to_json(with_preview=True),
                    *(v.to_json(with_preview=True) for v in self.pasted if v.id != voice.id)]
            self.settings.set(PASTED_VOICES, kept[:PASTED_KEPT])
        ids = tuple(v.id for v in self.pasted)
        self.events.emit(VoicePasted(voice, ids))
        return voice

    async def lookup(self, text: str) -> Voice:
        """The voice with this id: from the list when it is there, else asked of the
        server (``GET /voices/{id}``); :class:`VoiceLookupFailed` says why not."""
        voice_id = text.strip()
        if not voice_id:
            raise VoiceLookupFailed("paste a voice id (like a0e99841-438c-4a64-b679-"
                                    "ae501e7d6091) to look it up")
        if not is_voice_id(voice_id):
            shown = voice_id if len(voice_id) <= 60 else voice_id[:57] + "…"
            raise VoiceLookupFailed(
                f"{shown!r} is not a voice id: ids have 32 hexadecimal digits in five "
                "groups, like a0e99841-438c-4a64-b679-ae501e7d6091")
        voice_id = voice_id.lower()
        found = next((v for v in self.voices if v.id == voice_id), None)
        if found is not None:
            return found
        online = await self.endpoints.online()
        if online is None:
            offline = await _offline_voices()
            found = next((v for v in offline if v.id == voice_id), None)
            if found is not None:
                return found
            raise VoiceLookupFailed(
                f"no voice with id {voice_id} among the offline voices; to use voices "
                "from Cartesia's library, store an API key in Settings")
        try:
            async with VoicesClient(online) as client:
                voice = await client.get(voice_id, with_preview=True)
        except NotFound:
            raise VoiceLookupFailed(f"no voice with id {voice_id} on {online.base_url} "
                                    "(it may be private to another account, or deleted)"
                                    ) from None
        except CartesiaError as exc:
            raise VoiceLookupFailed(f"could not look up voice {voice_id}: {exc}") from None
        return replace(voice, offline=False)

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
        cached = await _read_cache_in_slices(path)
        if cached and not self.voices:
            cached = self._with_pasted(cached)
            self.voices = cached
            self.events.emit(VoicesReset(tuple(cached)))

    def refresh(self) -> asyncio.Task[None]:
        """Load the library again in the background (one load at a time)."""
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._load())
        return self._task

    async def _load(self) -> None:
        loaded: list[Voice] = []
        pages = online = 0
        first = True  # pages() yields the offline voices first, then the server's pages
        self.events.emit(LoadingChanged(0, True))
        try:
            self.events.emit(ReachChanged(await self._reach()))
            async for page in self.pages():
                loaded.extend(page)
                if not first:
                    pages, online = pages + 1, online + len(page)
                first = False
                self.events.emit(VoicesAdded(tuple(page)))
                self.events.emit(LoadingChanged(len(loaded), True, online, pages))
        except VoiceboothError as exc:
            self.events.emit(LoadFailed(str(exc)))
        finally:
            self.events.emit(LoadingChanged(len(loaded), False, online, pages))
        if loaded:
            unique = _first_of_each_id(loaded)
            # Voices the library no longer has are dropped; pasted ones stay.
            self.voices = self._with_pasted(unique)
            self.events.emit(VoicesReset(tuple(self.voices)))
            path = await self._cache_path()
            if path is not None:
                await _write_cache_in_slices(path, unique)

    async def _reach(self) -> Reach:
        if await self.endpoints.online() is not None:
            return "online"
        return "offline" if self.endpoints.offline_only else "no key"

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
                # configured server go to that server, whatever engine it runs. (Only
                # those marked are copied: ``replace`` of a page of 100 took 1-2 ms of
                # the loop, and a server other than our engine marks none.)
                yield [replace(v, offline=False) if v.offline else v for v in page]

    async def _cache_path(self) -> Path | None:
        if self.cache_dir is None:
            return None
        online = await self.endpoints.online()
        return self.cache_dir / cache_name(online.base_url if online else None)

    # --- previews ----------------------------------------------------------------------

    def preview_path(self, voice: Voice) -> Path | None:
        """Where a voice's clip is kept: per voice and per URL (a new clip, a new file)."""
        if self.cache_dir is None or voice.preview_file_url is None:
            return None
        safe_id = re.sub(r"[^A-Za-z0-9_-]", "_", voice.id)[:64]
        digest = hashlib.sha256(voice.preview_file_url.encode("utf-8")).hexdigest()[:16]
        return self.cache_dir / "previews" / f"{safe_id}-{digest}.clip"

    async def preview_clip(self, voice: Voice) -> Take:
        """The voice's own preview clip as a take; :class:`VoiceboothError` if it cannot
        be played (unreachable, or not audio libsndfile reads), so the caller can
        generate a sample instead."""
        url = voice.preview_file_url
        if url is None:
            raise PreviewUnplayable(f"{voice.name} has no preview clip")
        loop = asyncio.get_running_loop()
        path = self.preview_path(voice)
        online = await self.endpoints.online()
        parts = urlsplit(url)
        # The key goes only to the API's own origin (VoicesClient checks it exactly).
        config = online or ClientConfig(f"{parts.scheme}://{parts.netloc}")
        decoded: tuple[Float32Array, int] | None = None
        if path is not None:
            kept = await loop.run_in_executor(None, _read_bytes, path)
            if kept is not None:
                try:
                    decoded = await loop.run_in_executor(None, decode_clip, kept)
                except PreviewUnplayable:
                    log.info("the kept preview %s is unreadable; fetching it again", path)
        if decoded is None:
            async with VoicesClient(config) as client:
                data = await client.preview_clip(url)
            try:
                decoded = await loop.run_in_executor(None, decode_clip, data)
            except PreviewUnplayable as exc:
                raise PreviewUnplayable(f"the preview clip of {voice.name} cannot be "
                                        f"played: {exc}") from None
            if path is not None:
                await loop.run_in_executor(None, _write_preview, path, data)
        samples, rate = decoded
        take = Take(TakeSettings(text=f"Preview clip of {voice.name}", voice_id=voice.id,
                                 voice_name=voice.name, sample_rate=rate,
                                 base_url=config.base_url))
        take.append_audio(samples)
        take.finish(TakeStatus.DONE)
        return take

    async def close(self) -> None:
        self._unsubscribe()
        for lookup in list(self._lookups):
            lookup.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await lookup
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


#: Voices per job of the worker thread that reads or writes the cache (~1 ms of
#: parsing or serialising on a quiet machine). A worker thread holds the GIL while it
#: parses, and the GUI thread needs it at every call from Qt into Python (each cell
#: painted): the interpreter takes it from a busy thread only after its 5 ms switch
#: interval, and ``time.sleep(0)`` does not hand it over (the sleeper takes it straight
#: back). Written in one job, a 5,000-voice cache stretched a repaint to 200 ms.
CACHE_SLICE: Final = 50


def _read_cache(path: Path) -> list[Voice]:
    """The cached list, or none when there is no cache or it cannot be read (in one go:
    :func:`_read_cache_in_slices` is what the library uses)."""
    text = _read_cache_text(path)
    if text is None:
        return []
    try:
        return list(_voices_of(_json_items(text)))
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("the voice cache %s is corrupt; ignored: %s", path, exc)
        return []


async def _read_cache_in_slices(path: Path) -> list[Voice]:
    """:func:`_read_cache`, its parsing done :data:`CACHE_SLICE` voices per job of the
    worker, the next job handed over by the loop once the last one is back."""
    loop = asyncio.get_running_loop()
    text = await loop.run_in_executor(None, _read_cache_text, path)
    if text is None:
        return []
    items = _json_items(text)
    voices: list[Voice] = []
    try:
        while True:
            part = await loop.run_in_executor(None, _next_voices, items)
            voices.extend(part)
            if len(part) < CACHE_SLICE:
                return voices
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("the voice cache %s is corrupt; ignored: %s", path, exc)
        return []


def _read_cache_text(path: Path) -> str | None:
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("the voice cache %s cannot be read; ignored: %s", path, exc)
        return None


def _voices_of(items: Iterable[dict[str, Any]]) -> Iterator[Voice]:
    return (Voice.from_json(item) for item in items)


def _next_voices(items: Iterator[dict[str, Any]]) -> list[Voice]:
    """The next :data:`CACHE_SLICE` voices of a cache being read (fewer at its end)."""
    return list(_voices_of(itertools.islice(items, CACHE_SLICE)))


#: The white space JSON allows between values.
_JSON_SPACE: Final = re.compile(r"[ \t\n\r]*")


def _json_items(text: str) -> Iterator[dict[str, Any]]:
    """The objects of a JSON list, decoded one at a time (a slice of them per job: one
    ``json.loads`` of 5,000 voices, 2.5 MB, holds the GIL for ~40 ms at once)."""
    decoder = json.JSONDecoder()
    pos = _skip_space(text, 0)
    if text[pos:pos + 1] != "[":
        raise ValueError("not a JSON list")
    pos = _skip_space(text, pos + 1)
    closed = text[pos:pos + 1] == "]"
    while not closed:
        item, pos = decoder.raw_decode(text, pos)
        if not isinstance(item, dict):
            raise TypeError(f"a {type(item).__name__} where a voice was expected")
        yield item
        pos = _skip_space(text, pos)
        mark = text[pos:pos + 1]
        if mark not in (",", "]"):
            raise ValueError(f"',' or ']' expected at character {pos}")
        closed = mark == "]"
        pos = _skip_space(text, pos + 1) if not closed else pos
    if _skip_space(text, pos + 1) != len(text):
        raise ValueError(f"extra data after the list at character {pos + 1}")


def _skip_space(text: str, pos: int) -> int:
    match = _JSON_SPACE.match(text, pos)
    return match.end() if match else pos


def _write_cache(path: Path, voices: Sequence[Voice]) -> None:
    """The list written as one JSON list (in one go: :func:`_write_cache_in_slices` is
    what the library uses)."""
    _write_cache_parts(path, [_dumped(voices)])


async def _write_cache_in_slices(path: Path, voices: Sequence[Voice]) -> None:
    """:func:`_write_cache`, each :data:`CACHE_SLICE` voices serialised in a job of their
    own (one ``json.dumps`` of 5,000 voices held the GIL ~90 ms), then the file."""
    loop = asyncio.get_running_loop()
    parts = []
    for start in range(0, len(voices), CACHE_SLICE):
        parts.append(await loop.run_in_executor(None, _dumped,
                                                voices[start:start + CACHE_SLICE]))
    await loop.run_in_executor(None, _write_cache_parts, path, parts)


def _dumped(voices: Sequence[Voice]) -> str:
    return ",\n".join(json.dumps(v.to_json(with_preview=True)) for v in voices)


def _write_cache_parts(path: Path, parts: Sequence[str]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(path, ("[" + ",\n".join(p for p in parts if p) + "]").encode())
    except (OSError, WriteError) as exc:
        log.info("voice cache not written: %s", exc)


def decode_clip(data: bytes) -> tuple[Float32Array, int]:
    """Mono float32 samples and their rate, from a clip in any format libsndfile reads
    (MP3, WAV, FLAC, Ogg), told from its content: a URL's suffix may lie."""
    # Imported here, off the loop (previews are decoded in an executor): loading
    # libsndfile through cffi cost the window's first paint 15-40 ms.
    import soundfile

    if not data:
        raise PreviewUnplayable("the clip is empty")
    try:
        audio, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (soundfile.SoundFileError, RuntimeError, TypeError, ValueError) as exc:
        head = data[:16].hex(" ")
        raise PreviewUnplayable(f"its {len(data):,} bytes are not audio in a format we "
                                f"read (MP3, WAV, FLAC, Ogg); libsndfile says "
                                f"{_reason(exc)} (it starts {head})") from None
    if audio.shape[0] == 0:
        raise PreviewUnplayable("the clip holds no audio")
    mono = audio.mean(axis=1, dtype=np.float32) if audio.shape[1] > 1 else audio[:, 0]
    return np.ascontiguousarray(mono, dtype=np.float32), int(rate)


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text.split(": ", 1)[1] if ": " in text else text


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _write_preview(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(path, data)
    except (OSError, WriteError) as exc:
        log.info("preview clip not kept: %s", exc)
