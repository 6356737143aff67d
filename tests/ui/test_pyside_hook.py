"""PySide6's import hook reads each later module's source: through ``inspect`` and
``linecache`` it kept all of them (15 MB of the window). :mod:`app.ui.pyside_hook`
answers the same question from the file's bytes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from app.ui.pyside_hook import mentions_pyside

ROOT = Path(__file__).resolve().parents[2]

#: A fresh interpreter: the hook's state and ``linecache`` are per process.
PROBE = """
import json, linecache, sys
import app.ui
import app.ui.window  # its own imports go through the hook, as in the app
answers = sys.modules["shibokensupport.feature"].pyside_feature_dict
print(json.dumps({
    "kept": sorted(p for p in linecache.cache if "/app/" in p),
    "waveform": answers.get("app.ui.waveform"),
    "studio": answers.get("app.studio.studio"),
    "history": answers.get("app.takes.history"),
}))
"""


def probe() -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_window_s_imports_leave_no_source_in_memory() -> None:
    assert probe()["kept"] == []


def test_pyside_gets_the_answers_its_own_check_gives() -> None:
    # 0: uses PySide6 (may switch features); -1: ignored. As PySide6's own check says.
    result = probe()
    assert (result["waveform"], result["studio"], result["history"]) == (0, -1, -1)


def test_the_answer_comes_from_the_file(tmp_path: Path) -> None:
    def module(name: str, text: str | None) -> ModuleType:
        m = ModuleType(name)
        if text is not None:
            path = tmp_path / f"{name}.py"
            path.write_text(text)
            m.__file__ = str(path)
        return m

    assert mentions_pyside(module("qt_user", "from PySide6.QtCore import QTimer\n"))
    assert not mentions_pyside(module("plain", "import asyncio\n"))
    assert not mentions_pyside(module("builtin_like", None))  # no file: no source
    gone = module("gone", "import PySide6\n")
    Path(str(gone.__file__)).unlink()
    assert not mentions_pyside(gone)
    extension = ModuleType("extension")
    extension.__file__ = str(tmp_path / "extension.so")
    assert not mentions_pyside(extension)
