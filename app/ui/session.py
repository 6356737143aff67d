"""Generations, playback and the history, for the window (no widgets here).

One session owns: a TTS client for Cartesia (when a key or base URL is set),
one for the built-in offline engine (started lazily), the running generation
(a second Play cancels it, task and Cartesia context), the player of the
current take, and the history. Everything runs on qasync's loop; the only
other threads are PortAudio's callback and the offline engine's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import replace
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, Signal

from app.audio.errors import NoAudioDevice
from app.audio.player import Player
from app.audio.wav import decode_wav_bytes
from app.cartesia import messages as m
from app.cartesia.client import Audio, Generation, TTSClient
from app.cartesia.config import DEFAULT_BASE_URL, ClientConfig, Timeouts
from app.cartesia.errors import CartesiaError
from app.cartesia.voices import VoiceQuery, VoicesClient
from app.cartesia.voices_types import Voice
from app.credentials import resolve_key
from app.engine.local import LocalEngine, offline_voices
from app.errors import VoiceboothError
from app.settings import Settings
from app.takes.errors import HistoryError
from app.takes.history import History
from app.takes.take import Take, TakeSettings, TakeStatus
from app.takes.timings import Timing

log = logging.getLogger(__name__)


class Session(QObject):
    takeStarted = Signal(object)    # Take
    takeFinished = Signal(object)   # Take
    problem = Signal(str, str)      # (area, message): generation, playback, history, voices
    statusChanged = Signal(str)

    def __init__(self, settings: Settings, history: History | None,
                 engine: LocalEngine | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.history = history
        self._engine = engine
        self._clients: dict[str, TTSClient] = {}
        self._task: asyncio.Task[None] | None = None
        self._saving: set[asyncio.Future[None]] = set()
        self.generation: Generation | None = None
        self.player: Player | None = None
        self.take: Take | None = None
        self.playback_problem: str | None = None

    # --- where to connect ----------------------------------------------------------

    def online_config(self) -> ClientConfig | None:
        """Cartesia (or another server given as base URL); ``None`` when offline only."""
        if self.settings.get("offline_only"):
            return None
        key = resolve_key()
        base = self.settings.get("base_url") or os.environ.get("CARTESIA_BASE_URL")
        if key is None and not base:
            return None
        version = os.environ.get("CARTESIA_API_VERSION") or self.settings.get("api_version")
        return ClientConfig(base or DEFAULT_BASE_URL, key.value if key else None, version,
                            Timeouts())

    def engine(self) -> LocalEngine:
        if self._engine is None:
            self._engine = LocalEngine()
        self._engine.start()
        return self._engine

    def offline_config(self) -> ClientConfig:
        return ClientConfig(self.engine().url, None, self.settings.get("api_version"),
                            Timeouts(first_chunk=30))  # a cold model may take a moment

    def client_for(self, voice: Voice) -> TTSClient:
        config = self.offline_config() if voice.offline else self.online_config()
        if config is None:
            raise VoiceboothError("this voice needs Cartesia: set an API key in Settings, "
                                  "or choose an offline voice")
        key = f"{config.base_url}|{config.api_version}|{bool(config.api_key)}"
        client = self._clients.get(key)
        if client is None or client.config != config:
            client = TTSClient(config)
            self._clients[key] = client
        return client

    async def connect(self) -> None:
        """Open the sockets before the first Play (time to first audio matters)."""
        self.statusChanged.emit("connecting…")
        try:
            await self.client_for(_OFFLINE_PROBE).connect()
            online = self.online_config()
            if online is not None:
                client = TTSClient(online)
                self._clients[f"{online.base_url}|{online.api_version}|"
                              f"{bool(online.api_key)}"] = client
                await client.connect()
                self.statusChanged.emit(f"connected to {online.base_url}")
            else:
                self.statusChanged.emit("offline engine ready (no API key)")
        except CartesiaError as exc:
            self.statusChanged.emit("not connected")
            self.problem.emit("voices", str(exc))

    # --- voices -------------------------------------------------------------------------

    async def voice_pages(self) -> AsyncIterator[list[Voice]]:
        yield offline_voices()
        online = self.online_config()
        if online is not None:
            async with VoicesClient(online) as client:
                async for page in client.pages(VoiceQuery(with_preview=True), page_size=100):
                    # "Offline" means served by our built-in engine; voices of the
                    # configured server go to that server, whatever engine it runs.
                    yield [replace(v, offline=False) for v in page]

    async def preview_clip(self, voice: Voice) -> Take:
        """The voice's own preview clip as a take; :class:`VoiceboothError` if it cannot
        be played (not WAV, unreachable), so the caller can generate a sample instead."""
        assert voice.preview_file_url is not None
        parts = urlsplit(voice.preview_file_url)
        config = self.online_config() or ClientConfig(f"{parts.scheme}://{parts.netloc}")
        async with VoicesClient(config) as client:
            data = await client.preview_clip(voice.preview_file_url)
        wav = decode_wav_bytes(data, "the preview clip")  # WavError: not a WAV file
        take = Take(TakeSettings(text=f"Preview clip of {voice.name}", voice_id=voice.id,
                                 voice_name=voice.name, sample_rate=wav.sample_rate,
                                 base_url=config.base_url))
        take.append_audio(wav.samples)
        take.finish(TakeStatus.DONE)
        return take

    # --- generating -----------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    def play(self, settings: TakeSettings, voice: Voice, *, keep: bool = True) -> Take:
        """Start a take (cancelling any running one) and return it at once.

        ``keep=False`` (voice previews) leaves the history alone.
        """
        self.stop()
        take = Take(settings)
        self.take = take
        self._task = asyncio.ensure_future(self._run(take, voice, keep))
        self.takeStarted.emit(take)
        return take

    async def _run(self, take: Take, voice: Voice, keep: bool = True) -> None:
        s = take.settings
        config = m.GenerationConfig(speed=s.speed, volume=s.volume, emotion=s.emotion)
        request = m.GenerationRequest(
            model_id=s.model_id, transcript=s.text, voice_id=s.voice_id, context_id="",
            output_format=m.OutputFormat(s.encoding, s.sample_rate), language=s.language,
            add_timestamps=True, add_phoneme_timestamps=True,
            generation_config=config if config.to_json() else None)
        # Opening the sound device takes tens of milliseconds: do it on a worker
        # thread while the request is in flight, not on the loop the window uses.
        self._close_player()
        opening = asyncio.get_running_loop().run_in_executor(None, self._open_player,
                                                             s.sample_rate)
        player: Player | None = None
        generation: Generation | None = None
        try:
            client = self.client_for(voice)
            generation = await client.generate(request)
            self.generation = generation
            player = self._player_opened(await opening)
            async for event in generation:
                if isinstance(event, Audio):
                    take.append_audio(event.samples)
                    if player is not None:
                        player.feed(event.samples)
                    # Queued chunks come back without suspending; after a burst (a
                    # whole sentence at once) the window would wait for all of them.
                    await asyncio.sleep(0)
                elif isinstance(event, m.WordTimestamps):
                    take.add_words([Timing(w, a, b) for w, a, b in
                                    zip(event.words, event.start, event.end, strict=True)])
                elif isinstance(event, m.PhonemeTimestamps):
                    take.add_phonemes([Timing(p, a, b) for p, a, b in
                                       zip(event.phonemes, event.start, event.end, strict=True)])
            take.finish(TakeStatus.DONE, ttfa=generation.time_to_first_audio)
        except asyncio.CancelledError:
            if player is None:
                player = self._player_opened(await opening)
            if generation is not None:
                await generation.cancel()
            take.finish(TakeStatus.CANCELLED, "stopped",
                        ttfa=generation.time_to_first_audio if generation else None)
            raise
        except VoiceboothError as exc:
            if player is None:
                player = self._player_opened(await opening)
            kept = f"; the {take.duration:.1f} s that arrived are kept" if take.n_frames else ""
            take.finish(TakeStatus.FAILED, str(exc) + kept,
                        ttfa=generation.time_to_first_audio if generation else None)
            self.problem.emit("generation", str(exc) + kept)
        finally:
            if player is not None:
                player.end_of_stream()
            self.generation = None
            if keep:
                # Writing the audio file (with fsync) takes tens of milliseconds: off
                # the loop, so the window never stalls, and not awaited, so the next
                # Play (which cancels this task) cannot cancel the saving.
                saving = asyncio.get_running_loop().run_in_executor(None, self._save, take)
                self._saving.add(saving)
                saving.add_done_callback(lambda done: self._saved(done, take))
            else:
                self.takeFinished.emit(take)

    def _saved(self, saving: asyncio.Future[None], take: Take) -> None:
        self._saving.discard(saving)
        self.takeFinished.emit(take)

    def _save(self, take: Take) -> None:
        if self.history is None or (take.n_frames == 0 and take.status is not TakeStatus.DONE):
            return
        try:
            self.history.save(take)
        except HistoryError as exc:
            self.problem.emit("history", str(exc))

    def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if self.player is not None:
            self.player.stop()

    # --- playback ---------------------------------------------------------------------------

    def _close_player(self) -> None:
        if self.player is not None:
            self.player.close()
            self.player = None

    def _open_player(self, rate: int) -> Player | NoAudioDevice:
        """Open an output stream (any thread); the reason when there is no device."""
        device = self.settings.get("output_device") or None
        player = Player(rate, device=device,
                        prebuffer=self.settings.get("prebuffer_ms") / 1000)
        try:
            player.open()
        except NoAudioDevice as exc:
            return exc
        return player

    def _player_opened(self, result: Player | NoAudioDevice) -> Player | None:
        """Adopt an opened player (on the loop), or report once why there is none."""
        if isinstance(result, NoAudioDevice):
            if self.playback_problem != str(result):
                self.playback_problem = str(result)
                self.problem.emit("playback", str(result))
            return None
        self._close_player()
        self.playback_problem = None
        result.play(0)
        self.player = result
        return result

    def _new_player(self, rate: int) -> Player | None:
        self._close_player()
        return self._player_opened(self._open_player(rate))

    def replay(self, take: Take, start_seconds: float = 0.0,
               end_seconds: float | None = None, *, loop: bool = False) -> Player | None:
        """Play a finished take (from the history, a selection, or after A/B switching)."""
        if self.busy and self.take is not take:
            self.stop()
        if self.player is not None and self.take is take and self.player.frames_received \
                == take.n_frames and self.player.ended:
            player: Player | None = self.player
        else:
            self.take = take
            player = self._new_player(take.sample_rate)
            if player is None:
                return None
            player.stop()
            player.feed(take.samples)
            player.end_of_stream()
        assert player is not None
        end = None if end_seconds is None else end_seconds * take.sample_rate
        player.play(start_seconds * take.sample_rate, end, loop=loop)
        return player

    async def shutdown(self) -> None:
        self.stop()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError, Exception):
                await asyncio.wait_for(asyncio.shield(self._task), 2)
        if self._saving:  # a take being written to the history is finished, not lost
            await asyncio.wait(set(self._saving), timeout=10)
        for client in self._clients.values():
            await client.close()
        self._clients.clear()
        if self.player is not None:
            self.player.close()
            self.player = None
        if self._engine is not None:
            self._engine.stop()
            self._engine = None


#: Any offline voice routes to the offline client (used to open it early).
_OFFLINE_PROBE = Voice(id="", name="", offline=True)
