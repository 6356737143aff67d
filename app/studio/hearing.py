"""Hear this word: a word of the line said alone, then in its sentence.

Both are rendered at once (a recorder each, as the comparison's rows are), with
the settings the caller gives (the lexicons the line would use), then joined
into one take with a short pause between them and played: one waveform, the
word's timestamps then the sentence's. Nothing is kept in the history: it is a
check of one word, not a take of the line. A second request stops the first,
its renders cancelled on the server too.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, replace

import numpy as np

from app.cartesia.voices_types import Voice
from app.errors import VoiceboothError
from app.studio.endpoints import Endpoints
from app.studio.lab import WordInLine
from app.studio.recorder import Recorder
from app.studio.transport import Transport
from app.takes.take import Take, TakeSettings, TakeStatus
from app.takes.timings import Timing

#: Silence between the word and its sentence: long enough to hear them apart.
GAP_SECONDS = 0.4


@dataclass(frozen=True)
class HeardWord:
    """The word alone, the sentence, and the take that plays one after the other."""

    word: WordInLine
    alone: Take
    sentence: Take
    joined: Take


class WordHearing:
    """One "Hear this word" at a time, played through the studio's transport."""

    def __init__(self, endpoints: Endpoints, transport: Transport) -> None:
        self.endpoints = endpoints
        self.transport = transport
        self._task: asyncio.Task[HeardWord] | None = None

    def hear(self, settings: TakeSettings, voice: Voice, word: WordInLine
             ) -> asyncio.Task[HeardWord]:
        """Render ``word`` alone and its sentence in parallel, then play them; the
        hearing still running is stopped."""
        self.stop()
        task = self._task = asyncio.ensure_future(self._hear(settings, voice, word))
        return task

    @property
    def current(self) -> asyncio.Task[HeardWord] | None:
        """The hearing running or last run."""
        return self._task

    def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def close(self) -> None:
        task = self._task
        self.stop()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError, VoiceboothError):
                await task

    async def _hear(self, settings: TakeSettings, voice: Voice, word: WordInLine
                    ) -> HeardWord:
        recorders = [Recorder(self.endpoints), Recorder(self.endpoints)]
        texts = [word.word, word.written_sentence()]
        try:
            recordings = [recorder.start(replace(settings, text=text), voice, keep=False)
                          for recorder, text in zip(recorders, texts, strict=True)]
            alone, sentence = await asyncio.gather(*(r.wait() for r in recordings))
        finally:
            for recorder in recorders:  # a failed or stopped render cancels the other
                await recorder.close()
        joined = join(alone, sentence, GAP_SECONDS)
        self.transport.play_take(joined)
        return HeardWord(word, alone, sentence, joined)


def join(first: Take, second: Take, gap: float) -> Take:
    """``first``, ``gap`` seconds of silence, then ``second``, timestamps shifted."""
    settings = replace(second.settings, text=f"{first.settings.text} … {second.settings.text}",
                       lexicon=tuple(dict.fromkeys(first.settings.lexicon +
                                                   second.settings.lexicon)))
    take = Take(settings)
    take.append_audio(first.samples)
    take.append_audio(np.zeros(round(gap * first.sample_rate), dtype=np.float32))
    offset = take.duration
    take.append_audio(second.samples)
    take.add_words(first.words)
    take.add_words([Timing(w.text, w.start + offset, w.end + offset) for w in second.words])
    take.add_phonemes(first.phonemes)
    take.add_phonemes([Timing(p.text, p.start + offset, p.end + offset)
                       for p in second.phonemes])
    take.finish(TakeStatus.DONE, ttfa=first.time_to_first_audio)
    return take
