"""The real window, driven as a user would, to be killed with SIGKILL by a test.

Run as a subprocess by ``tests/ui/test_crash_recovery.py`` (never collected by
pytest): it builds the window as ``app/ui/main.py`` does (settings, history and
caches in the XDG folders the test chose), changes a control, then types words
into the editor through Qt key events without ever pausing a second, and prints
``typed WORD UNIX_TIME`` after each, so the test knows what was typed when.
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

WORD_EVERY_S = 0.25


async def drive(app: QApplication) -> None:
    window = build_window(RunOptions(offline=True))
    window.resize(1024, 700)
    window.show()
    window.editor.setFocus()
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


def main() -> int:
    app = QApplication(sys.argv)
    qasync.run(drive(app))
    return 0


if __name__ == "__main__":
    sys.exit(main())
