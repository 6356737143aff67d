"""Killed with SIGKILL, the app loses at most the last two seconds of work.

The real window runs in a subprocess (``crash_driver.py``) with its own XDG
folders; the test kills it mid-typing and reads what it left on disk.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

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
