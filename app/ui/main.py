"""Starting the window: Qt application, qasync's loop, and errors shown, never lost."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
import os
import sys
import traceback
from pathlib import Path
from types import TracebackType

import platformdirs
import qasync
from PySide6.QtCore import QEvent, QObject, QSize, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from app.engine.local import TRACE_ENV, LocalEngine, trace
from app.resources import resource
from app.settings import APPEARANCE, Settings, default_path
from app.studio.lexicons import Lexicons
from app.studio.library import VoicesAdded, VoicesReset
from app.studio.options import RunOptions
from app.studio.studio import Studio
from app.takes.errors import HistoryError
from app.takes.history import History
from app.ui.appearance import apply_appearance
from app.ui.window import DEFERRED_MODULES, LATER_MODULES, MainWindow

log = logging.getLogger(__name__)

#: The app id: the desktop entry's and the metainfo's file name, and the Wayland app_id.
APP_ID = "io.github.voicebooth.Voicebooth"
#: Qt names the X11 window class after it: the desktop entry's StartupWMClass.
APP_NAME = "Voicebooth"
#: The app icon's sizes in resources/icons (packaging/render_icons.py draws them).
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def app_icon() -> QIcon:
    """The app icon at every size it was drawn for: 16 and 24 px have their own, bolder
    drawing, so Qt must pick that PNG rather than scale a large one down."""
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addFile(str(resource("icons", f"voicebooth-{size}.png")), QSize(size, size))
    return icon


def identify(app: QApplication) -> None:
    """Names the app the way the desktop entry does, so launchers and docks match the
    running window to its entry (icon, name, pinning)."""
    app.setApplicationName(APP_NAME)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())


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
        # Older generations as Python's own thresholds run them: the middle one every
        # ~10 young collections, the oldest every ~10 of those. A full collection
        # walks every object (70-110 ms of the loop for the window just started),
        # so it must stay rare; what start-up made is frozen out of it (freeze).
        if gc.get_count()[1] > 10:
            gc.collect(1)
            if gc.get_count()[2] > 10:
                gc.collect(2)

    @staticmethod
    def freeze() -> None:
        """Take what is alive now out of the collector's sight: what start-up made
        (modules, widgets, the settings) lives as long as the app, and walking it at
        every full collection stalled the loop. Once, after start: something frozen
        is never collected if it later dies in a cycle."""
        gc.collect()
        gc.freeze()


def install_excepthook(window: MainWindow) -> None:
    """Errors in slots and qasync tasks end up here: log them and show them."""
    def hook(kind: type[BaseException], value: BaseException,
             tb: TracebackType | None) -> None:
        log.error("unexpected error:\n%s", "".join(traceback.format_exception(kind, value, tb)))
        window.banner.show_error(f"Unexpected error: {value}. It was logged; the window keeps "
                                 "working.")
    sys.excepthook = hook


def build_window(options: RunOptions, settings_path: Path | None = None,
                 data_dir: Path | None = None, cache_dir: Path | None = None, *,
                 engine: LocalEngine | None = None, complete: bool = True) -> MainWindow:
    """The window; ``complete=False``: what is on screen when it opens, the rest with
    :meth:`MainWindow.complete` (the launch calls it once the window has painted)."""
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
        # The user lexicon beside the history (lexicon.json).
        lexicons=Lexicons(folder), engine=engine)
    window = MainWindow(studio, complete=complete)
    if history is None:
        window.banner.show_error(f"The take history is unavailable: {unavailable}.")
    return window


class LaunchTrace(QObject):
    """With :data:`~app.engine.local.TRACE_ENV` set, says when the window first paints and
    first lists voices (``bench/ui.py --launch-only`` times them from the process start)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        window.installEventFilter(self)
        self._unsubscribe = window.studio.library.events.connect(self._on_library)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self._window.removeEventFilter(self)
            trace(f"window-painted voices={len(self._window.studio.library.voices)}")
        return False

    def _on_library(self, event: object) -> None:
        if isinstance(event, VoicesAdded | VoicesReset) and event.voices:
            self._unsubscribe()
            trace(f"window-voices voices={len(event.voices)}")


class FirstPaint(QObject):
    """Resolves :attr:`painted` once ``window`` has painted (then the loop's next turn
    builds what its first paint left out)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.painted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self.painted.done():
            self._window.removeEventFilter(self)
            self.painted.set_result(None)
        return False


#: How long the launch waits for the window's first paint before building the rest of it
#: anyway (a window opened on another workspace, or minimized, may not paint at once).
PAINT_WAIT_S = 2.0


async def complete_after_paint(window: MainWindow, first_paint: FirstPaint) -> None:
    """Build the rest of the window once it has painted: its modules one per turn of the
    loop, then the widgets."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(first_paint.painted), PAINT_WAIT_S)
    for name in LATER_MODULES:
        importlib.import_module(name)
        await asyncio.sleep(0)
    window.complete()
    trace("window-completed")


async def import_deferred() -> None:
    """The modules of the windows not on screen at start (their imports were left out of
    the first paint), one per turn of the loop, so that the first open of a dialog
    does not wait for them and the loop keeps answering meanwhile."""
    for name in DEFERRED_MODULES:
        importlib.import_module(name)
        await asyncio.sleep(0)
    trace("window-deferred-imported")


async def _run(app: QApplication, options: RunOptions, script: Path | None = None,
               engine: LocalEngine | None = None) -> int:
    collector = MainThreadGarbageCollector()
    # In two steps: what is on screen first, painted; then the script panel and the
    # retakes (hidden at start), their modules a turn of the loop each.
    window = build_window(options, engine=engine, complete=False)
    if os.environ.get(TRACE_ENV):
        LaunchTrace(window)
    apply_appearance(app, window.settings.get(APPEARANCE))  # before the window is shown
    install_excepthook(window)
    window.resize(1360, 860)
    first_paint = FirstPaint(window)
    window.show()
    closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def close() -> None:
        if not closed.done():
            closed.set_result(None)

    app.aboutToQuit.connect(close)
    app.lastWindowClosed.connect(close)
    starting = asyncio.ensure_future(window.studio.start())
    await complete_after_paint(window, first_paint)
    await starting
    trace("window-ready")  # the engine answered: a Play starts a take now
    await window.open_first_script(script)
    await import_deferred()
    collector.freeze()
    await closed
    await window.studio.shutdown()
    collector.timer.stop()
    gc.enable()
    return 0


def run_gui(options: RunOptions | None = None, *, script: Path | None = None,
            engine: LocalEngine | None = None) -> int:
    """The window; with ``script``, that script open in it (else the one open last).
    ``engine``: the offline engine, already starting (else it starts when needed)."""
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    identify(app)
    # Closing the window must not stop the loop before shutdown() has closed the
    # sockets, the sound device and the offline engine's process: _run quits.
    app.setQuitOnLastWindowClosed(False)
    try:
        return int(qasync.run(_run(app, options or RunOptions(), script, engine)))
    except asyncio.CancelledError:
        return 0
