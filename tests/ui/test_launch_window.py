"""The window's launch: what its process imports, its voices before the engine is up, and
a Play pressed while the engine starts, played once it is up."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import Qt

from app.credentials import without_key
from app.engine.local import LocalEngine
from app.engine.voice_table import TONES_VOICE_ID, table_voices
from app.settings import Settings
from app.studio.lexicons import Lexicons
from app.studio.options import RunOptions
from app.studio.studio import Studio
from app.takes.history import History
from app.takes.take import TakeStatus
from app.ui.window import MainWindow
from tests.ui.conftest import close_window, current, run, until
from tests.ui.entry_point import HOOK

ROOT = Path(__file__).resolve().parents[2]

#: Never in the window's process: the engine's server and synthesizers, the REST client's
#: aiohttp (offline), the command line's other commands and its full parser (the window's
#: options have their own: app.cli.window), qtawesome and QtPy (the icons are drawn from
#: the font file: importing them cost 0.3 s before the first paint), and scipy (the
#: loudness meter is numpy only).
NOT_IN_THE_WINDOW = ("aiohttp", "app.engine.server", "piper", "onnxruntime", "onnx",
                     "espeakng_loader", "app.engine.synth.piper_voice", "app.cli.say",
                     "app.cli.batch", "app.cli.serve", "app.cli.voices", "app.cli.commands",
                     "app.cli.batch_args", "app.cli.lexicon", "app.cli.outputs", "qtawesome",
                     "qtpy", "scipy", "pyloudnorm")

#: Runs main.py as it is; once Studio.start() has returned (the engine answered), prints
#: which of NOT_IN_THE_WINDOW are imported and how many voices the library holds, and quits.
LAUNCH = r"""
import importlib.abc, importlib.util, json, runpy, sys

def patch(mod):
    start = mod.Studio.start

    async def started(self):
        await start(self)
        await self.library.refresh()
        from PySide6.QtWidgets import QApplication
        print(json.dumps({"imported": [m for m in NOT if m in sys.modules],
                          "voices": len(self.library.voices)}), flush=True)
        QApplication.instance().closeAllWindows()

    mod.Studio.start = started

loaded = patch
""" + HOOK + r"""
NOT = json.loads(sys.argv[1])
sys.meta_path.insert(0, Hook())
sys.argv = ["main.py", "--offline"]
runpy.run_path("main.py", run_name="__main__")
"""


def test_the_windows_process_imports_no_engine_nor_aiohttp(tmp_path: Path) -> None:
    """Through the real entry point (``main.py --offline``), offscreen, in an empty home."""
    env = without_key(os.environ) | {
        "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", LAUNCH, json.dumps(NOT_IN_THE_WINDOW)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=180)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"imported": [], "voices": len(table_voices())}


@pytest.mark.sound
def test_voices_before_the_engine_and_a_play_that_waits_for_it(
        loop: qasync.QEventLoop, tmp_path: Path, qtbot: Any) -> None:
    """The engine's process is started as the app starts it, then stopped (SIGSTOP) so
    that it cannot answer: the window still lists the offline voices, and a Play pressed
    then is played once the engine is let go."""
    engine = LocalEngine(environ=without_key(os.environ))
    engine.spawn()
    assert engine.pid is not None
    os.kill(engine.pid, signal.SIGSTOP)
    stopped = True
    studio = Studio(Settings(tmp_path / "config" / "settings.json"), RunOptions(offline=True),
                    History(tmp_path / "data" / "history"), engine=engine,
                    cache_dir=tmp_path / "cache", lexicons=Lexicons(tmp_path / "data"))
    window = MainWindow(studio)
    window.resize(1280, 800)
    window.show()
    try:
        async def before_the_engine() -> asyncio.Future[None]:
            starting = asyncio.ensure_future(studio.start())
            await until(lambda: len(studio.library.voices) == len(table_voices()))
            assert window.picker.proxy.rowCount() > 0
            assert not starting.done() and engine.url == ""  # the engine has not answered
            return starting

        starting = run(loop, before_the_engine())
        qtbot.keyClicks(window.picker.search, "tones")
        window.picker.select_first()
        assert window.voice is not None and window.voice.id == TONES_VOICE_ID
        window.editor.clear()
        qtbot.keyClicks(window.editor, "Played once it is up.")
        window.editor.revalidate()
        qtbot.mouseClick(window.generate_button, Qt.MouseButton.LeftButton)
        take = current(window)
        assert take is not None and take.status is TakeStatus.STREAMING
        assert engine.url == ""

        os.kill(engine.pid, signal.SIGCONT)
        stopped = False

        async def once_it_is_up() -> None:
            await starting
            await until(lambda: take.status is not TakeStatus.STREAMING, 60)
            await until(lambda: not studio.transport.playing, 30)

        run(loop, once_it_is_up(), timeout=120)
        assert take.status is TakeStatus.DONE
        assert [w.text for w in take.words] == ["Played", "once", "it", "is", "up."]
    finally:
        if stopped:
            os.kill(engine.pid, signal.SIGCONT)
        close_window(loop, window)
