"""PCM codecs for Cartesia's raw encodings, vectorised and exact.

``pcm_f32le`` and ``pcm_s16le`` are plain little-endian samples. ``pcm_mulaw``
and ``pcm_alaw`` are ITU-T G.711: decoding uses the standard 256-entry tables
(16-bit linear values scaled to [-1, 1)), encoding the standard segment search,
so ``decode(encode(decode(b))) == decode(b)`` for every byte.

Decoded audio is always mono float32 in [-1, 1].
"""

from __future__ import annotations

from functools import cache
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from app.audio.errors import UnsupportedEncoding

Encoding = Literal["pcm_f32le", "pcm_s16le", "pcm_mulaw", "pcm_alaw"]
ENCODINGS: Final[tuple[Encoding, ...]] = ("pcm_f32le", "pcm_s16le", "pcm_mulaw", "pcm_alaw")
SAMPLE_RATES: Final[tuple[int, ...]] = (8000, 16000, 22050, 24000, 44100, 48000)

Float32Array = npt.NDArray[np.float32]

_S16_SCALE: Final = 32768.0
_FLOAT32: Final = np.dtype("<f4")


def bytes_per_sample(encoding: str) -> int:
    """Width of one sample of ``encoding`` on the wire."""
    return {"pcm_f32le": 4, "pcm_s16le": 2, "pcm_mulaw": 1, "pcm_alaw": 1}[
        check_encoding(encoding)
    ]


def check_encoding(encoding: str) -> Encoding:
    """Return ``encoding`` typed as :data:`Encoding`, or raise a clear error."""
    for known in ENCODINGS:
        if encoding == known:
            return known
    raise UnsupportedEncoding(encoding, ENCODINGS)


def decode(data: bytes, encoding: str) -> Float32Array:
    """Decode raw bytes of ``encoding`` to float32 samples.

    A trailing partial sample (possible only if a server splits samples across
    chunks) is ignored here; :class:`StreamDecoder` carries it over instead.
    """
    enc = check_encoding(encoding)
    width = bytes_per_sample(enc)
    usable = len(data) - len(data) % width
    view = memoryview(data)[:usable] if usable != len(data) else data
    if enc == "pcm_f32le":
        return np.frombuffer(view, dtype="<f4").copy()  # writable, and owns its memory
    if enc == "pcm_s16le":
        return (np.frombuffer(view, dtype="<i2").astype(np.float32) / _S16_SCALE).astype(
            np.float32
        )
    table = _mulaw_table() if enc == "pcm_mulaw" else _alaw_table()
    return table[np.frombuffer(view, dtype=np.uint8)]


def encode(samples: npt.ArrayLike, encoding: str) -> bytes:
    """Encode float samples in [-1, 1] to ``encoding`` (values outside are clipped)."""
    enc = check_encoding(encoding)
    x = np.asarray(samples, dtype=np.float32)
    if enc == "pcm_f32le":
        return x.astype("<f4").tobytes()
    pcm16 = float_to_s16(x)
    if enc == "pcm_s16le":
        return pcm16.astype("<i2").tobytes()
    table = _mulaw_encode_table() if enc == "pcm_mulaw" else _alaw_encode_table()
    return table[pcm16.astype(np.int32) + 32768].tobytes()


def float_to_s16(samples: npt.ArrayLike) -> npt.NDArray[np.int16]:
    """Round float samples to 16-bit integers, clipping at full scale."""
    x = np.asarray(samples, dtype=np.float64) * _S16_SCALE
    return np.clip(np.rint(x), -32768, 32767).astype(np.int16)


class StreamDecoder:
    """Decodes a byte stream split into arbitrary chunks.

    ``pcm_f32le`` chunks of whole samples come back as read-only views of their bytes.

    Cartesia sends whole samples per chunk in practice, but nothing promises
    it; a sample split across two chunks must not shift every later sample.
    """

    def __init__(self, encoding: str) -> None:
        self.encoding: Encoding = check_encoding(encoding)
        self._width = bytes_per_sample(self.encoding)
        self._carry = b""
        # Float chunks need no conversion: the usual case, decoded in one step.
        self._float = self.encoding == "pcm_f32le"

    def feed(self, data: bytes) -> Float32Array:
        if self._carry:
            data = self._carry + data
        elif self._float and not len(data) & 3:  # whole samples (every chunk in practice)
            # A read-only view of the chunk's bytes: its consumers store or copy it
            # (a take keeps its arrays read-only), so a copy per chunk bought nothing.
            return np.frombuffer(data, dtype=_FLOAT32)
        cut = len(data) - len(data) % self._width
        if cut == len(data):  # the usual case: no copy of the chunk
            self._carry = b""
            return decode(data, self.encoding)
        self._carry = data[cut:]
        return decode(data[:cut], self.encoding)

    @property
    def pending_bytes(self) -> int:
        return len(self._carry)


# --- G.711 tables -----------------------------------------------------------


@cache
def _mulaw_table() -> Float32Array:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent = (u >> 4) & 0x07
    mantissa = u & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    linear = np.where(u & 0x80, -magnitude, magnitude)
    table: Float32Array = (linear / _S16_SCALE).astype(np.float32)
    table.setflags(write=False)
    return table


@cache
def _alaw_table() -> Float32Array:
    a = np.arange(256, dtype=np.int32) ^ 0x55
    segment = (a >> 4) & 0x07
    t = (a & 0x0F) << 4
    t = np.where(segment == 0, t + 8, (t + 0x108) << np.maximum(segment - 1, 0))
    linear = np.where(a & 0x80, t, -t)
    table: Float32Array = (linear / _S16_SCALE).astype(np.float32)
    table.setflags(write=False)
    return table


def _segment(value: npt.NDArray[np.int32], ends: tuple[int, ...]) -> npt.NDArray[np.int32]:
    """Index of the first segment end >= value (8 when beyond the last)."""
    return np.searchsorted(np.asarray(ends), value, side="left").astype(np.int32)


@cache
def _mulaw_encode_table() -> npt.NDArray[np.uint8]:
    pcm = np.arange(-32768, 32768, dtype=np.int32) >> 2
    mask = np.where(pcm < 0, 0x7F, 0xFF)
    mag = np.minimum(np.abs(pcm), 8159) + (0x84 >> 2)
    seg = _segment(mag, (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF))
    uval = (seg << 4) | ((mag >> (np.minimum(seg, 7) + 1)) & 0x0F)
    out = np.where(seg >= 8, 0x7F ^ mask, uval ^ mask).astype(np.uint8)
    out.setflags(write=False)
    return out


@cache
def _alaw_encode_table() -> npt.NDArray[np.uint8]:
    pcm = np.arange(-32768, 32768, dtype=np.int32) >> 3
    mask = np.where(pcm >= 0, 0xD5, 0x55)
    mag = np.where(pcm >= 0, pcm, -pcm - 1)
    seg = _segment(mag, (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF))
    shift = np.where(seg < 2, 1, np.minimum(seg, 7))
    aval = (np.minimum(seg, 7) << 4) | ((mag >> shift) & 0x0F)
    out = np.where(seg >= 8, 0x7F ^ mask, aval ^ mask).astype(np.uint8)
    out.setflags(write=False)
    return out
