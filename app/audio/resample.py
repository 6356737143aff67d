"""Streaming sample-rate conversion: rational polyphase windowed-sinc (Kaiser, β = 8.6).

Used when an output device refuses the take's rate. For rates L/M apart (after
dividing by their gcd), every output sample is a 32-tap dot product with one of
L sub-filters of a low-pass prototype cut at 0.95 × the lower Nyquist
frequency: stop-band about -85 dB, pass-band flat to 0.01 dB up to 90 % of
Nyquist. State carries across chunks, so splitting the input anywhere gives
the same output; the group delay of ``taps / 2`` input samples is removed.
"""

from __future__ import annotations

from math import gcd

import numpy as np
import numpy.typing as npt

from app.audio.codecs import Float32Array


def _bank(up: int, down: int, taps: int) -> npt.NDArray[np.float64]:
    """Row ``p``: the weights of inputs ``n0 - taps/2 + 1 … n0 + taps/2`` for an output
    that falls ``p / up`` of a sample after input ``n0``."""
    cutoff = 0.5 * min(1.0, up / down) * 0.95  # cycles per input sample
    half = taps // 2
    phases = np.arange(up, dtype=np.float64)[:, None] / up
    offsets = phases + half - 1 - np.arange(taps, dtype=np.float64)[None, :]
    window = np.i0(8.6 * np.sqrt(np.clip(1 - (2 * offsets / taps) ** 2, 0, None))) / np.i0(8.6)
    return 2 * cutoff * np.sinc(2 * cutoff * offsets) * window


class Resampler:
    def __init__(self, src_rate: int, dst_rate: int, taps: int = 32) -> None:
        g = gcd(src_rate, dst_rate)
        self.src_rate, self.dst_rate = src_rate, dst_rate
        self.up, self.down = dst_rate // g, src_rate // g
        self.taps = taps
        self._bank = _bank(self.up, self.down, taps)
        # Input history: taps/2 zeros of "past" so the first outputs are defined.
        self._history = np.zeros(taps // 2, dtype=np.float64)
        self._first = -(taps // 2)  # absolute input index of _history[0]
        self._consumed = 0  # input samples seen
        self._k = 0  # next output index

    @property
    def identity(self) -> bool:
        return self.up == self.down

    def _emit(self, limit: int) -> Float32Array:
        """Outputs whose whole window lies below absolute input index ``limit``."""
        half = self.taps // 2
        # Output k sits at input position k*down/up; its window spans
        # [n0 - half + 1, n0 + half] with n0 = floor(k*down/up).
        # floor(k*down/up) + half < limit  <=>  k < (limit - half) * up / down
        k_end = max(self._k, -(-(limit - half) * self.up // self.down))
        if k_end == self._k:
            return np.zeros(0, dtype=np.float32)
        ks = np.arange(self._k, k_end, dtype=np.int64)
        n0 = (ks * self.down) // self.up
        phase = (ks * self.down) % self.up
        start = n0 - half + 1 - self._first
        idx = start[:, None] + np.arange(self.taps)[None, :]
        windows = self._history[idx]
        out: npt.NDArray[np.float64] = np.einsum("kt,kt->k", windows, self._bank[phase])
        self._k = k_end
        # Drop history no later output can need.
        keep_from = (self._k * self.down) // self.up - half + 1 - self._first
        if keep_from > 0:
            self._history = self._history[keep_from:]
            self._first += keep_from
        return out.astype(np.float32)

    #: Input converted per numpy call. Larger blocks hold the GIL for tens of
    #: milliseconds (a Piper sentence arrives at once), which stalls the window's
    #: thread while the offline engine runs in the same process.
    BLOCK = 2048

    def process(self, samples: npt.ArrayLike) -> Float32Array:
        x = np.asarray(samples, dtype=np.float32)
        if self.identity:
            return x.copy()
        out = []
        for begin in range(0, len(x), self.BLOCK):
            block = x[begin:begin + self.BLOCK]
            self._history = np.concatenate([self._history, block.astype(np.float64)])
            self._consumed += len(block)
            out.append(self._emit(self._first + len(self._history)))
        return np.concatenate(out) if out else np.zeros(0, np.float32)

    def flush(self) -> Float32Array:
        """The remaining outputs, as if silence followed; the total is round(n × L / M)."""
        if self.identity:
            return np.zeros(0, dtype=np.float32)
        total = -(-self._consumed * self.up // self.down)  # ceil
        self._history = np.concatenate([self._history, np.zeros(self.taps)])
        out = self._emit(self._first + len(self._history))
        return out[: max(0, total - (self._k - len(out)))]


def resample(samples: npt.ArrayLike, src_rate: int, dst_rate: int) -> Float32Array:
    """Whole-signal conversion with :class:`Resampler`."""
    r = Resampler(src_rate, dst_rate)
    return np.concatenate([r.process(samples), r.flush()])
