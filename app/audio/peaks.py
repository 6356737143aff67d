"""A min/max pyramid built as audio arrives, so drawing costs O(pixels).

Level 0 holds the min and max of every ``base`` samples (64 by default);
each level above merges ``fanout`` (4) bins of the one below. A query for
``n`` pixels over a span picks the coarsest level whose bins are no wider
than a pixel and reduces at most ``fanout`` bins per pixel (plus a partial
bin at each edge); below ``base`` samples per pixel it reads the samples.

A pixel's extremes always include all of its samples; where a pixel edge
falls inside a bin they may also include that bin's other samples (at most
one bin beyond each edge), which is invisible at that zoom.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from app.audio.codecs import Float32Array

_EMPTY = np.zeros(0, dtype=np.float32)


class _Level:
    def __init__(self, capacity: int) -> None:
        self.mins = np.zeros(capacity, dtype=np.float32)
        self.maxs = np.zeros(capacity, dtype=np.float32)
        self.count = 0

    def ensure(self, n: int) -> None:
        if n > len(self.mins):
            size = max(n, 2 * len(self.mins))
            for name in ("mins", "maxs"):
                old = getattr(self, name)
                new = np.zeros(size, dtype=np.float32)
                new[:self.count] = old[:self.count]
                setattr(self, name, new)


class Peaks:
    def __init__(self, base: int = 64, fanout: int = 4, levels: int = 8) -> None:
        self.base = base
        self.fanout = fanout
        self._levels = [_Level(1024) for _ in range(levels)]
        self._tail = np.zeros(0, dtype=np.float32)  # samples of the last, partial bin
        self.n_samples = 0

    def bin_width(self, level: int) -> int:
        return int(self.base * self.fanout ** level)

    def append(self, samples: npt.ArrayLike) -> None:
        """Add samples at the end; updates only the bins they touch."""
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if len(x) == 0:
            return
        start_sample = self.n_samples - len(self._tail)
        data = np.concatenate([self._tail, x]) if len(self._tail) else x
        self.n_samples += len(x)
        first_bin = start_sample // self.base
        n_bins = -(-len(data) // self.base)
        level0 = self._levels[0]
        level0.ensure(first_bin + n_bins)
        padded = np.empty(n_bins * self.base, dtype=np.float32)
        padded[:len(data)] = data
        padded[len(data):] = data[-1]  # a partial bin's extremes come from real samples
        blocks = padded.reshape(n_bins, self.base)
        level0.mins[first_bin:first_bin + n_bins] = blocks.min(axis=1)
        level0.maxs[first_bin:first_bin + n_bins] = blocks.max(axis=1)
        level0.count = first_bin + n_bins
        whole = len(data) // self.base * self.base
        self._tail = data[whole:].copy()
        # Rebuild the touched bins of every level above from the one below.
        lo = first_bin
        for below, level in zip(self._levels, self._levels[1:], strict=False):
            lo //= self.fanout
            hi = -(-below.count // self.fanout)
            level.ensure(hi)
            span = below.count - lo * self.fanout
            pad = (hi - lo) * self.fanout - span
            mins = below.mins[lo * self.fanout:below.count]
            maxs = below.maxs[lo * self.fanout:below.count]
            if pad:
                mins = np.concatenate([mins, np.full(pad, mins[-1], np.float32)])
                maxs = np.concatenate([maxs, np.full(pad, maxs[-1], np.float32)])
            level.mins[lo:hi] = mins.reshape(-1, self.fanout).min(axis=1)
            level.maxs[lo:hi] = maxs.reshape(-1, self.fanout).max(axis=1)
            level.count = hi

    def query(self, start: int, end: int, n_pixels: int,
              samples: Float32Array | None = None) -> tuple[Float32Array, Float32Array]:
        """Min and max per pixel for samples ``[start, end)``; zeros beyond the audio.

        ``samples`` (the take's audio) is needed only when a pixel is narrower
        than ``base`` samples.
        """
        if n_pixels <= 0:
            return _EMPTY, _EMPTY
        mins = np.zeros(n_pixels, dtype=np.float32)
        maxs = np.zeros(n_pixels, dtype=np.float32)
        span = max(1, end - start)
        per_pixel = span / n_pixels
        all_edges = start + (np.arange(n_pixels + 1, dtype=np.int64) * span) // n_pixels
        # Pixels that start beyond the audio received so far stay at zero.
        k = int(np.searchsorted(all_edges[:-1], self.n_samples, side="left"))
        if k == 0:
            return mins, maxs
        end = min(end, self.n_samples)
        edges = np.minimum(all_edges[:k + 1], end)
        out_mins, out_maxs = mins[:k], maxs[:k]
        if per_pixel < self.base:
            if samples is None:
                raise ValueError("zoomed in below one bin per pixel: pass the samples")
            # With fewer samples than pixels, equal indices give that one sample.
            lo = np.minimum(edges[:-1], end - 1)
            out_mins[:] = np.minimum.reduceat(samples[:end], lo)
            out_maxs[:] = np.maximum.reduceat(samples[:end], lo)
            return mins, maxs
        level_index = 0
        while (level_index + 1 < len(self._levels)
               and self.bin_width(level_index + 1) <= per_pixel):
            level_index += 1
        level = self._levels[level_index]
        width = self.bin_width(level_index)
        # Pixel i covers bins [edges[i] // width, ceil(edges[i+1] / width)): reduceat
        # covers up to the next pixel's first bin, and the bin a pixel shares with
        # its right neighbour (an edge inside a bin) is folded in after.
        lo = edges[:-1] // width
        count = min(level.count, -(-end // width))  # the last pixel stops at ``end``
        out_mins[:] = np.minimum.reduceat(level.mins[:count], lo)
        out_maxs[:] = np.maximum.reduceat(level.maxs[:count], lo)
        shared = (edges[1:] % width != 0) & (edges[1:] // width < count)
        nxt = np.minimum(edges[1:] // width, count - 1)
        out_mins[shared] = np.minimum(out_mins[shared], level.mins[nxt[shared]])
        out_maxs[shared] = np.maximum(out_maxs[shared], level.maxs[nxt[shared]])
        return mins, maxs
