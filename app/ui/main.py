"""Starting the window: Qt application, qasync's loop, and errors shown, never lost."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType

import platformdirs
import qasync
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.settings import APPEARANCE, Settings, default_path
from app.studio.lexicons import Lexicons
from app.studio.options import RunOptions
from app.studio.studio import Studio
from app.takes.errors import HistoryError
from app.takes.history import History
from app.ui.appearance import apply_appearance
from app.ui.window import MainWindow

log = logging.getLogger(__name__)


class MainThreadGarbageCollector:
    """Run Python's cycle collector only on the GUI thread (qutebrowser does the same).

    Automatic collection runs in whichever thread happens to allocate; if that is
    a worker (the executor that opens the sound device or saves a take), Qt
    objects in a collected cycle are destroyed off their thread ("Timers cannot
    be stopped from another thread"), which can crash Qt.
    """

    def __init__(self, interval_ms: int = 1000) -> None:
        gc.disable()
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.collect)
        self.timer.start()

    @staticmethod
    def collect() -> None:
        gc.collect(0)
        if gc.get_count()[1] > 10:  # let older generations run now and then
            gc.collect()


def install_excepthook(window: MainWindow) -> None:
    """Errors in slots and qasync tasks end up here: log them and show them."""
    def hook(kind: type[BaseException], value: BaseException,
             tb: TracebackType | None) -> None:
        log.error("unexpected error:\n%s", "".join(traceback.format_exception(kind, value, tb)))
        window.banner.show_error(f"Unexpected error: {value}. It was logged; the window keeps "
                                 "working.")
    sys.excepthook = hook


def build_window(options: RunOptions, settings_path: Path | None = None,
                 data_dir: Path | None = None, cache_dir: Path | None = None) -> MainWindow:
    settings = Settings(settings_path or default_path())
    folder = data_dir or Path(platformdirs.user_data_dir("voicebooth", appauthor=False))
    unavailable = ""
    try:
        history: History | None = History(folder / "history")
    except HistoryError as exc:
        log.error("%s", exc)
        history, unavailable = None, str(exc)
    studio = Studio(settings, options, history, cache_dir=cache_dir or Path(
        platformdirs.user_cache_dir("voicebooth", appauthor=False)),
        lexicons=Lexicons(folder))  # the user lexicon beside the history (lexicon.json)
    window = MainWindow(studio)
    if history is None:
        window.banner.show_error(f"The take history is unavailable: {unavailable}.")
    return window


async def _run(app: QApplication, options: RunOptions, script: Path | None = None) -> int:
    collector = MainThreadGarbageCollector()
    window = build_window(options)
    apply_appearance(app, window.settings.get(APPEARANCE))  # before the window is shown
    install_excepthook(window)
    window.resize(1360, 860)
    window.show()
    closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def close() -> None:
        if not closed.done():
            closed.set_result(None)

    app.aboutToQuit.connect(close)
    app.lastWindowClosed.connect(close)
    await window.studio.start()
    await window.open_first_script(script)
    await closed
    await window.studio.shutdown()
    collector.timer.stop()
    gc.enable()
    return 0


def run_gui(options: RunOptions | None = None, *, script: Path | None = None) -> int:
    """The window; with ``script``, that script open in it (else the one open last)."""
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("Voicebooth")
    # Closing the window must not stop the loop before shutdown() has closed the
    # sockets, the sound device and the offline engine's process: _run quits.
    app.setQuitOnLastWindowClosed(False)
    app.setDesktopFileName("voicebooth")
    try:
        return int(qasync.run(_run(app, options or RunOptions(), script)))
    except asyncio.CancelledError:
        return 0
