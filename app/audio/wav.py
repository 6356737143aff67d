"""WAV files: exact write (16-bit with optional TPDF dither, 24-bit, 32-bit float) and read.

Writes are atomic (:mod:`app.atomic`); an existing file is kept unless
``overwrite`` is set. :class:`WavWriter` writes as audio arrives (and RF64
beyond 4 GiB), so a long take never has to be held in memory.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from app.atomic import AtomicFile, WriteError, atomic_write
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


def _body(x: Float32Array, fmt: WavFormat, dither: bool,
          rng: Callable[[], np.random.Generator]) -> tuple[bytes, int, int]:
    """The data chunk's bytes for ``x``, the format tag and the bits per sample.
    ``rng`` is asked for the dither's generator only when there is dither: the first
    use of ``numpy.random`` imports it (+6.7 MB), which a float take never needs."""
    if fmt == "float32":
        return x.astype("<f4").tobytes(), _WAVE_FORMAT_IEEE_FLOAT, 32
    if fmt == "pcm16":
        pcm = _dithered_s16(x, rng()) if dither else float_to_s16(x)
        return pcm.astype("<i2").tobytes(), _WAVE_FORMAT_PCM, 16
    if fmt == "pcm24":
        scaled = x.astype(np.float64) * 8388608.0
        if dither:
            noise = rng()
            scaled += noise.uniform(-0.5, 0.5, x.shape) + noise.uniform(-0.5, 0.5, x.shape)
        ints = np.clip(np.rint(scaled), -8388608, 8388607).astype("<i4")
        return ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes(), _WAVE_FORMAT_PCM, 24
    raise WavError(f"unknown WAV format {fmt!r}; use one of {', '.join(WAV_FORMATS)}")


_FORMAT_OF: dict[WavFormat, tuple[int, int]] = {
    "float32": (_WAVE_FORMAT_IEEE_FLOAT, 32), "pcm16": (_WAVE_FORMAT_PCM, 16),
    "pcm24": (_WAVE_FORMAT_PCM, 24)}
_UNKNOWN_32 = 0xFFFFFFFF  # a 32-bit size field of RF64: "see the ds64 chunk"


def _header(fmt: WavFormat, sample_rate: int, frames: int, *, reserve_ds64: bool = False,
            rf64: bool = False) -> bytes:
    """Everything before the audio bytes. ``reserve_ds64`` leaves a JUNK chunk where a
    ds64 chunk can go (EBU Tech 3306), so a file that outgrows 4 GiB becomes RF64 in
    place; ``rf64`` writes that form."""
    if fmt not in _FORMAT_OF:
        raise WavError(f"unknown WAV format {fmt!r}; use one of {', '.join(WAV_FORMATS)}")
    tag, bits = _FORMAT_OF[fmt]
    block = bits // 8
    size = frames * block
    chunks = b""
    tail = b"fmt " + struct.pack("<IHHIIHH", 16, tag, 1, sample_rate, sample_rate * block,
                                 block, bits)
    if tag == _WAVE_FORMAT_IEEE_FLOAT:
        # Non-PCM formats need a fact chunk (sample count) per the RIFF spec.
        tail += b"fact" + struct.pack("<II", 4, _UNKNOWN_32 if rf64 else frames)
    tail += b"data" + struct.pack("<I", _UNKNOWN_32 if rf64 else size)
    riff = 4 + (36 if reserve_ds64 or rf64 else 0) + len(tail) + size + (size & 1)
    if rf64:
        chunks = b"ds64" + struct.pack("<IQQQI", 28, riff, size, frames, 0)
        return b"RF64" + struct.pack("<I", _UNKNOWN_32) + b"WAVE" + chunks + tail
    if reserve_ds64:
        chunks = b"JUNK" + struct.pack("<I", 28) + bytes(28)
    return b"RIFF" + struct.pack("<I", riff) + b"WAVE" + chunks + tail


def encode_wav(samples: npt.ArrayLike, sample_rate: int, fmt: WavFormat = "pcm16", *,
               dither: bool = True, seed: int | None = None) -> bytes:
    """The bytes of a mono WAV file. ``dither`` applies to ``pcm16`` and ``pcm24`` only."""
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    body, _, _ = _body(x, fmt, dither, lambda: np.random.default_rng(seed))
    return _header(fmt, sample_rate, len(x)) + body + (b"\0" if len(body) % 2 else b"")


class WavWriter:
    """A WAV file written as the audio arrives, so a take of any length costs no memory.

    The header is written first with room for RF64's ds64 chunk and patched on
    :meth:`commit`, which renames the file into place atomically (or under another
    name: a failed take's ``.partial.wav``). Past 4 GiB of audio the file becomes
    RF64, which WAV's 32-bit sizes cannot describe.
    """

    def __init__(self, path: str | os.PathLike[str], sample_rate: int,
                 fmt: WavFormat = "pcm16", *, dither: bool = True, overwrite: bool = False,
                 private: bool = False, seed: int | None = None,
                 riff_limit: int = _UNKNOWN_32 - 1) -> None:
        self.fmt: WavFormat = fmt
        self.sample_rate = sample_rate
        self.dither = dither
        self.frames = 0
        self._bytes = 0
        self._seed = seed
        self._rng: np.random.Generator | None = None
        self._riff_limit = riff_limit
        self._file = AtomicFile(path, overwrite=overwrite, private=private)
        self._file.write(_header(fmt, sample_rate, 0, reserve_ds64=True))

    @property
    def path(self) -> Path:
        return self._file.target

    def write(self, samples: npt.ArrayLike) -> None:
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        body, _, _ = _body(x, self.fmt, self.dither, self._dither_noise)
        self._file.write(body)
        self.frames += len(x)
        self._bytes += len(body)

    def _dither_noise(self) -> np.random.Generator:
        # One generator for the whole file: its noise runs on across writes.
        if self._rng is None:
            self._rng = np.random.default_rng(self._seed)
        return self._rng

    def commit(self, as_path: Path | None = None) -> Path:
        """Finish the header and rename the file into place; returns its name."""
        if self._bytes % 2:
            self._file.write(b"\0")
        # The RIFF size: everything after its own 8 bytes (the padding is written).
        riff = len(_header(self.fmt, self.sample_rate, 0, reserve_ds64=True)) - 8 + self._bytes
        rf64 = riff > self._riff_limit
        header = _header(self.fmt, self.sample_rate, self.frames, reserve_ds64=not rf64,
                         rf64=rf64)
        try:
            self._file.handle.seek(0)
            self._file.handle.write(header)
            self._file.handle.seek(0, os.SEEK_END)
        except OSError as exc:
            self._file.abort()
            raise WriteError(self._file.target, exc) from exc
        return self._file.commit(as_path)

    def abort(self) -> None:
        self._file.abort()


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
    if len(data) < 12 or data[:4] not in (b"RIFF", b"RF64") or data[8:12] != b"WAVE":
        raise WavError(f"{path} is not a WAV file")
    pos, fmt_info, body, data_size = 12, None, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if cid == b"data" and size == _UNKNOWN_32 and data_size is not None:
            size = data_size  # RF64: the real size is in the ds64 chunk
        payload = data[pos + 8:pos + 8 + size]
        if cid == b"ds64":
            data_size = struct.unpack("<Q", payload[8:16])[0]
        elif cid == b"fmt ":
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
