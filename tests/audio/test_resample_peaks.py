"""Resampler quality and streaming; the peaks pyramid against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from app.audio.peaks import Peaks
from app.audio.resample import Resampler, resample


@pytest.mark.parametrize(("src", "dst"), [(24000, 48000), (44100, 48000), (22050, 44100),
                                          (48000, 16000), (16000, 22050), (8000, 48000)])
def test_resampled_sine_is_clean(src: int, dst: int) -> None:
    f = 1000.0
    x = (0.5 * np.sin(2 * np.pi * f * np.arange(src) / src)).astype(np.float32)
    y = resample(x, src, dst)
    assert len(y) == dst
    ref = 0.5 * np.sin(2 * np.pi * f * np.arange(dst) / dst)
    err = (y - ref)[64:-64]
    snr = 10 * np.log10(np.mean(ref ** 2) / np.mean(err ** 2))
    assert snr > 85


def test_aliases_are_removed_when_downsampling() -> None:
    src, dst = 48000, 16000
    x = np.sin(2 * np.pi * 12000 * np.arange(src) / src).astype(np.float32)  # above 8 kHz
    y = resample(x, src, dst)
    assert np.sqrt(np.mean(y[64:-64] ** 2)) < 1e-3


def test_chunking_does_not_change_the_output() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal(30000).astype(np.float32)
    whole = resample(x, 22050, 48000)
    r = Resampler(22050, 48000)
    sizes = rng.integers(1, 3000, 100)
    parts, at = [], 0
    for size in sizes:
        parts.append(r.process(x[at:at + size]))
        at += size
    parts += [r.process(x[at:]), r.flush()]
    assert np.array_equal(np.concatenate(parts), whole)


def brute(x: np.ndarray, start: int, end: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    edges = start + (np.arange(n + 1) * (end - start)) // n
    lo = [x[a:max(b, a + 1)].min() for a, b in itertools.pairwise(edges)]
    hi = [x[a:max(b, a + 1)].max() for a, b in itertools.pairwise(edges)]
    return np.array(lo), np.array(hi)


@pytest.fixture(scope="module")
def noise() -> tuple[np.ndarray, Peaks]:
    rng = np.random.default_rng(5)
    x = (0.3 * rng.standard_normal(44100 * 30)).astype(np.float32)
    peaks = Peaks()
    for part in np.array_split(x, 777):  # as a stream arrives, in uneven chunks
        peaks.append(part)
    return x, peaks


@pytest.mark.parametrize(("start", "end", "n"), [
    (0, 44100 * 30, 1280), (1000, 1000 + 1280 * 100, 1280), (5, 5 + 1280 * 3, 1280),
    (0, 64 * 1280, 1280), (44100 * 29, 44100 * 31, 500)])
def test_peaks_cover_every_sample(noise: tuple[np.ndarray, Peaks], start: int, end: int,
                                  n: int) -> None:
    x, peaks = noise
    mins, maxs = peaks.query(start, end, n, x)
    real_end = min(end, len(x))
    edges = start + (np.arange(n + 1) * (end - start)) // n
    inside = edges[1:] <= real_end
    lo, hi = brute(x, start, real_end, int(inside.sum())) if end == real_end else (None, None)
    if lo is not None:
        assert np.all(mins <= lo) and np.all(maxs >= hi)
    aligned = (end - start) // n % 64 == 0 and start % (end - start) // n == 0
    if aligned and lo is not None:
        assert np.array_equal(mins, lo) and np.array_equal(maxs, hi)
    assert np.all(mins[~inside] <= 0) or not np.any(~inside)


def test_peaks_exact_on_aligned_pixels(noise: tuple[np.ndarray, Peaks]) -> None:
    x, peaks = noise
    for width in (64, 256, 1024):
        mins, maxs = peaks.query(0, width * 1000, 1000, x)
        lo, hi = brute(x, 0, width * 1000, 1000)
        assert np.array_equal(mins, lo) and np.array_equal(maxs, hi)


def test_peaks_growing_take_updates_the_last_bins() -> None:
    peaks = Peaks()
    peaks.append(np.zeros(100, np.float32))
    peaks.append(np.array([0.9], np.float32))  # lands in a bin that already existed
    _, maxs = peaks.query(0, 128, 1)
    assert maxs[0] == pytest.approx(0.9)
    _, maxs = peaks.query(0, 64 * 100, 100)  # beyond the audio: zeros
    assert maxs[1] == pytest.approx(0.9) and np.all(maxs[2:] == 0)
