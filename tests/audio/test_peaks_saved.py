"""The peaks pyramid in blocks: exact across its blocks' edges, saved and loaded back
(memory-mapped) equal to one built afresh, and refused when it does not fit the audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.audio.buffer import BlockBuffer
from app.audio.errors import AudioError
from app.audio.peaks import Peaks
from tests.audio.test_resample_peaks import brute

#: More level-0 bins (64 samples each) than one block of a level holds (65,536).
N = 64 * 65536 + 1_000_003


@pytest.fixture(scope="module")
def long_noise() -> tuple[np.ndarray, Peaks]:
    rng = np.random.default_rng(14)
    x = (0.3 * rng.standard_normal(N)).astype(np.float32)
    x[64 * 65536 - 5] = 0.99  # a loud sample just before a level block's edge
    peaks = Peaks()
    at = 0
    for size in rng.integers(1, 9000, 10_000):  # as a stream arrives, in uneven chunks
        peaks.append(x[at:at + size])
        at += int(size)
        if at >= N:
            break
    peaks.append(x[at:])
    return x, peaks


@pytest.mark.parametrize(("start", "width", "n"), [
    (64 * 65000, 64, 1000),          # level 0 across its first block edge
    (0, 4096, 1000),                 # level 3 (bins of 4,096)
    (0, 65536, 76),                  # level 5, nearly the whole take
    (64 * 65536 - 64 * 300, 256, 200)])
def test_aligned_pixels_are_exact_across_block_edges(long_noise: tuple[np.ndarray, Peaks],
                                                     start: int, width: int, n: int) -> None:
    x, peaks = long_noise
    mins, maxs = peaks.query(start, start + width * n, n, x)
    lo, hi = brute(x, start, start + width * n, n)
    np.testing.assert_array_equal(mins, lo)
    np.testing.assert_array_equal(maxs, hi)


def test_zoomed_in_reads_the_blocks_like_the_array(long_noise: tuple[np.ndarray, Peaks]
                                                   ) -> None:
    x, peaks = long_noise
    blocks = BlockBuffer()
    blocks.append(x)
    for start in (0, (1 << 19) - 500, N - 900):  # the second crosses the audio's block edge
        a = peaks.query(start, start + 1000, 1000, x)
        b = peaks.query(start, start + 1000, 1000, blocks)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


def test_saved_peaks_load_back_equal_to_fresh_ones(long_noise: tuple[np.ndarray, Peaks],
                                                   tmp_path: Path) -> None:
    x, peaks = long_noise
    path = tmp_path / "take.peaks"
    peaks.save(path)
    loaded = Peaks.load(path, N)
    fresh = Peaks()
    fresh.append(x)  # all at once: the same bins as built chunk by chunk
    assert loaded.equals(fresh) and peaks.equals(fresh)
    for start, end, n in [(0, N, 1200), (N // 3, N // 3 + 64 * 800, 800)]:
        for a, b in zip(loaded.query(start, end, n), fresh.query(start, end, n),
                        strict=True):
            np.testing.assert_array_equal(a, b)
    # Mapped, not read: the pyramid stays in the file until a paint asks for it.
    assert isinstance(loaded._levels[0].mins.read(0, 10).base, np.memmap)


def test_a_loaded_pyramid_keeps_growing(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal(300_037).astype(np.float32)
    first = Peaks()
    first.append(x[:200_001])
    first.save(tmp_path / "p.peaks")
    loaded = Peaks.load(tmp_path / "p.peaks", 200_001)
    loaded.append(x[200_001:])
    whole = Peaks()
    whole.append(x)
    assert loaded.equals(whole)


def test_peaks_that_do_not_fit_are_refused(tmp_path: Path) -> None:
    peaks = Peaks()
    peaks.append(np.linspace(-1, 1, 10_000, dtype=np.float32))
    path = tmp_path / "p.peaks"
    peaks.save(path)
    with pytest.raises(AudioError, match="not 9999"):
        Peaks.load(path, 9_999)  # the audio changed since
    path.write_bytes(path.read_bytes()[:-8])
    with pytest.raises(AudioError, match="truncated"):
        Peaks.load(path, 10_000)
    path.write_bytes(b"RIFF....WAVE")
    with pytest.raises(AudioError, match="not a peaks file"):
        Peaks.load(path, 10_000)
    with pytest.raises(AudioError):
        Peaks.load(tmp_path / "missing.peaks", 10_000)
