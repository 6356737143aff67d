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
  ``--compare OTHER_ROOT`` interleaves another checkout's runs, ``--quick``).
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
  offscreen too: one paint event per keystroke). Also the time to show 5,000
  voices at once (a cached list) and to add a page of 100 (a load in progress),
  each with its repaint.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/ui.py --picker-only
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
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

    async def run() -> None:
        await studio.start()
        await studio.library.refresh()
        await asyncio.sleep(2.0)  # models loaded
        window.editor.setPlainText(" ".join(["Streaming words keep the window busy."] * 8))
        window.editor.revalidate()
        window.play()
        transport = studio.transport
        last, start = time.perf_counter(), time.thread_time()
        while transport.take is None or transport.take.status is TakeStatus.STREAMING \
                or (not transport.holds_current and transport.problem is None) \
                or transport.playing:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append((now - last) * 1000)
            last = now
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
    return StallRun(gaps, cpu[0])


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
    print(f"{'run':>4} {'longest ms':>11} {'p99 ms':>8} {'gaps > 16 ms':>13} {'ticks':>7} "
          f"{'GUI CPU':>8}")
    for n, r in enumerate(results, 1):
        print(f"{n:>4} {r.longest:>11.1f} {r.p99:>8.2f} {r.over_frame:>13} {len(r.gaps):>7} "
              f"{r.cpu_share:>8.0%}")
    met = sum(r.longest <= FRAME_MS for r in results)
    print(f"longest stall <= {FRAME_MS:.0f} ms in {met} of {runs} runs (goal: all)")


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


def picker_times() -> tuple[list[float], float, list[float], list[float]]:
    """Per keystroke (ms), showing 5,000 voices at once (ms), adding a page (ms), and
    the GUI thread's CPU time per keystroke (ms: what the keystroke costs, whatever
    else the machine's two cores are doing)."""
    from dataclasses import replace

    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from app.engine.catalog import with_extra_voices
    from app.engine.local import offline_synthesizers
    from app.ui.voice_picker import VoicePicker

    app = QApplication.instance() or QApplication(sys.argv)
    synths = with_extra_voices(offline_synthesizers(), 5000)
    offline_ids = {v.id for s in offline_synthesizers() for v in s.voices()}
    voices = [v if v.id in offline_ids else replace(v, offline=False)
              for s in synths for v in s.voices()]
    picker = VoicePicker()
    picker.resize(480, 800)  # its share of a 1280 px window
    picker.show()
    app.processEvents()
    t = time.perf_counter()
    picker.set_voices(voices)
    app.processEvents()
    shown = (time.perf_counter() - t) * 1000
    pages = []
    fresh = VoicePicker()
    fresh.resize(480, 800)
    fresh.show()
    for start in range(0, len(voices), 100):
        t = time.perf_counter()
        fresh.add_voices(voices[start:start + 100])
        app.processEvents()
        pages.append((time.perf_counter() - t) * 1000)
    fresh.close()
    picker.search.setFocus()
    times, cpu = [], []
    for _ in range(3):
        for chunk in TYPED:
            for char in chunk:
                t, c = time.perf_counter(), time.thread_time()
                if char == "\b":
                    QTest.keyClick(picker.search, Qt.Key.Key_Backspace)
                else:
                    QTest.keyClicks(picker.search, char)
                app.processEvents()
                times.append((time.perf_counter() - t) * 1000)
                cpu.append((time.thread_time() - c) * 1000)
    picker.close()
    return times, shown, pages, cpu


def main() -> None:
    if "--launch-only" in sys.argv:
        from bench.launch import print_launch

        print_launch()
        return
    if "--memory-only" in sys.argv:
        from bench.launch import print_memory

        print_memory()
        return
    if "--picker-only" in sys.argv:
        keys, shown, pages, cpu = picker_times()
        print(f"{'picker, 5,000 voices':<44} {'value':>10}  target")
        for name, value in (("keystroke p50 ms", np.percentile(keys, 50)),
                            ("keystroke p95 ms", np.percentile(keys, 95)),
                            ("keystroke max ms", max(keys)),
                            ("keystroke CPU p50 ms", np.percentile(cpu, 50)),
                            ("keystroke CPU p95 ms", np.percentile(cpu, 95)),
                            ("keystroke CPU max ms", max(cpu)),
                            ("show 5,000 at once ms", shown),
                            ("add a page of 100, max ms", max(pages))):
            print(f"{name:<44} {value:>10.2f}" + ("  <= 16 ms" if name.endswith("p95 ms")
                                                   else ""))
        print(f"({len(keys)} keystrokes)")
        return
    if "--stall-run" in sys.argv:  # one measurement, in a child of --stall-only
        measured = stall_while_streaming()
        print(json.dumps({"gaps": measured.gaps, "cpu": measured.cpu}))
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
    keys, _shown, _pages, _cpu = picker_times()
    print(f"{'picker keystroke, 5,000 voices, p50/p95/max ms':<44} "
          f"{np.percentile(keys, 50):.1f}/{np.percentile(keys, 95):.1f}/{max(keys):.1f}"
          "  p95 <= 16 ms")


if __name__ == "__main__":
    main()
