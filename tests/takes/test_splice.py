"""Splicing a retake into a take: cuts in the pauses at word edges, timings that follow
the audio, joints without a click, exact lengths, and where every part came from.

The tone voice is the oracle (every word a tone burst of known frequency, silence
between), and a real Piper sentence checks the same on speech."""

from __future__ import annotations

import itertools
import json
import math
import sqlite3
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from app.audio.loudness import Loudness
from app.audio.wav import write_wav
from app.engine.synth.base import AudioOut, PhonemesOut, SynthRequest, WordsOut
from app.engine.synth.piper_voice import PiperSynthesizer
from app.engine.synth.tones import AMPLITUDE, ToneSynthesizer, word_frequency
from app.takes.errors import SpliceError
from app.takes.history import History
from app.takes.splice import CROSSFADE_SECONDS, SpliceResult, splice, word_cut
from app.takes.take import Origin, Segment, Take, TakeSettings, TakeStatus
from app.takes.timings import Timing

RATE = 16000
TEXT = "Welcome to the show, we hope you enjoy it."


def synthesized(synth: object, text: str, *, rate: int = RATE, speed: float = 1.0,
                volume: float = 1.0) -> Take:
    """A finished take of what the synthesizer says (the engine's own output)."""
    voice = synth.voices()[0]  # type: ignore[attr-defined]
    take = Take(TakeSettings(text=text, voice_id=voice.id, sample_rate=rate))
    for event in synth.synthesize(SynthRequest(  # type: ignore[attr-defined]
            text=text, voice_id=voice.id, sample_rate=rate, language="en", speed=speed,
            volume=volume, want_phonemes=True)):
        if isinstance(event, AudioOut):
            take.append_audio(event.samples)
        elif isinstance(event, WordsOut):
            take.add_words([Timing(*w) for w in zip(event.words, event.start, event.end,
                                                    strict=True)])
        elif isinstance(event, PhonemesOut):
            take.add_phonemes([Timing(*p) for p in zip(event.phonemes, event.start,
                                                       event.end, strict=True)])
    take.finish(TakeStatus.DONE)
    return take


def tone_at(take: Take, word: Timing) -> tuple[float, float]:
    """(frequency, amplitude) of the tone between a word's timestamps."""
    x = take.selection(word.start + 0.005, word.end - 0.005).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)), 1 << 16))
    freq = float(np.argmax(spectrum)) * RATE / (1 << 16)
    return freq, float(np.sqrt(np.mean(x * x)) * math.sqrt(2))


def test_words_replaced_at_word_edges_with_timings_that_match_the_audio() -> None:
    take = synthesized(ToneSynthesizer(), TEXT)
    # The retake says the whole sentence slower and softer: longer words, another level.
    variant = synthesized(ToneSynthesizer(), TEXT, speed=0.8, volume=0.6)
    result = splice(take, 4, 6, variant, 4, 6)  # "we hope you"
    new = result.take

    assert [w.text for w in new.words] == [w.text for w in take.words]
    for i, word in enumerate(new.words):
        freq, amplitude = tone_at(new, word)
        assert abs(freq - word_frequency(i)) < 3, (word, freq)
        level = AMPLITUDE * (0.6 if 4 <= i <= 6 else 1.0)
        assert abs(amplitude - level) < 0.02, (word, amplitude)
    # Words before stay; the new words are the variant's, moved; words after shift by
    # exactly the change in length.
    assert new.words[:4] == take.words[:4]
    move = result.span_start - result.variant_cut.start / RATE
    assert new.words[5].start == pytest.approx(variant.words[5].start + move)
    grown = new.duration - take.duration
    assert grown > 0.05
    for old, now in zip(take.words[7:], new.words[7:], strict=True):
        assert now.start == pytest.approx(old.start + grown)
        assert now.end == pytest.approx(old.end + grown)
    # Phonemes (one per letter) follow their words.
    for word in new.words:
        letters = [p for p in new.phonemes if word.start <= p.start < word.end]
        assert "".join(p.text for p in letters) == "".join(
            c.lower() for c in word.text if c.isalnum())
    # The cuts are in the pauses: the middle of the gap around the span.
    gap_before = (take.words[3].end + take.words[4].start) / 2
    gap_after = (take.words[6].end + take.words[7].start) / 2
    assert abs(result.cut.start / RATE - gap_before) < 0.005
    assert abs(result.cut.end / RATE - gap_after) < 0.005
    assert take.words[3].end < result.cut.start / RATE < take.words[4].start


def test_lengths_add_up_exactly() -> None:
    take = synthesized(ToneSynthesizer(), TEXT)
    variant = synthesized(ToneSynthesizer(), TEXT, speed=1.3)
    result = splice(take, 2, 3, variant, 2, 3)
    kept = take.n_frames - (result.cut.end - result.cut.start)
    added = result.variant_cut.end - result.variant_cut.start
    assert result.take.n_frames == kept + added
    assert result.span_end - result.span_start == pytest.approx(added / RATE)
    # The parts outside the joints are the sources' samples, untouched.
    half = round(CROSSFADE_SECONDS * RATE / 2)
    a, b, out = take.samples, variant.samples, result.take.samples
    assert np.array_equal(out[:result.cut.start - half], a[:result.cut.start - half])
    assert np.array_equal(out[-(take.n_frames - result.cut.end - half):],
                          a[result.cut.end + half:])
    s0 = result.cut.start + half
    assert np.array_equal(out[s0:s0 + added - 2 * half],
                          b[result.variant_cut.start + half:result.variant_cut.end - half])


def touching_take(phase: float, freq: float, words: int = 4, seconds: float = 0.25) -> Take:
    """Words that touch (no pause): one continuous tone, the worst place for a cut."""
    n = round(words * seconds * RATE)
    t = np.arange(n) / RATE
    take = Take(TakeSettings(text="a b c d", voice_id="v", sample_rate=RATE))
    take.append_audio(0.5 * np.sin(2 * np.pi * freq * t + phase))
    take.add_words([Timing(w, i * seconds, (i + 1) * seconds)
                    for i, w in enumerate("abcd"[:words])])
    take.finish(TakeStatus.DONE)
    return take


def test_no_click_where_words_touch() -> None:
    take = touching_take(0.0, 220.0)
    variant = touching_take(2.0, 330.0)  # another pitch, another phase: a raw cut clicks
    result = splice(take, 1, 2, variant, 1, 2)
    # The cuts are at the word edges (no pause to cut in), within the zero search.
    assert abs(result.cut.start - round(0.25 * RATE)) <= round(0.004 * RATE)
    assert abs(result.cut.end - round(0.75 * RATE)) <= round(0.004 * RATE)
    # No sample-to-sample jump much larger than the sources' own steepest step (an
    # equal-power fade of two unrelated tones may sum up to √2 louder for a moment).
    steepest = 0.5 * 2 * np.pi * 330.0 / RATE
    assert _largest_jump(result) <= steepest * 1.5
    # Either of the two alone is enough here; without both, the cut clicks.
    assert _largest_jump(splice(take, 1, 2, variant, 1, 2, crossfade=0)) <= steepest * 1.5
    assert _largest_jump(splice(take, 1, 2, variant, 1, 2, zero_search=0)) <= steepest * 1.5
    assert _largest_jump(splice(take, 1, 2, variant, 1, 2, crossfade=0, zero_search=0)
                         ) > steepest * 4


def _largest_jump(result: SpliceResult) -> float:
    out = result.take.samples.astype(np.float64)
    joints = (result.cut.start,
              result.cut.start + result.variant_cut.end - result.variant_cut.start)
    return max(float(np.abs(np.diff(out[j - 200:j + 200])).max()) for j in joints)


def test_the_take_remembers_its_parts_and_its_parent() -> None:
    take = synthesized(ToneSynthesizer(), TEXT)
    first = synthesized(ToneSynthesizer(), TEXT, speed=0.9)
    once = splice(take, 1, 2, first, 1, 2)
    origin = once.take.origin
    assert origin is not None and origin.parent_id == take.id
    assert [s.source_take_id for s in origin.segments] == [take.id, first.id, take.id]
    head, middle, tail = origin.segments
    assert head.start == 0.0 and head.source_start == 0.0
    assert middle.start == pytest.approx(once.span_start)
    assert middle.end == pytest.approx(once.span_end)
    assert middle.source_start == pytest.approx(once.variant_cut.start / RATE)
    assert tail.source_start == pytest.approx(once.cut.end / RATE)
    assert tail.end == pytest.approx(once.take.duration)
    # Spliced again, later in the sentence: the earlier retake's part is kept as it was.
    second = synthesized(ToneSynthesizer(), TEXT, speed=1.2)
    twice = splice(once.take, 6, 7, second, 6, 7)
    assert twice.take.origin is not None
    assert twice.take.origin.parent_id == once.take.id
    assert [s.source_take_id for s in twice.take.origin.segments] == [
        take.id, first.id, take.id, second.id, take.id]
    assert twice.take.origin.segments[1] == middle
    # The parts cover the take, end to end.
    segs = twice.take.origin.segments
    assert all(a.end == pytest.approx(b.start) for a, b in itertools.pairwise(segs))
    assert segs[-1].end == pytest.approx(twice.take.duration)
    # And the origin survives its JSON.
    assert Origin.from_json(twice.take.origin.to_json()) == twice.take.origin


def test_a_real_voice_spliced_keeps_its_words_in_place() -> None:
    piper = PiperSynthesizer(deterministic=True)
    text = "The quick brown fox jumps over the lazy dog."
    take = synthesized(piper, text, rate=22050)
    variant = synthesized(piper, text, rate=22050, speed=0.85)
    result = splice(take, 3, 4, variant, 3, 4)  # "fox jumps"
    new = result.take
    assert [w.text for w in new.words] == [w.text for w in take.words]
    assert new.n_frames == take.n_frames - (result.cut.end - result.cut.start) + (
        result.variant_cut.end - result.variant_cut.start)
    # Each word's audio is the source's audio at the source's timestamps.
    rate = 22050
    for i, word in enumerate(new.words):
        source, at = (variant, variant.words[i]) if 3 <= i <= 4 else (take, take.words[i])
        a = round(word.start * rate) + 200
        b = round(at.start * rate) + 200
        assert np.allclose(new.samples[a:a + 400], source.samples[b:b + 400], atol=1e-6), i
    # The cuts fall between words, on a zero crossing.
    for frame in (result.cut.start, result.cut.end):
        assert take.samples[frame - 1] * take.samples[frame] <= 0 or abs(
            take.samples[frame]) < 1e-3
        seconds = frame / rate
        assert not any(w.start + 0.004 < seconds < w.end - 0.004 for w in take.words)


def test_takes_that_cannot_be_joined_are_refused_clearly() -> None:
    take = synthesized(ToneSynthesizer(), TEXT)
    other = synthesized(ToneSynthesizer(), TEXT, rate=24000)
    with pytest.raises(SpliceError, match=r"24000 Hz.*16000 Hz.*same sample rate"):
        splice(take, 0, 1, other, 0, 1)
    with pytest.raises(SpliceError, match="9 words: words 8 to 12"):
        splice(take, 7, 11, take, 0, 1)


def test_a_span_at_the_take_s_start_and_end() -> None:
    take = synthesized(ToneSynthesizer(), "one two three")
    variant = synthesized(ToneSynthesizer(), "one two three", speed=0.7)
    whole = splice(take, 0, 2, variant, 0, 2).take
    assert np.array_equal(whole.samples, variant.samples)
    assert whole.words == variant.words
    assert whole.origin is not None
    assert whole.origin.segments == (Segment(0.0, variant.duration, variant.id, 0.0),)
    cut = word_cut(take.samples, RATE, take.words, 0, 0, 64)
    assert cut.start == 0


# --- the history keeps where the parts came from (schema version 3) ------------------

_V2_SCHEMA = """CREATE TABLE takes (id TEXT PRIMARY KEY, name TEXT NOT NULL,
    created_at TEXT NOT NULL, status TEXT NOT NULL, error TEXT, ttfa REAL,
    duration REAL NOT NULL, settings TEXT NOT NULL, words TEXT NOT NULL,
    phonemes TEXT NOT NULL, audio_file TEXT NOT NULL, rating INTEGER NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '', lufs REAL, peak_dbfs REAL, deleted_at TEXT);
    CREATE INDEX takes_created ON takes (created_at); PRAGMA user_version = 2;"""


def _v2_database(folder: Path, take: Take) -> None:
    """A history exactly as version 2 wrote it: a rated, noted take with its loudness."""
    (folder / "audio").mkdir(parents=True)
    write_wav(folder / "audio" / f"{take.id}.wav", take.samples, take.sample_rate,
              "float32", dither=False)
    db = sqlite3.connect(folder / "history.sqlite3")
    db.executescript(_V2_SCHEMA)
    db.execute("INSERT INTO takes VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
               (take.id, "Kept from v2", take.created_at, "done", None, 0.1, take.duration,
                json.dumps(asdict(take.settings)),
                json.dumps([[w.text, w.start, w.end] for w in take.words]), "[]",
                f"{take.id}.wav", 4, "the good one", -20.0, -3.0, None))
    db.commit()
    db.close()


def test_a_version_2_history_is_upgraded_and_keeps_spliced_takes_origins(
        tmp_path: Path) -> None:
    old = synthesized(ToneSynthesizer(), TEXT)
    _v2_database(tmp_path, old)
    history = History(tmp_path)
    (record,) = history.list()
    assert (record.id, record.name, record.rating, record.note) == (
        old.id, "Kept from v2", 4, "the good one")
    assert record.loudness == Loudness(-20.0, -3.0)
    loaded = history.load(old.id)
    assert np.array_equal(loaded.samples, old.samples) and loaded.words == old.words
    assert loaded.origin is None  # one generation, as every take before v3
    variant = synthesized(ToneSynthesizer(), TEXT, speed=0.8)
    spliced = splice(loaded, 4, 6, variant, 4, 6).take
    history.save(variant)
    history.save(spliced)
    history.close()
    assert sqlite3.connect(tmp_path / "history.sqlite3").execute(
        "PRAGMA user_version").fetchone()[0] == 3

    again = History(tmp_path)
    back = again.load(spliced.id)
    assert back.origin == spliced.origin
    assert back.origin is not None and back.origin.parent_id == old.id
    assert back.words == spliced.words and back.phonemes == spliced.phonemes
    assert np.array_equal(back.samples, spliced.samples)
    assert again.load(old.id).origin is None
    again.close()


def test_a_damaged_origin_loses_only_the_record_of_the_parts(tmp_path: Path) -> None:
    take = synthesized(ToneSynthesizer(), "one two")
    history = History(tmp_path)
    history.save(take)
    with history._db:  # a hand-edited or damaged row
        history._db.execute("UPDATE takes SET origin = ? WHERE id = ?",
                            ('{"parent": 3}', take.id))
    loaded = history.load(take.id)
    assert loaded.origin is None and np.array_equal(loaded.samples, take.samples)
    history.close()
