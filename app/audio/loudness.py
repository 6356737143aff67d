"""Integrated loudness (ITU-R BS.1770-4) and the gain that plays takes at one loudness.

Two takes compared by ear are judged louder-is-better long before voice is
heard, so A/B plays every take at the same integrated loudness.

The meter is numpy only. pyloudnorm measured it before, but it filters with
scipy.signal, whose import cost the window about 100 MB of memory and 1.5 s of
CPU at the first finished take, and the bundle 75 MB of disk, for two biquads.
The K-weighting here is the same pair of filters pyloudnorm designs (RBJ's
cookbook shelf and high-pass with BS.1770's corner frequencies), applied by FFT
convolution with their impulse response, which has died away to below 1e-12
long before the kernel ends; the gating follows BS.1770-4 block by block as
pyloudnorm does. The tests hold the two meters to within 0.001 LU.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.audio.buffer import BlockBuffer

#: What the meter reads: one channel, by contiguous slices.
Frames = npt.NDArray[np.floating] | BlockBuffer

#: What matched playback aims for. Most synthesized speech sits between −24 and
#: −14 LUFS, so takes are usually turned down and never pushed into clipping.
MATCH_TARGET_LUFS = -20.0
#: A matched take never peaks above this (dBFS, sample peak): a quiet take is
#: raised only as far as its loudest sample allows.
PEAK_CEILING_DBFS = -1.0
#: BS.1770 gates in 400 ms blocks: anything shorter has no integrated loudness.
MIN_SECONDS = 0.4
#: Blocks start every 100 ms (75 % overlap).
BLOCK_STEP = 0.25
#: The absolute gate (LUFS) and the relative one (LU under the ungated level).
ABSOLUTE_GATE = -70.0
RELATIVE_GATE = -10.0
#: Channel weights in BS.1770's order (L, R, C, Ls, Rs): surrounds count 1.5 dB more.
CHANNEL_WEIGHTS = (1.0, 1.0, 1.0, 1.41, 1.41)
#: The K-weighting: (shelf gain dB, Q, corner Hz) of the high shelf, then the high-pass.
SHELF = (4.0, 1.0 / math.sqrt(2.0), 1500.0)
HIGH_PASS = (0.0, 0.5, 38.0)


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


def measure(samples: npt.NDArray[np.float32] | BlockBuffer, rate: int) -> Loudness | None:
    """The take's loudness, or None for audio too short or too quiet to gate. A take's
    blocks are read as they are: a long take is never joined into one array."""
    x = samples if isinstance(samples, BlockBuffer) else np.asarray(samples).reshape(-1)
    if len(x) < int(MIN_SECONDS * rate) or rate <= 0:
        return None
    pieces = x.iter_blocks() if isinstance(x, BlockBuffer) else (x,)
    peak = max((max(float(np.max(p)), -float(np.min(p))) for p in pieces if len(p)),
               default=0.0)
    if peak <= 0.0:
        return None
    lufs = _loudness([x], rate)
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



def integrated_loudness(data: npt.NDArray[np.floating], rate: int) -> float:
    """BS.1770-4 integrated loudness (LUFS) of ``(frames, channels)`` audio; ``-inf`` or
    NaN when every block is under the absolute gate (the caller treats both as unmeasurable).
    """
    if data.shape[1] > len(CHANNEL_WEIGHTS):
        raise ValueError(f"BS.1770 weighs at most {len(CHANNEL_WEIGHTS)} channels, "
                         f"not {data.shape[1]}")
    return _loudness([data[:, channel] for channel in range(data.shape[1])], rate)


def _distinct_sorted(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """``np.unique(values)``, which imports ``numpy.ma`` on first use (1.2 MB, in the
    window at its first finished take)."""
    ordered = np.sort(values)
    first: npt.NDArray[np.bool_] = np.concatenate([[True], ordered[1:] != ordered[:-1]])
    distinct: npt.NDArray[np.int64] = ordered[first]
    return distinct


def _loudness(signals: Sequence[Frames], rate: int) -> float:
    """Integrated loudness of channels read by slices (arrays, or a take's blocks)."""
    frames, channels = len(signals[0]), len(signals)
    starts, ends = _block_edges(frames, rate)
    edges = _distinct_sorted(np.concatenate([starts, np.minimum(ends, frames)]))
    power = np.zeros((channels, len(starts)))
    for channel in range(channels):
        energy = _segment_energy(_k_weighted_chunks(signals[channel], rate), edges)
        running = np.concatenate([[0.0], np.cumsum(energy)])
        first = np.searchsorted(edges, starts)
        last = np.searchsorted(edges, np.minimum(ends, frames))
        power[channel] = (running[last] - running[first]) / (MIN_SECONDS * rate)
    weights = np.asarray(CHANNEL_WEIGHTS[:channels]).reshape(-1, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        levels = -0.691 + 10.0 * np.log10(np.sum(weights * power, axis=0))
        loud = levels >= ABSOLUTE_GATE
        if not loud.any():
            return -math.inf
        ungated = -0.691 + 10.0 * np.log10(np.sum(weights[:, 0] * power[:, loud].mean(axis=1)))
        kept = loud & (levels > ungated + RELATIVE_GATE)
        mean = np.nan_to_num(power[:, kept].mean(axis=1))
        return float(-0.691 + 10.0 * np.log10(np.sum(weights[:, 0] * mean)))


def _block_edges(frames: int, rate: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Each 400 ms block's first and end frame, rounded as pyloudnorm rounds them (the
    last block may run past the end: it is cut there)."""
    seconds = frames / rate
    count = int(np.round((seconds - MIN_SECONDS) / (MIN_SECONDS * BLOCK_STEP))) + 1
    j = np.arange(count, dtype=np.float64)
    starts = (MIN_SECONDS * (j * BLOCK_STEP) * rate).astype(np.int64)
    ends = (MIN_SECONDS * (j * BLOCK_STEP + 1) * rate).astype(np.int64)
    return starts, ends


def _biquad(gain_db: float, q: float, corner: float, rate: int, *, shelf: bool
            ) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """RBJ's cookbook high shelf or high-pass: (b0, b1, b2), (a0, a1, a2)."""
    a = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * math.pi * corner / rate
    cos, alpha = math.cos(w0), math.sin(w0) / (2.0 * q)
    if shelf:
        root = 2.0 * math.sqrt(a) * alpha
        return ((a * ((a + 1) + (a - 1) * cos + root), -2 * a * ((a - 1) + (a + 1) * cos),
                 a * ((a + 1) + (a - 1) * cos - root)),
                ((a + 1) - (a - 1) * cos + root, 2 * ((a - 1) - (a + 1) * cos),
                 (a + 1) - (a - 1) * cos - root))
    return (((1 + cos) / 2, -(1 + cos), (1 + cos) / 2), (1 + alpha, -2 * cos, 1 - alpha))


def k_weighting_kernel(rate: int) -> npt.NDArray[np.float64]:
    """The K-weighting's impulse response, long enough that what is cut off is below
    1e-12 of it (the 38 Hz high-pass rings longest: 0.15 s to 1e-12)."""
    length = 1 << max(8, math.ceil(math.log2(0.25 * rate)))
    size = 4 * length  # sampled this finely, the response's aliasing is far below 1e-12
    z = np.exp(-2j * np.pi * np.arange(size // 2 + 1) / size)
    response = np.ones_like(z)
    for stage, shelf in ((SHELF, True), (HIGH_PASS, False)):
        b, a = _biquad(*stage, rate, shelf=shelf)
        response *= (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)
    return np.fft.irfft(response, size)[:length]


def _k_weighted_chunks(x: Frames, rate: int
                       ) -> Iterator[tuple[int, npt.NDArray[np.float64]]]:
    """The K-weighted signal as (first frame, samples) pieces: overlap-save, so a long
    take is filtered in fixed memory."""
    kernel = k_weighting_kernel(rate)
    size = 8 * len(kernel)
    spectrum = np.fft.rfft(kernel, size)
    hop = size - len(kernel) + 1
    padded_front = len(kernel) - 1
    for first in range(0, len(x), hop):
        begin = first - padded_front
        piece = np.zeros(size)
        source = x[max(0, begin):first + hop]
        piece[max(0, -begin):max(0, -begin) + len(source)] = source
        out = np.fft.irfft(np.fft.rfft(piece) * spectrum, size)[padded_front:]
        yield first, out[:min(hop, len(x) - first)]


def _segment_energy(chunks: Iterator[tuple[int, npt.NDArray[np.float64]]],
                    edges: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """The sum of squares between consecutive ``edges`` (the first edge is 0)."""
    energy = np.zeros(len(edges))
    for first, y in chunks:
        end = first + len(y)
        cuts = edges[(edges > first) & (edges < end)] - first
        starts = np.concatenate([[0], cuts]).astype(np.int64)
        segment = np.searchsorted(edges, first, side="right") - 1
        energy[segment:segment + len(starts)] += np.add.reduceat(y * y, starts)
    return energy[:-1] if len(energy) > 1 else energy
