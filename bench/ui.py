"""Window benchmark: launch to shown, waveform paint for a 10-minute take, loop stalls,
and the voice picker with a library of Cartesia's size.

    source scripts/pulse.sh && pulse_start
    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/ui.py
    pulse_stop

Prints a table; results go in docs/benchmarks.md.
- launch: a fresh interpreter imports the app, builds the window and shows it
  (median of 5 runs, measured inside the child from its start to the first
  paint of the window, without the engine). ``--launch-only`` measures what a
  user waits for instead: from process start, through ``main.py --offline``
  with its engine, to the first paint and to "Play usable" (bench/launch.py;
  ``--compare OTHER_ROOT`` interleaves another checkout's runs, ``--quick``;
  ``--breakdown``: the window process's time to its first paint, stage by stage, in
  one process each run, with the dataclasses and enum classes made before it).
- memory (``--memory-only``): the window and its engine, idle with Joe loaded
  and after one 45-word take (bench/launch.py).
- paint: full repaints of the waveform at 1280 px for a 10-minute take at 44.1 kHz
  with 1,500 words and 6,000 phonemes: the whole take, zoomed to 30 s (word labels),
  and to 3 s (word and phoneme labels). ``--paint-only`` runs just this.
- stall: the gaps between ticks of a 1 ms asyncio timer on the qasync loop while a
  Piper take streams from the offline engine child and plays through the sound
  device, the window shown (playhead moving, words highlighted), while a child of
  the bench keeps one core busy (``python -c "while True: pass"``, killed after).
  Each run is a fresh process (its own engine child). ``--stall-only`` runs 10 and
  prints each run's longest gap, p99 gap, the count of gaps over 16 ms and the GUI
  thread's CPU time as a share of one core (``--quick``: 3 runs; ``--debug``:
  asyncio names callbacks over 16 ms).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/ui.py --stall-only
- picker: 5,000 voices (the engine's extra voices, ``serve --extra-voices``) in
  the picker at the width the window gives it; each keystroke typed into the
  search box (QTest key events, backspaces included) is timed from the key
  press until the events it caused are processed, the repaint of the table
  included (``processEvents`` paints the shown widget into its backing store,
  offscreen too: one paint event per keystroke; the table's paints are counted).
  Also the time to show 5,000 voices at once (a cached list, in the picker's
  batches) and to add a page of 100 (a load in progress), each with its repaint;
  and the event loop's stalls (a 1 ms timer's gaps) while the real VoiceLibrary
  loads 5,000 voices page by page from a server in its own process into a shown
  picker, and while the next start reads that cache and shows it. The app's
  cycle collector runs as in the app; gaps with a collection in them are told
  apart. ``--quick``: one load run instead of three (about a minute).
  ``--against OTHER_ROOT``: only the load and cache measures, of another checkout
  (before) and of this one (after), each run a fresh process, the two interleaved
  (4 runs each; ``--quick``: 2), with the load average at the start of each run.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/ui.py --picker-only [--quick]
    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/ui.py --picker-only --against /tmp/base
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: The tree whose app is measured: this one, or another checkout's (``--root``: the
#: picker's runs before and after a change, interleaved by ``--against``).
ROOT = (Path(sys.argv[sys.argv.index("--root") + 1]).resolve() if "--root" in sys.argv
        else Path(__file__).resolve().parents[1])
sys.path.insert(0, str(ROOT))

LAUNCH = r"""
import time, sys
t0 = time.perf_counter()
from pathlib import Path
from PySide6.QtCore import QTimer, QEvent, QObject
from PySide6.QtWidgets import QApplication
import qasync
app = QApplication(sys.argv)
from app.studio.options import RunOptions
from app.ui.main import build_window
tmp = Path(sys.argv[1])
w = build_window(RunOptions(offline=True), tmp / "s.json", tmp, tmp / "cache")
class Painted(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            print(f"{time.perf_counter() - t0:.4f}", flush=True)
            app.quit()
        return False
f = Painted(); w.installEventFilter(f)
w.resize(1280, 800); w.show()
app.exec()
"""


def launch_times(runs: int = 5) -> list[float]:
    out = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            done = subprocess.run([sys.executable, "-c", LAUNCH, tmp], capture_output=True,
                                  text=True, cwd=ROOT, timeout=60)
            out.append(float(done.stdout.strip().splitlines()[-1]))
    return out


def paint_times(repeats: int = 300, words: bool = True
                ) -> tuple[list[float], list[float], list[int]]:
    from PySide6.QtWidgets import QApplication

    from app.takes.take import Take, TakeSettings, TakeStatus
    from app.takes.timings import Timing
    from app.ui.waveform import WaveformView

    QApplication.instance() or QApplication(sys.argv)
    rate = 44100
    take = Take(TakeSettings(text="x", voice_id="v", sample_rate=rate))
    rng = np.random.default_rng(0)
    for _ in range(60):  # 10 minutes in 10 s chunks, as it would stream
        take.append_audio((0.3 * rng.standard_normal(10 * rate)).astype(np.float32))
    if words:  # 1,500 words of 0.3 s with 0.1 s pauses, four phonemes each
        names = ["designers", "audition", "voices", "and", "tune", "the", "words"]
        for i in range(1500):
            start = i * 0.4
            take.add_words([Timing(names[i % len(names)], start, start + 0.3)])
            take.add_phonemes([Timing("aɪ", start + k * 0.075, start + (k + 1) * 0.075)
                               for k in range(4)])
    take.finish(TakeStatus.DONE)
    view = WaveformView()
    view.resize(1280, 240)
    view.show()
    view.set_take(take)
    view.set_playhead(5 * 60 * rate)
    blits, redraws, labels = [], [], []
    for i in range(repeats):
        if i == repeats // 3:
            view.zoom(0.05)  # a third of the paints the whole take, a third 30 s
        if i == 2 * repeats // 3:
            view.zoom(0.1)  # and a third 3 s: word and phoneme labels
        view._cache = None  # a redraw from the peaks, as after a zoom or a resize
        t = time.perf_counter()
        view.canvas.grab()  # renders now, offscreen included (repaint() may not)
        redraws.append(time.perf_counter() - t)
        labels.append(len(view.drawn_labels()))
        view.set_playhead(view.playhead + 441)
        t = time.perf_counter()
        view.canvas.grab()  # the cached drawing plus the overlays, as while playing
        blits.append(time.perf_counter() - t)
    return redraws, blits, labels


#: The busy core of the stall measurement: another process spinning on one core, as a
#: compile or a browser tab would, so the GUI, the sound callback and the engine child
#: share what is left.
BUSY = "while True: pass"
#: A gap over this is a frame the user sees late (60 Hz).
FRAME_MS = 16.0


@dataclass(frozen=True)
class StallRun:
    """One take streamed and played: the 1 ms timer's gaps (ms), and the GUI thread's
    CPU time over the same span (s): what the window costs, whatever the load."""

    gaps: list[float]
    cpu: float
    #: The first tick after the take's first audio arrived: the gaps before it are the
    #: press of Play (the window switching into the take), not streaming or playing.
    first_audio: int = 0

    @property
    def cpu_share(self) -> float:
        """The GUI thread's CPU as a share of one core while it streamed and played."""
        return self.cpu / (sum(self.gaps) / 1000)

    @property
    def longest(self) -> float:
        return max(self.gaps)

    @property
    def p99(self) -> float:
        return float(np.percentile(self.gaps, 99))

    @property
    def over_frame(self) -> int:
        return sum(g > FRAME_MS for g in self.gaps)

    @property
    def longest_streaming(self) -> float:
        """The longest gap from the first audio on."""
        return max(self.gaps[self.first_audio:], default=0.0)


def stall_while_streaming() -> StallRun:
    """The gaps between ticks of a 1 ms asyncio timer on the qasync loop while a Piper
    take streams from the offline engine child and plays through the sound device,
    the window shown (playhead moving, words highlighted)."""
    import qasync
    from PySide6.QtWidgets import QApplication

    from app.settings import Settings
    from app.studio.options import RunOptions
    from app.studio.studio import Studio
    from app.takes.take import TakeStatus
    from app.ui.window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)  # as the app: shutdown() quits, not the close
    tmp = Path(tempfile.mkdtemp())
    # The engine as the app runs it: its own process (see app/engine/local.py).
    studio = Studio(Settings(tmp / "s.json"), RunOptions(offline=True), cache_dir=tmp)
    window = MainWindow(studio)
    window.resize(1280, 800)
    window.show()
    gaps: list[float] = []
    cpu: list[float] = []
    first: list[int] = []

    async def run() -> None:
        await studio.start()
        await studio.library.refresh()
        await asyncio.sleep(2.0)  # models loaded
        window.editor.setPlainText(" ".join(["Streaming words keep the window busy."] * 8))
        window.editor.revalidate()
        # From before the press: what Play does at once is part of the first gap.
        last, start = time.perf_counter(), time.thread_time()
        window.play()
        transport = studio.transport
        while transport.take is None or transport.take.status is TakeStatus.STREAMING \
                or (not transport.holds_current and transport.problem is None) \
                or transport.playing:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append((now - last) * 1000)
            last = now
            if not first and transport.take is not None and transport.take.duration > 0:
                first.append(len(gaps))
        cpu.append(time.thread_time() - start)
        window.close()
        await studio.shutdown()

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    if "--debug" in sys.argv:  # name what blocks: asyncio logs callbacks over 16 ms
        import logging

        logging.basicConfig(level=logging.WARNING)
        loop.set_debug(True)
        loop.slow_callback_duration = FRAME_MS / 1000
    loop.run_until_complete(run())
    loop.close()  # joins qasync's executor threads: Qt aborts on live QThreads at exit
    shutil.rmtree(tmp, ignore_errors=True)
    return StallRun(gaps, cpu[0], first[0] if first else 0)


def stalls_with_busy_core(runs: int) -> list[StallRun]:
    """``runs`` stall measurements, each in a fresh process (a fresh engine child, no
    state carried over), while a child of ours keeps one core busy."""
    busy = subprocess.Popen([sys.executable, "-c", BUSY])
    try:
        out = []
        for _ in range(runs):
            done = subprocess.run([sys.executable, __file__, "--stall-run",
                                   *(a for a in sys.argv[1:] if a == "--debug")],
                                  capture_output=True, text=True, cwd=ROOT, timeout=300)
            if done.returncode != 0:
                raise RuntimeError(f"stall run failed:\n{done.stderr}")
            sys.stderr.write(done.stderr)
            out.append(StallRun(**json.loads(done.stdout.strip().splitlines()[-1])))
        return out
    finally:
        busy.kill()
        busy.wait()


def print_stalls(runs: int) -> None:
    results = stalls_with_busy_core(runs)
    print(f"loop stalls while a Piper take streams and plays, one core busy ({runs} runs)")
    print(f"{'run':>4} {'longest ms':>11} {'from 1st audio':>15} {'p99 ms':>8} "
          f"{'gaps > 16 ms':>13} {'ticks':>7} {'GUI CPU':>8}")
    for n, r in enumerate(results, 1):
        print(f"{n:>4} {r.longest:>11.1f} {r.longest_streaming:>15.1f} {r.p99:>8.2f} "
              f"{r.over_frame:>13} {len(r.gaps):>7} {r.cpu_share:>8.0%}")
    met = sum(r.longest <= FRAME_MS for r in results)
    streaming = sum(r.longest_streaming <= FRAME_MS for r in results)
    print(f"longest stall <= {FRAME_MS:.0f} ms in {met} of {runs} runs (goal: all); from the "
          f"first audio on (the press of Play left out): {streaming} of {runs}")


def print_paint() -> None:
    """Redraw times by zoom, with the labels each drew, with and without timings."""
    for words in (False, True):
        redraws, blits, labels = paint_times(words=words)
        third = len(redraws) // 3
        for n, name in enumerate(("whole take", "30 s", "3 s")):
            part = np.array(redraws[n * third:(n + 1) * third]) * 1000
            play = np.array(blits[n * third:(n + 1) * third]) * 1000
            print(f"{'words' if words else 'no words'}, {name:<10} redraw p50/p95 "
                  f"{np.percentile(part, 50):.2f}/{np.percentile(part, 95):.2f} ms, "
                  f"playing p95 {np.percentile(play, 95):.2f} ms, "
                  f"{labels[n * third]} labels")


#: What a designer types: words, then backspaces, a broad one-letter search, a voice id.
TYPED = ["brit", "\b" * 4, "calm narrator", "\b" * 9, "fem", "\b" * 20, "a", "\b",
         "english audiobook", "\b" * 17, "de", "\b" * 2, "c21d0612"]


class _Paints:
    """Counts the table's paint events (is each keystroke's repaint in its time?)."""

    def __init__(self) -> None:
        from PySide6.QtCore import QEvent, QObject

        paint = QEvent.Type.Paint
        counts = self

        class Filter(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                if event.type() == paint:
                    counts.count += 1
                return False

        self.count = 0
        self.filter = Filter()


def _showing(picker: object) -> bool:
    """Whether the picker still has voices waiting for their batch (before issue 14 it
    showed a list at once, and had no such method)."""
    showing = getattr(picker, "showing", None)
    return bool(showing()) if showing is not None else False


def bench_voices(extra: int = 5000) -> list[object]:
    """The offline voices and ``extra`` of the engine's extra voices, as the server lists
    them (deterministic: the same names, languages and ids in every run)."""
    from dataclasses import replace

    from app.engine.catalog import with_extra_voices
    from app.engine.local import offline_synthesizers

    synths = with_extra_voices(offline_synthesizers(), extra)
    offline_ids = {v.id for s in offline_synthesizers() for v in s.voices()}
    return [v if v.id in offline_ids else replace(v, offline=False)
            for s in synths for v in s.voices()]


def picker_times() -> dict[str, object]:
    """Per keystroke (ms, wall and the GUI thread's CPU: what the keystroke costs,
    whatever else the machine's two cores are doing), backspaces apart; the table's
    paints per keystroke; showing 5,000 voices at once (a cached list: until all are
    shown, and the longest step); adding a page of 100 (a load in progress)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from app.ui.voice_picker import VoicePicker

    app = QApplication.instance() or QApplication(sys.argv)
    voices = bench_voices()
    picker = VoicePicker()
    picker.resize(480, 800)  # its share of a 1280 px window
    picker.show()
    app.processEvents()
    t, c = time.perf_counter(), time.thread_time()
    picker.set_voices(voices)  # type: ignore[arg-type]
    app.processEvents()
    steps = [(time.perf_counter() - t) * 1000]
    step_cpu = [(time.thread_time() - c) * 1000]
    while _showing(picker):  # the batches, one per turn of the event loop
        s, c = time.perf_counter(), time.thread_time()
        app.processEvents()
        steps.append((time.perf_counter() - s) * 1000)
        step_cpu.append((time.thread_time() - c) * 1000)
    shown = (time.perf_counter() - t) * 1000
    pages = []
    fresh = VoicePicker()
    fresh.resize(480, 800)
    fresh.show()
    for start in range(0, len(voices), 100):
        t = time.perf_counter()
        fresh.add_voices(voices[start:start + 100])  # type: ignore[arg-type]
        app.processEvents()
        pages.append((time.perf_counter() - t) * 1000)
    fresh.close()
    picker.search.setFocus()
    paints = _Paints()
    picker.table.viewport().installEventFilter(paints.filter)
    typed: list[float] = []
    erased: list[float] = []
    cpu: list[float] = []
    painted: list[int] = []
    for _ in range(3):
        for chunk in TYPED:
            for char in chunk:
                before, text = paints.count, picker.search.text()
                t, c = time.perf_counter(), time.thread_time()
                if char == "\b":
                    QTest.keyClick(picker.search, Qt.Key.Key_Backspace)
                else:
                    QTest.keyClicks(picker.search, char)
                app.processEvents()
                took, used = time.perf_counter() - t, time.thread_time() - c
                if picker.search.text() == text:
                    continue  # a backspace in an empty box: nothing to do, nothing to time
                (erased if char == "\b" else typed).append(took * 1000)
                cpu.append(used * 1000)
                painted.append(paints.count - before)
    picker.close()
    return {"typed": typed, "erased": erased, "cpu": cpu, "shown": shown,
            "step": max(steps), "step cpu": max(step_cpu), "pages": pages,
            "paints": painted}


SERVER = r"""
import sys
from app.engine.server import ServerConfig, ThreadedServer
from app.engine.synth.tones import ToneSynthesizer
srv = ThreadedServer([ToneSynthesizer()], ServerConfig(api_key=sys.argv[1],
                                                       extra_voices=int(sys.argv[2])))
srv.start()
print(srv.url, flush=True)
sys.stdin.read()
srv.stop()
"""


#: When the app's collector ran a full collection (start, end: perf_counter), to tell
#: its stalls apart.
COLLECTIONS: list[tuple[float, float]] = []


def picker_load_stalls(runs: int = 3) -> list[dict[str, float]]:
    """The longest gap between ticks of a 1 ms timer on the window's loop, and the gaps
    over 16 ms, while the library loads 5,000 voices page by page into a shown picker
    (through the real VoiceLibrary, from our server in its own process, as Cartesia
    or the engine would be), and then while the next start reads that cache and
    shows it."""
    import qasync
    from PySide6.QtWidgets import QApplication

    from app.engine.local import offline_voices
    from app.settings import Settings
    from app.studio.endpoints import Endpoints
    from app.studio.library import VoiceLibrary
    from app.studio.options import RunOptions
    from app.ui.voice_picker import VoicePicker

    app = QApplication.instance() or QApplication(sys.argv)
    key = "sk_bench_picker_0123456789"
    server = subprocess.Popen([sys.executable, "-c", SERVER, key, "5000"], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None and server.stdin is not None
    url = server.stdout.readline().strip()
    # What loads the offline synthesizers once per process (the launch work of issue 14
    # moves it out of the window): not the picker's part, so not in these figures.
    offline_voices()

    async def longest_gaps(work: Callable[[], Awaitable[None]]) -> dict[str, float]:
        """The longest gap, the gaps over 16 ms, the GUI thread's CPU time in its
        longest gap (the rest of a gap is waiting: for a core on a busy machine, or
        for the GIL), and how long the work took."""
        gaps: list[float] = []
        cpu: list[float] = []
        done = False
        t0 = 0.0

        async def ticks() -> None:
            nonlocal t0
            last, used = time.perf_counter(), time.thread_time()
            t0 = last
            while not done:
                await asyncio.sleep(0.001)
                now, using = time.perf_counter(), time.thread_time()
                gaps.append(now - last)
                cpu.append(using - used)
                last, used = now, using

        ticking = asyncio.ensure_future(ticks())
        await asyncio.sleep(0.05)
        t = time.perf_counter()
        await work()
        took = time.perf_counter() - t
        done = True
        await ticking
        ends = list(itertools.accumulate(gaps, initial=t0))
        # Gaps with no full collection in them: the picker's own.
        own = [g for g, a, b in zip(gaps, ends, ends[1:], strict=False)
               if not any(a <= s and e <= b for s, e in COLLECTIONS)]
        return {"max": max(gaps) * 1000, "own": max(own, default=0.0) * 1000,
                "over 16": sum(g > 0.016 for g in gaps),
                "over 50": sum(g > 0.050 for g in gaps),
                # The GUI thread's CPU in a gap over 16 ms: a page's or a batch's step,
                # steadier than its wall time on a loaded machine.
                "step cpu": statistics.median(
                    [c for g, c in zip(gaps, cpu, strict=True) if g > 0.016] or [0.0]) * 1000,
                "cpu": max(cpu) * 1000, "ms": took * 1000}

    async def shown(picker: VoicePicker, count: int) -> None:
        # A poll, as a user would see it: the picker announces no "all shown".
        while _showing(picker) or len(picker.model.voices) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.001)

    async def one_run() -> dict[str, float]:
        tmp = Path(tempfile.mkdtemp())
        settings = Settings(tmp / "s.json")
        endpoints = Endpoints(settings, RunOptions(api_key=key, base_url=url), environ={})
        pickers, libraries = [], []
        try:
            for _ in range(2):
                picker = VoicePicker()
                picker.resize(480, 800)
                picker.show()
                library = VoiceLibrary(endpoints, settings, tmp)
                picker.bind(library)
                pickers.append(picker)
                libraries.append(library)

            async def load() -> None:
                await libraries[0].refresh()
                await shown(pickers[0], 5000)

            async def cached() -> None:
                await libraries[1].load_cached()
                await shown(pickers[1], 5000)

            loaded = await longest_gaps(load)
            read = await longest_gaps(cached)
            # What the app's collector costs now and then (every ~11 s) with the two
            # libraries in memory: a stall of its own, whatever the picker does.
            t = time.perf_counter()
            gc.collect()
            collected = (time.perf_counter() - t) * 1000
            return {**{f"load {k}": v for k, v in loaded.items()},
                    **{f"cache {k}": v for k, v in read.items()}, "gc": collected}
        finally:
            for library in libraries:
                await library.close()
            await endpoints.close()
            for picker in pickers:
                picker.close()
                picker.deleteLater()

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    if "--debug" in sys.argv:  # name what blocks: asyncio logs callbacks over 16 ms
        import logging

        logging.basicConfig(level=logging.WARNING)
        loop.set_debug(True)
        loop.slow_callback_duration = 0.016
    try:
        # A first run, not counted: what a process does once (aiohttp's first request
        # makes its TLS context, PySide's import hook reads sources) is not the picker.
        loop.run_until_complete(one_run())
        return [loop.run_until_complete(one_run()) for _ in range(runs)]
    finally:
        loop.close()
        server.stdin.close()
        server.wait(10)


def _timed_collector() -> Any:
    """Cycles collected as the app collects them (on the GUI thread, by a timer), not
    whenever an allocation happens to trigger it: a full collection is a stall of its
    own (its cost is in the table), not the picker's."""
    from PySide6.QtWidgets import QApplication

    from app.ui.main import MainThreadGarbageCollector

    QApplication.instance() or QApplication(sys.argv)

    class TimedCollector(MainThreadGarbageCollector):
        @staticmethod
        def collect() -> None:
            start, generations = time.perf_counter(), gc.get_count()[1]
            MainThreadGarbageCollector.collect()
            if gc.get_count()[1] < generations:  # a full one, not the one a second
                COLLECTIONS.append((start, time.perf_counter()))

    return TimedCollector()


def picker_stall_run() -> None:
    """One process's load and cache measures (after its uncounted warm-up), as JSON:
    a child of ``--against``, run in the tree given by ``--root``."""
    load = os.getloadavg()[0]
    collector = _timed_collector()
    try:
        (stalls,) = picker_load_stalls(1)
    finally:
        collector.timer.stop()
        gc.enable()
    print(json.dumps({**stalls, "load average": load}))


def print_picker_against(other: Path, runs: int) -> None:
    """The load and cache measures of another checkout (before) and of this one (after),
    each run a fresh process, the two interleaved: one table."""
    def one(root: Path) -> dict[str, float]:
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()),
                               "--picker-stall-run", "--root", str(root)],
                              env={**os.environ, "PYTHONPATH": str(root)}, cwd=root,
                              capture_output=True, text=True, check=True, timeout=900)
        got: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
        return got

    here = Path(__file__).resolve().parents[1]
    before: list[dict[str, float]] = []
    after: list[dict[str, float]] = []
    for _ in range(runs):
        before.append(one(other))
        after.append(one(here))
    names = [("max", "longest loop stall ms", ".1f"),
             ("own", "longest, no cycle collection in it, ms", ".1f"),
             ("cpu", "most GUI-thread CPU in one gap ms", ".1f"),
             ("step cpu", "GUI-thread CPU of a stall over 16 ms, p50", ".1f"),
             ("over 50", "stalls over 50 ms", ".0f"),
             ("over 16", "stalls over 16 ms", ".0f"),
             ("ms", "until all 5,000 shown ms", ".0f")]
    print(f"{'picker loading, 5,000 voices':<46} {'before':>24} {'after':>24}")
    for part in ("load", "cache"):
        for key, name, form in names:
            cells = [", ".join(format(r[f"{part} {key}"], form) for r in side)
                     for side in (before, after)]
            print(f"{part + ': ' + name:<46} {cells[0]:>24} {cells[1]:>24}")
    cells = [", ".join(f"{r['load average']:.1f}" for r in side) for side in (before, after)]
    print(f"{'load average at the start of each run':<46} {cells[0]:>24} {cells[1]:>24}")
    print(f"(before: {other}; after: {here}; {runs} runs each, interleaved)")


def print_picker(quick: bool = False) -> None:
    """One table: keystrokes (typing and backspace apart), showing and loading."""
    collector = _timed_collector()
    try:
        got = picker_times()
        stalls = picker_load_stalls(1 if quick else 3)
    finally:
        collector.timer.stop()
        gc.enable()
    typed, erased = np.array(got["typed"]), np.array(got["erased"])
    keys = np.concatenate([typed, erased])
    cpu = np.array(got["cpu"])
    paints = np.array(got["paints"])
    rows: list[tuple[str, str, str]] = [
        ("keystroke p50 ms", f"{np.percentile(keys, 50):.2f}", ""),
        ("keystroke p95 ms", f"{np.percentile(keys, 95):.2f}", "<= 16"),
        ("keystroke max ms", f"{keys.max():.2f}", ""),
        ("typing p95 ms", f"{np.percentile(typed, 95):.2f}", "<= 16"),
        ("backspace p95 ms", f"{np.percentile(erased, 95):.2f}", "<= 16"),
        ("keystroke CPU p50 ms", f"{np.percentile(cpu, 50):.2f}", ""),
        ("keystroke CPU p95 ms", f"{np.percentile(cpu, 95):.2f}", "<= 16"),
        ("table paints per keystroke, min/max", f"{paints.min()}/{paints.max()}", ">= 1"),
        ("show 5,000 at once, until all shown ms", f"{got['shown']:.1f}", ""),
        ("show 5,000 at once, longest step ms", f"{got['step']:.1f}", "<= 50"),
        ("show 5,000 at once, longest step's CPU ms", f"{got['step cpu']:.1f}", ""),
        ("add a page of 100, max ms", f"{max(got['pages']):.1f}", "<= 50"),  # type: ignore
    ]
    #: Per run of a load: (label, the run's key after the load's name, format, target).
    per_run = (("longest loop stall ms", "max", ".1f", "<= 50"),
               ("longest, no cycle collection in it, ms", "own", ".1f", "<= 50"),
               ("most GUI-thread CPU in one gap ms", "cpu", ".1f", ""),
               ("GUI-thread CPU of a stall over 16 ms, p50", "step cpu", ".1f", ""),
               ("stalls over 50 ms", "over 50", ".0f", "0"),
               ("stalls over 16 ms", "over 16", ".0f", ""),
               ("until all 5,000 shown ms", "ms", ".0f", ""))
    for name in ("load", "cache"):  # pages from the server; the cache read and shown
        for label, key, fmt, target in per_run:
            rows.append((f"{name}: {label}",
                         ", ".join(format(r[f"{name} {key}"], fmt) for r in stalls), target))
    rows.append(("a full cycle collection, 2 x 5,000 voices loaded, ms",
                 ", ".join(f"{r['gc']:.1f}" for r in stalls), ""))
    print(f"{'picker, 5,000 voices':<52} {'value':>20}  target")
    for name, value, target in rows:
        print(f"{name:<52} {value:>20}  {target}")
    print(f"({len(typed)} keystrokes typed, {len(erased)} backspaces that changed the text; "
          f"{len(stalls)} load runs)")


def main() -> None:
    if "--launch-only" in sys.argv:
        from bench.launch import print_breakdown, print_launch

        if "--breakdown" in sys.argv:
            print_breakdown()
            return
        print_launch()
        return
    if "--memory-only" in sys.argv:
        from bench.launch import print_memory

        print_memory()
        return
    if "--picker-stall-run" in sys.argv:  # one measurement, in a child of --against
        picker_stall_run()
        return
    if "--picker-only" in sys.argv and "--against" in sys.argv:
        other = Path(sys.argv[sys.argv.index("--against") + 1]).resolve()
        print_picker_against(other, 2 if "--quick" in sys.argv else 4)
        return
    if "--picker-only" in sys.argv:
        print_picker(quick="--quick" in sys.argv)
        return
    if "--stall-run" in sys.argv:  # one measurement, in a child of --stall-only
        measured = stall_while_streaming()
        print(json.dumps({"gaps": measured.gaps, "cpu": measured.cpu,
                          "first_audio": measured.first_audio}))
        return
    if "--stall-only" in sys.argv:
        print_stalls(3 if "--quick" in sys.argv else 10)
        return
    if "--paint-only" in sys.argv:
        print_paint()
        return
    launch = launch_times()
    redraws, blits = (np.array(t) * 1000 for t in paint_times()[:2])
    stalls = [r.longest for r in stalls_with_busy_core(3)]
    print(f"{'measure':<44} {'value':>10}  target")
    print(f"{'launch to window shown (median of 5), s':<44} {statistics.median(launch):>10.3f}"
          "  < 1 s")
    print(f"{'waveform redraw, 10-min take, p50 ms':<44} {np.percentile(redraws, 50):>10.2f}"
          "  <= 4 ms")
    print(f"{'waveform redraw, 10-min take, p95 ms':<44} {np.percentile(redraws, 95):>10.2f}")
    print(f"{'waveform paint while playing, p95 ms':<44} {np.percentile(blits, 95):>10.2f}")
    print(f"{'longest event-loop stall while streaming, ms':<44} "
          f"{', '.join(f'{s:.1f}' for s in stalls):>10}  <= 16 ms (3 runs, a core busy)")
    got = picker_times()
    keys = np.array([*got["typed"], *got["erased"]])  # type: ignore[misc]
    print(f"{'picker keystroke, 5,000 voices, p50/p95/max ms':<44} "
          f"{np.percentile(keys, 50):.1f}/{np.percentile(keys, 95):.1f}/{keys.max():.1f}"
          "  p95 <= 16 ms")

if __name__ == "__main__":
    main()
