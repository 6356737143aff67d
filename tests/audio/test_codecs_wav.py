"""Codecs (G.711 against independent tables), WAV round trips, dither, atomic writes."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from app.atomic import TargetExists, WriteError
from app.audio import codecs
from app.audio.errors import UnsupportedEncoding, WavError
from app.audio.wav import read_wav, write_wav

# ITU-T G.711 reference points (linear 16-bit values): byte -> value.
MULAW_POINTS = {0x00: -32124, 0x7F: 0, 0x80: 32124, 0xFF: 0, 0x70: -120, 0xFE: 8, 0xEF: 132}
ALAW_POINTS = {0x55: -8, 0xD5: 8, 0x2A: -32256, 0xAA: 32256, 0x54: -24, 0x00: -5504}


@pytest.mark.parametrize(("encoding", "points"), [("pcm_mulaw", MULAW_POINTS),
                                                  ("pcm_alaw", ALAW_POINTS)])
def test_g711_reference_points(encoding: str, points: dict[int, int]) -> None:
    decoded = codecs.decode(bytes(points), encoding)
    assert [round(v * 32768) for v in decoded] == list(points.values())


@pytest.mark.parametrize("encoding", ["pcm_mulaw", "pcm_alaw"])
def test_g711_round_trip_and_monotonic(encoding: str) -> None:
    every = bytes(range(256))
    decoded = codecs.decode(every, encoding)
    assert codecs.decode(codecs.encode(decoded, encoding), encoding).tolist() == \
        decoded.tolist()
    ramp = np.linspace(-1, 1, 20001, dtype=np.float32)
    levels = codecs.decode(codecs.encode(ramp, encoding), encoding)
    assert np.all(np.diff(levels) >= 0)  # quantisation never reorders samples
    assert np.max(np.abs(levels - ramp)) < 0.035  # coarsest segment step / 2


def test_linear_encodings_are_exact() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, 5000).astype(np.float32)
    assert np.array_equal(codecs.decode(codecs.encode(x, "pcm_f32le"), "pcm_f32le"), x)
    ints = rng.integers(-32768, 32768, 5000).astype("<i2")
    assert codecs.encode(codecs.decode(ints.tobytes(), "pcm_s16le"), "pcm_s16le") == \
        ints.tobytes()
    assert codecs.encode([2.0, -2.0], "pcm_s16le") == struct.pack("<hh", 32767, -32768)


def test_stream_decoder_carries_split_samples() -> None:
    x = np.linspace(-0.5, 0.5, 101, dtype=np.float32)
    data = codecs.encode(x, "pcm_f32le")
    decoder = codecs.StreamDecoder("pcm_f32le")
    parts = [decoder.feed(data[i:i + 7]) for i in range(0, len(data), 7)]
    assert np.array_equal(np.concatenate(parts), x)
    assert decoder.pending_bytes == 0


def test_unknown_encoding() -> None:
    with pytest.raises(UnsupportedEncoding, match="use one of pcm_f32le"):
        codecs.decode(b"", "pcm_u8")


@pytest.mark.parametrize(("fmt", "tolerance"), [("float32", 0.0), ("pcm24", 2 ** -23),
                                                ("pcm16", 2 ** -15)])
def test_wav_round_trip(tmp_path: Path, fmt: str, tolerance: float) -> None:
    x = (0.7 * np.sin(np.arange(4410) / 7)).astype(np.float32)
    path = tmp_path / f"{fmt}.wav"
    write_wav(path, x, 44100, fmt, dither=False)  # type: ignore[arg-type]
    back = read_wav(path)
    assert (back.sample_rate, back.fmt, back.channels) == (44100, fmt, 1)
    assert np.max(np.abs(back.samples - x)) <= tolerance


def test_pcm16_is_readable_by_the_stdlib(tmp_path: Path) -> None:
    x = np.array([0.0, 0.5, -0.5, 1.0, -1.0], np.float32)
    write_wav(tmp_path / "a.wav", x, 16000, "pcm16", dither=False)
    with wave.open(str(tmp_path / "a.wav")) as handle:
        assert (handle.getnchannels(), handle.getsampwidth(), handle.getframerate()) == \
            (1, 2, 16000)
        assert struct.unpack("<5h", handle.readframes(5)) == (0, 16384, -16384, 32767, -32768)


def test_tpdf_dither_statistics(tmp_path: Path) -> None:
    # A constant between two 16-bit steps: dither makes the average land on it.
    x = np.full(200_000, 0.25 / 32768 + 1000 / 32768, np.float32)
    write_wav(tmp_path / "d.wav", x, 48000, "pcm16", dither=True, seed=1)
    y = read_wav(tmp_path / "d.wav").samples * 32768 - 1000
    assert abs(float(np.mean(y)) - 0.25) < 0.01
    assert 0.4 < float(np.std(y)) < 0.7  # TPDF: about 0.5 LSB rms
    assert set(np.unique(np.rint(y)).tolist()) <= {-1.0, 0.0, 1.0, 2.0}


def test_no_overwrite_and_old_file_kept(tmp_path: Path) -> None:
    path = tmp_path / "take.wav"
    path.write_bytes(b"old")
    with pytest.raises(TargetExists):
        write_wav(path, np.zeros(10, np.float32), 8000)
    assert path.read_bytes() == b"old"
    with pytest.raises(WriteError, match="the folder does not exist"):
        write_wav(tmp_path / "missing" / "x.wav", np.zeros(10, np.float32), 8000)


def test_full_disk_keeps_the_old_file(tiny_disk: Path) -> None:
    (tiny_disk / "a.wav").write_bytes(b"old take")
    with pytest.raises(WriteError, match="the disk is full"):
        write_wav(tiny_disk / "a.wav", np.zeros(48000, np.float32), 48000, "float32",
                  overwrite=True)
    assert (tiny_disk / "a.wav").read_bytes() == b"old take"
    assert [p.name for p in tiny_disk.iterdir()] == ["a.wav"]


def test_not_a_wav(tmp_path: Path) -> None:
    (tmp_path / "x.wav").write_bytes(b"hello")
    with pytest.raises(WavError, match="is not a WAV file"):
        read_wav(tmp_path / "x.wav")
