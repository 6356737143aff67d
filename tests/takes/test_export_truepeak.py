"""True peak (BS.1770-4 Annex 2) against a signal whose peaks fall between samples."""

from __future__ import annotations

import numpy as np
import pytest

from app.audio.resample import resample
from app.audio.truepeak import limiter_gain, oversample, true_peak_db

RATE = 48000


def quarter_rate_sine(phase_degrees: float, seconds: float = 1.0) -> np.ndarray:
    """A full-scale sine at fs/4, faded in and out over 10 ms so its edges do not ring."""
    n = np.arange(round(seconds * RATE))
    x = np.sin(np.pi / 2 * n + np.radians(phase_degrees))
    ramp = np.minimum(1.0, np.minimum(n, n[::-1]) / (0.01 * RATE))
    return (x * ramp).astype(np.float32)


def test_an_inter_sample_peak_is_found() -> None:
    # At 45° every sample sits at ±0.707 (-3.01 dBFS): the sample peak misses 3 dB.
    x = quarter_rate_sine(45.0)
    assert 20 * np.log10(np.max(np.abs(x))) == pytest.approx(-3.01, abs=0.01)
    assert true_peak_db(x, RATE) == pytest.approx(0.0, abs=0.02)


def test_a_peak_on_a_sample_reads_the_same() -> None:
    assert true_peak_db(quarter_rate_sine(0.0), RATE) == pytest.approx(0.0, abs=0.02)
    assert true_peak_db(0.5 * quarter_rate_sine(45.0), RATE) == pytest.approx(-6.02, abs=0.02)


def test_stereo_takes_the_louder_channel_and_silence_has_none() -> None:
    x = quarter_rate_sine(45.0)
    assert true_peak_db(np.column_stack([0.25 * x, x]), RATE) == pytest.approx(0.0, abs=0.02)
    assert true_peak_db(np.zeros(1000, np.float32), RATE) is None
    assert true_peak_db(np.zeros(0, np.float32), RATE) is None


def test_oversampling_is_our_resampler() -> None:
    x = np.random.default_rng(3).uniform(-1, 1, 5000).astype(np.float32)
    np.testing.assert_allclose(oversample(x), resample(x, RATE, 4 * RATE), atol=1e-6)


def test_the_limiter_ducks_around_a_peak_and_nowhere_else() -> None:
    x = 0.25 * quarter_rate_sine(45.0)
    x[RATE // 2] = 1.0  # one click at 0 dBFS in a -12 dB tone
    gain = limiter_gain(x, RATE, -6.0)
    limited = x * gain
    assert true_peak_db(limited, RATE) <= -6.0 + 0.01
    # Untouched away from the click; ramps, never steps (no clipping, no clicks).
    assert np.all(gain[: RATE // 2 - RATE // 100] == 1.0)
    assert np.all(gain[RATE // 2 + RATE // 50:] == 1.0)
    assert np.max(np.abs(np.diff(gain))) < 0.01
