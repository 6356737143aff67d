"""Without a usable sound device every path ends in NoAudioDevice with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = textwrap.dedent("""
    from app.audio.errors import NoAudioDevice
    from app.audio.player import Player
    try:
        Player(48000, device={device!r}).open()
    except NoAudioDevice as exc:
        print("NoAudioDevice:", exc)
    else:
        print("opened")
""")


def probe(env: dict[str, str], device: str | None = None) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE.format(device=device)], env=env,
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_no_sound_server() -> None:
    env = dict(os.environ, PULSE_SERVER="unix:/nonexistent/voicebooth-no-server")
    out = probe(env)
    assert out.startswith("NoAudioDevice:"), out
    assert "generation, waveform and export still work" in out or "cannot" in out


def test_no_portaudio_library(tmp_path: Path) -> None:
    # sounddevice finds PortAudio through ctypes.util.find_library; a shadowing
    # module that makes the lookup fail is what a machine without libportaudio2 sees.
    (tmp_path / "sitecustomize.py").write_text(
        "import ctypes.util\n_orig = ctypes.util.find_library\n"
        "ctypes.util.find_library = lambda name: None if 'portaudio' in name else _orig(name)\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    out = probe(env)
    assert out.startswith("NoAudioDevice: no sound:"), out
    assert "libportaudio2" in out


@pytest.mark.sound
def test_unknown_device_name_suggests_one() -> None:
    out = probe(dict(os.environ), device="pulze")
    assert out == "NoAudioDevice: no output device named 'pulze'; did you mean 'pulse'?"
