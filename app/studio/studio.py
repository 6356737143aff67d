"""The studio: endpoints, recorder, transport, voice library and history, wired together.

The window binds its widgets to these objects and their events; nothing here
knows about widgets. A recording that finishes is saved to the history (off
the loop, and not awaited by whoever starts the next one, so stopping a take
never loses it); a voice preview plays the voice's own clip when it has one,
else a short generated sample, and is never kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from app.cartesia.errors import CartesiaError
from app.cartesia.voices_types import Voice
from app.engine.local import LocalEngine
from app.errors import VoiceboothError
from app.events import Emitter
from app.markup import Lexicon
from app.settings import USE_LEXICONS, Settings
from app.studio.dictionaries import PronunciationDicts
from app.studio.draft import Draft
from app.studio.endpoints import (
    Endpoints,
    EndpointsChanged,
    EndpointsEvent,
    KeyFileProblem,
    KeyringProblem,
)
from app.studio.errors import InvalidInput
from app.studio.hearing import HeardWord, WordHearing
from app.studio.history import HistoryService
from app.studio.lab import (
    Candidate,
    EarlierPronunciations,
    PronunciationLab,
    WordInLine,
    engine_pronunciation,
)
from app.studio.lexicons import Lexicons
from app.studio.library import VoiceLibrary
from app.studio.lineup import Lineup
from app.studio.options import RunOptions
from app.studio.recorder import Recorder, RecorderEvent, Recording, RecordingFinished
from app.studio.transport import LoudnessMeasured, Transport, TransportEvent
from app.takes.errors import HistoryError
from app.takes.history import History
from app.takes.take import Take, TakeStatus

if TYPE_CHECKING:
    # Imported where used: an export comes after the window's first paint.
    from app.takes.export import ExportResult, ExportSpec

log = logging.getLogger(__name__)

SAMPLE_TEXT = "Hello! This is how I sound in Voicebooth."


@dataclass(frozen=True)
class StatusChanged:
    """Where the studio is connected, in a few words (the status bar)."""

    text: str


@dataclass(frozen=True)
class Problem:
    """Something the user should know: ``area`` is connection, history, keyring,
    key file (a ``.env`` line that cannot be read) or lexicon."""

    area: str
    message: str


@dataclass(frozen=True)
class PreviewFallback:
    """A voice's preview clip could not be played: a generated sample plays instead."""

    voice: Voice
    reason: str


StudioEvent = StatusChanged | Problem | PreviewFallback


class Studio:
    def __init__(self, settings: Settings, options: RunOptions | None = None,
                 history: History | None = None, *, engine: LocalEngine | None = None,
                 cache_dir: Path | None = None, lexicons: Lexicons | None = None) -> None:
        self.settings = settings
        #: The project's lexicons, applied to every line played or compared.
        self.lexicons = lexicons or Lexicons(None)
        self.endpoints = Endpoints(settings, options, engine=engine)
        #: Cartesia pronunciation dictionaries, where this run's generations go.
        self.dictionaries = PronunciationDicts(self.endpoints)
        self.recorder = Recorder(self.endpoints)
        self.transport = Transport(settings)
        self.library = VoiceLibrary(self.endpoints, settings, cache_dir)
        self.history = HistoryService(history)
        #: "Hear this word": the word alone, then its sentence (one at a time).
        self.hearing = WordHearing(self.endpoints, self.transport)
        self.events: Emitter[StudioEvent] = Emitter()
        self._previews: dict[str, Take] = {}
        #: The comparison of voices rendering or last rendered (one at a time).
        self.lineup: Lineup | None = None
        #: The pronunciation lab rendering or last rendered (one at a time).
        self.lab: PronunciationLab | None = None
        self.pronunciations = EarlierPronunciations()
        self._tasks: set[asyncio.Future[object]] = set()
        self.recorder.events.connect(self._on_recorder)
        self.endpoints.events.connect(self._on_endpoints)
        self.transport.events.connect(self._on_transport)

    # --- starting ------------------------------------------------------------------

    async def start(self) -> None:
        """The cached library at once, a fresh library (the offline voices need no
        engine: they are listed at once), the history and the lexicons, while the sockets
        open; returns once they are open (the offline engine answered)."""
        await self.library.load_cached()
        if await self.endpoints.online() is not None:
            # The voices' REST client comes in now, off the loop (a fifth of a second
            # that would stall it); offline, it never does.
            await asyncio.get_running_loop().run_in_executor(
                None, importlib.import_module, "aiohttp")
        self.library.refresh()
        self.background(self.history.refresh())
        self.background(self._load_lexicons())
        await self.connect()

    async def _load_lexicons(self) -> None:
        try:
            await self.lexicons.load()
        except VoiceboothError as exc:
            # The lines still play, without the lexicon; the file is left as it is.
            self.events.emit(Problem("lexicon", f"the lexicon could not be read: {exc}"))

    async def connect(self) -> None:
        self.events.emit(StatusChanged("connecting…"))
        try:
            self.events.emit(StatusChanged(await self.endpoints.connect()))
        except CartesiaError as exc:
            self.events.emit(StatusChanged("not connected"))
            self.events.emit(Problem("connection", str(exc)))

    def _on_endpoints(self, event: EndpointsEvent) -> None:
        if isinstance(event, KeyringProblem):
            self.events.emit(Problem("keyring", event.message))
        elif isinstance(event, KeyFileProblem):
            self.events.emit(Problem("key file", event.message))
        elif isinstance(event, EndpointsChanged):
            self._previews.clear()

    def reconnect(self) -> None:
        """After the settings changed: close stale sockets, connect, load the library."""
        self.background(self.connect())
        self.library.refresh()

    # --- recording -----------------------------------------------------------------------

    @property
    def use_lexicons(self) -> bool:
        return self.settings.get(USE_LEXICONS)

    def set_use_lexicons(self, on: bool) -> None:
        self.settings.set(USE_LEXICONS, on)

    def _with_lexicons(self, draft: Draft, lexicons: bool | None
                       ) -> tuple[Draft, Lexicon | None]:
        """The draft and lexicon a line is said with: without the lexicons (the switch
        off, or "Play without lexicons") the text goes as written and no dictionary id
        goes with it, so the two takes differ only by the lexicons."""
        if self.use_lexicons if lexicons is None else lexicons:
            return draft, self.lexicons.lexicon()
        return replace(draft, pronunciation_dict_id=None), None

    def play(self, draft: Draft, voice: Voice, *, lexicons: bool | None = None) -> Recording:
        """Record the draft with ``voice`` and play it while it streams; ``lexicons``
        overrides the "Use lexicons" switch for this take."""
        draft, lexicon = self._with_lexicons(draft, lexicons)
        recording = self.recorder.start(draft.take_settings(voice, lexicon=lexicon), voice)
        self.transport.follow(recording.take)
        self.library.note_used(voice.id)  # the Recent group of the picker
        return recording

    def preview(self, voice: Voice, draft: Draft) -> None:
        """Let the user hear a voice: its clip, else a generated sample (cached per voice)."""
        cached = self._previews.get(voice.id)
        if cached is not None and cached.status is TakeStatus.DONE:
            self.transport.play_take(cached)
        elif voice.preview_file_url and not voice.offline:
            self.background(self._preview_clip(voice, draft))
        else:
            self._generate_preview(voice, draft)

    async def _preview_clip(self, voice: Voice, draft: Draft) -> None:
        try:
            take = await self.library.preview_clip(voice)
        except VoiceboothError as exc:
            self.events.emit(PreviewFallback(voice, str(exc)))
            self._generate_preview(voice, draft)
            return
        self._previews[voice.id] = take
        self.transport.play_take(take)

    def _generate_preview(self, voice: Voice, draft: Draft) -> None:
        settings = draft.take_settings(voice, SAMPLE_TEXT)
        recording = self.recorder.start(settings, voice, keep=False)
        self._previews[voice.id] = recording.take
        self.transport.follow(recording.take)

    def _on_recorder(self, event: RecorderEvent) -> None:
        if isinstance(event, RecordingFinished) and event.recording.keep:
            # Not awaited by the recording: the next Play (which cancels it) must
            # not cancel the saving of the take it stopped.
            self.background(self._save(event.recording.take))

    async def _save(self, take: Take) -> None:
        try:
            await self.history.save(take)
        except HistoryError as exc:
            self.events.emit(Problem("history", str(exc)))
        if take is self.transport.take:
            # Measured as it was saved: show (and use) the gain it will replay at.
            self.transport.refresh_gain(defer=True)

    def _on_transport(self, event: TransportEvent) -> None:
        if isinstance(event, LoudnessMeasured):
            self.background(self._store_loudness(event.take))

    async def _store_loudness(self, take: Take) -> None:
        # A preview, or a take deleted meanwhile, is not in the history: nothing to keep.
        with contextlib.suppress(HistoryError):
            await self.history.store_loudness(take)

    def compare(self, draft: Draft, voices: Sequence[Voice], max_parallel: int) -> Lineup:
        """Render the draft in each voice, ``max_parallel`` at a time (stopping the
        comparison still rendering); its takes go to the history."""
        if not voices:
            raise InvalidInput("choose at least one voice to compare")
        draft, lexicon = self._with_lexicons(draft, None)
        settings = draft.take_settings(voices[0], lexicon=lexicon)
        lineup = Lineup(self.endpoints, settings, voices, max_parallel=max_parallel,
                        history=self.history)
        if self.lineup is not None:
            self.background(self.lineup.close())
        self.lineup = lineup
        lineup.start()
        return lineup

    def audition(self, draft: Draft, voice: Voice, word: WordInLine,
                 candidates: Sequence[Candidate], max_parallel: int) -> PronunciationLab:
        """Render the sentence holding ``word`` once per candidate, ``max_parallel`` at a
        time (stopping the lab still rendering); its takes are not kept in the history:
        they are drafts of one word, and the kept one is rendered again in its line."""
        lab = PronunciationLab(self.endpoints, draft.take_settings(voice), voice, word,
                               candidates, max_parallel=max_parallel)
        if self.lab is not None:
            self.background(self.lab.close())
        self.lab = lab
        lab.start()
        return lab

    async def pronunciation(self, word: str, language: str = "en") -> Candidate:
        """How the offline engine says ``word``, as IPA (espeak-ng, off the loop)."""
        return await engine_pronunciation(word, language)

    def hear_phonemes(self, draft: Draft, voice: Voice, markup: str) -> None:
        """Say ``markup`` (``<<ʃ|ɪ|p>>``, a palette symbol's example) in ``voice``, not
        kept; said again from memory when asked twice."""
        key = f"{voice.id}\n{draft.model_id}\n{markup}"
        cached = self._previews.get(key)
        if cached is not None and cached.status is TakeStatus.DONE:
            self.transport.play_take(cached)
            return
        recording = self.recorder.start(draft.take_settings(voice, markup + "."), voice,
                                        keep=False)
        self._previews[key] = recording.take
        self.transport.follow(recording.take)

    def hear_word(self, draft: Draft, voice: Voice, word: WordInLine
                  ) -> asyncio.Task[HeardWord]:
        """Say ``word`` alone, then its sentence, with the lexicons (whatever the switch:
        it checks how the lexicon says the word), rendered in parallel and played one
        after the other; not kept. A second request stops the first."""
        return self.hearing.hear(
            draft.take_settings(voice, lexicon=self.lexicons.lexicon()), voice, word)

    # --- the history ------------------------------------------------------------------

    async def take(self, take_id: str) -> Take:
        """A take by id: the current one if it is that, else loaded from the history."""
        current = self.transport.take
        if current is not None and current.id == take_id:
            return current
        return await self.history.load(take_id)

    async def show(self, take_id: str) -> Take:
        """Make a take of the history the current one, without playing it (selected)."""
        take = await self.take(take_id)
        self.transport.show(take)
        return take

    async def start_ab(self, first_id: str, second_id: str) -> None:
        """A/B two takes of the history (:class:`ABRefused` when their texts differ)."""
        first, second = await self.take(first_id), await self.take(second_id)
        self.transport.start_ab(first, second)

    async def rename(self, take_id: str, name: str) -> None:
        await self.history.rename(take_id, name)
        current = self.transport.take
        if current is not None and current.id == take_id:
            current.rename(name)

    async def export(self, take: Take, path: Path, spec: ExportSpec | None = None, *,
                     selection: tuple[float, float] | None = None,
                     overwrite: bool = False) -> ExportResult:
        """Write the take (or a selection) as ``spec`` says, and its timings, off the loop
        (decoding, loudness and fsync are slow)."""
        from app.takes.export import ExportSpec, export_take

        return await asyncio.get_running_loop().run_in_executor(
            None, lambda: export_take(take, path, spec or ExportSpec(), selection=selection,
                                      overwrite=overwrite))

    # --- lifetime -----------------------------------------------------------------------

    def background(self, work: Awaitable[object]) -> None:
        """Run ``work`` without waiting for it, keeping a handle so it is never lost."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Future[object]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            if isinstance(exc, VoiceboothError):
                self.events.emit(Problem("connection", str(exc)))
            else:
                log.error("background work failed", exc_info=exc)

    async def shutdown(self) -> None:
        """Stop everything: generation, sound, sockets, the engine; finish saving takes."""
        await self.recorder.close()
        await self.hearing.close()
        if self.lineup is not None:
            await self.lineup.close()
        if self.lab is not None:
            await self.lab.close()
        await self.library.close()
        await self.transport.close()
        if self._tasks:  # a take being written to the history is finished, not lost
            await asyncio.wait(set(self._tasks), timeout=10)
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.endpoints.close()
        self.history.close()
