"""The blocked audio buffer: appends across block edges, readers on another thread see
exactly the frames appended, nothing already stored is ever copied, and a buffer laid
over an array (a memory-mapped WAV) shares it."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from app.audio.buffer import BlockBuffer


def ramp(n: int, first: int = 0) -> np.ndarray:
    # Frame i holds i: exact in float32 below 2**24, so any misplaced frame shows.
    return np.arange(first, first + n, dtype=np.float32)


def test_appends_across_block_edges_read_back_exactly() -> None:
    buffer = BlockBuffer(block_frames=100)
    rng = np.random.default_rng(1)
    total = 0
    for size in rng.integers(0, 260, 80):  # chunks shorter, longer, and several blocks
        first = buffer.append(ramp(int(size), total))
        assert first == total
        total += int(size)
    assert len(buffer) == buffer.written == total
    assert len(buffer.blocks) == -(-total // 100)
    np.testing.assert_array_equal(buffer.view(), ramp(total))
    for start, stop in [(0, 1), (99, 101), (100, 200), (150, 450), (total - 7, total + 50),
                        (5, 5), (-3, 10)]:
        np.testing.assert_array_equal(buffer.read(start, stop),
                                      ramp(total)[max(0, start):min(stop, total)])
        np.testing.assert_array_equal(buffer[max(0, start):stop],
                                      ramp(total)[max(0, start):min(stop, total)])
    np.testing.assert_array_equal(np.concatenate(list(buffer.iter_blocks(37, 777))),
                                  ramp(total)[37:777])
    out = np.zeros(333, np.float32)
    buffer.copy_to(out, 42)
    np.testing.assert_array_equal(out, ramp(total)[42:375])


def test_reads_are_read_only_and_views_within_a_block() -> None:
    buffer = BlockBuffer(block_frames=100)
    buffer.append(ramp(250))
    inside = buffer.read(110, 190)
    assert np.shares_memory(inside, buffer.blocks[1])  # no copy within one block
    across = buffer.read(90, 110)
    assert not across.flags.writeable and not inside.flags.writeable
    assert not buffer.contiguous
    with pytest.raises(ValueError):
        inside[0] = 1.0


def test_growing_never_moves_what_is_stored() -> None:
    # A doubling buffer copied every frame into a new array as it grew (an hour of
    # audio on the loop's thread); blocks stay where they are.
    buffer = BlockBuffer(block_frames=1000)
    buffer.append(ramp(1500))
    first_blocks = list(buffer.blocks)
    for i in range(200):
        buffer.append(ramp(777, 1500 + 777 * i))
    assert all(a is b for a, b in zip(first_blocks, buffer.blocks, strict=False))
    np.testing.assert_array_equal(buffer.view(), ramp(1500 + 777 * 200))


def test_a_reader_on_another_thread_sees_exactly_the_frames_appended() -> None:
    buffer = BlockBuffer(block_frames=997)  # odd: chunks straddle edges everywhere
    total = 400_000
    done = threading.Event()
    problems: list[str] = []
    reads = [0]

    def reader() -> None:
        while not done.is_set() or reads[0] == 0:
            written = buffer.written
            if written:
                # The newest frames (as the audio callback reads them), and everything.
                tail = np.zeros(min(written, 1500), np.float32)
                buffer.copy_to(tail, written - len(tail))
                if not np.array_equal(tail, ramp(len(tail), written - len(tail))):
                    problems.append(f"tail at {written}")
                if not np.array_equal(buffer.read(0, written), ramp(written)):
                    problems.append(f"prefix of {written}")
                reads[0] += 1

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        at = 0
        while at < total:
            buffer.append(ramp(1764, at))
            at += 1764
    finally:
        done.set()
        thread.join()
    assert not problems, problems[:5]
    assert reads[0] > 0


def test_over_an_array_shares_it_and_copies_only_the_last_block() -> None:
    frames = ramp(2550)
    frames.flags.writeable = False  # as a read-only memory map is
    buffer = BlockBuffer.over(frames, block_frames=1000)
    assert len(buffer) == 2550 and buffer.contiguous
    assert np.shares_memory(buffer.blocks[0], frames)
    assert np.shares_memory(buffer.blocks[1], frames)
    assert not np.shares_memory(buffer.blocks[2], frames)  # the last: it may grow
    whole = buffer.view()
    assert np.shares_memory(whole, frames)  # all of it, no copy
    buffer.append(ramp(900, 2550))  # the copied last block and a new one
    np.testing.assert_array_equal(buffer.view(), ramp(3450))
    assert not buffer.contiguous
    full = BlockBuffer.over(ramp(2000), block_frames=1000)  # ends on a block edge
    full.append(ramp(10, 2000))
    np.testing.assert_array_equal(full.view(), ramp(2010))


def test_overwriting_within_what_is_written() -> None:
    buffer = BlockBuffer(block_frames=10)
    buffer.append(ramp(25))
    buffer.write(18, np.full(12, -1.0, np.float32))
    expected = np.concatenate([ramp(18), np.full(12, -1.0, np.float32)])
    np.testing.assert_array_equal(buffer.view(), expected)
    with pytest.raises(ValueError):
        buffer.write(31, ramp(1))
