"""The real window, driven as a user would, to be killed with SIGKILL by a test.

Run as a subprocess by ``tests/ui/test_crash_recovery.py`` (never collected by
pytest): it builds the window as ``app/ui/main.py`` does (settings, history and
caches in the XDG folders the test chose) and types through Qt key events without
ever pausing a second, printing ``typed WORD UNIX_TIME`` after each word, so the
test knows what was typed when.

``editor`` (the default): changes a control, then types words into the line.
``script``: shows the script panel, then adds lines one after another and types
each one's text into the editor (the untitled script, autosaved).
"""

from __future__ import annotations

import asyncio
import sys
import time

import qasync
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.studio.options import RunOptions
from app.ui.main import build_window
from app.ui.window import MainWindow

WORD_EVERY_S = 0.25


async def drive(app: QApplication, mode: str) -> None:
    window = build_window(RunOptions(offline=True))
    window.resize(1024, 700)
    window.show()
    window.editor.setFocus()
    if mode == "script":
        await type_lines(window)
    window.editor.selectAll()
    QTest.keyClicks(window.editor, "Start")
    window.controls.speed.setValue(1.2)
    print("ready", flush=True)
    n = 0
    while True:  # until killed
        n += 1
        word = f" w{n}"
        QTest.keyClicks(window.editor, word)
        print(f"typed {word.strip()} {time.time():.3f}", flush=True)
        await asyncio.sleep(WORD_EVERY_S)


async def type_lines(window: MainWindow) -> None:
    window.script_dock.show()
    print("ready", flush=True)
    n = 0
    while True:  # until killed
        n += 1
        window.script_panel.add_line()
        window.editor.setFocus()
        QTest.keyClicks(window.editor, f"Line {n} of the script.")
        print(f"typed line-{n} {time.time():.3f}", flush=True)
        await asyncio.sleep(WORD_EVERY_S)


def main() -> int:
    app = QApplication(sys.argv[:1])
    qasync.run(drive(app, sys.argv[1] if len(sys.argv) > 1 else "editor"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
