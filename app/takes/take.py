"""One generation: its settings, the audio as it arrives, word and phoneme timings.

A take is a plain object that announces changes (napari's evented models):
the window subscribes and redraws; nothing flows back. Appends happen on one
thread (the event loop that receives the stream); readers anywhere may read
the frames announced so far. The audio is kept in fixed blocks
(:class:`~app.audio.buffer.BlockBuffer`), so an append never copies the take,
and the peaks pyramid grows with it for drawing. A take reopened from the
history lays its blocks over the memory-mapped WAV file and its peaks over the
saved pyramid (:meth:`Take.from_stored`): nothing is read until it is drawn or
played.
"""

from __future__ import annotations

import bisect
import enum
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import numpy as np
import numpy.typing as npt

from app.audio.buffer import BlockBuffer
from app.audio.codecs import Float32Array
from app.audio.loudness import Loudness, measure
from app.audio.peaks import Peaks
from app.events import Emitter
from app.markup import plain_text
from app.markup.lexicon import Entry
from app.takes.errors import TakeError
from app.takes.timings import Timing

LexiconVia = Literal["markup", "dictionary"]


class TakeStatus(enum.Enum):
    STREAMING = "streaming"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class TakeSettings:
    text: str
    voice_id: str
    voice_name: str = ""
    model_id: str = "sonic-3"
    language: str | None = "en"
    speed: float | None = None
    volume: float | None = None
    emotion: str | None = None
    encoding: str = "pcm_f32le"
    sample_rate: int = 44100
    base_url: str = ""
    offline: bool = False
    #: The Cartesia pronunciation dictionary the generation used (sent by id).
    pronunciation_dict_id: str | None = None
    #: Lexicon entries: given, those to apply; in a recorded take, those the text used.
    lexicon: tuple[Entry, ...] = ()
    #: How the lexicon reaches the model: "markup" rewrites the transcript before it
    #: is sent; "dictionary" leaves the text and sends a Cartesia dictionary's id.
    lexicon_via: LexiconVia = "markup"


@dataclass(frozen=True)
class AudioAppended:
    first_frame: int
    n_frames: int
    #: The new frames themselves (a read-only view): a take that does not keep its
    #: audio (``keep_audio=False``) has no other place to read them from.
    samples: Float32Array = field(default_factory=lambda: np.zeros(0, np.float32),
                                  compare=False, repr=False)


@dataclass(frozen=True)
class WordsAdded:
    first_index: int
    count: int


@dataclass(frozen=True)
class PhonemesAdded:
    first_index: int
    count: int


@dataclass(frozen=True)
class Finished:
    status: TakeStatus
    error: str | None


@dataclass(frozen=True)
class Renamed:
    name: str


TakeEvent = AudioAppended | WordsAdded | PhonemesAdded | Finished | Renamed


@dataclass(frozen=True)
class Segment:
    """A stretch of a spliced take: ``start``..``end`` seconds of it came from the take
    ``source_take_id``, beginning ``source_start`` seconds into that take."""

    start: float
    end: float
    source_take_id: str
    source_start: float


@dataclass(frozen=True)
class Origin:
    """Where a spliced take came from: the take it was made from (``parent_id``, the
    one a splice's Undo brings back) and its parts, in order, covering all of it."""

    parent_id: str
    segments: tuple[Segment, ...]

    def to_json(self) -> dict[str, object]:
        return {"parent": self.parent_id,
                "segments": [[s.start, s.end, s.source_take_id, s.source_start]
                             for s in self.segments]}

    @classmethod
    def from_json(cls, data: object) -> Origin:
        """The origin stored by :meth:`to_json`; :class:`TakeError` on anything else."""
        parent = data.get("parent") if isinstance(data, dict) else None
        rows = data.get("segments") if isinstance(data, dict) else None
        if not isinstance(parent, str) or not isinstance(rows, list):
            raise TakeError(f"not a spliced take's origin: {str(data)[:80]!r}")
        try:
            segments = tuple(Segment(float(a), float(b), str(i), float(c))
                             for a, b, i, c in rows)
        except (TypeError, ValueError):
            raise TakeError(f"a spliced take's parts are damaged: {str(rows)[:80]!r}"
                            ) from None
        return cls(parent, segments)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(eq=False)
class Take:
    settings: TakeSettings
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    created_at: str = field(default_factory=_now)
    name: str = ""
    status: TakeStatus = TakeStatus.STREAMING
    error: str | None = None
    time_to_first_audio: float | None = None
    words: list[Timing] = field(default_factory=list)
    phonemes: list[Timing] = field(default_factory=list)
    #: False: the audio only passes through (its listeners write it to a file as it
    #: arrives), so a take of any length costs no memory; timings are still kept.
    keep_audio: bool = True
    #: Integrated loudness and peak, measured once the take has finished
    #: (:meth:`measure_loudness`); None until then, or when too short to measure.
    loudness: Loudness | None = None
    #: A spliced take's parent and parts (None: one generation, all of it its own).
    origin: Origin | None = None

    def __post_init__(self) -> None:
        #: The audio, in blocks that the player can play from directly.
        self.audio = BlockBuffer()
        self._n = 0
        self.peaks = Peaks()
        #: Everything that happens to the take, in order (the window redraws from it).
        self.events: Emitter[TakeEvent] = Emitter()
        if not self.name:
            self.name = default_name(self.settings)

    def _emit(self, event: TakeEvent) -> None:
        self.events.emit(event)

    # --- growing -------------------------------------------------------------

    def append_audio(self, samples: npt.ArrayLike) -> None:
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if len(x) == 0:
            return
        x.flags.writeable = False
        if not self.keep_audio:
            first, self._n = self._n, self._n + len(x)
            self._emit(AudioAppended(first, len(x), x))
            return
        first = self.audio.append(x)
        self._n = self.audio.written
        self.peaks.append(x)
        self._emit(AudioAppended(first, len(x), x))

    def add_words(self, words: Sequence[Timing]) -> None:
        if words:
            first = len(self.words)
            self.words.extend(words)
            self._emit(WordsAdded(first, len(words)))

    def add_phonemes(self, phonemes: Sequence[Timing]) -> None:
        if phonemes:
            first = len(self.phonemes)
            self.phonemes.extend(phonemes)
            self._emit(PhonemesAdded(first, len(phonemes)))

    def finish(self, status: TakeStatus, error: str | None = None, *,
               ttfa: float | None = None) -> None:
        self.status = status
        self.error = error
        if ttfa is not None:
            self.time_to_first_audio = ttfa
        self._emit(Finished(status, error))

    def measure_loudness(self) -> Loudness | None:
        """Measure (BS.1770-4) the audio kept so far and remember it. It reads the
        whole take (block by block), so callers run it off the event loop."""
        if self.keep_audio:
            self.loudness = measure(self.audio, self.sample_rate)
        return self.loudness

    def rename(self, name: str) -> None:
        self.name = name.strip() or default_name(self.settings)
        self._emit(Renamed(self.name))

    # --- reading -------------------------------------------------------------

    @property
    def samples(self) -> Float32Array:
        """The audio received so far, in one read-only array: a view for a take of one
        block or one reopened from the history, else a copy (O(n): off the loop for a
        long take). Readers of a part use :meth:`read`; of all of it in pieces,
        :meth:`blocks`."""
        if not self.keep_audio:
            raise TakeError("this take's audio was written out as it arrived, not kept")
        return self.audio.view()

    def read(self, start: int, stop: int) -> Float32Array:
        """Frames ``[start, stop)`` (clamped), read-only; copies only across blocks."""
        if not self.keep_audio:
            raise TakeError("this take's audio was written out as it arrived, not kept")
        return self.audio.read(start, stop)

    def blocks(self) -> Iterator[Float32Array]:
        """The audio block by block, as read-only views: the whole take without
        joining it into one array (writing it out, say)."""
        if not self.keep_audio:
            raise TakeError("this take's audio was written out as it arrived, not kept")
        return self.audio.iter_blocks(0, self._n)

    @property
    def n_frames(self) -> int:
        return self._n

    @property
    def sample_rate(self) -> int:
        return self.settings.sample_rate

    @property
    def duration(self) -> float:
        return self._n / self.settings.sample_rate

    def word_at(self, seconds: float) -> int | None:
        """Index of the word being spoken at ``seconds``; ``None`` between words."""
        # Called on every display tick: a 60-minute take has ~9,000 words, so no list of
        # their starts is built per call.
        i = bisect.bisect_right(self.words, seconds, key=_start) - 1
        if i >= 0 and seconds < self.words[i].end:
            return i
        return None

    def word_before(self, seconds: float) -> int | None:
        """The last word that started at or before ``seconds`` (to keep a highlight in gaps)."""
        i = bisect.bisect_right(self.words, seconds, key=_start) - 1
        return i if i >= 0 else None

    def selection(self, start: float, end: float) -> Float32Array:
        a = max(0, min(self._n, round(start * self.sample_rate)))
        b = max(a, min(self._n, round(end * self.sample_rate)))
        return self.read(a, b)

    @classmethod
    def from_audio(cls, settings: TakeSettings, samples: npt.ArrayLike,
                   words: Sequence[Timing] = (), phonemes: Sequence[Timing] = (), **facts: object
                   ) -> Take:
        """A finished take rebuilt from stored parts (history)."""
        take = cls(settings, **facts)  # type: ignore[arg-type]
        take.append_audio(samples)
        take.words.extend(words)
        take.phonemes.extend(phonemes)
        return take

    @classmethod
    def from_stored(cls, settings: TakeSettings, audio: BlockBuffer, peaks: Peaks,
                    words: Sequence[Timing] = (), phonemes: Sequence[Timing] = (),
                    **facts: object) -> Take:
        """A finished take over audio and peaks already built (the history's mapped
        files): nothing is read or copied here."""
        if peaks.n_samples != audio.written:
            raise TakeError(f"peaks of {peaks.n_samples} frames for {audio.written} frames "
                            "of audio")
        take = cls(settings, **facts)  # type: ignore[arg-type]
        take.audio, take.peaks, take._n = audio, peaks, audio.written
        take.words.extend(words)
        take.phonemes.extend(phonemes)
        return take


#: How much of the spoken text a default name keeps: enough to tell lines apart in a
#: narrow history column, short enough that the voice name stays visible.
NAME_WORDS = 6
NAME_CHARS = 40


def spoken_text(text: str) -> str:
    """The words a listener hears, on one line: markup removed, spaces collapsed."""
    return " ".join(plain_text(text).split())


def default_name(settings: TakeSettings) -> str:
    """The voice, then the first words of what it says: "Joe · Welcome to Voicebooth."
    (the raw markup's first characters told takes of one script apart by tags)."""
    words = spoken_text(settings.text).split()
    head = " ".join(words[:NAME_WORDS])
    if len(head) > NAME_CHARS:
        head = head[:NAME_CHARS - 1].rstrip() + "…"
    elif len(words) > NAME_WORDS:
        head += "…"
    voice = settings.voice_name or settings.voice_id
    return f"{voice} · {head}" if voice and head else voice or head or "(silence)"


def ab_position(source: Take, target: Take, seconds: float) -> float:
    """Where to continue in ``target`` when switching from ``source`` at ``seconds``.

    Takes of the same text differ in pace, so the same word matters more than
    the same second: when both have word timings, continue at the same word
    (at the same fraction through it); otherwise at the same time, clamped.
    """
    i = source.word_before(seconds)
    if i is not None and i < len(target.words) and len(source.words) == len(target.words):
        a, b = source.words[i], target.words[i]
        fraction = 0.0 if a.end <= a.start else min(1.0, (seconds - a.start) / (a.end - a.start))
        return b.start + fraction * (b.end - b.start)
    return max(0.0, min(seconds, target.duration))


def _start(timing: Timing) -> float:
    return timing.start
