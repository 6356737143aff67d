"""Loudness measurement against BS.1770's own calibration, the match gain, the time format."""

from __future__ import annotations

import numpy as np
import pytest

from app.audio.loudness import Loudness, match_gain, measure
from app.audio.timefmt import format_time

RATE = 48000


def _sine(db_fs: float, seconds: float = 3.0, freq: float = 997.0) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (10 ** (db_fs / 20) * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_a_full_scale_997_hz_sine_measures_as_the_standard_says() -> None:
    # BS.1770-4: a 0 dBFS 997 Hz sine in one channel reads -3.01 LUFS.
    got = measure(_sine(0.0), RATE)
    assert got is not None
    assert got.lufs == pytest.approx(-3.01, abs=0.05)
    assert got.peak_dbfs == pytest.approx(0.0, abs=0.01)


def test_a_take_too_short_or_silent_has_no_loudness() -> None:
    assert measure(_sine(-10, seconds=0.2), RATE) is None
    assert measure(np.zeros(RATE * 2, np.float32), RATE) is None


def test_two_takes_matched_land_within_half_a_lu() -> None:
    loud, quiet = _sine(-3.0), _sine(-15.0, freq=440.0)
    for x in (loud, quiet):
        gain = match_gain(measure(x, RATE))
        after = measure(x * np.float32(gain.factor), RATE)
        assert after is not None and after.lufs == pytest.approx(-20.0, abs=0.5)


def test_a_quiet_take_is_raised_only_to_the_peak_ceiling() -> None:
    gain = match_gain(Loudness(lufs=-40.0, peak_dbfs=-3.0))
    assert gain.limited and gain.db == pytest.approx(2.0)
    assert match_gain(None).db == 0.0


@pytest.mark.parametrize(("seconds", "text"), [
    (0.0, "0:00.0"), (3.44, "0:03.4"), (59.96, "1:00.0"), (754.0, "12:34.0"),
    (3723.5, "1:02:03.5"), (-1.25, "-0:01.2"), (float("nan"), "–"),
])
def test_one_time_format(seconds: float, text: str) -> None:
    assert format_time(seconds) == text
