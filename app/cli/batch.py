"""``voicebooth batch SCRIPT -o DIR``: every line of a script, rendered and finished.

The run is :class:`~app.studio.batch.BatchRun`'s; this module reads the
arguments, draws its events (a progress bar redrawn in place on a terminal,
one plain line per event otherwise) and prints the summary. Exit 0 when every
line was written or was done already, 4 when any failed, 2 for a bad script or
bad usage, 130 on Ctrl+C (the manifest keeps what finished).
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from app.audio.timefmt import format_time
from app.cartesia.config import Timeouts
from app.settings import Settings
from app.studio.batch import (
    BatchDefaults,
    BatchEvent,
    BatchPlan,
    BatchRun,
    BatchSummary,
    ConcurrencyLowered,
    LineFailed,
    LineWritten,
    Progress,
)
from app.studio.endpoints import Endpoints
from app.studio.lineup import DEFAULT_PARALLEL
from app.studio.manifest import ManifestError
from app.studio.options import RunOptions
from app.studio.script import Script, ScriptSourceError
from app.studio.script_sources import read_script
from app.takes.export import ExportSpec

from .lexicon import user_and_files
from .outputs import UsageError, export_spec_of, sigterm_terminates

EXIT_OK, EXIT_USAGE, EXIT_FAILED, EXIT_INTERRUPTED = 0, 2, 4, 130
BAR_WIDTH = 20


# --- drawing ------------------------------------------------------------------------


def progress_bar(done: int, failed: int, remaining: int, elapsed: float,
                 width: int = BAR_WIDTH) -> str:
    """``[#####.....] 23/50 done, 1 failed, 26 left, 0:12.0``."""
    total = done + failed + remaining
    filled = round(width * (done + failed) / total) if total else width
    return (f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} done, {failed} failed, "
            f"{remaining} left, {format_time(elapsed)}")


def written_line(event: LineWritten, folder: Path) -> str:
    audio = event.result.files[0]
    shown = _shown(audio, folder)
    after = event.result.after
    loudness = f"  {after.lufs:.1f} LUFS" if after is not None else ""
    return f"{event.line.label} done: {shown}{loudness}"


def _shown(path: Path, folder: Path) -> str:
    """A file as the user named its folder (``out/012_greeting.flac``)."""
    try:
        return str(folder / path.relative_to(folder))
    except ValueError:
        return str(path)


class Display:
    """Draws a run's events on ``err``: a bar redrawn in place on a terminal, plain lines
    otherwise. Messages (a failure, a file left behind) go above the bar."""

    def __init__(self, err: TextIO, folder: Path, *, tty: bool) -> None:
        self.err = err
        self.folder = folder
        self.tty = tty
        self._bar = ""

    def __call__(self, event: BatchEvent) -> None:
        if isinstance(event, Progress):
            if self.tty:
                self._bar = progress_bar(event.done, event.failed, event.remaining,
                                         event.elapsed)
                self._draw()
            return
        if isinstance(event, LineWritten):
            if not self.tty:
                self.say(written_line(event, self.folder))
            if event.left_behind:
                names = ", ".join(_shown(p, self.folder) for p in event.left_behind)
                self.say(f"{event.line.label}: its earlier files {names} were left in place "
                         "(no longer this line's name); delete them if unwanted")
        elif isinstance(event, LineFailed):
            self.say(f"{event.line.label} failed: {event.error}")
        elif isinstance(event, ConcurrencyLowered):
            self.say(f"the server allows fewer lines at once: now {event.limit} at a time")

    def say(self, message: str) -> None:
        if self.tty and self._bar:
            self.err.write("\r\x1b[K")
        print(message, file=self.err)
        if self.tty:
            self._draw()

    def _draw(self) -> None:
        if self._bar:
            self.err.write("\r\x1b[K" + self._bar)
            self.err.flush()

    def end(self) -> None:
        """Leave the bar as it is, on a line of its own."""
        if self.tty and self._bar:
            self.err.write("\n")
            self.err.flush()
            self._bar = ""


def dry_run_lines(plan: BatchPlan, folder: Path) -> list[str]:
    lines = []
    for item in plan.lines:
        path = _shown(plan.audio_path(item), folder)
        if item.done:
            lines.append(f"skip    {item.label}: {path} (done)")
        elif item.take is not None:
            lines.append(f"export  {item.label}: {path} (its chosen take, "
                         f"{format_time(item.take.duration)})")
        else:
            lines.append(f"render  {item.label}: {path}  [{item.voice.name or item.voice.id}] "
                         f"{_quote(item.line.text)}")
    takes = len(plan.from_takes)
    from_takes = f", {takes} to export from their chosen takes" if takes else ""
    lines.append(f"{len(plan.to_render)} to render{from_takes}, {len(plan.skipped)} done "
                 "already")
    return lines


def _quote(text: str, limit: int = 50) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[:limit - 1] + "…")


def summary_lines(summary: BatchSummary) -> list[str]:
    rate = summary.audio_seconds / summary.elapsed if summary.elapsed > 0 else 0.0
    made = (f"; {format_time(summary.audio_seconds)} of audio in "
            f"{format_time(summary.elapsed)} ({rate:.1f}× real time)" if summary.written
            else "")
    takes = summary.from_takes
    from_takes = f", {takes} exported from their chosen takes" if takes else ""
    lines = [f"{len(summary.written) - takes} rendered{from_takes}, {len(summary.skipped)} "
             f"skipped (done already), {len(summary.failed)} failed{made}"]
    if summary.failed:
        lines.append("failed:")
        for failure in sorted(summary.failed, key=lambda f: f.line.n):
            lines.append(f"  {failure.line.label}: {failure.error}")
    return lines


# --- running ------------------------------------------------------------------------


async def run_batch(args: argparse.Namespace, options: RunOptions, out: TextIO,
                    err: TextIO) -> int:
    spec = _spec(args)
    loop = asyncio.get_running_loop()
    folder = await loop.run_in_executor(None, _check_folder, args.output)
    script = await loop.run_in_executor(None, _read, Path(args.script))
    if not script.lines:
        raise UsageError(f"{args.script}: the script has no lines")
    lexicon = await user_and_files(not args.no_user_lexicon, args.lexicon)
    settings = Settings(None)  # the command line never reads or writes the window's settings
    endpoints = Endpoints(settings, options, timeouts=Timeouts(
        connect=args.timeout, first_chunk=args.timeout, inactivity=args.timeout))
    try:
        with sigterm_terminates():
            defaults = await _defaults(args, endpoints, script)
            run = BatchRun(endpoints, script, folder, defaults=defaults, spec=spec,
                           template=args.name, concurrency=args.concurrency or DEFAULT_PARALLEL,
                           force=args.force, keep_takes=False, lexicon=lexicon)
            try:
                plan = await run.plan()
            except ManifestError as exc:
                raise UsageError(str(exc)) from None
            if args.dry_run:
                for line in dry_run_lines(plan, folder):
                    print(line, file=out)
                return EXIT_OK
            if plan.foreign:
                raise UsageError(_foreign_message(plan.foreign, folder))
            return await _render(run, plan, folder, err)
    finally:
        await endpoints.close()


async def _render(run: BatchRun, plan: BatchPlan, folder: Path, err: TextIO) -> int:
    tty = err.isatty() and os.environ.get("TERM") != "dumb"
    display = Display(err, folder, tty=tty)
    todo = len(plan.to_render)
    if plan.skipped:
        print(f"{len(plan.skipped)} of {len(plan.lines)} lines are done already (same text, "
              "settings and export); skipping them", file=err)
    if plan.from_takes:
        print(f"{len(plan.from_takes)} lines have a current chosen take: exporting it as "
              "it is (--force renders them again)", file=err)
    if todo:
        print(f"Rendering {todo} line{'s' if todo != 1 else ''} into {folder}, at most "
              f"{run.concurrency} at a time.", file=err)
    unsubscribe = run.events.connect(display)
    try:
        summary = await run.run(plan)
    except asyncio.CancelledError:
        display.end()
        print(f"stopped: {len(run.summary.written)} lines were written and are kept in the "
              "manifest; run the same command again to render the rest", file=err)
        raise
    finally:
        unsubscribe()
    display.end()
    for line in summary_lines(summary):
        print(line, file=err)
    return EXIT_OK if summary.ok else EXIT_FAILED


def _read(path: Path) -> Script:
    try:
        return read_script(path)
    except ScriptSourceError as exc:
        raise UsageError(str(exc)) from None


def _spec(args: argparse.Namespace) -> ExportSpec:
    """say's finishing flags, as say reads them (lines are rendered as float32), and the
    timings batch writes beside every file."""
    return replace(export_spec_of(args, None, "pcm_f32le"), timings=args.timings)


def _check_folder(output: str) -> Path:
    """The output folder, refused before anything is read or sent when it cannot be."""
    folder = Path(output).expanduser()
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"-o {folder}: this is a file; give a folder for the line files")
    parent = folder.parent if str(folder.parent) else Path(".")
    if not folder.exists() and not parent.is_dir():
        raise UsageError(f"-o {folder}: the folder {parent} does not exist")
    return folder


async def _defaults(args: argparse.Namespace, endpoints: Endpoints,
                    script: Script) -> BatchDefaults:
    voice_id = args.voice
    unvoiced = [line for line in script.lines if not line.voice_id]
    if not voice_id and unvoiced and not script.defaults.voice_id \
            and await endpoints.online() is not None:
        raise UsageError(f"{len(unvoiced)} line{'s name' if len(unvoiced) > 1 else ' names'} "
                         "no voice: give one with --voice ID (list them with 'voicebooth "
                         "voices')")
    return BatchDefaults(voice_id=voice_id or "", model_id=args.model,
                         language=args.language)


def _foreign_message(paths: Sequence[Path], folder: Path) -> str:
    shown = ", ".join(_shown(p, folder) for p in paths[:5])
    more = f" and {len(paths) - 5} more" if len(paths) > 5 else ""
    return (f"{shown}{more} already exist{'s' if len(paths) == 1 else ''} and no earlier batch "
            "run in this folder made them; use --force to overwrite, or another -o folder")

