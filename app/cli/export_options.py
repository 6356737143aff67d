"""The finishing flags ``say`` and ``batch`` share, and the one export spec they build.

Defined once so the two commands cannot drift apart: the same names, the same
checks, the same messages. Bad values exit 2 with argparse's own message.
"""

from __future__ import annotations

import argparse
import math
from typing import get_args

from app.takes.export import (
    CEILING_RANGE,
    LUFS_RANGE,
    ExportFormat,
    ExportSpec,
    TimingsKind,
    WavSubtype,
)

FORMATS: tuple[str, ...] = get_args(ExportFormat)
WAV_SUBTYPES: tuple[str, ...] = get_args(WavSubtype)
TIMINGS_KINDS: tuple[str, ...] = get_args(TimingsKind)
#: Rates the resampler is asked for in practice (telephony to studio); others are refused
#: as the typo they usually are.
EXPORT_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000)


def loudness_target(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a loudness in LUFS (e.g. -16)") \
            from None
    low, high = LUFS_RANGE
    if not math.isfinite(value) or not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{text} LUFS is out of range: give {low:g} to "
                                         f"{high:g} (-23 broadcast, -16 podcasts and games, "
                                         "-14 streaming)")
    return value


def true_peak(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a level in dBTP (e.g. -1)") \
            from None
    low, high = CEILING_RANGE
    if not math.isfinite(value) or not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{text} dBTP is out of range: give {low:g} to "
                                         f"{high:g}")
    return value


def milliseconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of milliseconds") \
            from None
    if not math.isfinite(value) or not 0.0 <= value <= 60_000.0:
        raise argparse.ArgumentTypeError(f"{text} ms is out of range: give 0 to 60000")
    return value


def export_rate(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a sample rate in Hz (e.g. 48000)") \
            from None
    if value not in EXPORT_RATES:
        raise argparse.ArgumentTypeError(
            f"{value} Hz is not offered; choose one of {', '.join(map(str, EXPORT_RATES))}")
    return value


def timings_kinds(text: str) -> frozenset[str]:
    """``json,srt,vtt`` (any of them, comma separated); ``none`` for no timings."""
    if text.strip().lower() == "none":
        return frozenset()
    kinds = [kind.strip().lower() for kind in text.split(",") if kind.strip()]
    unknown = [kind for kind in kinds if kind not in TIMINGS_KINDS]
    if unknown or not kinds:
        raise argparse.ArgumentTypeError(
            f"unknown timings {', '.join(map(repr, unknown)) or repr(text)}; give any of "
            f"{','.join(TIMINGS_KINDS)} (comma separated), or none")
    return frozenset(kinds)


def add_export_options(parser: argparse.ArgumentParser, *, wav_format: bool = True
                       ) -> argparse._ArgumentGroup:
    """The finishing flags, in a group of their own; ``wav_format=False`` leaves out
    ``--wav-format`` for a command that defines it itself."""
    group = parser.add_argument_group("finishing (loudness, silence, format)")
    group.add_argument("--normalize", type=loudness_target, metavar="LUFS",
                       help="bring the integrated loudness (ITU-R BS.1770-4) to LUFS, e.g. "
                       "-23, -16 or -14; default: no change")
    group.add_argument("--true-peak", type=true_peak, default=-1.0, metavar="DBTP",
                       help="true-peak ceiling when normalizing (default -1 dBTP)")
    group.add_argument("--limiter", action="store_true",
                       help="when normalizing, reach the target with a true-peak limiter "
                       "rather than lowering the whole clip to keep the ceiling")
    group.add_argument("--trim", action="store_true",
                       help="trim leading and trailing silence, keeping --pad")
    group.add_argument("--pad", type=milliseconds, default=100.0, metavar="MS",
                       help="silence kept around the speech by --trim (default 100 ms)")
    group.add_argument("--fade-in", type=milliseconds, default=0.0, metavar="MS",
                       help="fade in over MS milliseconds")
    group.add_argument("--fade-out", type=milliseconds, default=0.0, metavar="MS",
                       help="fade out over MS milliseconds")
    group.add_argument("--format", choices=FORMATS, default="wav", dest="export_format",
                       help="file format (default wav)")
    if wav_format:
        group.add_argument("--wav-format", choices=WAV_SUBTYPES, default="pcm16",
                           help="WAV sample format (default pcm16); FLAC takes pcm16 or "
                           "pcm24")
    group.add_argument("--export-rate", type=export_rate, metavar="HZ",
                       help="resample to HZ (default: the take's own rate)")
    group.add_argument("--stereo", action="store_true",
                       help="write two channels (the same audio in both)")
    return group


def export_spec_from(args: argparse.Namespace,
                     timings: frozenset[str] = frozenset()) -> ExportSpec:
    """The one :class:`ExportSpec` the flags describe (through its own validation, so a
    combination the exporter refuses is refused here, before anything is rendered)."""
    data: dict[str, object] = {
        "format": args.export_format,
        "wav_subtype": getattr(args, "wav_format", None) or "pcm16",
        "sample_rate": args.export_rate,
        "channels": 2 if args.stereo else 1,
        "normalize_lufs": args.normalize,
        "true_peak_db": args.true_peak,
        "limiter": args.limiter,
        "trim": args.trim,
        "pad_ms": args.pad,
        "fade_in_ms": args.fade_in,
        "fade_out_ms": args.fade_out,
        "timings": sorted(timings),
    }
    return ExportSpec.from_json(data)
