"""WAV files: exact write (16-bit with optional TPDF dither, 24-bit, 32-bit float) and read.

Writes are atomic (:mod:`app.atomic`); an existing file is kept unless
``overwrite`` is set.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from app.atomic import atomic_write
from app.audio.codecs import Float32Array, float_to_s16
from app.audio.errors import WavError

WavFormat = Literal["pcm16", "pcm24", "float32"]
WAV_FORMATS: tuple[WavFormat, ...] = ("pcm16", "pcm24", "float32")

_WAVE_FORMAT_PCM = 1
_WAVE_FORMAT_IEEE_FLOAT = 3


def _dithered_s16(samples: Float32Array, rng: np.random.Generator) -> npt.NDArray[np.int16]:
    # TPDF: the sum of two uniform variables of ±0.5 LSB each decorrelates the
    # rounding error from the signal, so quiet tails fade instead of buzzing.
    noise = rng.uniform(-0.5, 0.5, samples.shape) + rng.uniform(-0.5, 0.5, samples.shape)
    return float_to_s16(samples.astype(np.float64) + noise / 32768.0)


def encode_wav(samples: npt.ArrayLike, sample_rate: int, fmt: WavFormat = "pcm16", *,
               dither: bool = True, seed: int | None = None) -> bytes:
    """The bytes of a mono WAV file. ``dither`` applies to ``pcm16`` and ``pcm24`` only."""
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    if fmt == "float32":
        body, tag, bits = x.astype("<f4").tobytes(), _WAVE_FORMAT_IEEE_FLOAT, 32
    elif fmt == "pcm16":
        pcm = _dithered_s16(x, np.random.default_rng(seed)) if dither else float_to_s16(x)
        body, tag, bits = pcm.astype("<i2").tobytes(), _WAVE_FORMAT_PCM, 16
    elif fmt == "pcm24":
        scaled = x.astype(np.float64) * 8388608.0
        if dither:
            rng = np.random.default_rng(seed)
            scaled += rng.uniform(-0.5, 0.5, x.shape) + rng.uniform(-0.5, 0.5, x.shape)
        ints = np.clip(np.rint(scaled), -8388608, 8388607).astype("<i4")
        body, tag, bits = ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes(), _WAVE_FORMAT_PCM, 24
    else:
        raise WavError(f"unknown WAV format {fmt!r}; use one of {', '.join(WAV_FORMATS)}")
    block = bits // 8
    fmt_chunk = struct.pack("<HHIIHH", tag, 1, sample_rate, sample_rate * block, block, bits)
    chunks = b"fmt " + struct.pack("<I", len(fmt_chunk)) + fmt_chunk
    if tag == _WAVE_FORMAT_IEEE_FLOAT:
        # Non-PCM formats need a fact chunk (sample count) per the RIFF spec.
        chunks += b"fact" + struct.pack("<II", 4, len(x))
    chunks += b"data" + struct.pack("<I", len(body)) + body
    if len(body) % 2:
        chunks += b"\0"
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def write_wav(path: str | os.PathLike[str], samples: npt.ArrayLike, sample_rate: int,
              fmt: WavFormat = "pcm16", *, dither: bool = True, overwrite: bool = False,
              seed: int | None = None, private: bool = False) -> None:
    """Write a mono WAV file atomically (``private``: readable by the user only)."""
    data = encode_wav(samples, sample_rate, fmt, dither=dither, seed=seed)
    with atomic_write(path, overwrite=overwrite, private=private) as handle:
        handle.write(data)


@dataclass(frozen=True)
class WavData:
    samples: Float32Array  # mono float32; multichannel files are averaged
    sample_rate: int
    fmt: WavFormat
    channels: int


def read_wav(path: str | os.PathLike[str]) -> WavData:
    """Read a PCM (16/24/32-bit) or float WAV file."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise WavError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return decode_wav_bytes(data, str(path))


def decode_wav_bytes(data: bytes, path: str = "the data") -> WavData:
    """Decode a whole WAV file held in memory (a downloaded preview clip, say)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise WavError(f"{path} is not a WAV file")
    pos, fmt_info, body = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        payload = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt_info = struct.unpack("<HHIIHH", payload[:16])
        elif cid == b"data":
            body = payload
        pos += 8 + size + (size & 1)
    if fmt_info is None or body is None:
        raise WavError(f"{path} lacks a fmt or data chunk")
    tag, channels, rate, _, _, bits = fmt_info
    if tag == 0xFFFE:  # WAVE_FORMAT_EXTENSIBLE: the real tag is in the sub-format
        tag = _WAVE_FORMAT_IEEE_FLOAT if bits == 32 and payload_sub(data) == b"\x03\x00" else 1
    frames: npt.NDArray[np.float64]
    if tag == _WAVE_FORMAT_IEEE_FLOAT and bits == 32:
        frames, fmt = np.frombuffer(body, "<f4").astype(np.float64), "float32"
    elif tag == _WAVE_FORMAT_PCM and bits == 16:
        frames, fmt = np.frombuffer(body[: len(body) // 2 * 2], "<i2") / 32768.0, "pcm16"
    elif tag == _WAVE_FORMAT_PCM and bits == 24:
        raw = np.frombuffer(body[: len(body) // 3 * 3], np.uint8).reshape(-1, 3)
        ints = (raw[:, 0].astype(np.int32) | (raw[:, 1].astype(np.int32) << 8)
                | (raw[:, 2].astype(np.int8).astype(np.int32) << 16))
        frames, fmt = ints / 8388608.0, "pcm24"
    else:
        raise WavError(f"{path}: unsupported WAV encoding (format {tag}, {bits} bits)")
    usable = len(frames) - len(frames) % channels
    mono = frames[:usable].reshape(-1, channels).mean(axis=1)
    wav_fmt: WavFormat = fmt  # type: ignore[assignment]
    return WavData(mono.astype(np.float32), rate, wav_fmt, channels)


def payload_sub(data: bytes) -> bytes:
    """First two bytes of the extensible format's sub-format GUID."""
    idx = data.find(b"fmt ")
    return data[idx + 8 + 24: idx + 8 + 26] if idx >= 0 else b""
