"""Our BS.1770-4 meter against pyloudnorm's, and its K-weighting against the filters'
own recursion: the meter replaced pyloudnorm (and the scipy it imports), so it must
measure exactly what pyloudnorm measured."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyloudnorm
import pytest

from app.audio.loudness import (
    HIGH_PASS,
    SHELF,
    _biquad,
    integrated_loudness,
    k_weighting_kernel,
    measure,
)


def _recursion(x: np.ndarray, rate: int) -> np.ndarray:
    """The two biquads run sample by sample (direct form I): the filters by definition."""
    for stage, shelf in ((SHELF, True), (HIGH_PASS, False)):
        b, a = _biquad(*stage, rate, shelf=shelf)
        y = np.zeros_like(x)
        x1 = x2 = y1 = y2 = 0.0
        for n, xn in enumerate(x):
            yn = (b[0] * xn + b[1] * x1 + b[2] * x2 - a[1] * y1 - a[2] * y2) / a[0]
            x2, x1, y2, y1 = x1, xn, y1, yn
            y[n] = yn
        x = y
    return x


@pytest.mark.parametrize("rate", [16000, 24000, 44100, 48000])
def test_the_kernel_is_the_filters_impulse_response(rate: int) -> None:
    kernel = k_weighting_kernel(rate)
    impulse = np.zeros(len(kernel))
    impulse[0] = 1.0
    assert np.max(np.abs(kernel - _recursion(impulse, rate))) < 1e-12


def _speechlike(rate: int, seconds: float, seed: int) -> np.ndarray:
    """Noise bursts of different levels with near-silent gaps: both gates have work to do."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    x = rng.standard_normal(n) * 0.1
    levels = rng.choice([1.0, 0.3, 0.05, 1e-5], size=n // int(0.3 * rate) + 1)
    return x * np.repeat(levels, int(0.3 * rate))[:n]


@pytest.mark.parametrize("rate", [16000, 22050, 24000, 44100, 48000])
@pytest.mark.parametrize("seconds", [0.4, 0.45, 3.01, 31.0])
def test_mono_and_stereo_match_pyloudnorm(rate: int, seconds: float) -> None:
    x = _speechlike(rate, seconds, seed=rate)
    t = np.arange(len(x)) / rate
    stereo = np.stack([x, 0.2 * np.sin(2 * np.pi * 60 * t)], axis=1)
    for data in (x.reshape(-1, 1), stereo):
        ours = integrated_loudness(data, rate)
        theirs = pyloudnorm.Meter(rate).integrated_loudness(data)
        assert ours == pytest.approx(theirs, abs=1e-3)


def test_a_signal_under_the_absolute_gate_has_no_loudness() -> None:
    quiet = np.full(48000, 1e-6, dtype=np.float32)
    assert measure(quiet, 48000) is None


def test_measure_reads_float32_without_pyloudnorm_or_scipy() -> None:
    code = ("import sys, numpy as np; from app.audio.loudness import measure; "
            "x = (np.random.default_rng(0).standard_normal(48000) * 0.1).astype(np.float32); "
            "print(round(measure(x, 48000).lufs, 6)); "
            "print(sorted(m for m in ('scipy', 'pyloudnorm') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    x = np.random.default_rng(0).standard_normal(48000) * 0.1
    assert float(out[0]) == pytest.approx(
        pyloudnorm.Meter(48000).integrated_loudness(x.astype(np.float32).astype(np.float64)),
        abs=1e-3)
    assert out[1] == "[]"


def test_a_take_is_measured_from_its_blocks_as_from_one_array() -> None:
    from app.audio.buffer import BlockBuffer

    x = _speechlike(24000, 7.3, seed=3).astype(np.float32)
    blocks = BlockBuffer(block_frames=10007)  # edges that fall inside the filter's chunks
    for start in range(0, len(x), 4410):
        blocks.append(x[start:start + 4410])
    assert len(blocks.blocks) > 10
    whole, pieces = measure(x, 24000), measure(blocks, 24000)
    assert whole is not None and pieces is not None
    assert pieces.lufs == pytest.approx(whole.lufs, abs=1e-9)
    assert pieces.peak_dbfs == whole.peak_dbfs
