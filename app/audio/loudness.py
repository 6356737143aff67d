"""Integrated loudness (ITU-R BS.1770-4) and the gain that plays takes at one loudness.

Two takes compared by ear are judged louder-is-better long before voice is
heard, so A/B plays every take at the same integrated loudness. pyloudnorm
does the K-weighting and gating (the standard's own reference implementation is
its test); we only decide what to match to and how far a gain may go.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: What matched playback aims for. Most synthesized speech sits between −24 and
#: −14 LUFS, so takes are usually turned down and never pushed into clipping.
MATCH_TARGET_LUFS = -20.0
#: A matched take never peaks above this (dBFS, sample peak): a quiet take is
#: raised only as far as its loudest sample allows.
PEAK_CEILING_DBFS = -1.0
#: BS.1770 gates in 400 ms blocks: anything shorter has no integrated loudness.
MIN_SECONDS = 0.4


@dataclass(frozen=True)
class Loudness:
    """What one take measured: integrated loudness (LUFS) and sample peak (dBFS)."""

    lufs: float
    peak_dbfs: float


@dataclass(frozen=True)
class MatchGain:
    """The gain that brings a take to the match target, in dB and as a factor."""

    db: float
    #: True when the peak ceiling stopped the gain short of the target.
    limited: bool

    @property
    def factor(self) -> float:
        return float(10.0 ** (self.db / 20.0))


def measure(samples: npt.NDArray[np.float32], rate: int) -> Loudness | None:
    """The take's loudness, or None for audio too short or too quiet to gate."""
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    if len(x) < int(MIN_SECONDS * rate) or rate <= 0:
        return None
    peak = float(np.max(np.abs(x)))
    if peak <= 0.0:
        return None
    # Imported here: scipy (under pyloudnorm) costs ~40 ms and 20 MB, paid only
    # when a take finishes, never at start-up.
    import pyloudnorm

    lufs = float(pyloudnorm.Meter(rate).integrated_loudness(x))
    if not math.isfinite(lufs):
        return None
    return Loudness(lufs=lufs, peak_dbfs=20.0 * math.log10(peak))


def match_gain(loudness: Loudness | None, target: float = MATCH_TARGET_LUFS) -> MatchGain:
    """The gain for matched playback; 0 dB when the take could not be measured."""
    if loudness is None:
        return MatchGain(0.0, limited=False)
    wanted = target - loudness.lufs
    allowed = PEAK_CEILING_DBFS - loudness.peak_dbfs
    if wanted > allowed:
        return MatchGain(round(allowed, 2), limited=True)
    return MatchGain(round(wanted, 2), limited=False)
