"""The main window built offscreen, painted once and closed: ``--self-test``'s window step.

Qt, its platform plugins, the icon font and the resources folder all load here, so a
bundle that lacks one fails this step by name. The command line calls it; the Qt
code stays in :mod:`app.ui`.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

import qasync
from PySide6.QtCore import QEvent, QObject, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QWidget

from app.errors import VoiceboothError
from app.resources import resources_dir
from app.studio.options import RunOptions
from app.ui.icons import IconFontMissing, icon
from app.ui.main import build_window


class WindowCheckFailed(VoiceboothError):
    """The window could not be built or painted."""


def check_window(settings: Path, data: Path, cache: Path,
                 clock: Callable[[], float]) -> str:
    """Build the window offline with these folders, paint it at 1024x640, close it as the
    app does; what was seen, with ``clock()`` at the first paint."""
    # The offscreen platform says this on show(); it is Qt's, not a failure.
    qInstallMessageHandler(_quiet_offscreen)
    app = QApplication.instance() or QApplication(["voicebooth", "--self-test"])
    assert isinstance(app, QApplication)
    try:
        if icon("play").isNull():
            raise WindowCheckFailed("the icon font did not load")
    except IconFontMissing as exc:
        raise WindowCheckFailed(str(exc)) from None
    # The window's closing hands work to the studio's loop: give it qasync's, as the app does.
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        window = build_window(RunOptions(offline=True), settings, data, cache)
        painted = first_paint(window, clock)
        window.resize(1024, 640)
        window.show()
        give_up = time.perf_counter() + 10
        while not painted and time.perf_counter() < give_up:
            app.processEvents()
        if not painted:
            raise WindowCheckFailed("the window was shown but never painted")
        picture = window.grab()
        if picture.isNull() or picture.width() < 100:
            raise WindowCheckFailed("the window did not paint")
        window.close()
        loop.run_until_complete(window.studio.shutdown())
        window.deleteLater()
        app.processEvents()
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    return (f"{picture.width()}x{picture.height()} on {app.platformName()}, first paint "
            f"{painted[0]:.2f} s after launch, resources in {resources_dir()}")


def first_paint(widget: QWidget, clock: Callable[[], float]) -> list[float]:
    """A list that gets ``clock()`` at the widget's first paint."""
    painted: list[float] = []

    class Watch(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and not painted:
                painted.append(clock())
            return False

    watch = Watch(widget)  # owned by the widget: lives as long as it does
    widget.installEventFilter(watch)
    return painted


def _quiet_offscreen(kind: object, context: object, message: str) -> None:
    if "does not support propagateSizeHints" not in message:
        print(message, file=sys.stderr)
