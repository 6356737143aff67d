"""Float32 frames kept in fixed blocks, written on one thread and read, without locks,
on others.

A take's audio lives in one: the receiving loop appends, the PortAudio callback and
the painter read. Storage grows a block at a time (2**19 frames, 12 s at 44.1 kHz,
2 MiB), so an append never copies what came before (a doubling array copied the
whole take, hundreds of megabytes for an hour, on the loop's thread) and a full take
costs its frames plus at most one block.

Readers read :attr:`BlockBuffer.written` first, then the blocks: the writer adds a
block to the list, fills it and raises ``written`` last, so every frame below the
``written`` a reader saw is in a block it can reach. Frame ``i`` is always in block
``i // block_frames`` at ``i % block_frames``: finding it costs no search.

A buffer can also be laid over an array that already holds the frames (a take's
WAV file, memory-mapped) without copying it (:meth:`BlockBuffer.over`).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from app.audio.codecs import Float32Array

#: Frames per block: a power of two, so a peaks bin (64 frames, 4**k of them above)
#: never straddles two blocks below the top levels.
BLOCK_FRAMES = 1 << 19


class BlockBuffer:
    __slots__ = ("_whole", "block_frames", "blocks", "written")

    def __init__(self, block_frames: int = BLOCK_FRAMES) -> None:
        if block_frames <= 0:
            raise ValueError(f"a block holds at least one frame, not {block_frames}")
        self.block_frames = block_frames
        self.blocks: list[Float32Array] = []
        self.written = 0
        # The frames as one array when the buffer was laid over one (see over()).
        self._whole: Float32Array | None = None

    @classmethod
    def over(cls, frames: Float32Array, block_frames: int = BLOCK_FRAMES) -> BlockBuffer:
        """A buffer whose blocks are views of ``frames`` (no copy: a memory-mapped file
        stays on disk until read), except the last block, copied so it can grow."""
        buffer = cls(block_frames)
        whole = len(frames) // block_frames * block_frames
        if whole == len(frames) and whole:
            whole -= block_frames  # the last block is copied even when full
        buffer.blocks = [frames[i:i + block_frames] for i in range(0, whole, block_frames)]
        if len(frames) > whole:
            last = np.zeros(block_frames, dtype=np.float32)
            last[:len(frames) - whole] = frames[whole:]
            buffer.blocks.append(last)
        buffer._whole = frames
        buffer.written = len(frames)
        return buffer

    # --- writing (one thread) ------------------------------------------------

    def append(self, samples: npt.ArrayLike) -> int:
        """Add frames at the end; returns the index of the first one added."""
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        first = self.written
        self._store(first, x)
        self.written = first + len(x)  # published last: frames below it are complete
        return first

    def write(self, start: int, samples: npt.ArrayLike) -> None:
        """Overwrite frames from ``start`` (at most :attr:`written`), growing as needed."""
        if not 0 <= start <= self.written:
            raise ValueError(f"cannot write at frame {start} of {self.written}")
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        self._store(start, x)
        self.written = max(self.written, start + len(x))

    def _store(self, start: int, x: Float32Array) -> None:
        size, done, total = self.block_frames, 0, len(x)
        if self._whole is not None and start < len(self._whole):
            self._whole = None  # rewritten: the frames are no longer that array's
        while done < total:
            index, offset = divmod(start + done, size)
            if index == len(self.blocks):
                self.blocks.append(np.zeros(size, dtype=np.float32))
            n = min(size - offset, total - done)
            self.blocks[index][offset:offset + n] = x[done:done + n]
            done += n

    # --- reading (any thread) ------------------------------------------------

    def copy_to(self, out: npt.NDArray[np.float32], start: int) -> None:
        """Fill ``out`` with the frames from ``start`` on (all below :attr:`written`);
        allocates no array, so the audio callback can use it."""
        size, blocks, done, total = self.block_frames, self.blocks, 0, len(out)
        while done < total:
            index, offset = divmod(start + done, size)
            n = min(size - offset, total - done)
            out[done:done + n] = blocks[index][offset:offset + n]
            done += n

    def read(self, start: int = 0, stop: int | None = None) -> Float32Array:
        """Frames ``[start, stop)`` (clamped to those written) as one read-only array: a
        view within one block, a copy across blocks (O(stop - start))."""
        written = self.written
        stop = written if stop is None else max(0, min(stop, written))
        start = max(0, min(start, stop))
        size = self.block_frames
        whole = self._whole
        if whole is not None and stop <= len(whole):
            out = whole[start:stop]
        elif start // size == (stop - 1) // size or start == stop:
            index = start // size
            block = self.blocks[index] if start < stop else np.zeros(0, np.float32)
            out = block[start - index * size:stop - index * size]
        else:
            out = np.empty(stop - start, dtype=np.float32)
            self.copy_to(out, start)
        out = out.view()
        out.flags.writeable = False
        return out

    def view(self) -> Float32Array:
        """Every frame so far as one read-only array (a copy when they span blocks)."""
        return self.read()

    def iter_blocks(self, start: int = 0, stop: int | None = None) -> Iterator[Float32Array]:
        """The frames ``[start, stop)`` block by block, as read-only views (no copy)."""
        stop = self.written if stop is None else min(stop, self.written)
        size = self.block_frames
        while start < stop:
            index, offset = divmod(start, size)
            n = min(size - offset, stop - start)
            out = self.blocks[index][offset:offset + n].view()
            out.flags.writeable = False
            yield out
            start += n

    @property
    def contiguous(self) -> bool:
        """Whether :meth:`view` costs no copy (one block, or laid over one array)."""
        return (self._whole is not None and self.written <= len(self._whole)) or \
            self.written <= self.block_frames

    def __getitem__(self, index: slice) -> Float32Array:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("a block buffer is read by contiguous slices")
        start, stop, _ = index.indices(self.written)
        return self.read(start, stop)

    def __len__(self) -> int:
        return self.written
