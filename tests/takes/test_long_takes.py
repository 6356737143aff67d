"""Takes longer than one block of audio: kept in the history with their peaks, reopened
memory-mapped with the same audio, peaks and words, exported from their blocks; history
entries from before peaks were saved still open."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.audio.buffer import BLOCK_FRAMES
from app.audio.loudness import Loudness
from app.audio.peaks import Peaks
from app.audio.wav import read_wav, write_wav
from app.takes.export import ExportSpec, export_take
from app.takes.history import History
from app.takes.take import Take, TakeSettings, TakeStatus
from app.takes.timings import Timing

RATE = 16000
SETTINGS = TakeSettings(text="A long line.", voice_id="v1", voice_name="Voice",
                        sample_rate=RATE)
WORDS = [Timing("A", 0.1, 0.3), Timing("long", 20.0, 20.4), Timing("line.", 39.0, 39.5)]
PHONEMES = [Timing("l", 20.0, 20.1), Timing("ai", 39.0, 39.2)]


def stream_take(seconds: float = 70.0) -> Take:
    """A take of several blocks, arriving in 40 ms chunks as from the server."""
    take = Take(SETTINGS)
    rng = np.random.default_rng(7)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    x = (0.4 * np.sin(2 * np.pi * 180 * t) + 0.02 * rng.standard_normal(n)).astype(np.float32)
    chunk = RATE * 40 // 1000
    for at in range(0, n, chunk):
        take.append_audio(x[at:at + chunk])
    take.add_words(WORDS)
    take.add_phonemes(PHONEMES)
    take.loudness = Loudness(-19.5, -7.9)
    take.finish(TakeStatus.DONE, ttfa=0.2)
    return take


def fresh_peaks(samples: np.ndarray) -> Peaks:
    peaks = Peaks()
    peaks.append(samples)
    return peaks


def mapped(array: np.ndarray) -> bool:
    """Whether the array is (a view of) a memory map: read from its file when used."""
    while array is not None:
        if isinstance(array, np.memmap):
            return True
        array = array.base  # type: ignore[assignment]
    return False


@pytest.fixture(scope="module")
def long_take() -> Take:
    take = stream_take()
    assert take.n_frames > 2 * BLOCK_FRAMES and not take.audio.contiguous
    return take


def test_a_long_take_reopens_with_the_same_audio_peaks_and_words(
        long_take: Take, tmp_path: Path) -> None:
    history = History(tmp_path)
    history.save(long_take)
    audio = tmp_path / "audio"
    assert (audio / f"{long_take.id}.wav").exists()
    assert (audio / f"{long_take.id}.peaks").exists()  # saved with the take
    again = history.load(long_take.id)
    np.testing.assert_array_equal(again.samples, long_take.samples)
    assert again.n_frames == long_take.n_frames and again.duration == long_take.duration
    assert again.peaks.equals(fresh_peaks(long_take.samples))
    assert again.peaks.equals(long_take.peaks)
    assert again.words == WORDS and again.phonemes == PHONEMES
    assert again.loudness == long_take.loudness and again.status is TakeStatus.DONE
    assert again.name == long_take.name and again.time_to_first_audio == 0.2
    # Nothing was read to open it: the audio is the mapped file, whole, without a copy.
    assert mapped(again.samples) and again.audio.contiguous
    # And what the waveform draws is the same at every zoom.
    for start, end, n in [(0, again.n_frames, 900), (BLOCK_FRAMES - 300, BLOCK_FRAMES + 300,
                                                     600)]:
        for a, b in zip(again.peaks.query(start, end, n, again.audio),
                        long_take.peaks.query(start, end, n, long_take.audio), strict=True):
            np.testing.assert_array_equal(a, b)
    history.close()


def test_blocked_takes_export_and_select_across_block_edges(long_take: Take,
                                                            tmp_path: Path) -> None:
    spec = ExportSpec(wav_subtype="float32")
    files = export_take(long_take, tmp_path / "whole.wav", spec).files
    np.testing.assert_array_equal(read_wav(files[0]).samples, long_take.samples)
    edge = BLOCK_FRAMES / RATE
    cut = export_take(long_take, tmp_path / "cut.wav", spec,
                      selection=(edge - 0.5, edge + 0.5)).files
    np.testing.assert_array_equal(read_wav(cut[0]).samples,
                                  long_take.samples[round((edge - 0.5) * RATE):
                                                    round((edge + 0.5) * RATE)])
    np.testing.assert_array_equal(long_take.selection(edge - 0.5, edge + 0.5),
                                  read_wav(cut[0]).samples)
    # The same from the history's mapped copy.
    history = History(tmp_path / "history")
    history.save(long_take)
    again = history.load(long_take.id)
    files = export_take(again, tmp_path / "again.wav", spec).files
    np.testing.assert_array_equal(read_wav(files[0]).samples, long_take.samples)
    history.close()


def test_an_entry_kept_before_peaks_were_still_opens(long_take: Take, tmp_path: Path
                                                     ) -> None:
    history = History(tmp_path)
    history.save(long_take)
    # As the history kept takes before: the whole file written at once, no pyramid.
    wav = tmp_path / "audio" / f"{long_take.id}.wav"
    write_wav(wav, long_take.samples, RATE, "float32", dither=False, overwrite=True,
              private=True)
    peaks_file = tmp_path / "audio" / f"{long_take.id}.peaks"
    peaks_file.unlink()
    again = history.load(long_take.id)
    np.testing.assert_array_equal(again.samples, long_take.samples)
    assert again.peaks.equals(fresh_peaks(long_take.samples))
    assert again.words == WORDS
    # Built once and kept: the next opening maps it.
    assert peaks_file.exists()
    assert Peaks.load(peaks_file, long_take.n_frames).equals(again.peaks)
    history.close()


def test_a_stale_or_damaged_pyramid_is_built_again(long_take: Take, tmp_path: Path) -> None:
    history = History(tmp_path)
    history.save(long_take)
    peaks_file = tmp_path / "audio" / f"{long_take.id}.peaks"
    fresh_peaks(long_take.samples[:1000]).save(peaks_file)  # another length of audio
    assert history.load(long_take.id).peaks.equals(long_take.peaks)
    peaks_file.write_bytes(peaks_file.read_bytes()[:100])  # cut short
    assert history.load(long_take.id).peaks.equals(long_take.peaks)
    history.close()


def test_a_16_bit_wav_in_the_history_is_read_whole(tmp_path: Path) -> None:
    take = stream_take(2.0)
    history = History(tmp_path)
    history.save(take)
    wav = tmp_path / "audio" / f"{take.id}.wav"
    write_wav(wav, take.samples, RATE, "pcm16", dither=False, overwrite=True)
    again = history.load(take.id)
    np.testing.assert_allclose(again.samples, take.samples, atol=1 / 32768)
    assert not mapped(again.samples)
    history.close()


def test_deleting_a_take_removes_its_peaks_too(tmp_path: Path) -> None:
    take = stream_take(1.0)
    history = History(tmp_path)
    history.save(take)
    history.delete(take.id)
    history.close()  # removed for good here
    assert not list((tmp_path / "audio").iterdir())
