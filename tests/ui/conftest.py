"""Qt tests on qasync's loop, with settings, history and caches in a temporary folder."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import qasync
from PySide6.QtWidgets import QApplication

from app.engine.local import LocalEngine
from app.engine.synth.espeak import EspeakSynthesizer
from app.engine.synth.tones import ToneSynthesizer
from app.settings import Settings
from app.takes.history import History
from app.ui.session import Session
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
    """A qasync loop per test (pytest-qt has no asyncio support of its own)."""
    event_loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    asyncio.set_event_loop(None)
    event_loop.close()


def run(loop: qasync.QEventLoop, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
    return loop.run_until_complete(asyncio.wait_for(coro, timeout))


@pytest.fixture
def window(loop: qasync.QEventLoop, tmp_path: Path, qtbot: Any) -> Iterator[MainWindow]:
    """The real window on the offline engine, with the fast voices (tones, espeak)."""
    settings = Settings(tmp_path / "config" / "settings.json")
    settings.set("offline_only", True)
    history = History(tmp_path / "data" / "history")
    engine = LocalEngine(synthesizers=[ToneSynthesizer(), EspeakSynthesizer()])
    session = Session(settings, history, engine=engine)
    win = MainWindow(settings, history, session=session, cache_dir=tmp_path / "cache")
    win.resize(1280, 800)
    win.show()
    run(loop, win.start())
    yield win
    win.close()
    run(loop, win.shutdown())
    win.deleteLater()


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
    await until(lambda: window.take is not None)
    take = window.take
    assert take is not None
    while take.status is TakeStatus.STREAMING or (
            window.session.player is not None and window.session.player.active):
        current = window.transcript.current
        if current is not None and (not seen or seen[-1] != current):
            seen.append(current)
        await asyncio.sleep(0.005)
    return seen
