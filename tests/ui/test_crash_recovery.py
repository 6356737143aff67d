"""Killed with SIGKILL, the app loses at most the last two seconds of work, and a script
given on the command line opens.

The real window runs in a subprocess (``crash_driver.py``, or ``main.py open``) with
its own XDG folders; the test kills it mid-typing and reads what it left on disk.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import qasync

from app.engine.local import LocalEngine
from app.engine.synth.tones import ToneSynthesizer
from app.settings import Settings
from app.studio.lexicons import Lexicons
from app.studio.options import RunOptions
from app.studio.project import save_project, untitled_path
from app.studio.script import Script, ScriptLine
from app.studio.studio import Studio
from app.ui.window import MainWindow
from tests.ui.conftest import close_window, run

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("crash_driver.py")
#: What the editor promises to lose at most.
LOST_AT_MOST_S = 2.0


def start_driver(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.pop("CARTESIA_API_KEY", None)
    return subprocess.Popen([sys.executable, str(DRIVER), *args], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def read_until(process: subprocess.Popen[str], marker: str, timeout: float = 60
               ) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
        if line.startswith(marker):
            return lines
    process.kill()
    _, err = process.communicate()
    raise AssertionError(f"the driver never printed {marker!r}: {lines} {err}")


def kill(process: subprocess.Popen[str]) -> float:
    killed_at = time.time()
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    return killed_at


def test_the_editor_text_and_controls_survive_kill_9(tmp_path: Path) -> None:
    process = start_driver(tmp_path)
    read_until(process, "ready")
    typed: list[tuple[str, float]] = []
    while not typed or typed[-1][1] - typed[0][1] < 5.0:  # typing, never pausing 1 s
        (line,) = read_until(process, "typed")[-1:]
        _, word, at = line.split()
        typed.append((word, float(at)))
    killed_at = kill(process)

    settings = json.loads((tmp_path / "config" / "voicebooth" / "settings.json")
                          .read_text("utf-8"))["values"]
    old_enough = [word for word, at in typed if at < killed_at - LOST_AT_MOST_S]
    assert len(old_enough) >= 8  # so the text below was saved while typing went on
    saved = settings["text"].split()
    assert saved[0] == "Start"
    assert saved[1:len(old_enough) + 1] == old_enough
    assert settings["speed"] == 1.2


def test_an_untitled_script_survives_kill_9_and_comes_back(
        tmp_path: Path, loop: qasync.QEventLoop, qtbot: Any) -> None:
    process = start_driver(tmp_path, "script")
    read_until(process, "ready")
    typed: list[tuple[str, float]] = []
    while not typed or typed[-1][1] - typed[0][1] < 6.0:
        (line,) = read_until(process, "typed")[-1:]
        _, line_id, at = line.split()
        typed.append((line_id, float(at)))
    killed_at = kill(process)

    data = tmp_path / "data" / "voicebooth"
    saved = json.loads(untitled_path(data).read_text("utf-8"))["lines"]
    old_enough = [line_id for line_id, at in typed if at < killed_at - LOST_AT_MOST_S]
    assert len(old_enough) >= 5  # so they were saved while typing went on
    assert [line["id"] for line in saved][:len(old_enough)] == old_enough
    for line in saved[:len(old_enough)]:
        assert line["text"] == f"Line {line['id'].split('-')[1]} of the script."

    # The next start offers it back: the panel shows it, still untitled.
    settings = Settings(tmp_path / "config" / "voicebooth" / "settings.json")
    studio = Studio(settings, RunOptions(offline=True), None,
                    engine=LocalEngine(synthesizers=[ToneSynthesizer()]),
                    cache_dir=tmp_path / "cache", lexicons=Lexicons(data))
    window = MainWindow(studio)
    window.show()
    run(loop, window.open_first_script(None))
    script = window.script_panel.script
    assert window.script_dock.isVisible() and script.path is None
    assert [line.id for line in script.lines][:len(old_enough)] == old_enough
    assert "from last time is back" in window.statusBar().currentMessage()
    close_window(loop, window)


def test_open_from_the_command_line(tmp_path: Path) -> None:
    project = tmp_path / "prompts.voicebooth"
    save_project(Script([ScriptLine("p1", "Hello there."), ScriptLine("p2", "Goodbye.")]),
                 project, {})
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.pop("CARTESIA_API_KEY", None)
    missing = subprocess.run([sys.executable, str(ROOT / "main.py"), "open",
                              str(tmp_path / "nope.voicebooth"), "--offline"], env=env,
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2
    assert "nope.voicebooth: no such file" in missing.stderr

    app = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "open", str(project),
                            "--offline"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    settings = tmp_path / "config" / "voicebooth" / "settings.json"
    deadline = time.monotonic() + 60
    try:
        # The window remembers the script it opened (it is reopened at the next start).
        while time.monotonic() < deadline and app.poll() is None:
            if settings.exists() and json.loads(settings.read_text("utf-8"))[
                    "values"].get("script_path") == str(project.resolve()):
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"the window did not open {project}: {app.poll()}")
    finally:
        kill(app)
    values = json.loads(settings.read_text("utf-8"))["values"]
    assert values["recent_scripts"] == [str(project.resolve())]
