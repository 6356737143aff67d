"""espeak-ng through ctypes (the ``espeakng-loader`` wheel ships the library and data).

Fast, robotic, about a hundred languages. The transcript is handed to espeak
as SSML built from our markup segments, so its own engine honours pauses
(``<break>``), speed and volume (``<prosody>``), spelling (``<say-as
interpret-as="characters">``) and custom IPA (``[[…]]`` in espeak's phoneme
mnemonics, mapped from IPA for English).

Timing comes from espeak's events, with their quirks handled here: text
positions are 1-based and count characters of the SSML we built; a number
yields several word events at one position; some word pairs come as one
event (its time is split among the words by their length); events carry no
end time, so a word ends where the audio falls silent before the next word.

espeak keeps global state and is not thread-safe: one lock serialises all use.
Each synthesis has a worker thread that speaks one sentence (at most
:data:`MAX_WORDS` words) at a time, when its consumer asks for it, and holds the
lock only while espeak computes that sentence (about 1 % of its duration). It
queues what it makes without ever waiting for the consumer: a worker that waited
for its consumer while holding the lock deadlocked the server, whose consumers
took every pool thread waiting for the lock. The lock is taken in the order it
was asked for, so a short request waits for one sentence of each synthesis
ahead of it, never for a whole long text, and a synthesis runs ahead of its
consumer by at most one sentence (memory stays bounded for any length).
Cancelling the request aborts espeak at its next buffer, or a wait for the lock.
"""

from __future__ import annotations

import bisect
import ctypes
import html
import itertools
import logging
import queue
import re
import threading
from collections import deque
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from app.audio.resample import Resampler
from app.cartesia.voices_types import Voice
from app.engine.synth.base import (
    AudioOut,
    PhonemesOut,
    SynthEvent,
    SynthRequest,
    WordsOut,
)
from app.engine.synth.errors import SynthesizerUnavailable
from app.engine.voice_table import ESPEAK, ESPEAK_VOICES, VOICES
from app.markup.render import Pause, Pronounce, Segment, Spell, Text, to_segments

log = logging.getLogger(__name__)

_AUDIO_OUTPUT_SYNCHRONOUS: Final = 2
_INIT_PHONEME_EVENTS: Final = 0x0001
_INIT_PHONEME_IPA: Final = 0x0002
_INIT_DONT_EXIT: Final = 0x8000
_CHARS_UTF8: Final = 1
_SSML: Final = 0x10
_PHONEMES: Final = 0x100
_POS_CHARACTER: Final = 1
_EVENT_WORD: Final = 1
_EVENT_PHONEME: Final = 7
_RATE: Final = 1
_DEFAULT_WPM: Final = 175
#: Below this (about -40 dBFS) a sample counts as silence when finding word ends.
_SILENCE: Final = 0.01
#: espeak is given at most this many words at once when no sentence ends sooner.
MAX_WORDS: Final = 40
_SENTENCE_ENDS: Final = (".", "!", "?", "…")
_TOKEN = re.compile(r"\S+")

# (id, espeak voice, name, language, locale): one list, which the window reads too.
_VOICES: Final = ESPEAK_VOICES

#: English IPA (Cartesia's phoneme table) to espeak's phoneme mnemonics.
_IPA_TO_ESPEAK: Final = {
    "ˈ": "'", "ˌ": ",", "ː": ":", "i": "i:", "ɪ": "I", "eɪ": "eI", "ɛ": "E", "æ": "a",
    "ɑ": "A:", "ɔ": "O:", "oʊ": "oU", "ʊ": "U", "u": "u:", "ʌ": "V", "ə": "@", "ɚ": "3",
    "ɝ": "3:", "aɪ": "aI", "aʊ": "aU", "ɔɪ": "OI", "p": "p", "b": "b", "t": "t", "d": "d",
    "k": "k", "ɡ": "g", "g": "g", "f": "f", "v": "v", "θ": "T", "ð": "D", "s": "s", "z": "z",
    "ʃ": "S", "ʒ": "Z", "h": "h", "tʃ": "tS", "dʒ": "dZ", "m": "m", "n": "n", "ŋ": "N",
    "l": "l", "ɹ": "r", "r": "r", "j": "j", "w": "w", "ʔ": "?", "ɾ": "t#", "iː": "i:",
    "uː": "u:", "ɑː": "A:", "ɔː": "O:", "ɜː": "3:", "ɒ": "0", "ɐ": "a#", "e": "e", "o": "o",
    "a": "a",
}


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint),
                ("text_position", ctypes.c_int), ("length", ctypes.c_int),
                ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", ctypes.c_char * 8)]


_Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.POINTER(_Event))


Chunk = tuple[npt.NDArray[np.int16], list[tuple[int, int, int, int, str]]]
#: Put on a job's queue after each sentence: it is all there.
_SENTENCE_DONE: Final = "sentence done"


@dataclass
class _Job:
    #: SSML of the sentences to speak, one at a time; ``None`` ends the worker.
    sentences: queue.Queue[bytes | None] = field(default_factory=queue.Queue)
    #: What espeak made; ``None`` when the synthesis is aborted.
    chunks: queue.Queue[Chunk | str | None] = field(default_factory=queue.Queue)
    abort: bool = False
    error: str | None = None


class _FairLock:
    """espeak's lock, given in the order it was asked for (a plain lock lets one thread
    take it again and again while others wait)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._waiting: deque[_Job] = deque()
        self._held = False

    def acquire(self, job: _Job) -> bool:
        """Wait for the lock; ``False`` if the job was aborted meanwhile."""
        with self._cond:
            self._waiting.append(job)
            try:
                while self._held or self._waiting[0] is not job:
                    if job.abort:
                        return False
                    self._cond.wait()
                self._held = True
                return True
            finally:
                self._waiting.remove(job)
                self._cond.notify_all()

    def release(self) -> None:
        with self._cond:
            self._held = False
            self._cond.notify_all()

    def wake(self) -> None:
        """Let waiters look at their job's ``abort`` again."""
        with self._cond:
            self._cond.notify_all()


class _Library:
    """The one espeak instance of this process."""

    def __init__(self) -> None:
        try:
            import espeakng_loader

            self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
            data_parent = str(__import__("pathlib").Path(
                espeakng_loader.get_data_path()).parent)
        except (ImportError, OSError, RuntimeError) as exc:
            raise SynthesizerUnavailable(f"espeak-ng cannot be loaded: {exc}") from None
        lib = self.lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p,
                                          ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint,
                                     ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
                                     ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.sample_rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 100, data_parent.encode(),
            _INIT_PHONEME_EVENTS | _INIT_PHONEME_IPA | _INIT_DONT_EXIT)
        if self.sample_rate <= 0:
            raise SynthesizerUnavailable("espeak-ng did not initialise (data not found)")
        self.lock = _FairLock()
        self.job: _Job | None = None
        self._callback = _Callback(self._on_audio)  # kept alive: espeak holds the pointer
        lib.espeak_SetSynthCallback(self._callback)

    def _on_audio(self, wav: Any, n: int, events: Any) -> int:
        job = self.job
        if job is None:
            return 1
        found = []
        i = 0
        while events[i].type != 0:
            e = events[i]
            if e.type in (_EVENT_WORD, _EVENT_PHONEME):
                name = bytes(e.id).split(b"\0", 1)[0].decode("utf-8", "replace") \
                    if e.type == _EVENT_PHONEME else ""
                found.append((e.type, e.text_position, e.length, e.sample, name))
            i += 1
        audio = np.ctypeslib.as_array(wav, shape=(n,)).copy() if n > 0 and wav else \
            np.zeros(0, np.int16)
        if job.abort:  # the consumer has gone: stop espeak
            return 1
        job.chunks.put((audio, found))  # never blocks: see the module docstring
        return 0

    def serve(self, job: _Job, voice: str, wpm: int) -> None:
        """The worker: speak each sentence the consumer sends, holding the lock only
        while espeak computes it."""
        try:
            while (ssml := job.sentences.get()) is not None:
                if not self.lock.acquire(job):
                    break
                try:
                    self._speak(job, voice, wpm, ssml)
                finally:
                    self.lock.release()
                job.chunks.put(_SENTENCE_DONE)
        finally:
            job.chunks.put(None)

    def _speak(self, job: _Job, voice: str, wpm: int, ssml: bytes) -> None:
        self.job = job
        try:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                job.error = f"espeak has no voice {voice!r}"
                return
            self.lib.espeak_SetParameter(_RATE, wpm, 0)
            status = self.lib.espeak_Synth(ssml, len(ssml) + 1, 0, _POS_CHARACTER, 0,
                                           _CHARS_UTF8 | _SSML | _PHONEMES, None, None)
            if status != 0 and not job.abort:
                job.error = f"espeak failed (status {status})"
        finally:
            self.job = None


_library: _Library | None = None
_library_lock = threading.Lock()


def _get_library() -> _Library:
    global _library  # one native library per process; espeak itself is a singleton
    with _library_lock:
        if _library is None:
            _library = _Library()
        return _library


@dataclass
class _Word:
    text: str
    start: int  # offsets into the SSML string (characters)
    end: int


def edge_pauses(segments: list[Segment]) -> tuple[float, list[Segment], float]:
    """Seconds of pause before the first sound and after the last, and what is between.

    espeak shortens a break at the very start or end of its input (500 ms came out
    as 200 and 120 ms) and drops a break that is the whole input, which is what
    a client streaming "<break/>" between two flushes sends; so those become
    silence of our own, exact, and espeak only sees breaks between words.
    """
    lead = trail = 0.0
    first, last = 0, len(segments)
    while first < last and isinstance(segment := segments[first], Pause):
        lead += segment.seconds
        first += 1
    while last > first and isinstance(segment := segments[last - 1], Pause):
        trail += segment.seconds
        last -= 1
    return lead, segments[first:last], trail


def sentences(segments: list[Segment]) -> Iterator[list[Segment]]:
    """The segments a sentence at a time, at most :data:`MAX_WORDS` words each: what
    espeak is given at once. Text is cut before the first word of a sentence, so
    punctuation standing alone stays with the word before it and a pause after a
    sentence is that sentence's trailing pause."""
    group: list[Segment] = []
    words = 0
    complete = False  # the group ends before the next word

    def next_word(count: int = 1) -> Iterator[list[Segment]]:
        nonlocal group, words, complete
        if complete and group:
            yield group
            group, words, complete = [], 0, False
        words += count

    for segment in segments:
        if isinstance(segment, Pause):
            group.append(segment)
        elif isinstance(segment, Pronounce):
            yield from next_word()
            group.append(segment)
            complete = words >= MAX_WORDS
        elif isinstance(segment, Spell):
            letters = [i for i, c in enumerate(segment.text) if c.isalnum()]
            cuts = [0] + [letters[k] for k in range(MAX_WORDS, len(letters), MAX_WORDS)]
            for begin, end in zip(cuts, [*cuts[1:], len(segment.text)], strict=True):
                part = segment.text[begin:end]
                yield from next_word(sum(c.isalnum() for c in part))
                group.append(Spell(part, segment.span, segment.speed, segment.volume,
                                   segment.emotion))
                complete = words >= MAX_WORDS
        else:
            text, begin = segment.text, 0
            for token in _TOKEN.finditer(text):
                word = token.group()
                if any(c.isalnum() for c in word):
                    if complete and token.start() > begin:
                        # Spaces alone would hide a pause at the end of the group.
                        if text[begin:token.start()].strip():
                            group.append(Text(text[begin:token.start()], segment.span,
                                              segment.speed, segment.volume, segment.emotion))
                        begin = token.start()
                    yield from next_word()
                    complete = words >= MAX_WORDS or word.endswith(_SENTENCE_ENDS)
                elif word.endswith(_SENTENCE_ENDS) and words:
                    complete = True
            if begin < len(text):
                group.append(Text(text[begin:], segment.span, segment.speed, segment.volume,
                                  segment.emotion))
    if group:
        yield group


def build_ssml(segments: list[Segment]) -> tuple[str, list[_Word]]:
    """The SSML for espeak and the words to report, with their character spans in it."""
    parts: list[str] = ["<speak>"]
    words: list[_Word] = []
    length = len(parts[0])

    def emit(text: str) -> int:
        nonlocal length
        at = length
        parts.append(text)
        length += len(text)
        return at

    for segment in segments:
        if isinstance(segment, Pause):
            emit(f'<break time="{round(segment.seconds * 1000)}ms"/>')
            continue
        prosody = (segment.speed, segment.volume) != (1.0, 1.0)
        if prosody:
            emit(f'<prosody rate="{segment.speed * 100:.0f}%" '
                 f'volume="{segment.volume * 100:.0f}%">')
        if isinstance(segment, Text):
            escaped = html.escape(segment.text, quote=False)
            at = emit(escaped)
            cursor = 0
            for word in escaped.split():
                offset = escaped.index(word, cursor)
                cursor = offset + len(word)
                if words and not any(c.isalnum() for c in html.unescape(word)):
                    words[-1].text += html.unescape(word)
                    continue
                words.append(_Word(html.unescape(word), at + offset, at + cursor))
        elif isinstance(segment, Spell):
            # One say-as per character: espeak then gives each its own word event.
            for c in segment.text:
                if c.isalnum():
                    at = emit('<say-as interpret-as="characters">') + len(
                        '<say-as interpret-as="characters">')
                    emit(html.escape(c, quote=False) + "</say-as> ")
                    words.append(_Word(c, at, at + 1))
        elif isinstance(segment, Pronounce):
            mnemonics = "".join(_IPA_TO_ESPEAK.get(p, "") for p in segment.phonemes)
            at = emit(f" [[{mnemonics}]] ")
            words.append(_Word("".join(segment.phonemes), at + 1, at + 5 + len(mnemonics)))
        if prosody:
            emit("</prosody>")
    emit("</speak>")
    return "".join(parts), words


class EspeakSynthesizer:
    name = "espeak"

    def voices(self) -> list[Voice]:
        return list(VOICES[ESPEAK])

    def load(self) -> None:
        _get_library()

    def synthesize(self, request: SynthRequest) -> Iterator[SynthEvent]:
        espeak_voice = next((v[1] for v in _VOICES if v[0] == request.voice_id), None)
        if espeak_voice is None:
            raise SynthesizerUnavailable(f"no espeak voice {request.voice_id!r}")
        lib = _get_library()
        job = _Job()
        worker: threading.Thread | None = None

        def stop() -> None:
            job.abort = True  # espeak stops at its next buffer, and so does a wait
            lib.lock.wake()

        forget = request.cancel.on_set(stop)
        resampler = Resampler(lib.sample_rate, request.sample_rate)
        offset = 0.0  # seconds of audio before this sentence
        try:
            for group in sentences(to_segments(request.text)):
                lead, body, trail = edge_pauses(group)
                if body and worker is None:
                    wpm = max(80, min(450, round(_DEFAULT_WPM * request.speed)))
                    worker = threading.Thread(target=lib.serve,
                                              args=(job, espeak_voice, wpm),
                                              name="espeak", daemon=True)
                    worker.start()
                seconds = yield from self._sentence(lib, job, request, resampler, lead, body,
                                                    trail, offset)
                if seconds is None:
                    return
                offset += seconds
            tail = resampler.flush()
            if len(tail):
                yield AudioOut(tail)
        finally:
            forget()
            job.abort = True
            job.sentences.put(None)
            lib.lock.wake()
            if worker is not None:
                worker.join(timeout=5)

    @staticmethod
    def _sentence(lib: _Library, job: _Job, request: SynthRequest, resampler: Resampler,
                  lead: float, body: list[Segment], trail: float, offset: float
                  ) -> Generator[SynthEvent, None, float | None]:
        """Events of one sentence, timed from ``offset``; its length in seconds, or
        ``None`` when it was cancelled."""
        rate = lib.sample_rate
        growing = _Growing()
        silence = np.zeros(round(lead * rate), np.float32)
        growing.append(silence)
        if len(out := resampler.process(silence)):
            yield AudioOut(out)
        ssml, words = build_ssml(body) if body else ("", [])
        timing = _WordTiming(words, rate, offset=len(silence))
        if body:
            job.sentences.put(ssml.encode("utf-8"))
            while (item := job.chunks.get()) != _SENTENCE_DONE:
                if item is None or isinstance(item, str):
                    return None
                pcm, events = item
                chunk = pcm.astype(np.float32) / 32768.0 * request.volume
                audio = growing.append(chunk)
                timing.observe(events)
                out = resampler.process(np.clip(chunk, -1, 1))
                if len(out):
                    yield AudioOut(out)
                if done := timing.finished_words(audio):
                    yield WordsOut(*_shifted(done, offset))
                if request.want_phonemes and (phonemes := timing.take_phonemes()):
                    yield PhonemesOut(*_shifted(phonemes, offset))
            if job.error:
                raise SynthesizerUnavailable(job.error)
        silence = np.zeros(round(trail * rate), np.float32)
        growing.append(silence)
        if len(out := resampler.process(silence)):
            yield AudioOut(out)
        audio = growing.append(np.zeros(0, np.float32))
        if done := timing.finished_words(audio, final=True):
            yield WordsOut(*_shifted(done, offset))
        if request.want_phonemes and (phonemes := timing.take_phonemes(final=True,
                                                                       audio=audio)):
            yield PhonemesOut(*_shifted(phonemes, offset))
        return len(audio) / float(rate)


Times = tuple[tuple[str, ...], tuple[float, ...], tuple[float, ...]]


def _shifted(times: Times, offset: float) -> Times:
    names, starts, ends = times
    if not offset:
        return times
    return names, tuple(s + offset for s in starts), tuple(e + offset for e in ends)


class _Growing:
    """The audio so far, grown by doubling: concatenating each 100 ms chunk onto the
    whole copied it every time (quadratic: 600 words took 15 s instead of 2)."""

    def __init__(self) -> None:
        self._buffer = np.zeros(1 << 16, np.float32)
        self._length = 0

    def append(self, chunk: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Add ``chunk``; the audio so far (a view, valid until the next append)."""
        end = self._length + len(chunk)
        if end > len(self._buffer):
            grown = np.zeros(max(end, 2 * len(self._buffer)), np.float32)
            grown[:self._length] = self._buffer[:self._length]
            self._buffer = grown
        self._buffer[self._length:end] = chunk
        self._length = end
        return self._buffer[:end]


class _WordTiming:
    """Turns espeak's word and phoneme events into word starts and ends."""

    def __init__(self, words: list[_Word], rate: int, offset: int = 0) -> None:
        self.words = words
        self.rate = rate
        self.offset = offset  # samples of our own silence before espeak's audio
        self.events: list[tuple[int, int, int]] = []  # (position 0-based, length, sample)
        self.emitted = 0
        self.last_end = offset
        self.phonemes: list[tuple[str, int]] = []
        self.phonemes_emitted = 0
        # Kept across calls so each event is matched to words once, by bisection
        # (words are in text order): rescanning all pairs per chunk was cubic.
        self._word_ends = [word.end for word in words]
        self._first_event: list[int | None] = [None] * len(words)
        self._matched = 0
        self._cached: list[int | None] | None = None

    def observe(self, events: list[tuple[int, int, int, int, str]]) -> None:
        for kind, position, length, sample, name in events:
            if kind == _EVENT_WORD:
                self.events.append((position - 1, max(length, 1), sample + self.offset))
            elif name:
                self.phonemes.append((name, sample + self.offset))

    def starts(self, final: bool, audio_end: int) -> list[int | None]:
        """Start sample per word; ``None`` while it cannot be known yet.

        A word takes the first event that overlaps it. Words with no event of
        their own (espeak merged "in the") join the word before them, and words
        sharing one event split its time by their length.
        """
        n = len(self.words)
        if self._matched == len(self.events) and not final and self._cached is not None:
            return self._cached  # nothing new: the answer only changes with events
        first_event = self._first_event
        for e in range(self._matched, len(self.events)):
            pos, length, _ = self.events[e]
            i = bisect.bisect_right(self._word_ends, pos)
            while i < n and self.words[i].start < pos + length:
                if first_event[i] is None:
                    first_event[i] = e
                i += 1
        self._matched = len(self.events)
        reached = max((pos + length for pos, length, _ in self.events), default=0)
        groups: dict[int, list[int]] = {}
        current: list[int] = []
        for i, event_index in enumerate(first_event):
            if event_index is not None:
                current = groups.setdefault(event_index, [])
                current.append(i)
            elif groups and (final or reached >= self.words[i].end):
                current.append(i)  # espeak went past it without an event
        out: list[int | None] = [None] * n
        for e, members in groups.items():
            sample = self.events[e][2]
            if len(members) == 1:
                out[members[0]] = sample
                continue
            later = next((s for _, _, s in itertools.islice(self.events, e + 1, None)
                          if s > sample), None)
            stop = later if later is not None else (audio_end if final else None)
            if stop is None:
                continue  # the share of each word is known once the next event comes
            total = sum(max(1, len(self.words[i].text)) for i in members)
            at = float(sample)
            for i in members:
                out[i] = round(at)
                at += (stop - sample) * max(1, len(self.words[i].text)) / total
        if not final:
            self._cached = out
        return out

    def finished_words(self, audio: npt.NDArray[np.float32], final: bool = False
                       ) -> Times | None:
        """Words whose end is known: the next word has started (or the audio ended)."""
        starts = self.starts(final, len(audio))
        out: list[tuple[str, float, float]] = []
        while self.emitted < len(self.words):
            i = self.emitted
            start = starts[i]
            later = next((s for s in starts[i + 1:] if s is not None), None)
            if start is None and not final:
                break
            if later is None and not final:
                break
            if start is None:  # nothing at all for this word, even at the end
                start = end = self.last_end
            else:
                start = max(start, self.last_end)  # words never go back in time
                limit = min(later if later is not None else len(audio), len(audio))
                end = self._end_before(audio, start, limit) if later is None or \
                    later - start > 0 else start
            out.append((self.words[i].text, start / self.rate, end / self.rate))
            self.last_end = end
            self.emitted += 1
        if not out:
            return None
        return (tuple(w for w, _, _ in out), tuple(s for _, s, _ in out),
                tuple(e for _, _, e in out))

    def _end_before(self, audio: npt.NDArray[np.float32], start: int, limit: int) -> int:
        """The last loud sample before ``limit``, but not before ``start``."""
        segment = np.abs(audio[start:limit])
        loud = np.flatnonzero(segment > _SILENCE)
        return start + int(loud[-1]) + 1 if len(loud) else start

    def take_phonemes(self, final: bool = False,
                      audio: npt.NDArray[np.float32] | None = None) -> Times | None:
        """Phonemes whose end is known (the next one started); all of them at the end."""
        upto = len(self.phonemes) if final else len(self.phonemes) - 1
        if upto <= self.phonemes_emitted:
            return None
        names, starts, ends = [], [], []
        for k in range(self.phonemes_emitted, upto):
            name, sample = self.phonemes[k]
            if k + 1 < len(self.phonemes):
                end = self.phonemes[k + 1][1]
            else:
                end = len(audio) if audio is not None else sample
            names.append(name)
            starts.append(sample / self.rate)
            ends.append(max(end, sample) / self.rate)
        self.phonemes_emitted = upto
        return tuple(names), tuple(starts), tuple(ends)
