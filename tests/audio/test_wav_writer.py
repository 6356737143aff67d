"""WAV written as audio arrives: the same file as at once, RF64 past the limit, a partial
kept under another name, a full disk, and leftovers of killed writers cleaned up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.atomic import WriteError, remove_leftovers
from app.audio.wav import WavWriter, encode_wav, read_wav

RATE = 16000


def chirp(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.5 * np.sin(2 * np.pi * (200 + 300 * t) * t)).astype(np.float32)


@pytest.mark.parametrize("fmt", ["float32", "pcm16", "pcm24"])
def test_streamed_in_pieces_is_the_file_written_at_once(fmt: str, tmp_path: Path) -> None:
    x = chirp(1.0)
    writer = WavWriter(tmp_path / "s.wav", RATE, fmt, dither=False)  # type: ignore[arg-type]
    for part in np.array_split(x, 13):
        writer.write(part)
    assert not (tmp_path / "s.wav").exists()  # nothing there until it is complete
    assert writer.commit() == tmp_path / "s.wav"
    whole = encode_wav(x, RATE, fmt, dither=False)  # type: ignore[arg-type]
    streamed = read_wav(tmp_path / "s.wav")
    np.testing.assert_array_equal(streamed.samples, read_wav_bytes(whole))
    assert (streamed.sample_rate, streamed.fmt) == (RATE, fmt)
    assert [p.name for p in tmp_path.iterdir()] == ["s.wav"]


def read_wav_bytes(data: bytes) -> np.ndarray:
    from app.audio.wav import decode_wav_bytes

    return decode_wav_bytes(data).samples


def test_past_the_size_limit_it_becomes_rf64(tmp_path: Path) -> None:
    x = chirp(0.5)
    writer = WavWriter(tmp_path / "big.wav", RATE, "float32", riff_limit=1000)
    writer.write(x)
    writer.commit()
    data = (tmp_path / "big.wav").read_bytes()
    assert data[:4] == b"RF64" and data[12:16] == b"ds64"
    np.testing.assert_array_equal(read_wav(tmp_path / "big.wav").samples, x)


def test_a_failed_take_is_kept_under_another_name(tmp_path: Path) -> None:
    writer = WavWriter(tmp_path / "take.wav", RATE, "pcm16", dither=False)
    writer.write(chirp(0.2))
    kept = writer.commit(tmp_path / "take.partial.wav")
    assert kept == tmp_path / "take.partial.wav" and not (tmp_path / "take.wav").exists()
    assert len(read_wav(kept).samples) == int(0.2 * RATE)


def test_a_full_disk_mid_stream_leaves_nothing(tiny_disk: Path) -> None:
    writer = WavWriter(tiny_disk / "x.wav", RATE, "float32")
    with pytest.raises(WriteError, match="the disk is full"):
        for _ in range(100):
            writer.write(chirp(0.5))
    assert list(tiny_disk.iterdir()) == []


def test_leftovers_of_a_killed_writer_are_removed_live_ones_kept(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    leftover = tmp_path / f".take.wav.voicebooth-{dead}-0badc0de.tmp"
    leftover.write_bytes(b"half a take")
    live = tmp_path / f".take.wav.voicebooth-{os.getpid()}-00000001.tmp"
    live.write_bytes(b"being written")
    other = tmp_path / f".other.wav.voicebooth-{dead}-0badc0de.tmp"
    other.write_bytes(b"another file's")
    writer = WavWriter(tmp_path / "take.wav", RATE, "pcm16")  # a new write of take.wav
    writer.abort()
    assert not leftover.exists() and live.exists() and other.exists()
    assert remove_leftovers(tmp_path / "other.wav") == [other]
