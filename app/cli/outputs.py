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

import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.atomic import WriteError
from app.audio.wav import WavFormat, WavWriter
from app.cartesia.voices_types import Voice
from app.errors import VoiceboothError
from app.takes.take import Take
from app.takes.timings import write_srt, write_timings_json


class UsageError(VoiceboothError):
    """Bad input on the command line (exit code 2)."""


class Terminated(VoiceboothError):
    """SIGTERM while generating: the audio that arrived is kept, as for Ctrl+C."""


class OutputError(VoiceboothError):
    """An output cannot be (or was not) written (exit code 1); says what was written."""


@dataclass(frozen=True)
class Output:
    option: str  # the option that named it, for messages
    path: Path


@dataclass(frozen=True)
class Outputs:
    wav: Path | None
    timings: Path | None
    srt: Path | None
    force: bool

    @property
    def named(self) -> list[Output]:
        return [Output(option, path) for option, path in (
            ("-o", self.wav), ("--timestamps", self.timings), ("--srt", self.srt))
            if path is not None]

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

    def finish(self, take: Take, audio: WavWriter | None) -> list[Path]:
        """Complete every output in order; :class:`OutputError` names what was written."""
        written: list[Path] = []

        def wav(path: Path) -> None:
            assert audio is not None
            audio.commit()

        def timings(path: Path) -> None:
            write_timings_json(path, take.words, take.phonemes)

        def srt(path: Path) -> None:
            write_srt(path, take.words)

        steps: list[tuple[Path | None, Callable[[Path], None]]] = [
            (self.wav, wav), (self.timings, timings), (self.srt, srt)]
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
