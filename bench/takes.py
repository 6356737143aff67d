"""A long take: memory and GUI stalls while it streams, then reopening it from the history.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/takes.py            # a 60-minute take
    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/takes.py --quick    # 10 minutes
    ... bench/takes.py --base /tmp/base-worktree    # the same, side by side with old code

Each measurement runs in a child process of its own (with ``PYTHONPATH`` set to the code
measured, so ``--base`` runs the same steps on another checkout, interleaved with ours):

- **stream**: a take at 44.1 kHz streamed in 40 ms chunks on a qasync loop, with the
  real ``WaveformView`` shown offscreen (fit to width, as in the window) and the player's
  read path (``Player.share`` of the take's audio, its callback called from a thread
  every 5 ms for 1,024 frames, as PortAudio would: no sound device needed). Peak RSS
  over the audio's size counts what the take costs: the peak (``VmHWM``) less the RSS
  before the first chunk. "longest append" is one ``Take.append_audio`` with its
  listeners (the waveform's), in wall time and in the loop thread's own CPU time (which
  the other processes of a busy machine do not inflate); "longest gap" the longest
  interval between two ticks of a
  1 ms ``QTimer`` (anything over 16 ms is a dropped frame), and the most CPU time the
  loop's thread spent within one gap (its own work, not the wait for a busy machine's
  cores). Then the take is saved with
  ``History.save`` (timed; the loudness the app measures first is left out).
- **reopen**: a fresh process opens the history, then times ``History.load`` of that
  take, ``WaveformView.set_take`` and the first paint (``canvas.grab()``, which renders
  offscreen at once); peak RSS during it is ``VmHWM`` less the RSS before the load.

Deterministic (a fixed 10 s pattern of noise and tones repeated); prints one table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RATE = 44100
CHUNK = RATE * 40 // 1000  # 40 ms


def status_mib(field: str) -> float:
    match = re.search(rf"{field}:\s+(\d+) kB", Path("/proc/self/status").read_text())
    return int(match.group(1)) / 1024 if match else 0.0


def reset_peak() -> None:
    """Start VmHWM again from the current RSS (Linux >= 4.0: write 5 to clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")


def pattern() -> Any:
    import numpy as np

    rng = np.random.default_rng(14)
    t = np.arange(10 * RATE) / RATE
    tone = 0.3 * np.sin(2 * np.pi * 220 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.7 * t))
    return (tone + 0.05 * rng.standard_normal(len(t))).astype(np.float32)


def child_stream(minutes: float, folder: Path) -> dict[str, float]:
    import asyncio
    import threading
    import types

    import numpy as np
    import qasync
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from app.audio.player import Player
    from app.takes.history import History
    from app.takes.take import Take, TakeSettings, TakeStatus
    from app.ui.waveform import WaveformView

    app = QApplication.instance() or QApplication(sys.argv)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    view = WaveformView()
    view.resize(1200, 220)
    view.show()
    source = pattern()
    n_chunks = int(minutes * 60 * RATE) // CHUNK
    take = Take(TakeSettings(text="A long take.", voice_id="bench", sample_rate=RATE))
    view.set_take(take)
    app.processEvents()

    # The player's read path, as PortAudio would drive it.
    player = Player(RATE)
    shared = player.share(take.audio)
    if not shared:
        take.events.connect(lambda e: player.feed(e.samples)
                            if hasattr(e, "n_frames") else None)
    player._request = ("play", 0, None, False)  # play() would open a device
    stop = threading.Event()
    out = np.zeros((1024, 1), np.float32)

    def callback_thread() -> None:
        while not stop.is_set():
            now = time.monotonic()
            info = types.SimpleNamespace(outputBufferDacTime=now + 0.05, currentTime=now)
            player._callback(out, 1024, info, None)
            time.sleep(0.005)

    gaps: list[float] = []
    gaps_cpu: list[float] = []  # the loop thread's CPU time in each gap: its own work
    last = [time.perf_counter(), time.thread_time()]

    def tick() -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        gaps.append(now - last[0])
        gaps_cpu.append(cpu - last[1])
        last[:] = [now, cpu]

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(tick)
    appends: list[float] = []
    append_cpu: list[float] = []  # the loop thread's own CPU time: without preemption

    async def stream() -> None:
        await asyncio.sleep(0.05)
        for i in range(n_chunks):
            at = i * CHUNK % len(source)
            chunk = source[at:at + CHUNK]
            started, cpu = time.perf_counter(), time.thread_time()
            take.append_audio(chunk)
            appends.append(time.perf_counter() - started)
            append_cpu.append(time.thread_time() - cpu)
            await asyncio.sleep(0)
        take.finish(TakeStatus.DONE)
        await asyncio.sleep(0.05)

    reader = threading.Thread(target=callback_thread)
    baseline = status_mib("VmRSS")
    reset_peak()
    reader.start()
    timer.start(1)
    last[:] = [time.perf_counter(), time.thread_time()]
    began = time.perf_counter()
    with loop:
        loop.run_until_complete(stream())
    wall = time.perf_counter() - began
    timer.stop()
    stop.set()
    reader.join()
    peak = status_mib("VmHWM")
    audio_mib = take.n_frames * 4 / 2**20
    reset_peak()
    before_save = status_mib("VmRSS")
    started = time.perf_counter()
    history = History(folder)
    history.save(take)
    save_s = time.perf_counter() - started
    save_peak = status_mib("VmHWM") - before_save
    history.close()
    (folder / "take_id").write_text(take.id)
    return {"audio_mib": audio_mib, "baseline_mib": baseline, "peak_mib": peak,
            "growth_mib": peak - baseline, "ratio": (peak - baseline) / audio_mib,
            "append_max_ms": 1000 * max(appends),
            "append_p99_ms": 1000 * float(np.percentile(appends, 99)),
            "append_cpu_max_ms": 1000 * max(append_cpu),
            "gap_max_ms": 1000 * max(gaps[1:] or [0.0]),
            "gaps_over_16": float(sum(g > 0.016 for g in gaps[1:])),
            "gap_cpu_max_ms": 1000 * max(gaps_cpu[1:] or [0.0]),
            "gaps_cpu_over_16": float(sum(g > 0.016 for g in gaps_cpu[1:])),
            "stream_s": wall, "save_s": save_s, "save_peak_mib": save_peak,
            "callbacks": float(player.callbacks), "shared": float(shared)}


def child_reopen(folder: Path) -> dict[str, float]:
    from PySide6.QtWidgets import QApplication

    from app.takes.history import History
    from app.ui.waveform import WaveformView

    app = QApplication.instance() or QApplication(sys.argv)
    view = WaveformView()
    view.resize(1200, 220)
    view.show()
    app.processEvents()
    history = History(folder)
    take_id = (folder / "take_id").read_text()
    baseline = status_mib("VmRSS")
    reset_peak()
    started = time.perf_counter()
    take = history.load(take_id)
    loaded = time.perf_counter()
    view.set_take(take)
    view.canvas.grab()  # the first paint, rendered now (offscreen too)
    painted = time.perf_counter()
    peak = status_mib("VmHWM")
    history.close()
    return {"load_ms": 1000 * (loaded - started), "paint_ms": 1000 * (painted - started),
            "reopen_peak_mib": peak - baseline, "after_mib": status_mib("VmRSS") - baseline,
            "frames": float(take.n_frames)}


def run_child(code: Path, step: str, minutes: float, folder: Path) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(code), QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", step,
                           "--minutes", str(minutes), "--folder", str(folder)],
                          env=env, capture_output=True, text=True, cwd=code)
    if proc.returncode != 0:
        raise SystemExit(f"{step} on {code} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 10-minute take")
    parser.add_argument("--minutes", type=float, default=None)
    parser.add_argument("--base", type=Path, help="another checkout to compare with")
    parser.add_argument("--runs", type=int, default=1, help="runs of each (interleaved)")
    parser.add_argument("--child", choices=("stream", "reopen"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    minutes = args.minutes or (10.0 if args.quick else 60.0)
    if args.child:
        result = (child_stream(minutes, args.folder) if args.child == "stream"
                  else child_reopen(args.folder))
        print(json.dumps(result))
        return
    codes = ([("before", args.base.resolve())] if args.base else []) + [("after", ROOT)]
    results: dict[str, list[dict[str, float]]] = {label: [] for label, _ in codes}
    for _ in range(args.runs):
        for label, code in codes:
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp)
                row = run_child(code, "stream", minutes, folder)
                row |= run_child(code, "reopen", minutes, folder)
            results[label].append(row)
            print(f"  {label}: {json.dumps({k: round(v, 2) for k, v in row.items()})}",
                  file=sys.stderr)
    load = os.getloadavg()
    print(f"{minutes:g}-minute take at {RATE} Hz in 40 ms chunks; medians of {args.runs} "
          f"run(s); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on "
          f"{os.cpu_count()} cores; ru_maxrss of this process "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    metrics = [("audio (MiB)", "audio_mib", ".0f"),
               ("RSS before the take (MiB)", "baseline_mib", ".0f"),
               ("peak RSS while streaming (MiB)", "peak_mib", ".0f"),
               ("growth over the audio (goal <= 1.1x)", "ratio", ".3f"),
               ("longest append (ms)", "append_max_ms", ".1f"),
               ("append p99 (ms)", "append_p99_ms", ".3f"),
               ("longest append, its own CPU time (ms)", "append_cpu_max_ms", ".1f"),
               ("longest 1 ms-timer gap (ms, goal <= 16)", "gap_max_ms", ".1f"),
               ("timer gaps over 16 ms", "gaps_over_16", ".0f"),
               ("most loop-thread CPU time in one gap (ms)", "gap_cpu_max_ms", ".1f"),
               ("gaps with over 16 ms of loop-thread CPU time", "gaps_cpu_over_16", ".0f"),
               ("streaming wall time (s)", "stream_s", ".1f"),
               ("History.save (s)", "save_s", ".2f"),
               ("peak RSS growth during save (MiB)", "save_peak_mib", ".0f"),
               ("reopen: History.load (ms)", "load_ms", ".1f"),
               ("reopen: to first paint (ms, goal <= 300)", "paint_ms", ".1f"),
               ("reopen: peak RSS growth (MiB)", "reopen_peak_mib", ".0f"),
               ("reopen: RSS growth after paint (MiB)", "after_mib", ".0f")]
    labels = [label for label, _ in codes]
    print("| measure | " + " | ".join(labels) + (" | after/before |" if args.base else " |"))
    print("|---|" + "---|" * (len(labels) + (1 if args.base else 0)))
    for title, key, fmt in metrics:
        values = [sorted(r[key] for r in results[label])[len(results[label]) // 2]
                  for label in labels]
        cells = [format(v, fmt) for v in values]
        if args.base:
            cells.append(f"{values[1] / values[0]:.2f}" if values[0] else "-")
        print(f"| {title} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
