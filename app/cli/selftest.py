"""``voicebooth --self-test``: proves an installation (the bundle above all) works.

Each step prints one line with its time; the first that fails is named and the
run exits 1. The steps use what a designer's first minute uses: the offline
engine as a child process (in the bundle, the bundle's own program re-entered),
its voice list, a line said by Piper's Joe and by espeak-ng, decoded, written as
a WAV and read back, and the main window built offscreen (Qt and its plugins,
the icon fonts, the resources folder).

Nothing of the user's is touched: settings, history, caches and the engine's
data folder all live in a temporary folder that is removed at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

import numpy as np

from app.audio.wav import read_wav, write_wav
from app.cartesia.voices import VoicesClient
from app.cartesia.voices_types import Voice
from app.credentials import without_key
from app.engine.synth.registry import DEFAULT_OFFLINE_VOICE_ID
from app.errors import VoiceboothError
from app.settings import Settings
from app.studio.endpoints import Endpoints
from app.studio.options import RunOptions
from app.studio.recorder import Recorder
from app.takes.take import TakeSettings, TakeStatus

#: The espeak-ng voice the test says its line with (English, US).
ESPEAK_VOICE_ID = "e5beac00-0000-4000-8000-00000000e001"
LINE = "Voicebooth checks its offline voices."
#: What a take of LINE may last: Joe says it in about 2.5 s, espeak in about 2 s.
PLAUSIBLE_SECONDS = (0.8, 12.0)
#: Quieter than this (RMS, full scale 1.0) is silence, or nearly: about -50 dBFS.
SILENT_RMS = 0.003

#: The XDG folders redirected into the temporary folder (Linux; elsewhere the
#: settings and data paths are passed explicitly).
XDG_FOLDERS = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")


class SelfTestFailed(VoiceboothError):
    """A step of the self-test did not do what it must."""


@dataclass(frozen=True)
class Places:
    """Where the self-test keeps everything it writes."""

    root: Path

    @property
    def settings(self) -> Path:
        return self.root / "config" / "voicebooth" / "settings.json"

    @property
    def data(self) -> Path:
        return self.root / "data" / "voicebooth"

    @property
    def cache(self) -> Path:
        return self.root / "cache" / "voicebooth"


@contextlib.contextmanager
def sandbox() -> Iterator[Places]:
    """A temporary folder the XDG folders point into while the test runs."""
    saved = {name: os.environ.get(name) for name in XDG_FOLDERS}
    with tempfile.TemporaryDirectory(prefix="voicebooth-selftest-") as folder:
        root = Path(folder)
        for name in XDG_FOLDERS:
            path = root / name.removeprefix("XDG_").removesuffix("_HOME").lower()
            path.mkdir()
            os.environ[name] = str(path)
        try:
            yield Places(root)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


class Steps:
    """Runs named steps, printing ``ok  name  time  detail`` for each."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.started = time.perf_counter()

    def line(self, status: str, name: str, seconds: float, detail: str) -> None:
        print(f"{status:<4} {name:<26} {seconds:6.2f} s  {detail}", file=self.out, flush=True)

    def run(self, name: str, step: Callable[[], str]) -> None:
        began = time.perf_counter()
        try:
            detail = step()
        except Exception as exc:
            raise self.failed(name, began, exc) from exc
        self.line("ok", name, time.perf_counter() - began, detail)

    async def run_async(self, name: str, step: Callable[[], Awaitable[str]]) -> None:
        began = time.perf_counter()
        try:
            detail = await step()
        except Exception as exc:
            raise self.failed(name, began, exc) from exc
        self.line("ok", name, time.perf_counter() - began, detail)

    def failed(self, name: str, began: float, exc: Exception) -> SelfTestFailed:
        self.line("FAIL", name, time.perf_counter() - began, f"{type(exc).__name__}: {exc}")
        return SelfTestFailed(f"self-test failed at '{name}': {exc}")


def check_audio(samples: np.ndarray, rate: int, what: str) -> str:
    """Raise unless ``samples`` are finite, audible and of a plausible length."""
    seconds = len(samples) / rate if rate else 0.0
    low, high = PLAUSIBLE_SECONDS
    if not low <= seconds <= high:
        raise SelfTestFailed(f"{what} lasts {seconds:.2f} s; a take of {LINE!r} lasts "
                             f"{low:g} to {high:g} s")
    if not np.all(np.isfinite(samples)):
        raise SelfTestFailed(f"{what} holds samples that are not numbers")
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    if rms < SILENT_RMS:
        raise SelfTestFailed(f"{what} is silent (RMS {rms:.5f})")
    return f"{seconds:.2f} s at {rate} Hz, RMS {20 * np.log10(rms):.1f} dBFS"


async def engine_steps(steps: Steps, places: Places) -> None:
    """The offline engine's steps, on one loop, with everything closed at the end."""
    endpoints = Endpoints(Settings(places.settings), RunOptions(offline=True),
                          environ=without_key(os.environ))
    recorder = Recorder(endpoints)
    voices: dict[str, Voice] = {}
    try:
        async def start() -> str:
            url = await endpoints.engine_url()
            engine = endpoints.engine
            pid = engine.pid if engine is not None else None
            return f"{url} (process {pid})"

        async def listing() -> str:
            async with VoicesClient(await endpoints.offline()) as client:
                found = await client.list()
            voices.update({voice.id: replace(voice, offline=True) for voice in found})
            for wanted in (DEFAULT_OFFLINE_VOICE_ID, ESPEAK_VOICE_ID):
                if wanted not in voices:
                    raise SelfTestFailed(f"the engine does not list voice {wanted}")
            return f"{len(found)} voices"

        await steps.run_async("start the offline engine", start)
        await steps.run_async("load the voice list", listing)
        for voice_id, label, encoding in ((DEFAULT_OFFLINE_VOICE_ID, "Joe (Piper)", "pcm_f32le"),
                                          (ESPEAK_VOICE_ID, "espeak-ng", "pcm_s16le")):
            async def say(voice: Voice = voices[voice_id], label: str = label,
                          encoding: str = encoding) -> str:
                return await say_and_write(recorder, voice, label, encoding, places)

            await steps.run_async(f"say a line: {label}", say)
    finally:
        await recorder.close()
        await endpoints.close()


async def say_and_write(recorder: Recorder, voice: Voice, label: str, encoding: str,
                        places: Places) -> str:
    """Synthesize LINE, decode it, write it as a WAV, read it back and check it."""
    settings = TakeSettings(text=LINE, voice_id=voice.id, voice_name=voice.name,
                            encoding=encoding, sample_rate=44100, offline=True)
    take = await recorder.record(settings, voice, keep=False)
    if take.status is not TakeStatus.DONE:
        raise SelfTestFailed(f"{label}: the take ended {take.status.name.lower()}: "
                             f"{take.error or 'no reason given'}")
    check_audio(take.samples, take.sample_rate, f"{label}'s take")
    path = places.root / f"{voice.id}.wav"
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, lambda: write_wav(path, take.samples, take.sample_rate))
    back = await loop.run_in_executor(None, lambda: read_wav(path))
    if len(back.samples) != take.n_frames or back.sample_rate != take.sample_rate:
        raise SelfTestFailed(f"{path.name} read back {len(back.samples)} frames at "
                             f"{back.sample_rate} Hz; {take.n_frames} at {take.sample_rate} "
                             "were written")
    return check_audio(back.samples, back.sample_rate, f"{label}'s WAV")


def window_step(places: Places) -> str:
    """Build the main window offscreen once, paint it and close it as the app does."""
    # Imported here: Qt must load only after the offscreen platform is chosen.
    from app.ui.window_check import WindowCheckFailed, check_window

    try:
        return check_window(places.settings, places.data, places.cache, seconds_since_launch)
    except WindowCheckFailed as exc:
        raise SelfTestFailed(str(exc)) from None


def seconds_since_launch() -> float:
    """How long this process has run: from /proc on Linux (the bundle's bootloader and
    Python's start included), else from when this module was imported."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - _IMPORTED


_IMPORTED = time.perf_counter()


def run_self_test(out: TextIO) -> int:
    """Every step in order; 0 when all passed, 1 at the first that failed."""
    steps = Steps(out)
    print(f"Voicebooth self-test ({'bundle' if _frozen() else 'Python'}; nothing of "
          "yours is read or written)", file=out, flush=True)
    try:
        with sandbox() as places:
            # The window first: its first paint then tells how fast the app starts.
            steps.run("build the window", lambda: window_step(places))
            asyncio.run(engine_steps(steps, places))
    except SelfTestFailed as exc:
        print(f"self-test FAILED: {exc.args[0].removeprefix('self-test failed at ')}",
              file=out, flush=True)
        return 1
    print(f"self-test passed in {time.perf_counter() - steps.started:.1f} s", file=out,
          flush=True)
    return 0


def _frozen() -> bool:
    return bool(getattr(sys, "frozen", False))
