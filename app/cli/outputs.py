"""The files ``say`` writes: checked before anything is generated, written atomically.

The audio goes to its file as it arrives (:class:`~app.audio.wav.WavWriter`), so a
text of any length takes the same memory; the file appears under its name only
when the take is complete.

A typo in a path must not cost a four-minute generation, so every output is
checked first: two outputs on one path, a file that exists (without
``--force``), a folder that does not exist or cannot be written. Afterwards
each file is written atomically, in order; when one fails, the message says
exactly which were written and which were not.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import re
import signal
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.atomic import WriteError
from app.audio.wav import WavFormat, WavWriter
from app.cartesia.voices_types import Voice
from app.errors import VoiceboothError
from app.takes.errors import ExportError
from app.takes.export import FORMATS, ExportFormat, ExportResult, ExportSpec, WavSubtype
from app.takes.take import Take
from app.takes.timings import Timing, write_srt, write_timings_json, write_vtt


class UsageError(VoiceboothError):
    """Bad input on the command line (exit code 2)."""


class Terminated(VoiceboothError):
    """SIGTERM while generating: the audio that arrived is kept, as for Ctrl+C."""


@contextlib.contextmanager
def sigterm_terminates() -> Iterator[None]:
    """SIGTERM cancels the running command like Ctrl+C (its ``finally`` blocks keep what
    arrived), then surfaces as :class:`Terminated` for exit code 143."""
    loop = asyncio.get_running_loop()
    main, terminated = asyncio.current_task(), asyncio.Event()

    def terminate() -> None:
        terminated.set()
        if main is not None:
            main.cancel()

    loop.add_signal_handler(signal.SIGTERM, terminate)
    try:
        yield
    except asyncio.CancelledError:
        if terminated.is_set():
            raise Terminated("terminated") from None
        raise
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


class OutputError(VoiceboothError):
    """An output cannot be (or was not) written (exit code 1); says what was written."""


@dataclass(frozen=True)
class Output:
    option: str  # the option that named it, for messages
    path: Path


@dataclass(frozen=True)
class Outputs:
    wav: Path | None  # the audio file (any export format, despite the name)
    timings: Path | None
    srt: Path | None
    force: bool
    vtt: Path | None = None

    @property
    def named(self) -> list[Output]:
        return [Output(option, path) for option, path in (
            ("-o", self.wav), ("--timestamps", self.timings), ("--srt", self.srt),
            ("--vtt", self.vtt)) if path is not None]

    def check(self) -> None:
        """Refuse what cannot work, before the request is sent."""
        seen: dict[Path, str] = {}
        for output in self.named:
            key = _identity(output.path)
            if key in seen:
                raise UsageError(f"{seen[key]} and {output.option} both name {output.path}; "
                                 "give each output its own file")
            seen[key] = output.option
        for output in self.named:
            path = output.path
            if path.is_dir():
                raise OutputError(f"cannot write {path} ({output.option}): it is a folder")
            if path.exists() and not self.force:
                raise UsageError(f"{path} ({output.option}) already exists; use --force to "
                                 "overwrite")
            folder = path.parent if str(path.parent) else Path(".")
            if not folder.is_dir():
                raise OutputError(f"cannot write {path} ({output.option}): the folder "
                                  f"{folder} does not exist")
            if not os.access(folder, os.W_OK | os.X_OK):
                raise OutputError(f"cannot write {path} ({output.option}): the folder "
                                  f"{folder} is not writable")

    def open_audio(self, sample_rate: int, fmt: WavFormat, dither: bool) -> WavWriter | None:
        """The WAV file the audio streams into as it arrives (``None`` without ``-o``)."""
        if self.wav is None:
            return None
        return WavWriter(self.wav, sample_rate, fmt, dither=dither, overwrite=True)

    def finish(self, take: Take, audio: WavWriter | ExportResult | None) -> list[Path]:
        """Complete every output in order; :class:`OutputError` names what was written.
        ``audio`` is the streaming writer to commit, or a finished export (already
        written, whose timings follow its trim)."""
        written: list[Path] = []
        words: Sequence[Timing] = take.words
        phonemes: Sequence[Timing] = take.phonemes
        if isinstance(audio, ExportResult):
            words, phonemes = audio.words, audio.phonemes

        def wav(path: Path) -> None:
            if isinstance(audio, WavWriter):
                audio.commit()

        def timings(path: Path) -> None:
            write_timings_json(path, words, phonemes)

        def srt(path: Path) -> None:
            write_srt(path, words)

        def vtt(path: Path) -> None:
            write_vtt(path, words)

        steps: list[tuple[Path | None, Callable[[Path], None]]] = [
            (self.wav, wav), (self.timings, timings), (self.srt, srt), (self.vtt, vtt)]
        todo = [(path, step) for path, step in steps if path is not None]
        for index, (path, step) in enumerate(todo):
            try:
                step(path)
            except WriteError as exc:
                done = ("wrote " + ", ".join(map(str, written)) + "; ") if written else ""
                rest = [str(p) for p, _ in todo[index + 1:]]
                left = f"; {', '.join(rest)} not written" if rest else ""
                raise OutputError(f"{done}{exc}{left}") from None
            written.append(path)
        return written


def _identity(path: Path) -> Path:
    # resolve() follows symlinks and "..": two spellings of one file are one output.
    return path.expanduser().resolve()


def partial_path(out: Path) -> Path:
    """Where the audio of a failed generation goes, beside the output asked for."""
    return out.with_name(out.stem + ".partial" + (out.suffix or ".wav"))


# --- one file per voice (``say --voice A --voice B -o DIR/``) -------------------------

#: What a file name keeps of a voice's name: letters and digits of any script, spaces
#: and a little punctuation; path separators, quotes, colons and the like become "_".
_UNSAFE = re.compile(r"[^\w .,()+-]")
_STEM_CHARS = 100


def file_stem(name: str) -> str:
    """A voice's name as a file name on any system (never empty, never hidden)."""
    stem = " ".join(_UNSAFE.sub("_", name).split()).strip(" .")
    return stem[:_STEM_CHARS].rstrip(" .") or "voice"


def voice_paths(folder: Path, voices: Sequence[Voice]) -> list[Path]:
    """``folder/<voice name>.wav`` for each voice; two voices whose names give the same
    file (case aside: some file systems ignore it) both get the start of their id."""
    stems = [file_stem(voice.name or voice.id) for voice in voices]
    clashes = Counter(stem.casefold() for stem in stems)
    paths = []
    for voice, stem in zip(voices, stems, strict=True):
        if clashes[stem.casefold()] > 1:
            stem = f"{stem}-{file_stem(voice.id)[:8]}"
        paths.append(folder / f"{stem}.wav")
    return paths


def check_folder(folder: Path, paths: Sequence[Path], force: bool) -> None:
    """Refuse an output folder that cannot take the voices' files, before generating."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"-o {folder}: with several voices, -o names a folder for one WAV "
                         "per voice, and this is a file")
    parent = folder.parent if str(folder.parent) else Path(".")
    if not folder.exists() and not parent.is_dir():
        raise OutputError(f"cannot write to {folder} (-o): the folder {parent} does not "
                          "exist")
    existing = [str(path) for path in paths if path.exists()]
    if existing and not force:
        raise UsageError(f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}"
                         "; use --force to overwrite")
    writable = folder if folder.exists() else parent
    if not os.access(writable, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write to {folder} (-o): {writable} is not writable")


# --- export flags (``say``; ``batch`` can share them) ----------------------------------

#: What ``--wav-format`` accepts: the spec's names, and the short ones people type.
WAV_FORMAT_CHOICES: dict[str, WavSubtype] = {
    "pcm16": "pcm16", "16": "pcm16", "pcm24": "pcm24", "24": "pcm24", "float32": "float32",
    "float": "float32", "32": "float32", "ulaw": "ulaw", "alaw": "alaw"}
_FORMAT_OF_SUFFIX: dict[str, ExportFormat] = {
    ".wav": "wav", ".flac": "flac", ".mp3": "mp3", ".opus": "opus", ".ogg": "opus"}


def _number(kind: str, low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is out of range for {kind} "
                                             f"({low:g} to {high:g})")
        return value
    return parse


def _rate(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of Hz") from None
    if not 8000 <= value <= 192000:
        raise argparse.ArgumentTypeError(f"{value} Hz is out of range (8000 to 192000)")
    return value


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that shape the exported file, in their own help group."""
    group = parser.add_argument_group(
        "finished exports (with --normalize or --trim the whole take is needed, so the "
        "file is written when the generation ends; otherwise a WAV streams to disk as the "
        "audio arrives)")
    group.add_argument("--format", choices=FORMATS,
                       help="audio file format (default: from -o's extension, else wav)")
    group.add_argument("--wav-format", choices=list(WAV_FORMAT_CHOICES), metavar="FORMAT",
                       help="WAV samples: 16, 24, float (32-bit), ulaw or alaw (FLAC: 16 "
                       "or 24); default: float for pcm_f32le, else 16")
    group.add_argument("--export-rate", type=_rate, metavar="HZ",
                       help="resample the file to this rate (our resampler; default: the "
                       "generated rate)")
    group.add_argument("--stereo", action="store_true",
                       help="two identical channels instead of one")
    group.add_argument("--normalize", type=_number("--normalize", -70, 0), metavar="LUFS",
                       help="integrated loudness target (ITU-R BS.1770-4), e.g. -23, -16, "
                       "-14; the loudness before and after is printed")
    group.add_argument("--true-peak", type=_number("--true-peak", -20, 0), default=-1.0,
                       metavar="DBTP", help="true-peak ceiling when normalizing (default -1)")
    group.add_argument("--no-limit", dest="limit", action="store_false",
                       help="normalize with one gain only: when the ceiling needs it the file "
                       "stays quieter than the target (default: a look-ahead limiter takes "
                       "the few loudest peaks down so the target is reached)")
    group.add_argument("--trim", action="store_true",
                       help="cut leading and trailing silence (keeping --pad)")
    group.add_argument("--pad", type=_number("--pad", 0, 10000), default=100.0, metavar="MS",
                       help="silence kept by --trim at each end (default 100 ms)")
    group.add_argument("--fade-in", type=_number("--fade-in", 0, 60000), default=0.0,
                       metavar="MS", help="equal-power fade-in length")
    group.add_argument("--fade-out", type=_number("--fade-out", 0, 60000), default=0.0,
                       metavar="MS", help="equal-power fade-out length")


def export_spec_of(args: argparse.Namespace, output: Path | None, encoding: str) -> ExportSpec:
    """The :class:`ExportSpec` the flags ask for (timings aside: the command line names
    their files itself). :class:`UsageError` for flags that contradict each other."""
    suffix_format = _FORMAT_OF_SUFFIX.get(output.suffix.lower()) if output else None
    fmt: ExportFormat = args.format or suffix_format or "wav"
    if args.format and output is not None and output.suffix and suffix_format != args.format:
        raise UsageError(f"-o {output} ends in {output.suffix} but --format is {args.format}; "
                         f"name it {output.stem}.{'opus' if fmt == 'opus' else fmt}")
    requested = WAV_FORMAT_CHOICES.get(args.wav_format) if args.wav_format else None
    subtype: WavSubtype
    if fmt == "flac":
        if requested not in (None, "pcm16", "pcm24"):
            raise UsageError(f"--wav-format {args.wav_format}: FLAC stores 16 or 24 bits")
        subtype = requested or ("pcm24" if encoding == "pcm_f32le" else "pcm16")
    elif fmt == "wav":
        subtype = requested or ("float32" if encoding == "pcm_f32le" else "pcm16")
    else:
        if requested is not None:
            raise UsageError(f"--wav-format applies to WAV and FLAC, not {fmt}")
        subtype = "pcm16"
    values: dict[str, Any] = dict(
        format=fmt, wav_subtype=subtype, sample_rate=args.export_rate,
        channels=2 if args.stereo else 1, normalize_lufs=args.normalize,
        true_peak_db=args.true_peak, limiter=args.limit, trim=args.trim, pad_ms=args.pad,
        fade_in_ms=args.fade_in, fade_out_ms=args.fade_out)
    spec = ExportSpec(**values)
    try:
        spec.check()  # before anything is generated
    except ExportError as exc:
        raise UsageError(str(exc)) from None
    return spec


def shapes_audio(args: argparse.Namespace) -> list[str]:
    """The flags given that change the audio file (they need -o)."""
    given = [("--normalize", args.normalize is not None), ("--trim", args.trim),
             ("--fade-in", args.fade_in > 0), ("--fade-out", args.fade_out > 0),
             ("--export-rate", args.export_rate is not None), ("--stereo", args.stereo),
             ("--format", args.format is not None)]
    return [flag for flag, on in given if on]


def loudness_report(result: ExportResult) -> str:
    """"-24.5 LUFS, -4.0 dBTP -> -16.0 LUFS, -1.1 dBTP" and what the export decided."""
    def side(lufs: float | None, peak: float | None) -> str:
        level = f"{lufs:.1f} LUFS" if lufs is not None else "too short to measure"
        return level + (f", {peak:.1f} dBTP" if peak is not None else "")

    before = side(result.before.lufs if result.before else None, result.true_peak_before)
    after = side(result.after.lufs if result.after else None, result.true_peak_db)
    notes = "".join(f"\n  {note}" for note in result.notes)
    return f"loudness: {before} -> {after}{notes}"
