"""Launch and memory of the real app, measured from outside (``bench/ui.py --launch-only``,
``--memory-only``).

Both start the real entry point, ``python main.py --offline``, in a fresh temporary
HOME and XDG folders (no cache, no history), with the window offscreen. A small
wrapper (:data:`WRAPPER`) runs ``main.py`` unchanged and reports, on standard error,
when the window first paints and when ``Studio.start()`` returns (the engine
answered: a Play starts a take now); it patches those two methods as their module
is imported, so it measures any checkout the same way (``--compare OTHER_ROOT``
interleaves runs of another checkout, e.g. the commit before, with this one).

- launch: seconds from just before ``subprocess.Popen`` (the parent's clock, so the
  interpreter's own start counts) to the first paint, to the first voices listed in the
  picker, and to "Play usable".
  Median of 5 (``--quick``: 3, ``--runs N``: N), with the window process's own CPU
  time at its first paint (less sensitive to other processes' load than the wall
  clock) and the load average during the runs. Also, alone in its own process, the engine: from
  process start to its URL read by ``LocalEngine.start()`` (the child included).
- memory: RSS and PSS (``/proc/PID/smaps_rollup``) of the window's process plus
  every process under it (the engine), idle after start with Joe loaded (the
  engine's ``--preload``; the sum is read once it has not grown for 3 s), then
  after one 45-word take with Joe (played on the default sound device, as the
  Play button does). Median of 3 (``--quick``: 1).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: 45 words in one sentence: the take of the memory figure.
TAKE_TEXT = ("Before the studio opens each morning, the engineer walks the long corridor, "
             "checks every microphone and cable, tunes the monitors to the quiet room, and "
             "writes the day's sessions on the board so that every voice actor knows exactly "
             "when to arrive and which script to read first.")

WRAPPER = r"""
import importlib.abc, importlib.util, runpy, sys, time

def say(step):
    # the wall clock (the parent subtracts its own start), and this process's CPU time
    print(f"bench-trace: {step} {time.time():.4f} {time.process_time():.4f}",
          file=sys.stderr, flush=True)

def patch(mod):
    from PySide6.QtCore import QEvent, QObject
    window_class, studio_class = mod.MainWindow, mod.Studio
    show, start = window_class.show, studio_class.start

    class Painted(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint:
                obj.removeEventFilter(self)
                say("painted")
            return False

    def shown(self):
        self._bench_filter = Painted()
        self.installEventFilter(self._bench_filter)
        from app.studio.library import VoicesAdded, VoicesReset

        def listed(event):
            if isinstance(event, (VoicesAdded, VoicesReset)) and event.voices:
                say("voices")
                unsubscribe()

        unsubscribe = self.studio.library.events.connect(listed)
        show(self)
        if TAKE:
            import asyncio
            asyncio.ensure_future(take_on_request(self))

    async def started(self):
        await start(self)
        say("ready")

    window_class.show, studio_class.start = shown, started
    complete = getattr(window_class, "complete", None)
    if complete is not None:  # a window built in two steps: when the rest of it is built
        def completed(self):
            complete(self)
            say("completed")

        window_class.complete = completed

async def take_on_request(window):
    import asyncio
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)
    window.editor.setPlainText(TAKE)
    window.editor.revalidate()
    recording = window.studio.play(window.draft(), window.voice)
    await recording.wait()
    while window.studio.transport.playing:
        await asyncio.sleep(0.1)
    say("take-done")

class Hook(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "app.ui.main":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        loader = spec.loader

        class Patched(importlib.abc.Loader):
            def create_module(self, spec):
                return loader.create_module(spec)

            def exec_module(self, module):
                loader.exec_module(module)
                patch(module)

        spec.loader = Patched()
        return spec

TAKE = sys.argv[2] if len(sys.argv) > 2 else ""
root = sys.argv[1]
sys.path.insert(0, root)
sys.meta_path.insert(0, Hook())
sys.argv = [root + "/main.py", "--offline"]
runpy.run_path(root + "/main.py", run_name="__main__")
"""


@dataclass
class App:
    """The app started through its entry point, and the steps it reported."""

    process: subprocess.Popen[str]
    started: float
    home: tempfile.TemporaryDirectory[str]
    steps: dict[str, float]
    #: The window process's CPU time (user + system) at each step, s.
    cpu: dict[str, float]

    def wait_for(self, step: str, timeout: float = 120.0) -> float:
        """Seconds from before Popen to ``step``."""
        assert self.process.stderr is not None
        deadline = time.monotonic() + timeout
        buffer = ""
        while step not in self.steps:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"no {step!r} within {timeout} s (exit "
                                   f"{self.process.poll()})")
            ready, _, _ = select.select([self.process.stderr], [], [], 0.2)
            if not ready:
                continue
            chunk = os.read(self.process.stderr.fileno(), 65536).decode(errors="replace")
            buffer += chunk
            *lines, buffer = buffer.split("\n")
            for line in lines:
                if line.startswith("bench-trace: "):
                    name, stamp, cpu = line.split()[1:4]
                    self.steps.setdefault(name, float(stamp) - self.started)
                    self.cpu.setdefault(name, float(cpu))
        return self.steps[step]

    def stop(self) -> None:
        with_children = [self.process.pid, *descendants(self.process.pid)]
        for pid in reversed(with_children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.home.cleanup()


def start_app(root: Path, take: str = "") -> App:
    home = tempfile.TemporaryDirectory(prefix="vb-launch-")
    h = Path(home.name)
    env = {**os.environ, "HOME": str(h), "XDG_CONFIG_HOME": str(h / "config"),
           "XDG_DATA_HOME": str(h / "data"), "XDG_CACHE_HOME": str(h / "cache"),
           "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(root)}
    env.pop("CARTESIA_API_KEY", None)
    started = time.time()
    process = subprocess.Popen([sys.executable, "-c", WRAPPER, str(root), take], cwd=root,
                               env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    return App(process, started, home, {}, {})


def descendants(pid: int) -> list[int]:
    out: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            out += [int(entry.name), *descendants(int(entry.name))]
    return out


def memory_mb(pid: int) -> tuple[float, float]:
    """RSS and PSS of ``pid``, in MB (PSS counts shared pages once across processes)."""
    rss = pss = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Rss:"):
            rss = int(line.split()[1])
        elif line.startswith("Pss:"):
            pss = int(line.split()[1])
    return rss / 1024, pss / 1024


def tree_memory(pid: int) -> dict[str, tuple[float, float]]:
    """``window`` and ``engine`` (everything under it) RSS/PSS in MB."""
    engine_rss = engine_pss = 0.0
    for child in descendants(pid):
        try:
            rss, pss = memory_mb(child)
        except OSError:
            continue
        engine_rss, engine_pss = engine_rss + rss, engine_pss + pss
    return {"window": memory_mb(pid), "engine": (engine_rss, engine_pss)}


def settled(pid: int, quiet: float = 3.0, timeout: float = 120.0) -> dict[str, tuple[float,
                                                                                      float]]:
    """The tree's memory once its sum has not grown by 1 MB for ``quiet`` seconds."""
    deadline = time.monotonic() + timeout
    last, since = -1.0, time.monotonic()
    while time.monotonic() < deadline:
        now = tree_memory(pid)
        total = now["window"][0] + now["engine"][0]
        if total > last + 1.0:
            last, since = total, time.monotonic()
        elif time.monotonic() - since >= quiet and now["engine"][0] > 0:
            return now
        time.sleep(0.25)
    raise RuntimeError("the app's memory did not settle")


ENGINE_URL = r"""
import sys, time
started = float(sys.argv[1])
from app.engine.local import LocalEngine
engine = LocalEngine()
engine.start()
print(time.time() - started)
engine.stop()
"""


#: The launch's stages in one process, in the order ``main.py`` goes through them (the
#: collector off, as the launch has it), each one's wall and CPU time, ms, as JSON. With
#: ``count``, instead: how many dataclasses and enum classes (PySide6 makes each Qt enum
#: type a Python enum when first used) are made before the first paint, and their CPU time.
STAGES = r"""
import asyncio, gc, importlib, json, os, sys, tempfile, time
from pathlib import Path
root, count = sys.argv[1], sys.argv[2] == "count"
sys.path.insert(0, root)
gc.disable()
made = {"dataclasses": [0, 0.0], "enums": [0, 0.0]}
if count:
    import dataclasses, enum
    def timed(kind, original):
        def wrapper(*args, **kwargs):
            started = time.process_time()  # CPU: another process's load inflates it less
            try:
                return original(*args, **kwargs)
            finally:
                made[kind][0] += 1
                made[kind][1] += time.process_time() - started
        return wrapper
    dataclasses._process_class = timed("dataclasses", dataclasses._process_class)
    enum.EnumType.__new__ = timed("enums", enum.EnumType.__new__)
marks, last = {}, [time.perf_counter(), time.process_time()]
def mark(name):
    now = [time.perf_counter(), time.process_time()]
    marks[name] = [1000 * (now[0] - last[0]), 1000 * (now[1] - last[1])]
    last[:] = now
import numpy
mark("numpy")
two_steps = os.path.exists(os.path.join(root, "app", "cli", "window.py"))
importlib.import_module("app.cli.window" if two_steps else "app.cli.commands")
mark("the command line (less numpy)")
import PySide6.QtWidgets, qasync
mark("PySide6 (QtCore, QtGui, QtWidgets) and qasync")
import app.ui.main as launch
mark("the window's modules")
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication
from app.studio.options import RunOptions
app = QApplication([sys.argv[0]])
launch.identify(app)
app.setQuitOnLastWindowClosed(False)  # the loop runs until the studio has shut down
home = Path(tempfile.mkdtemp(prefix="vb-stages-"))
counted = {}
async def stages():
    options = {"complete": False} if two_steps else {}
    window = launch.build_window(RunOptions(offline=True), home / "settings.json",
                                 home / "data", home / "cache", **options)
    mark("building the window")
    launch.apply_appearance(app, window.settings.get(launch.APPEARANCE))
    mark("the style sheet")
    painted = asyncio.get_running_loop().create_future()
    class Painted(QObject):
        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Paint and not painted.done():
                mark("show to first paint")
                counted.update({k: [v[0], round(1000 * v[1], 1)] for k, v in made.items()})
                painted.set_result(None)
            return False
    spy = Painted()
    window.installEventFilter(spy)
    window.resize(1360, 860)
    window.show()
    await painted
    if two_steps:
        window.complete()
        mark("after the paint: the script panel and the retakes")
    window.close()
    await window.studio.shutdown()
qasync.run(stages())
print(json.dumps(counted if count else marks))
"""


def stages_once(root: Path, count: bool = False) -> dict[str, list[float]]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", STAGES, str(root),
                           "count" if count else "time"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    parsed: dict[str, list[float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return parsed


def print_breakdown() -> None:
    """Where the window process's time to its first paint goes, stage by stage (the
    interpreter's own start, ~50 ms, and the engine's spawn come on top)."""
    runs = 3 if "--quick" in sys.argv else 7
    results: dict[str, list[dict[str, list[float]]]] = {name: [] for name, _ in roots()}
    loads = [os.getloadavg()[0]]
    for _ in range(runs):
        for name, root in roots():
            results[name].append(stages_once(root))
        loads.append(os.getloadavg()[0])
    names = list(dict.fromkeys(stage for got in results.values() for run in got
                               for stage in run))
    title = f"before the first paint, median of {runs}, ms"
    print(f"{title:<52}" + "".join(f" {name + ' wall/CPU':>22}" for name, _ in roots()))
    for stage in names:
        cells = []
        for name, _ in roots():
            got = [run[stage] for run in results[name] if stage in run]
            cells.append(f"{statistics.median(g[0] for g in got):.0f} / "
                         f"{statistics.median(g[1] for g in got):.0f}" if got else "-")
        print(f"{stage:<52}" + "".join(f" {cell:>22}" for cell in cells))
    cells = []
    for name, _ in roots():
        sums = [[sum(v[i] for k, v in run.items() if not k.startswith("after")) for i in
                 (0, 1)] for run in results[name]]
        cells.append(f"{statistics.median(s[0] for s in sums):.0f} / "
                     f"{statistics.median(s[1] for s in sums):.0f}")
    print(f"{'sum to the first paint':<52}" + "".join(f" {cell:>22}" for cell in cells))
    for name, root in roots():
        made = stages_once(root, count=True)
        print(f"{name}: made before the first paint: "
              + ", ".join(f"{n} {kind} ({ms:.0f} ms)" for kind, (n, ms) in made.items()))
    print(f"load average (1 min) during the runs: {min(loads):.1f}-{max(loads):.1f}")


@dataclass
class Launch:
    """One launch, seconds from before Popen (``cpu``: the window process's own CPU time at
    its first paint, which another session's load inflates far less than the wall clock)."""

    paint: float
    cpu: float
    voices: float
    ready: float
    engine_url: float
    #: The rest of a window built in two steps (script panel, retakes) built; else nan.
    completed: float


def launch_once(root: Path) -> Launch:
    """To the first paint and to Play usable, and (alone, in another run) from process
    start to the engine's URL read by LocalEngine.start()."""
    app = start_app(root)
    try:
        painted, ready = app.wait_for("painted"), app.wait_for("ready")
        voices = app.wait_for("voices")
        completed = app.steps.get("completed", float("nan"))
    finally:
        app.stop()
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", ENGINE_URL, f"{time.time():.6f}"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120,
                          check=True)
    return Launch(painted, app.cpu["painted"], voices, ready, float(done.stdout.strip()),
                  completed)


def memory_once(root: Path) -> tuple[dict[str, tuple[float, float]],
                                     dict[str, tuple[float, float]]]:
    app = start_app(root, TAKE_TEXT)
    try:
        app.wait_for("ready")
        idle = settled(app.process.pid)
        assert app.process.stdin is not None
        app.process.stdin.write("take\n")
        app.process.stdin.flush()
        app.wait_for("take-done", timeout=300)
        return idle, settled(app.process.pid)
    finally:
        app.stop()


def roots() -> list[tuple[str, Path]]:
    out = [("this", ROOT)]
    if "--compare" in sys.argv:
        out.insert(0, ("compare", Path(sys.argv[sys.argv.index("--compare") + 1]).resolve()))
    return out


def print_launch() -> None:
    runs = 3 if "--quick" in sys.argv else 5
    if "--runs" in sys.argv:
        runs = int(sys.argv[sys.argv.index("--runs") + 1])
    results: dict[str, list[Launch]] = {name: [] for name, _ in roots()}
    loads = [os.getloadavg()[0]]
    for _ in range(runs):  # interleaved: the machine's load falls on both alike
        for name, root in roots():
            results[name].append(launch_once(root))
        loads.append(os.getloadavg()[0])
    title = f"launch, process start to (median of {runs}), s"
    print(f"{title:<46} {'paint':>8} {'paint CPU':>10} {'rest built':>10} {'voices':>8} "
          f"{'play usable':>12} {'engine URL':>11} {'paint range':>14}")
    for name, _ in roots():
        got = results[name]

        def med(values: list[float]) -> float:
            return statistics.median(values)

        print(f"{name:<46} {med([g.paint for g in got]):>8.3f} "
              f"{med([g.cpu for g in got]):>10.3f} {med([g.completed for g in got]):>10.3f} "
              f"{med([g.voices for g in got]):>8.3f} "
              f"{med([g.ready for g in got]):>12.3f} "
              f"{med([g.engine_url for g in got]):>11.3f} "
              f"{min(g.paint for g in got):>6.3f}-{max(g.paint for g in got):.3f}")
    print("goal: paint <= 0.8 s, play usable <= 1.5 s; paint CPU: the window process's own "
          "CPU time at its first paint; rest built: the script panel and the retakes, built "
          "after the paint (nan: built before it); voices: the picker first lists voices")
    print(f"load average (1 min) during the runs: {min(loads):.1f}-{max(loads):.1f}")


def print_memory() -> None:
    runs = 1 if "--quick" in sys.argv else 3
    results: dict[str, list[tuple[dict[str, tuple[float, float]],
                                  dict[str, tuple[float, float]]]]] = {
        name: [] for name, _ in roots()}
    for _ in range(runs):
        for name, root in roots():
            results[name].append(memory_once(root))
    title = f"memory, MB (median of {runs})"
    print(f"{title:<30} {'window RSS':>10} {'engine RSS':>10} "
          f"{'sum RSS':>8} {'sum PSS':>8}")
    for name, _ in roots():
        for label, index in (("idle, Joe loaded", 0), ("after a 45-word take", 1)):
            rows = [run[index] for run in results[name]]

            def med(part: str, which: int, rows: list[dict[str, tuple[float, float]]] = rows
                    ) -> float:
                return statistics.median(r[part][which] for r in rows)

            print(f"{name + ': ' + label:<30} {med('window', 0):>10.1f} "
                  f"{med('engine', 0):>10.1f} {med('window', 0) + med('engine', 0):>8.1f} "
                  f"{med('window', 1) + med('engine', 1):>8.1f}")
    print("goal: sum <= 250 MB idle, <= +30 MB after the take")
