"""Qt tests on qasync's loop, with settings, history and caches in a temporary folder."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import qasync
import shiboken6
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QApplication

from app.engine.local import LocalEngine
from app.engine.synth.espeak import EspeakSynthesizer
from app.engine.synth.tones import ToneSynthesizer
from app.settings import Settings
from app.studio.lexicons import Lexicons
from app.studio.options import RunOptions
from app.studio.studio import Studio
from app.takes.history import History
from app.takes.take import Take
from app.ui.window import MainWindow

T = TypeVar("T")


@pytest.fixture(autouse=True)
def collect_on_the_gui_thread() -> Iterator[None]:
    """As the app does (app/ui/main.py): no cycle collection on worker threads, where
    it would destroy Qt objects off their thread."""
    gc.disable()
    yield
    gc.collect()
    gc.enable()


@pytest.fixture
def loop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    """A qasync loop per test (pytest-qt has no asyncio support of its own); the test
    fails if it leaves a task on it."""
    event_loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    pending = [t for t in asyncio.all_tasks(event_loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        event_loop.run_until_complete(asyncio.wait(pending, timeout=5))
    asyncio.set_event_loop(None)
    event_loop.close()
    if pending:
        pytest.fail(f"test left tasks on the loop: {[t.get_coro() for t in pending]}",
                    pytrace=False)


@pytest.fixture(autouse=True)
def no_dangling_timers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A test fails if a QTimer it started is still running (napari's conftest does so)."""
    started: list[QTimer] = []
    original = QTimer.start

    def start(timer: QTimer, *args: Any) -> None:
        started.append(timer)
        original(timer, *args)

    monkeypatch.setattr(QTimer, "start", start)
    yield
    monkeypatch.undo()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    active = [t for t in started if shiboken6.isValid(t) and t.isActive()]
    for timer in active:
        timer.stop()
    if active:
        pytest.fail(f"test left QTimers running: {[t.parent() for t in active]}",
                    pytrace=False)


def run(loop: qasync.QEventLoop, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
    return loop.run_until_complete(asyncio.wait_for(coro, timeout))


def make_window(tmp_path: Path, options: RunOptions, *, history: bool = True,
                settings: Settings | None = None) -> MainWindow:
    """The real window over a real studio, with the offline engine on a thread of this
    process holding only the fast voices (tones, espeak)."""
    studio = Studio(settings or Settings(tmp_path / "config" / "settings.json"), options,
                    History(tmp_path / "data" / "history") if history else None,
                    engine=LocalEngine(synthesizers=[ToneSynthesizer(), EspeakSynthesizer()]),
                    cache_dir=tmp_path / "cache", lexicons=Lexicons(tmp_path / "data"))
    return MainWindow(studio)


def close_window(loop: qasync.QEventLoop, win: MainWindow) -> None:
    win.close()
    run(loop, win.studio.shutdown())
    win.deleteLater()


@pytest.fixture
def window(loop: qasync.QEventLoop, tmp_path: Path, qtbot: Any) -> Iterator[MainWindow]:
    """The window offline (as ``voicebooth --offline`` starts it)."""
    win = make_window(tmp_path, RunOptions(offline=True))
    win.resize(1280, 800)
    win.show()
    run(loop, win.studio.start())
    run(loop, win.studio.library.refresh())  # the load start() began, to its end
    yield win
    close_window(loop, win)


def current(window: MainWindow) -> Take | None:
    """The take the window shows and plays."""
    return window.studio.transport.take


async def until(predicate: Any, seconds: float = 20, step: float = 0.01) -> None:
    """Wait on the running loop (qasync tasks and Qt events both advance)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {seconds} s")
        await asyncio.sleep(step)


async def watch_highlight(window: MainWindow) -> list[int]:
    """The words the transcript highlighted while the current take streamed and played."""
    from app.takes.take import TakeStatus

    seen: list[int] = []
    await until(lambda: current(window) is not None)
    take = current(window)
    assert take is not None
    transport = window.studio.transport
    # The device opens off the loop, maybe after a short take has finished streaming.
    await until(lambda: transport.holds_current or transport.problem is not None)
    while take.status is TakeStatus.STREAMING or transport.playing:
        word = window.take_view.transcript.current
        if word is not None and (not seen or seen[-1] != word):
            seen.append(word)
        await asyncio.sleep(0.005)
    return seen
