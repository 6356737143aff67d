"""A float32 buffer that grows on one thread and is read, without locks, on others.

A take's audio and the player's both live in one: the receiving loop appends,
the PortAudio callback and the painter read. The array doubles when full, so
appending is amortised O(1). Readers take :meth:`GrowingBuffer.snapshot`, which
reads ``written`` before the array: every frame below ``written`` is then in
that array, whether it is the old one or the grown one (the writer copies into
the new array, publishes it, writes the new frames, and raises ``written`` last).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from app.audio.codecs import Float32Array


class GrowingBuffer:
    __slots__ = ("array", "written")

    def __init__(self, capacity: int = 0) -> None:
        self.array: Float32Array = np.zeros(max(1, capacity), dtype=np.float32)
        self.written = 0

    def append(self, samples: npt.ArrayLike) -> int:
        """Add frames (one thread only); returns the index of the first one added."""
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        first = self.written
        need = first + len(x)
        if need > len(self.array):
            grown = np.zeros(max(need, 2 * len(self.array)), dtype=np.float32)
            grown[:first] = self.array[:first]
            self.array = grown  # readers now get the new array
        self.array[first:need] = x
        self.written = need  # published last: frames below it are complete
        return first

    def snapshot(self) -> tuple[Float32Array, int]:
        """The array and how many frames of it are complete (any thread)."""
        written = self.written
        return self.array, written

    def view(self) -> Float32Array:
        """The frames so far, read-only."""
        array, written = self.snapshot()
        out = array[:written]
        out.flags.writeable = False
        return out

    def __len__(self) -> int:
        return self.written
