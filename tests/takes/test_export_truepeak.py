"""True peak (BS.1770-4 Annex 2) against a signal whose peaks fall between samples."""

from __future__ import annotations

import numpy as np
import pytest

from app.audio.truepeak import true_peak_db

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
