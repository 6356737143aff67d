"""The window in two steps, as the launch builds it: what is on screen first
(``MainWindow(studio, complete=False)``), the script panel and the retakes with
:meth:`MainWindow.complete` once it has painted. Until then the actions that need them
are disabled, and nothing the window does in the meantime reaches for them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import qasync

from app.engine.local import LocalEngine
from app.engine.synth.tones import ToneSynthesizer
from app.settings import SCRIPT_PATH, Settings
from app.studio.lexicons import Lexicons
from app.studio.options import RunOptions
from app.studio.studio import Studio
from app.takes.history import History
from app.ui.window import LATER_ACTIONS, MainWindow
from tests.ui.conftest import close_window, run, until


def first_step(tmp_path: Path, settings: Settings) -> MainWindow:
    studio = Studio(settings, RunOptions(offline=True), History(tmp_path / "data" / "history"),
                    engine=LocalEngine(synthesizers=[ToneSynthesizer()]),
                    cache_dir=tmp_path / "cache", lexicons=Lexicons(tmp_path / "data"))
    return MainWindow(studio, complete=False)


def a_script(tmp_path: Path) -> Path:
    path = tmp_path / "lines.csv"
    path.write_text("id,text\nfirst,The first line.\nsecond,The second line.\n", "utf-8")
    return path


def test_before_complete_the_script_and_retake_actions_wait_and_nothing_reaches_for_them(
        loop: qasync.QEventLoop, tmp_path: Path, qtbot: Any) -> None:
    script = a_script(tmp_path)
    settings = Settings(tmp_path / "config" / "settings.json")
    settings.set(SCRIPT_PATH, str(script))
    window = first_step(tmp_path, settings)
    window.resize(1280, 800)
    window.show()
    try:
        assert not window.completed
        assert not hasattr(window, "script_panel") and not hasattr(window, "retakes")
        assert [name for name in LATER_ACTIONS if window.shortcuts[name].isEnabled()] == []
        assert not window.recent_menu.isEnabled()
        # What the window does before complete(): the studio starts (the lexicons load and
        # say so), the lexicons are switched, the line is typed into with the script's
        # dock on screen (as a restored window state may show it).
        loaded: list[object] = []
        window.studio.lexicons.events.connect(loaded.append)
        run(loop, window.studio.start())
        run(loop, until(lambda: loaded))
        window.set_use_lexicons(not window.studio.use_lexicons)
        window.script_dock.show()
        qtbot.keyClicks(window.editor, " More.")
        assert window.shortcuts["play"].isEnabled()  # the line itself never waits
    finally:
        close_window(loop, window)
    # Closed before the script panel was built: the script to open next is unchanged.
    assert Settings(tmp_path / "config" / "settings.json").get(SCRIPT_PATH) == str(script)


def test_complete_builds_the_script_panel_and_the_retakes_and_enables_their_actions(
        loop: qasync.QEventLoop, tmp_path: Path, qtbot: Any) -> None:
    settings = Settings(tmp_path / "config" / "settings.json")
    settings.set(SCRIPT_PATH, str(a_script(tmp_path)))
    window = first_step(tmp_path, settings)
    window.resize(1280, 800)
    window.show()
    try:
        run(loop, window.studio.start())
        window.complete()
        panel, retakes = window.script_panel, window.retakes
        window.complete()  # a second call changes nothing
        assert window.script_panel is panel and window.retakes is retakes
        assert window.script_dock.widget() is panel
        assert all(window.shortcuts[name].isEnabled() for name in LATER_ACTIONS)
        assert window.recent_menu.isEnabled()
        # The script open when the window last closed opens in it, as at any start.
        run(loop, window.open_first_script(None))
        assert [line.text for line in panel.script.lines] == ["The first line.",
                                                              "The second line."]
        # The panel follows the editor once it is built.
        window.script_dock.show()
        panel.table.selectRow(0)
        run(loop, until(lambda: window.editor.toPlainText() == "The first line."))
    finally:
        close_window(loop, window)


def test_the_rest_is_built_after_the_first_paint_or_after_a_wait_without_one(
        loop: qasync.QEventLoop, tmp_path: Path, monkeypatch: Any) -> None:
    """The launch's second step: once the window has painted (not after the wait: 30 s
    would outlast the 10 s given here); and a window that never paints (opened
    minimized, or on another workspace) is completed once PAINT_WAIT_S has passed."""
    from app.ui import main

    for shown, wait in ((True, 30.0), (False, 0.2)):
        monkeypatch.setattr(main, "PAINT_WAIT_S", wait)
        window = first_step(tmp_path / str(shown), Settings(None))
        try:
            async def second_step(window: MainWindow = window, shown: bool = shown) -> bool:
                first_paint = main.FirstPaint(window)  # as the launch: before show()
                if shown:
                    window.resize(1024, 640)
                    window.show()
                await main.complete_after_paint(window, first_paint)
                return first_paint.painted.done()

            assert run(loop, second_step(), timeout=10) is shown
            assert window.completed and hasattr(window, "script_panel")
            assert all(window.shortcuts[name].isEnabled() for name in LATER_ACTIONS)
        finally:
            close_window(loop, window)
