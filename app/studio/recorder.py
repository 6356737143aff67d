"""Settings → request → take: the one running generation, for the window and ``say``.

:meth:`Recorder.start` checks the settings, cancels the generation that is
running (its task, and its context on the server, so no audio is paid for
that nobody hears), and returns a :class:`Recording` at once: its take grows
as the stream arrives, so the window draws and plays it while it streams.
A failed generation keeps the audio that arrived; :meth:`Recording.wait`
gives the finished take or raises what went wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace

from app.cartesia import messages as m
from app.cartesia.client import Audio, Generation
from app.cartesia.voices_types import Voice
from app.errors import VoiceboothError
from app.events import Emitter
from app.markup.lexicon import Rewrite
from app.markup.pieces import split
from app.markup.written import WrittenWords
from app.studio.checks import checked
from app.studio.endpoints import Endpoints
from app.studio.errors import Stopped
from app.takes.take import Take, TakeSettings, TakeStatus
from app.takes.timings import Timing

#: Longer texts are generated as several contexts, one after another (see
#: app.markup.pieces): servers bound a context's text, and the first audio of a long
#: text should not wait for the whole of it.
PIECE_CHARS = 5_000


def request_for(settings: TakeSettings, *, timings: bool = True) -> m.GenerationRequest:
    """The first (and only) input of the context that makes this take."""
    config = m.GenerationConfig(speed=settings.speed, volume=settings.volume,
                                emotion=settings.emotion)
    return m.GenerationRequest(
        model_id=settings.model_id, transcript=settings.text, voice_id=settings.voice_id,
        context_id="", output_format=m.OutputFormat(settings.encoding, settings.sample_rate),
        language=settings.language, add_timestamps=timings, add_phoneme_timestamps=timings,
        generation_config=config if config.to_json() else None,
        pronunciation_dict_id=settings.pronunciation_dict_id)


class Recording:
    """One generation into one take."""

    def __init__(self, take: Take, voice: Voice, keep: bool, timings: bool = True,
                 rewrite: Rewrite | None = None) -> None:
        self.take = take
        #: The text as sent, after the lexicon (the take keeps the text as written).
        self.rewrite = rewrite or Rewrite(take.settings.text, take.settings.text)
        self.voice = voice
        #: Whether the take belongs in the history (voice previews do not).
        self.keep = keep
        #: Whether word and phoneme timings are asked for (and kept).
        self.timings = timings
        self.error: VoiceboothError | None = None
        self.context_id: str | None = None
        self.task: asyncio.Task[None] | None = None

    @property
    def done(self) -> bool:
        return self.task is not None and self.task.done()

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    async def wait(self) -> Take:
        """The finished take; :class:`VoiceboothError` if it failed, :class:`Stopped` if
        it was stopped. Cancelling the waiter cancels the recording (Ctrl+C in ``say``)."""
        assert self.task is not None
        try:
            await self.task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the waiter itself was cancelled
        if self.error is not None:
            raise self.error
        if self.take.status is TakeStatus.CANCELLED:
            raise Stopped("the recording was stopped")
        return self.take


@dataclass(frozen=True)
class RecordingStarted:
    recording: Recording


@dataclass(frozen=True)
class RecordingFinished:
    recording: Recording


RecorderEvent = RecordingStarted | RecordingFinished


#: Splits a context's transcript into consecutive inputs (they concatenate verbatim).
Inputs = Callable[[str], list[str]]


class Recorder:
    def __init__(self, endpoints: Endpoints, *, piece_chars: int = PIECE_CHARS,
                 inputs: Inputs | None = None) -> None:
        self.endpoints = endpoints
        self.piece_chars = piece_chars
        #: None: each context's text in one input. Given: sent as these inputs, all but
        #: the last with ``continue: true`` (Cartesia's input streaming, one context).
        self.inputs = inputs
        self.current: Recording | None = None
        self.events: Emitter[RecorderEvent] = Emitter()

    def start(self, settings: TakeSettings, voice: Voice, *, keep: bool = True,
              keep_audio: bool = True, timings: bool = True) -> Recording:
        """Check, cancel the running recording, and start this one (on the running loop).

        ``keep_audio=False`` and ``timings=False`` let a take of any length pass through
        in constant memory (``say`` writes the audio to its file as it arrives).
        """
        _, rewrite = checked(settings)
        self.stop()
        settings = replace(settings, voice_id=voice.id, voice_name=voice.name,
                           offline=voice.offline, lexicon=rewrite.entries,
                           base_url="" if voice.offline else self.endpoints.online_base_url())
        recording = Recording(Take(settings, keep_audio=keep_audio), voice, keep, timings,
                              rewrite)
        self.current = recording
        recording.task = asyncio.ensure_future(self._run(recording))
        self.events.emit(RecordingStarted(recording))
        return recording

    async def record(self, settings: TakeSettings, voice: Voice, *, keep: bool = True) -> Take:
        return await self.start(settings, voice, keep=keep).wait()

    def stop(self) -> None:
        """Cancel the running recording (its task and its context on the server)."""
        if self.current is not None and not self.current.done:
            self.current.cancel()

    async def close(self) -> None:
        current = self.current
        if current is not None and current.task is not None:
            current.cancel()
            with contextlib.suppress(asyncio.CancelledError, VoiceboothError):
                await asyncio.wait_for(asyncio.shield(current.task), 2)

    async def _run(self, recording: Recording) -> None:
        take = recording.take
        generation: Generation | None = None
        first: Generation | None = None
        try:
            client = await self.endpoints.client_for(recording.voice)
            request = request_for(take.settings, timings=recording.timings)
            written = WrittenWords(recording.rewrite) if recording.rewrite.replacements \
                else None
            for piece in split(recording.rewrite.text, self.piece_chars):
                if not piece.text.strip():
                    continue
                # Timestamps count from the start of their context: shift each piece's
                # by the audio the pieces before it made.
                offset = take.duration
                parts = [p for p in (self.inputs(piece.transcript) if self.inputs
                                     else [piece.transcript]) if p] or [piece.transcript]
                generation = await client.generate(replace(
                    request, transcript=parts[0], continue_=len(parts) > 1))
                for part in parts[1:-1]:
                    await generation.push(part)
                if len(parts) > 1:
                    await generation.end(parts[-1])
                first = first or generation
                recording.context_id = generation.context_id
                await self._receive(take, generation, offset, written)
            if written is not None:
                take.add_words([Timing(*w) for w in written.flush()])
            take.finish(TakeStatus.DONE, ttfa=_ttfa(first))
        except asyncio.CancelledError:
            if generation is not None:
                # Stop the context on the server too: it would otherwise go on
                # generating (and billing) audio nobody will hear.
                with contextlib.suppress(VoiceboothError):
                    await generation.cancel()
            take.finish(TakeStatus.CANCELLED, "stopped", ttfa=_ttfa(first))
            raise
        except VoiceboothError as exc:
            recording.error = exc
            kept = f"; the {take.duration:.1f} s that arrived are kept" if take.n_frames else ""
            take.finish(TakeStatus.FAILED, str(exc) + kept, ttfa=_ttfa(first))
        finally:
            self.events.emit(RecordingFinished(recording))

    @staticmethod
    async def _receive(take: Take, generation: Generation, offset: float,
                       written: WrittenWords | None) -> None:
        async for event in generation:
            if isinstance(event, Audio):
                if take.time_to_first_audio is None:  # known before the first append
                    take.time_to_first_audio = generation.time_to_first_audio
                take.append_audio(event.samples)
                # Queued chunks come back without suspending; after a burst (a
                # whole sentence at once) the window would wait for all of them.
                await asyncio.sleep(0)
            elif isinstance(event, m.WordTimestamps):
                words = [(w, a + offset, b + offset) for w, a, b in
                         zip(event.words, event.start, event.end, strict=True)]
                # The server times what it was sent; the take shows what was written.
                take.add_words([Timing(*w) for w in
                                (written.feed(words) if written is not None else words)])
            elif isinstance(event, m.PhonemeTimestamps):
                take.add_phonemes([Timing(p, a + offset, b + offset) for p, a, b in zip(
                    event.phonemes, event.start, event.end, strict=True)])


def _ttfa(generation: Generation | None) -> float | None:
    return generation.time_to_first_audio if generation is not None else None
