"""True peak (ITU-R BS.1770-4, Annex 2): the highest level between the samples.

A signal whose samples stay under full scale can still swing above it between
them, and a DAC or a lossy encoder reconstructs those swings (and clips them).
The standard oversamples 4× and takes the absolute maximum; the oversampling
here is our own polyphase :class:`~app.audio.resample.Resampler` (pass-band
flat to 0.01 dB up to 90 % of Nyquist), so the reading is within a few
hundredths of a dB of the standard's 48-tap filter for speech.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from app.audio.resample import _bank

#: Annex 2's oversampling factor (enough for rates up to 48 kHz: the residual
#: under-read is at most 0.7 dB for a full-band sine at Nyquist, far less for speech).
OVERSAMPLE = 4


#: The Resampler's own filter length; oversampling uses its 4× filter bank.
TAPS = 32


def oversample(samples: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """``samples`` at 4× the rate: exactly what :class:`~app.audio.resample.Resampler`
    (rate → 4 × rate) gives, computed as four whole-signal convolutions with its
    polyphase filter bank (one per output phase) instead of its streaming blocks: the
    same numbers, ~15× faster, which matters when the limiter measures every round."""
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    n = len(x)
    bank = _bank(OVERSAMPLE, 1, TAPS)
    out = np.empty((n, OVERSAMPLE))
    for phase in range(OVERSAMPLE):
        # Output 4·i + phase weighs inputs i - taps/2 + 1 … i + taps/2 (the Resampler's
        # window for an output phase/4 of a sample after input i), zeros beyond the ends.
        full = np.convolve(x, bank[phase][::-1])
        out[:, phase] = full[TAPS // 2:TAPS // 2 + n]
    result: npt.NDArray[np.float64] = out.reshape(-1)
    return result


def true_peak_linear(samples: npt.ArrayLike, rate: int) -> float:
    """The absolute maximum of the 4× oversampled signal (linear; 0 for silence).
    ``samples`` is mono ``(n,)`` or ``(n, channels)``; the maximum is over all channels."""
    x = np.asarray(samples, dtype=np.float32)
    if x.size == 0:
        return 0.0
    channels = x.reshape(len(x), -1)
    peak = float(np.max(np.abs(channels)))  # the samples themselves are points of the curve
    for channel in channels.T:
        peak = max(peak, float(np.max(np.abs(oversample(channel)))))
    return peak


def true_peak_db(samples: npt.ArrayLike, rate: int) -> float | None:
    """The true peak in dBTP, or None for silence."""
    peak = true_peak_linear(samples, rate)
    return 20.0 * math.log10(peak) if peak > 0.0 else None


# --- a look-ahead true-peak limiter -----------------------------------------------------

#: The limiter reaches its full reduction over this long before a peak (look-ahead), and
#: recovers over as long after it: long enough not to click, short enough to leave the
#: syllables around a plosive alone (10 ms took twice as much loudness off Piper speech).
LOOKAHEAD_MS = 3.0
#: It holds the reduction this long after a peak, so a burst of peaks is one dip,
#: not a flutter.
HOLD_MS = 10.0


def sample_peaks(samples: npt.ArrayLike, rate: int) -> npt.NDArray[np.float64]:
    """For each sample, the highest level of the curve around it (4× oversampled)."""
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    around = np.abs(oversample(x)).reshape(len(x), OVERSAMPLE).max(axis=1)
    peaks: npt.NDArray[np.float64] = np.maximum(around, np.abs(x))
    return peaks


def _window_min(values: npt.NDArray[np.float64], before: int, after: int
                ) -> npt.NDArray[np.float64]:
    """``min(values[i - before : i + after + 1])`` for every ``i`` (van Herk / Gil-Werman:
    linear time, whatever the window)."""
    width = before + after + 1
    n = len(values)
    padded = np.concatenate([np.ones(before), values, np.ones(after)])
    blocks = -(-len(padded) // width)
    grid = np.concatenate([padded, np.ones(blocks * width - len(padded))]).reshape(blocks, width)
    prefix = np.minimum.accumulate(grid, axis=1).reshape(-1)
    suffix = np.minimum.accumulate(grid[:, ::-1], axis=1)[:, ::-1].reshape(-1)
    starts = np.arange(n)
    out: npt.NDArray[np.float64] = np.minimum(suffix[starts], prefix[starts + width - 1])
    return out


def limiter_gain(samples: npt.ArrayLike, rate: int, ceiling_db: float
                 ) -> npt.NDArray[np.float64]:
    """A per-sample gain (≤ 1) that keeps the true peak under ``ceiling_db``: ramps down
    over the look-ahead before a peak, holds, ramps back up. Never a clipper: the
    waveform is only ever scaled, smoothly."""
    ceiling = 10.0 ** (ceiling_db / 20.0)
    peaks = sample_peaks(samples, rate)
    need = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    if np.all(need >= 1.0):
        return np.ones(len(need))
    width = max(1, round(LOOKAHEAD_MS / 1000.0 * rate))
    hold = round(HOLD_MS / 1000.0 * rate)
    # held[j] is at most need[p] for every peak p in [j, j + width]; the mean of held
    # over [n - width, n] is then at most need[p] at the peak itself.
    held = _window_min(need, hold, width)
    sums = np.concatenate([[0.0], np.cumsum(np.concatenate([np.ones(width), held]))])
    gain: npt.NDArray[np.float64] = (sums[width + 1:] - sums[1:len(held) + 1]) / width
    return np.minimum(gain, 1.0)
