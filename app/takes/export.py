"""Finished exports: a take (or a selection) processed and written as WAV, FLAC, MP3 or Opus.

The chain, in order: selection → trim (leading and trailing silence, keeping
``pad_ms``) → fades (equal-power: a quarter sine, which sounds even where a
linear ramp seems to drop at the end) → sample rate (our polyphase
:func:`~app.audio.resample.resample`) → loudness (BS.1770-4
integrated loudness; gain to the target, lowered when the true peak would pass
the ceiling; or, with ``limiter``, the gain to the target and a look-ahead
true-peak limiter for the few peaks above the ceiling — never a clipper) →
channels (mono duplicated to stereo, aimed 3 dB lower: BS.1770 counts both) → the
file, written by soundfile (libsndfile), then renamed into place atomically.

A WAV export with nothing asked of it is the take's samples, exactly: it goes
through :func:`~app.audio.wav.write_wav` as before. Float audio written as
16-bit PCM gets TPDF dither. Timings beside the audio (same stem) follow the
trim, so the words still line up with what was written.

Blocking (decoding, loudness, fsync): callers run it in an executor.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from app.atomic import AtomicFile, TargetExists, WriteError
from app.audio.loudness import MIN_SECONDS, Loudness, integrated_loudness, measure
from app.audio.resample import resample
from app.audio.truepeak import limiter_gain, true_peak_db, true_peak_linear
from app.audio.wav import write_wav
from app.takes.errors import ExportError
from app.takes.take import Take
from app.takes.timings import Timing, write_srt, write_timings_json, write_vtt

ExportFormat = Literal["wav", "flac", "mp3", "opus"]
WavSubtype = Literal["pcm16", "pcm24", "float32", "ulaw", "alaw"]
TimingsKind = Literal["json", "srt", "vtt"]

FORMATS: tuple[ExportFormat, ...] = get_args(ExportFormat)
WAV_SUBTYPES: tuple[WavSubtype, ...] = get_args(WavSubtype)
TIMINGS_KINDS: tuple[TimingsKind, ...] = get_args(TimingsKind)
FLAC_SUBTYPES: tuple[WavSubtype, ...] = ("pcm16", "pcm24")
#: The rates Opus encodes; anything else is resampled to 48 kHz (and the result says so).
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
#: The rates MPEG audio (layers I-III, with MPEG-2 and 2.5) defines.
MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
#: Silence, for trimming: quieter than this below the take's peak.
TRIM_THRESHOLD_DB = -50.0
#: How far a loudness target may reasonably go (a typo such as 16 for −16 is refused).
LUFS_RANGE = (-70.0, 0.0)
CEILING_RANGE = (-20.0, 0.0)
STEREO_GAIN_DB = 10.0 * math.log10(2.0)
#: MP3 and Opus move the peaks they encode (Opus by up to ~1 dB on speech): the chain is
#: run again this many times at most, with a lower ceiling, until the decoded file
#: keeps the one asked for; each time also below it by this margin.
LOSSY_ATTEMPTS = 3
LOSSY_MARGIN_DB = 0.1

_EXTENSIONS: dict[ExportFormat, str] = {"wav": ".wav", "flac": ".flac", "mp3": ".mp3",
                                         "opus": ".opus"}
_SF_SUBTYPES: dict[WavSubtype, str] = {"pcm16": "PCM_16", "pcm24": "PCM_24",
                                       "float32": "FLOAT", "ulaw": "ULAW", "alaw": "ALAW"}
_TIMINGS_SUFFIX: dict[TimingsKind, str] = {"json": ".json", "srt": ".srt", "vtt": ".vtt"}


@dataclass(frozen=True)
class ExportSpec:
    """What an export does to the audio and which files it writes."""

    format: ExportFormat = "wav"
    wav_subtype: WavSubtype = "pcm16"      # WAV; FLAC takes pcm16/pcm24
    sample_rate: int | None = None        # None: the take's own rate
    channels: int = 1                     # 1 or 2
    normalize_lufs: float | None = None   # integrated target (BS.1770-4); None: no change
    true_peak_db: float = -1.0            # ceiling (dBTP) when normalizing
    trim: bool = False                    # leading/trailing silence, keeping pad_ms
    pad_ms: float = 100.0
    fade_in_ms: float = 0.0
    fade_out_ms: float = 0.0
    timings: frozenset[TimingsKind] = frozenset()
    #: When normalizing: reach the target and keep the ceiling with a look-ahead
    #: true-peak limiter (smooth gain, no clipping). Off: one gain for the whole clip,
    #: lowered if the ceiling needs it (speech that peaks high then ends up quieter).
    limiter: bool = False

    @property
    def extension(self) -> str:
        return _EXTENSIONS[self.format]

    def processes(self, take_rate: int) -> bool:
        """Whether the audio is changed at all (otherwise a WAV is the samples, exactly)."""
        return (self.format != "wav" or self.wav_subtype not in ("pcm16", "pcm24", "float32")
                or self.sample_rate not in (None, take_rate) or self.channels != 1
                or self.normalize_lufs is not None or self.trim or self.fade_in_ms > 0
                or self.fade_out_ms > 0)

    def check(self) -> None:
        """Raise :class:`ExportError` for a spec that cannot be written."""
        if self.format not in FORMATS:
            raise ExportError(f"unknown export format {self.format!r}; use one of "
                              f"{', '.join(FORMATS)}")
        if self.wav_subtype not in WAV_SUBTYPES:
            raise ExportError(f"unknown WAV sample format {self.wav_subtype!r}; use one of "
                              f"{', '.join(WAV_SUBTYPES)}")
        if self.format == "flac" and self.wav_subtype not in FLAC_SUBTYPES:
            raise ExportError(f"FLAC stores 16- or 24-bit samples, not {self.wav_subtype}; "
                              "choose pcm16 or pcm24")
        if self.sample_rate is not None and not 1000 <= self.sample_rate <= 384000:
            raise ExportError(f"sample rate {self.sample_rate} Hz is out of range "
                              "(1000-384000 Hz)")
        if self.format == "mp3" and self.sample_rate is not None \
                and self.sample_rate not in MP3_RATES:
            raise ExportError(f"MP3 cannot store {self.sample_rate} Hz; use one of "
                              f"{', '.join(map(str, MP3_RATES))} Hz")
        if self.channels not in (1, 2):
            raise ExportError(f"{self.channels} channels: exports are mono (1) or stereo (2)")
        if self.normalize_lufs is not None and not (
                LUFS_RANGE[0] <= self.normalize_lufs <= LUFS_RANGE[1]):
            raise ExportError(f"a loudness target of {self.normalize_lufs:g} LUFS is out of "
                              "range; targets are negative, such as -23, -16 or -14")
        if not CEILING_RANGE[0] <= self.true_peak_db <= CEILING_RANGE[1]:
            raise ExportError(f"a true-peak ceiling of {self.true_peak_db:g} dBTP is out of "
                              "range (-20 to 0); -1 is usual")
        for name in ("pad_ms", "fade_in_ms", "fade_out_ms"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ExportError(f"{name} must be zero or more milliseconds, not {value}")
        unknown = set(self.timings) - set(TIMINGS_KINDS)
        if unknown:
            raise ExportError(f"unknown timings {', '.join(sorted(unknown))}; use "
                              f"{', '.join(TIMINGS_KINDS)}")

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)}
        data["timings"] = sorted(self.timings)
        return data

    @classmethod
    def from_json(cls, data: object) -> ExportSpec:
        """The spec saved by :meth:`to_json`; :class:`ExportError` says what is wrong.
        Missing keys take their defaults (an older preset still loads)."""
        if not isinstance(data, dict):
            raise ExportError(f"an export spec is a JSON object, not {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(map(str, data)) - known)
        if unknown:
            raise ExportError(f"unknown export setting {', '.join(unknown)}")
        values: dict[str, object] = {}
        for name, value in data.items():
            values[name] = _field_value(name, value)
        spec = cls(**values)  # type: ignore[arg-type]
        spec.check()
        return spec


def _field_value(name: str, value: object) -> object:
    def number(allow_none: bool) -> float | None:
        if value is None and allow_none:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ExportError(f"export setting {name} must be a number, not {value!r}")
        return float(value)

    if name in ("format", "wav_subtype"):
        if not isinstance(value, str):
            raise ExportError(f"export setting {name} must be text, not {value!r}")
        return value
    if name == "sample_rate":
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ExportError(f"export setting sample_rate must be a whole number of Hz or "
                              f"null, not {value!r}")
        return value
    if name == "channels":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ExportError(f"export setting channels must be 1 or 2, not {value!r}")
        return value
    if name in ("trim", "limiter"):
        if not isinstance(value, bool):
            raise ExportError(f"export setting {name} must be true or false, not {value!r}")
        return value
    if name == "timings":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ExportError(f"export setting timings must be a list such as "
                              f"[\"json\", \"srt\"], not {value!r}")
        return frozenset(value)
    return number(allow_none=name == "normalize_lufs")


@dataclass(frozen=True)
class ExportResult:
    files: list[Path]                     # audio first, then timings
    before: Loudness | None               # measured before processing
    after: Loudness | None                # measured on what was written
    true_peak_db: float | None            # of what was written
    #: What the export changed on its own, for the user to know ("Opus: resampled to 48 kHz").
    notes: list[str] = field(default_factory=list)
    #: The rate and length of what was written.
    sample_rate: int = 0
    duration: float = 0.0
    #: The timings as written beside it (moved by the trim), for callers that write
    #: their own timing files (``say --srt FILE``).
    words: list[Timing] = field(default_factory=list)
    phonemes: list[Timing] = field(default_factory=list)
    #: The true peak (dBTP) before processing.
    true_peak_before: float | None = None


def export_take(take: Take, path: str | Path, spec: ExportSpec = ExportSpec(), *,
                selection: tuple[float, float] | None = None, overwrite: bool = False
                ) -> ExportResult:
    """Write the take (or ``selection``, in seconds) as ``spec`` says, and its timings.

    Returns the files written, audio first. :class:`ExportError` names the file and
    the reason; nothing half-written is left, and an existing file is kept unless
    ``overwrite``.
    """
    spec.check()
    audio_path = _audio_path(Path(path), spec)
    targets = [audio_path] + [audio_path.with_suffix(_TIMINGS_SUFFIX[kind])
                              for kind in TIMINGS_KINDS if kind in spec.timings]
    if not overwrite:
        for target in targets:
            if target.exists():
                raise ExportError(f"{target} already exists; choose another name or allow "
                                  "overwriting")
    start, end = selection if selection is not None else (0.0, take.duration)
    if end < start:
        raise ExportError(f"the selection ends ({end:.3f} s) before it starts ({start:.3f} s)")
    rate = take.sample_rate
    samples = np.asarray(take.selection(start, end), dtype=np.float32)
    if len(samples) == 0:
        raise ExportError(f"nothing to export to {audio_path}: the take or the selection "
                          "holds no audio")
    words, phonemes = _cut(take.words, start, end), _cut(take.phonemes, start, end)
    before = measure(samples, rate)
    try:
        if spec.processes(rate):
            processed = process(samples, rate, spec)
            _write_audio(audio_path, processed.samples, processed.rate, spec, overwrite)
            after, peak = _measure_written(audio_path)
            notes = processed.notes
            ceiling = spec.true_peak_db
            for _ in range(LOSSY_ATTEMPTS):
                if spec.normalize_lufs is None or peak is None or peak <= spec.true_peak_db:
                    break
                # The encoder raised the peaks over the ceiling: aim that much lower.
                ceiling -= peak - spec.true_peak_db + LOSSY_MARGIN_DB
                processed = process(samples, rate, replace(spec, true_peak_db=ceiling))
                _write_audio(audio_path, processed.samples, processed.rate, spec, True)
                after, peak = _measure_written(audio_path)
                notes = [*processed.notes, f"{spec.format.upper()} encoding raises the "
                         f"peaks: limited to {ceiling:.1f} dBTP before encoding so the file "
                         f"decodes under {spec.true_peak_db:g} dBTP"]
            out_rate, frames = processed.rate, len(processed.samples)
            words = _shift(words, processed.offset, processed.scale, frames / out_rate)
            phonemes = _shift(phonemes, processed.offset, processed.scale, frames / out_rate)
        else:
            subtype = spec.wav_subtype
            assert subtype in ("pcm16", "pcm24", "float32")
            dither = take.settings.encoding == "pcm_f32le" and subtype != "float32"
            write_wav(audio_path, samples, rate, subtype, dither=dither, overwrite=overwrite)
            after, peak = before, true_peak_db(samples, rate)
            notes, out_rate, frames = [], rate, len(samples)
        writers: dict[TimingsKind, Callable[[Path], None]] = {
            "json": lambda p: write_timings_json(p, words, phonemes, overwrite=overwrite),
            "srt": lambda p: write_srt(p, words, overwrite=overwrite),
            "vtt": lambda p: write_vtt(p, words, overwrite=overwrite)}
        for kind, target in zip([k for k in TIMINGS_KINDS if k in spec.timings], targets[1:],
                                strict=True):
            writers[kind](target)
    except (WriteError, TargetExists) as exc:
        raise ExportError(f"export failed: {exc}") from None
    return ExportResult(files=targets, before=before, after=after, true_peak_db=peak,
                        notes=notes, sample_rate=out_rate, duration=frames / out_rate,
                        words=words, phonemes=phonemes,
                        true_peak_before=true_peak_db(samples, rate))


def _audio_path(path: Path, spec: ExportSpec) -> Path:
    suffix = path.suffix.lower()
    if suffix == spec.extension or (spec.format == "opus" and suffix == ".ogg"):
        return path
    if suffix in _EXTENSIONS.values() or suffix == ".ogg":
        raise ExportError(f"{path.name} ends in {path.suffix} but the format is "
                          f"{spec.format.upper()}; name it {path.stem}{spec.extension}")
    return path.with_name(path.name + spec.extension)


# --- processing ----------------------------------------------------------------------


@dataclass(frozen=True)
class Processed:
    samples: npt.NDArray[np.float32]     # (n,) mono or (n, 2) stereo
    rate: int
    #: Seconds cut from the start by the trim (timings move back by this much).
    offset: float
    #: Written seconds per source second (1 unless resampling changed the length).
    scale: float
    notes: list[str]


def process(samples: npt.NDArray[np.float32], rate: int, spec: ExportSpec) -> Processed:
    """The export chain on mono samples (see the module's notes)."""
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    notes: list[str] = []
    offset = 0.0
    if spec.trim:
        first, last = trim_bounds(x, rate, spec.pad_ms)
        offset = first / rate
        x = x[first:last]
    x = fade(x, rate, spec.fade_in_ms, spec.fade_out_ms)
    # Two identical channels measure 3 dB louder than one (BS.1770 sums their power):
    # the mono signal aims that much lower so the stereo file meets the target.
    target = None if spec.normalize_lufs is None else (
        spec.normalize_lufs - (STEREO_GAIN_DB if spec.channels == 2 else 0.0))
    out_rate = spec.sample_rate or rate
    if spec.format == "opus" and out_rate not in OPUS_RATES:
        notes.append(f"Opus encodes 8, 12, 16, 24 or 48 kHz: resampled from "
                     f"{out_rate / 1000:g} to 48 kHz")
        out_rate = 48000
    if spec.format == "mp3" and out_rate not in MP3_RATES:
        raise ExportError(f"MP3 cannot store {out_rate} Hz; choose an export rate of "
                          f"{', '.join(map(str, MP3_RATES))} Hz")
    seconds_in = len(x) / rate
    if out_rate != rate:
        x = resample(x.astype(np.float32), rate, out_rate).astype(np.float64)
    scale = (len(x) / out_rate) / seconds_in if seconds_in > 0 else 1.0
    if target is not None and spec.limiter:
        x, reduction = limited_to(x, out_rate, target, spec.true_peak_db)
        if reduction >= 0.1:
            notes.append(f"limiter: up to {reduction:.1f} dB off the loudest peaks "
                         f"(ceiling {spec.true_peak_db:g} dBTP)")
    elif target is not None:
        gain_db, limited = normalize_gain(x, out_rate, target, spec.true_peak_db)
        x = x * 10.0 ** (gain_db / 20.0)
        if limited:
            notes.append(f"the true-peak ceiling ({spec.true_peak_db:g} dBTP) held the gain "
                         f"to {gain_db:+.1f} dB, short of {spec.normalize_lufs:g} LUFS; turn "
                         "on the limiter to reach it")
    out = x.astype(np.float32)
    if spec.channels == 2:
        out = np.column_stack([out, out])
    return Processed(out, out_rate, offset, scale, notes)


def trim_bounds(x: npt.NDArray[np.float64], rate: int, pad_ms: float) -> tuple[int, int]:
    """``[first, last)`` of the audio once silence (quieter than ``TRIM_THRESHOLD_DB``
    below its peak) is cut from both ends, keeping ``pad_ms`` of it on each side."""
    magnitude = np.abs(x)
    peak = float(magnitude.max()) if len(x) else 0.0
    if peak <= 0.0:
        return 0, len(x)
    loud = np.flatnonzero(magnitude > peak * 10.0 ** (TRIM_THRESHOLD_DB / 20.0))
    pad = round(pad_ms / 1000.0 * rate)
    return max(0, int(loud[0]) - pad), min(len(x), int(loud[-1]) + 1 + pad)


def fade(x: npt.NDArray[np.float64], rate: int, in_ms: float, out_ms: float
         ) -> npt.NDArray[np.float64]:
    """Equal-power (quarter-sine) fades; each at most the whole clip."""
    y = x.copy()
    for ms, reverse in ((in_ms, False), (out_ms, True)):
        n = min(len(y), round(ms / 1000.0 * rate))
        if n <= 0:
            continue
        ramp = np.sin(0.5 * np.pi * (np.arange(n) + 0.5) / n)
        if reverse:
            y[len(y) - n:] *= ramp[::-1]
        else:
            y[:n] *= ramp
    return y


def integrated_lufs(x: npt.NDArray[np.float64], rate: int) -> float | None:
    """BS.1770-4 integrated loudness; a clip shorter than one 400 ms gating block is
    measured repeated (the loudness of the clip itself, which padding would dilute)."""
    if len(x) == 0 or not np.any(x):
        return None
    need = math.ceil(MIN_SECONDS * rate) + 1
    if len(x) < need:
        x = np.tile(x, math.ceil(need / len(x)))
    loudness = measure(x.astype(np.float32), rate)
    return loudness.lufs if loudness is not None else None


def normalize_gain(x: npt.NDArray[np.float64], rate: int, target: float, ceiling: float
                   ) -> tuple[float, bool]:
    """The gain (dB) to ``target`` LUFS, lowered so the true peak stays under ``ceiling``
    dBTP; and whether the ceiling lowered it."""
    lufs = integrated_lufs(x, rate)
    if lufs is None:
        raise ExportError("the audio is silent: it has no loudness to normalize")
    wanted = target - lufs
    peak = true_peak_linear(x.astype(np.float32), rate)
    if peak <= 0.0:
        return wanted, False
    # Aim a hair under the ceiling: the written file is quantized (and re-measured).
    allowed = ceiling - 20.0 * math.log10(peak) - 0.02
    if wanted > allowed:
        return allowed, True
    return wanted, False


def limited_to(x: npt.NDArray[np.float64], rate: int, target: float, ceiling: float
               ) -> tuple[npt.NDArray[np.float64], float]:
    """``x`` brought to ``target`` LUFS with its true peak under ``ceiling`` dBTP by a gain
    and the look-ahead limiter; returns it and the limiter's deepest reduction (dB).
    Limiting lowers the loudness a little, so the gain is corrected and the limiter run
    again until the loudness is within 0.05 LU (two or three rounds for speech)."""
    lufs = integrated_lufs(x, rate)
    if lufs is None:
        raise ExportError("the audio is silent: it has no loudness to normalize")
    # A margin under the ceiling: the limiter's gain changes move the curve a hair, and
    # the file is quantized after.
    aim = ceiling - 0.05
    gain_db, previous = target - lufs, None
    y, reduction = x, 0.0
    for _ in range(10):
        gained = x * 10.0 ** (gain_db / 20.0)
        gain = limiter_gain(gained, rate, aim)
        y = gained * gain
        reduction = -20.0 * math.log10(max(float(gain.min()), 1e-6))
        measured = integrated_lufs(y, rate)
        if measured is None or abs(measured - target) < 0.05:
            break
        # Secant steps: the more the limiter works, the less a dB of gain adds.
        slope = 1.0
        if previous is not None and previous[0] != gain_db:
            slope = max(0.05, (measured - previous[1]) / (gain_db - previous[0]))
        previous = (gain_db, measured)
        gain_db += (target - measured) / slope
    peak = true_peak_db(y.astype(np.float32), rate)
    if peak is not None and peak > aim:
        y = y * 10.0 ** ((aim - peak) / 20.0)
    return y, reduction


# --- writing -------------------------------------------------------------------------


def _write_audio(path: Path, samples: npt.NDArray[np.float32], rate: int, spec: ExportSpec,
                 overwrite: bool) -> None:
    """Encode in memory with soundfile, then write atomically (a full disk or a refused
    folder becomes :class:`~app.atomic.WriteError` with the reason, nothing left behind)."""
    import soundfile

    x = samples
    if spec.format == "wav":
        fmt, subtype = "WAV", _SF_SUBTYPES[spec.wav_subtype]
    elif spec.format == "flac":
        fmt, subtype = "FLAC", _SF_SUBTYPES[spec.wav_subtype]
    elif spec.format == "mp3":
        fmt, subtype = "MP3", "MPEG_LAYER_III"
    else:
        fmt, subtype = "OGG", "OPUS"
    if subtype != "FLOAT":
        if subtype == "PCM_16":
            x = _tpdf(x, 16)
        x = np.clip(x, -1.0, 1.0).astype(np.float32)
    buffer = io.BytesIO()
    try:
        soundfile.write(buffer, x, rate, format=fmt, subtype=subtype)
    except (soundfile.LibsndfileError, RuntimeError, ValueError) as exc:
        raise ExportError(f"cannot encode {path} as {spec.format.upper()}: {exc}") from None
    file = AtomicFile(path, overwrite=overwrite)
    file.write(buffer.getvalue())
    file.commit()


def _tpdf(x: npt.NDArray[np.float32], bits: int) -> npt.NDArray[np.float32]:
    # Two uniform variables of ±0.5 LSB: the rounding error no longer follows the
    # signal, so quiet tails fade into noise instead of buzzing.
    rng = np.random.default_rng()
    lsb = 1.0 / 2 ** (bits - 1)
    noise = rng.uniform(-0.5, 0.5, x.shape) + rng.uniform(-0.5, 0.5, x.shape)
    out: npt.NDArray[np.float32] = (x.astype(np.float64) + noise * lsb).astype(np.float32)
    return out


def _measure_written(path: Path) -> tuple[Loudness | None, float | None]:
    """Loudness and true peak of the file as a player decodes it (lossy codecs move both)."""
    import soundfile

    try:
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError) as exc:
        raise ExportError(f"{path} was written but cannot be read back: {exc}") from None
    return loudness_of(data, int(rate)), true_peak_db(data, int(rate))


def loudness_of(data: npt.NDArray[np.float32], rate: int) -> Loudness | None:
    """BS.1770-4 loudness of ``(n, channels)`` audio, all channels counted (stereo reads
    as a meter reads the file), and its sample peak."""
    if data.shape[1] == 1:
        return measure(data[:, 0], rate)
    if len(data) < int(MIN_SECONDS * rate) or not np.any(data):
        return None
    lufs = integrated_loudness(data, rate)
    if not math.isfinite(lufs):
        return None
    return Loudness(lufs=lufs, peak_dbfs=20.0 * math.log10(float(np.max(np.abs(data)))))


# --- timings -------------------------------------------------------------------------


def _cut(items: list[Timing], start: float, end: float) -> list[Timing]:
    """Timings inside ``[start, end)``, shifted so the selection starts at zero."""
    return [Timing(t.text, max(t.start, start) - start, min(t.end, end) - start)
            for t in items if t.end > start and t.start < end]


def _shift(items: list[Timing], offset: float, scale: float, duration: float) -> list[Timing]:
    """Timings moved back by the trim and scaled to the written audio; what the trim
    cut off entirely is dropped, what it cut into is clamped."""
    out = []
    for t in items:
        begin = max(0.0, (t.start - offset) * scale)
        finish = min(duration, (t.end - offset) * scale)
        if finish > begin or (finish == begin and 0.0 < begin < duration):
            out.append(replace(t, start=begin, end=finish))
    return out
