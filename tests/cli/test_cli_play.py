"""`say --play` on the virtual device: what the monitor captured is the WAV it wrote."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.audio.resample import resample
from app.audio.wav import read_wav
from app.engine.server import ThreadedServer
from app.engine.synth.tones import VOICE_ID
from tests.audio.capture import RATE, locate, ncc, record_monitor
from tests.cli.conftest import KEY, ROOT

pytestmark = pytest.mark.sound


def test_say_play_plays_what_it_writes(server: ThreadedServer, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARTESIA_")}
    env["CARTESIA_API_KEY"] = KEY
    with record_monitor() as cap:
        done = subprocess.run(
            [sys.executable, str(ROOT / "main.py"), "say", "Testing playback now.", "--play",
             "--base-url", server.url, "--voice", VOICE_ID, "-o", "t.wav"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    wav = read_wav(tmp_path / "t.wav")
    reference = resample(wav.samples, wav.sample_rate, RATE)  # the sink runs at 48 kHz
    got = cap.audio()
    at = locate(got, reference)
    assert ncc(got[at:at + len(reference)], reference) >= 0.99


def test_play_without_a_device_still_writes(server: ThreadedServer, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARTESIA_")}
    env.update(CARTESIA_API_KEY=KEY,
               PULSE_SERVER="unix:/nonexistent/no-server")
    done = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "say", "Still written.", "--play",
         "--base-url", server.url, "--voice", VOICE_ID, "-o", "t.wav"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "not playing: no sound output device was found" in done.stderr
    assert len(read_wav(tmp_path / "t.wav").samples) > 0
