"""``say``'s finished exports, run as a real subprocess: real speech from the offline
engine (Joe, Piper) normalized and resampled, formats by extension, bad flags refused."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile

from app.audio.truepeak import true_peak_db
from app.engine.server import ThreadedServer
from tests.cli.test_cli import cli, say

SPEECH = ("The lighthouse keeper climbed the stairs at dusk. Far below, the waves kept "
          "their own slow time.")


def test_say_normalizes_real_speech_to_flac_48k(tmp_path: Path) -> None:
    done = cli("say", "--offline", SPEECH, "--normalize", "-16", "--format", "flac",
               "--export-rate", "48000", "--trim", "-o", "line.flac", "--vtt", "line.vtt",
               "--timestamps", "line.json", key=None, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    info = soundfile.info(str(tmp_path / "line.flac"))
    assert (info.format, info.samplerate, info.channels, info.subtype) == (
        "FLAC", 48000, 1, "PCM_24")
    data, rate = soundfile.read(str(tmp_path / "line.flac"), dtype="float64")
    assert pyloudnorm.Meter(rate).integrated_loudness(data) == pytest.approx(-16, abs=0.5)
    peak = true_peak_db(data, rate)
    assert peak is not None and peak <= -1.0
    shown = re.search(r"loudness: (-\d+\.\d) LUFS, (-\d+\.\d) dBTP -> -16\.0 LUFS, "
                      r"(-\d+\.\d) dBTP", done.stderr)
    assert shown, done.stderr
    # The timings follow the trim: the last word ends within the audio, after its pad.
    words = json.loads((tmp_path / "line.json").read_text())["words"]
    assert words[-1]["text"] == "time." and words[-1]["end"] <= len(data) / rate
    vtt = (tmp_path / "line.vtt").read_text()
    assert vtt.startswith("WEBVTT\n\n1\n00:00:00.") and " --> " in vtt
    assert "The lighthouse keeper" in vtt


@pytest.mark.parametrize(("name", "extra", "fmt", "channels", "rate"), [
    ("a.mp3", (), "MP3", 1, 44100),
    ("a.opus", ("--stereo",), "OGG", 2, 48000),
    ("a.wav", ("--wav-format", "ulaw", "--export-rate", "8000"), "WAV", 1, 8000),
    ("a.flac", ("--wav-format", "16", "--fade-out", "50"), "FLAC", 1, 44100),
])
def test_the_format_follows_the_extension(server: ThreadedServer, tmp_path: Path, name: str,
                                          extra: tuple[str, ...], fmt: str, channels: int,
                                          rate: int) -> None:
    done = say(server, tmp_path, "-o", name, *extra)
    assert done.returncode == 0, done.stderr
    info = soundfile.info(str(tmp_path / name))
    assert (info.format, info.channels, info.samplerate) == (fmt, channels, rate)
    if name.endswith(".opus"):
        assert "resampled from 44.1 to 48 kHz" in done.stderr


def test_a_raw_wav_still_streams_and_is_exact(server: ThreadedServer, tmp_path: Path) -> None:
    done = say(server, tmp_path, "-o", "raw.wav", "--wav-format", "float")
    assert done.returncode == 0, done.stderr
    data, _ = soundfile.read(str(tmp_path / "raw.wav"), dtype="float32")
    assert "loudness:" not in done.stderr and np.any(data)


@pytest.mark.parametrize(("extra", "message"), [
    (("--normalize", "-16", "--srt", "x.srt"), "--normalize shapes the audio file: give -o"),
    (("--format", "flac", "-o", "x.wav"), "-o x.wav ends in .wav but --format is flac; name "
                                          "it x.flac"),
    (("--normalize", "16", "-o", "x.wav"), "16 is out of range for --normalize"),
    (("--wav-format", "float", "-o", "x.flac"), "FLAC stores 16 or 24 bits"),
    (("--wav-format", "16", "-o", "x.mp3"), "--wav-format applies to WAV and FLAC, not mp3"),
    (("--export-rate", "fast", "-o", "x.wav"), "'fast' is not a whole number of Hz"),
    (("--export-rate", "96000", "-o", "x.mp3"), "MP3 cannot store 96000 Hz"),
])
def test_bad_export_flags_exit_2_before_generating(server: ThreadedServer, tmp_path: Path,
                                                   extra: tuple[str, ...], message: str
                                                   ) -> None:
    done = say(server, tmp_path, *extra)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert "first audio" not in done.stderr and list(tmp_path.iterdir()) == []


def test_a_full_disk_exits_1_and_leaves_nothing(server: ThreadedServer, tmp_path: Path,
                                                 tiny_disk: Path) -> None:
    done = say(server, tmp_path, "-o", str(tiny_disk / "x.flac"), "--wav-format", "24",
               text="Hello there, world. " * 8)
    assert done.returncode == 1, done.stderr
    assert re.search(r"cannot write .*x.flac: the disk is full", done.stderr)
    assert list(tiny_disk.iterdir()) == []
