"""The first paint: what the window's process has not imported yet when it first paints,
through the real entry point, and that it comes afterwards and the window plays."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.credentials import without_key
from app.engine.voice_table import TONES_VOICE_ID
from app.ui.window import DEFERRED_MODULES
from tests.ui.entry_point import HOOK

ROOT = Path(__file__).resolve().parents[2]

#: Built right after the first paint (MainWindow.complete): the script panel (its table,
#: the project files, the script's renders and exports, the export chain) and the
#: retakes (the splicing); listed here, not taken from app.ui.window.LATER_MODULES, so
#: that a module put back before the paint fails this test.
LATER = ("app.studio.script", "app.studio.project", "app.studio.script_renders",
         "app.studio.export_jobs", "app.takes.export", "app.ui.script_table",
         "app.ui.script_panel", "app.ui.script_files", "app.studio.retakes",
         "app.takes.splice")
#: Left out of the first paint: the windows and dialogs not on screen at start (imported
#: right after it), the script panel and the retakes (built right after it), websockets
#: (imported when the socket opens, after the paint), libsndfile (a preview's decoding),
#: espeak's synthesizer (the lab's engine reading), xml.sax.saxutils (a PLS file
#: written) and the command line's full parser (the window's options have their own).
NOT_AT_PAINT = (*DEFERRED_MODULES, *LATER, "websockets", "websockets.asyncio.client",
                "soundfile", "app.engine.synth.espeak", "xml.sax.saxutils",
                "app.cli.commands")
#: What must have come once the window is up and its deferred imports are done.
AFTERWARDS = (*DEFERRED_MODULES, *LATER, "websockets.asyncio.client")

#: Runs main.py as it is. It counts the cycle collector's runs from its start to the end
#: of the window's imports (app.ui.main). At the window's first paint event it notes which of the
#: watched modules are imported; once the deferred imports are done, it notes them again,
#: presses Generate on a line in the test tones' voice, waits for the take to be played,
#: prints what it saw as JSON and closes the window. At exit it prints how many objects
#: start-up left frozen out of the collector's sight (``gc.freeze``).
LAUNCH = r"""
import asyncio, atexit, gc, importlib.abc, importlib.util, json, runpy, sys

atexit.register(lambda: print(json.dumps({"frozen": gc.get_freeze_count()}), flush=True))

WATCH, TONES = json.loads(sys.argv[1]), sys.argv[2]
report = {}

def collections():
    return sum(generation["collections"] for generation in gc.get_stats())

def imported():
    return [name for name in WATCH if name in sys.modules]

def patch(mod):
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication
    window_class, deferred = mod.MainWindow, mod.import_deferred
    show = window_class.show
    windows = []

    class FirstPaint(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint and "at_paint" not in report:
                obj.removeEventFilter(self)
                report["at_paint"] = imported()
            return False

    def shown(self):
        windows.append(self)
        self._first_paint = FirstPaint()
        self.installEventFilter(self._first_paint)
        show(self)

    async def then_play():
        await deferred()
        report["afterwards"] = imported()
        window = windows[0]
        studio = window.studio
        report["selected"] = window.picker.select(TONES)
        window.editor.setPlainText("Played after the first paint.")
        window.editor.revalidate()
        window.generate_button.click()
        take, played = studio.transport.take, False
        # Until it has been heard to its end. The tones stream faster than the device
        # opens (in a worker), so a take can be done before its playing has begun.
        for _ in range(1200):  # up to 60 s on a loaded machine
            playing = studio.transport.playing
            played = played or playing
            if take is not None and take.status.name != "STREAMING" and played \
                    and not playing:
                break
            await asyncio.sleep(0.05)
        report["take"] = None if take is None else {
            "status": take.status.name, "words": [w.text for w in take.words],
            "played": played}
        print(json.dumps(report), flush=True)
        QApplication.instance().closeAllWindows()

    window_class.show = shown
    mod.import_deferred = then_play

def loaded(module):
    report["collections_while_importing"] = collections() - STARTED
    patch(module)
""" + HOOK + r"""
sys.meta_path.insert(0, Hook())
sys.argv = ["main.py", "--offline"]
STARTED = collections()
runpy.run_path("main.py", run_name="__main__")
"""


@pytest.mark.sound
def test_what_the_first_paint_leaves_out_comes_after_it_and_the_window_plays(
        tmp_path: Path) -> None:
    """Through ``main.py --offline``, offscreen, in an empty home, on the null sink."""
    env = without_key(os.environ) | {
        "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", LAUNCH, json.dumps(NOT_AT_PAINT), TONES_VOICE_ID],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=240)
    assert done.returncode == 0, done.stderr
    *_, line, exit_line = done.stdout.strip().splitlines()
    report = json.loads(line)
    assert report["at_paint"] == []
    # The collector stays off while the command line's and the window's modules load
    # (they live as long as the process; it ran 100-140 times over them, 47-54 with
    # either half left on). Between the two halves, with it on, the arguments are parsed
    # and the engine spawned: a few young collections.
    assert report["collections_while_importing"] < 10
    assert set(AFTERWARDS) <= set(report["afterwards"])
    assert report["selected"] is True
    assert report["take"] == {"status": "DONE", "played": True,
                              "words": ["Played", "after", "the", "first", "paint."]}
    # What start-up made (tens of thousands of objects: modules, widgets) was frozen, so
    # a full collection does not walk it again every few seconds.
    assert json.loads(exit_line)["frozen"] > 10_000
