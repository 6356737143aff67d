"""``voicebooth --self-test``: run as a subprocess, as a user (or build.sh) runs it."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.cli.selftest import LINE, SelfTestFailed, Steps, check_audio

ROOT = Path(__file__).resolve().parents[2]
STEPS = ("start the offline engine", "load the voice list", "say a line: Joe (Piper)",
         "say a line: espeak-ng", "build the window")


def user_folders(tmp: Path) -> dict[str, str]:
    """A home and XDG folders standing for the user's: the test must leave them empty."""
    env = {"HOME": "home", "XDG_CONFIG_HOME": "config", "XDG_DATA_HOME": "data",
           "XDG_CACHE_HOME": "cache", "XDG_STATE_HOME": "state"}
    for name, folder in env.items():
        (tmp / folder).mkdir()
        env[name] = str(tmp / folder)
    return env


def self_test(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("CARTESIA_", "XDG_", "QT_QPA"))}
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], env=base | env,
                          capture_output=True, text=True, timeout=180, cwd=ROOT)


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_self_test_runs_every_step_offline_and_leaves_the_users_folders_alone(
        tmp_path: Path) -> None:
    env = user_folders(tmp_path)
    # No display at all: the self-test goes offscreen by itself.
    env.pop("DISPLAY", None)
    result = self_test("--self-test", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for step in STEPS:
        line = next((x for x in lines if step in x), "")
        assert line.startswith("ok"), f"{step!r} not passed:\n{result.stdout}"
        assert " s  " in line  # each step says its time
    assert "offscreen" in result.stdout
    assert lines[-1].startswith("self-test passed in")
    written = [str(p) for p in tmp_path.rglob("*") if p.is_file()]
    assert written == [], f"the self-test wrote into the user's folders: {written}"


def test_self_test_runs_alone() -> None:
    result = self_test("--self-test", "voices", env={})
    assert result.returncode == 2
    assert "--self-test runs alone, without 'voices'" in result.stderr


def test_self_test_refuses_connection_options_it_would_ignore() -> None:
    result = self_test("--self-test", "--base-url", "http://127.0.0.1:9", env={})
    assert result.returncode == 2
    assert "--base-url does not apply to --self-test" in result.stderr


def test_a_failing_step_is_named_and_stops_the_run() -> None:
    out = io.StringIO()
    steps = Steps(out)
    steps.run("first", lambda: "fine")

    def broken() -> str:
        raise OSError("the disk is full")

    with pytest.raises(SelfTestFailed, match="'second': the disk is full"):
        steps.run("second", broken)
    first, second = out.getvalue().splitlines()
    assert first.startswith("ok   first") and first.endswith("fine")
    assert second.startswith("FAIL second") and "OSError: the disk is full" in second


RATE = 44100


def tone(seconds: float, amplitude: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def test_audio_of_the_lines_length_and_level_passes() -> None:
    assert check_audio(tone(2.3, 0.2), RATE, "Joe").startswith("2.30 s at 44100 Hz")


@pytest.mark.parametrize(("samples", "says"), [
    (np.zeros(2 * RATE, np.float32), "is silent"),
    (tone(2.0, 0.002), "is silent"),
    (tone(0.2, 0.2), "lasts 0.20 s"),
    (tone(30.0, 0.2), "lasts 30.00 s"),
    (np.full(2 * RATE, np.nan, np.float32), "not numbers"),
])
def test_silent_cut_or_broken_audio_fails(samples: np.ndarray, says: str) -> None:
    with pytest.raises(SelfTestFailed, match=says) as failed:
        check_audio(samples, RATE, "Joe's take")
    assert "Joe's take" in str(failed.value)
    if "lasts" in says:
        assert LINE in str(failed.value)
