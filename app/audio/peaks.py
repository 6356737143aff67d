"""A min/max pyramid built as audio arrives, so drawing costs O(pixels).

Level 0 holds the min and max of every ``base`` samples (64 by default);
each level above merges ``fanout`` (4) bins of the one below. A query for
``n`` pixels over a span picks the coarsest level whose bins are no wider
than a pixel and reduces at most ``fanout`` bins per pixel (plus a partial
bin at each edge); below ``base`` samples per pixel it reads the samples.

A pixel's extremes always include all of its samples; where a pixel edge
falls inside a bin they may also include that bin's other samples (at most
one bin beyond each edge), which is invisible at that zoom.

The pyramid is saved beside a take (:meth:`Peaks.save`) and read back memory-mapped
(:meth:`Peaks.load`): reopening an hour-long take reads only the bins a paint asks
for, not the hour of audio.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np
import numpy.typing as npt

from app.atomic import atomic_write
from app.audio.buffer import BlockBuffer
from app.audio.codecs import Float32Array
from app.audio.errors import AudioError

_EMPTY = np.zeros(0, dtype=np.float32)
#: Bins per block of a level (256 KiB of float32): a level grows without copying.
_LEVEL_BLOCK = 1 << 16
#: A peaks file: this, the length of a JSON header, the header, then each level's
#: minima and maxima (float32, little-endian) from a 64-byte boundary.
_MAGIC = b"VBPEAKS1"


class _Level:
    """One level's bins in blocks: growing never copies the bins already built."""

    def __init__(self, mins: BlockBuffer | None = None, maxs: BlockBuffer | None = None
                 ) -> None:
        self.mins = mins if mins is not None else BlockBuffer(_LEVEL_BLOCK)
        self.maxs = maxs if maxs is not None else BlockBuffer(_LEVEL_BLOCK)

    @property
    def count(self) -> int:
        return min(self.mins.written, self.maxs.written)

    def set(self, first: int, mins: Float32Array, maxs: Float32Array) -> None:
        # The maxima last: a reader takes ``count`` from the smaller of the two.
        self.mins.write(first, mins)
        self.maxs.write(first, maxs)


class Peaks:
    def __init__(self, base: int = 64, fanout: int = 4, levels: int = 8) -> None:
        self.base = base
        self.fanout = fanout
        self._levels = [_Level() for _ in range(levels)]
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
        first_bin = start_sample // self.base
        starts = np.arange(0, len(data), self.base)  # reduceat: a partial bin reduces alone
        self._levels[0].set(first_bin, np.minimum.reduceat(data, starts),
                            np.maximum.reduceat(data, starts))
        whole = len(data) // self.base * self.base
        self._tail = data[whole:].copy()
        # Rebuild the touched bins of every level above from the one below.
        # reduceat over every ``fanout``-th bin also reduces the partial group at the end.
        lo, fanout = first_bin, self.fanout
        for below, level in zip(self._levels, self._levels[1:], strict=False):
            lo //= fanout
            count = below.count
            mins = below.mins.read(lo * fanout, count)
            maxs = below.maxs.read(lo * fanout, count)
            groups = np.arange(0, len(mins), fanout)
            level.set(lo, np.minimum.reduceat(mins, groups), np.maximum.reduceat(maxs, groups))
        self.n_samples += len(x)  # last: a reader never asks for bins not built yet

    def query(self, start: int, end: int, n_pixels: int,
              samples: Float32Array | BlockBuffer | None = None
              ) -> tuple[Float32Array, Float32Array]:
        """Min and max per pixel for samples ``[start, end)``; zeros beyond the audio.

        ``samples`` (the take's audio, an array or its blocks) is needed only when a
        pixel is narrower than ``base`` samples; only the span asked for is read.
        """
        if n_pixels <= 0:
            return _EMPTY, _EMPTY
        mins = np.zeros(n_pixels, dtype=np.float32)
        maxs = np.zeros(n_pixels, dtype=np.float32)
        span = max(1, end - start)
        per_pixel = span / n_pixels
        all_edges = start + (np.arange(n_pixels + 1, dtype=np.int64) * span) // n_pixels
        # Pixels that start beyond the audio received so far stay at zero.
        n_samples = self.n_samples
        k = int(np.searchsorted(all_edges[:-1], n_samples, side="left"))
        if k == 0:
            return mins, maxs
        end = min(end, n_samples)
        edges = np.minimum(all_edges[:k + 1], end)
        out_mins, out_maxs = mins[:k], maxs[:k]
        if per_pixel < self.base:
            if samples is None:
                raise ValueError("zoomed in below one bin per pixel: pass the samples")
            # With fewer samples than pixels, equal indices give that one sample.
            lo = np.minimum(edges[:-1], end - 1)
            first = int(lo[0])
            part = samples[first:end]
            out_mins[:] = np.minimum.reduceat(part, lo - first)
            out_maxs[:] = np.maximum.reduceat(part, lo - first)
            return mins, maxs
        level_index = 0
        while (level_index + 1 < len(self._levels)
               and self.bin_width(level_index + 1) <= per_pixel):
            level_index += 1
        level = self._levels[level_index]
        width = self.bin_width(level_index)
        # Pixel i covers bins [edges[i] // width, ceil(edges[i+1] / width)): reduceat
        # covers up to the next pixel's first bin, and the bin a pixel shares with
        # its right neighbour (an edge inside a bin) is folded in after. Only the
        # bins of the span are read (a view, or a copy across a level's blocks).
        lo = edges[:-1] // width
        count = min(level.count, -(-end // width))  # the last pixel stops at ``end``
        first = int(lo[0])
        level_mins, level_maxs = level.mins.read(first, count), level.maxs.read(first, count)
        out_mins[:] = np.minimum.reduceat(level_mins, lo - first)
        out_maxs[:] = np.maximum.reduceat(level_maxs, lo - first)
        shared = (edges[1:] % width != 0) & (edges[1:] // width < count)
        nxt = np.minimum(edges[1:] // width, count - 1) - first
        out_mins[shared] = np.minimum(out_mins[shared], level_mins[nxt[shared]])
        out_maxs[shared] = np.maximum(out_maxs[shared], level_maxs[nxt[shared]])
        return mins, maxs

    # --- kept with a take ----------------------------------------------------

    def save(self, path: str | os.PathLike[str], *, private: bool = False) -> None:
        """Write the pyramid (atomically) so :meth:`load` need not rebuild it."""
        counts = [level.count for level in self._levels]
        header = json.dumps({"base": self.base, "fanout": self.fanout,
                             "n_samples": self.n_samples, "counts": counts,
                             "tail": len(self._tail)}).encode()
        start = len(_MAGIC) + 4 + len(header)
        with atomic_write(path, overwrite=True, private=private) as handle:
            handle.write(_MAGIC + struct.pack("<I", len(header)) + header
                         + bytes(-start % 64))
            for level in self._levels:
                for bins in (level.mins, level.maxs):
                    for block in bins.iter_blocks(0, level.count):
                        handle.write(block.astype("<f4").tobytes())
            handle.write(self._tail.astype("<f4").tobytes())

    @classmethod
    def load(cls, path: str | os.PathLike[str], n_samples: int) -> Peaks:
        """The pyramid :meth:`save` wrote for ``n_samples`` samples, memory-mapped (its
        bins are read when a paint asks for them); :class:`AudioError` when the file
        is missing, damaged or for other audio."""
        try:
            with open(path, "rb") as handle:
                intro = handle.read(len(_MAGIC) + 4)
                if len(intro) < len(_MAGIC) + 4 or intro[:len(_MAGIC)] != _MAGIC:
                    raise AudioError(f"{path} is not a peaks file")
                length = struct.unpack("<I", intro[-4:])[0]
                header = json.loads(handle.read(length))
            size = Path(path).stat().st_size
            base, fanout = int(header["base"]), int(header["fanout"])
            counts = [int(c) for c in header["counts"]]
            tail, stored = int(header["tail"]), int(header["n_samples"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AudioError(f"cannot read the peaks file {path}: {exc}") from None
        if stored != n_samples:
            raise AudioError(f"{path} holds the peaks of {stored} samples, not {n_samples}")
        start = len(_MAGIC) + 4 + length
        offset = start + -start % 64
        total = 2 * sum(counts) + tail
        if size != offset + 4 * total or not counts:
            raise AudioError(f"the peaks file {path} is truncated or damaged")
        try:
            values: Float32Array = np.memmap(path, dtype="<f4", mode="r", offset=offset,
                                             shape=(total,))
        except (OSError, ValueError) as exc:
            raise AudioError(f"cannot map the peaks file {path}: {exc}") from None
        peaks = cls(base, fanout, len(counts))
        at = 0
        for i, count in enumerate(counts):
            mins, maxs = values[at:at + count], values[at + count:at + 2 * count]
            peaks._levels[i] = _Level(BlockBuffer.over(mins, _LEVEL_BLOCK),
                                      BlockBuffer.over(maxs, _LEVEL_BLOCK))
            at += 2 * count
        peaks._tail = np.array(values[at:at + tail], dtype=np.float32)
        peaks.n_samples = n_samples
        return peaks

    def equals(self, other: Peaks) -> bool:
        """The same bins at every level (a loaded pyramid against a rebuilt one)."""
        if (self.base, self.fanout, self.n_samples, len(self._levels)) != (
                other.base, other.fanout, other.n_samples, len(other._levels)):
            return False
        return all(a.count == b.count and np.array_equal(a.mins.read(), b.mins.read())
                   and np.array_equal(a.maxs.read(), b.maxs.read())
                   for a, b in zip(self._levels, other._levels, strict=True)) and \
            np.array_equal(self._tail, other._tail)
