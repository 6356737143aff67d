"""Loudness normalization on real speech: Joe (Piper, our offline engine) over loopback.

The files are read back with soundfile and measured again (pyloudnorm for BS.1770-4,
our true-peak meter), so what is checked is what a player would hear.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile

from app.audio.truepeak import true_peak_db
from app.cartesia.voices_types import Voice
from app.engine.server import ServerConfig, ThreadedServer
from app.engine.synth.piper_voice import VOICE_ID, PiperSynthesizer
from app.studio.recorder import Recorder
from app.takes.export import ExportSpec, export_take
from app.takes.take import Take, TakeSettings
from tests.studio.conftest import KEY, online, run

TEXT = ("The lighthouse keeper climbed the stairs at dusk. Far below, the waves kept "
        "their own slow time against the rocks.")


@pytest.fixture
def joe() -> Iterator[ThreadedServer]:
    srv = ThreadedServer([PiperSynthesizer(deterministic=True)], ServerConfig(api_key=KEY))
    srv.start()
    yield srv
    srv.stop()


def speak(server: ThreadedServer, rate: int = 44100) -> Take:
    async def scenario() -> Take:
        endpoints = online(server)
        try:
            return await Recorder(endpoints).record(
                TakeSettings(text=TEXT, voice_id=VOICE_ID, sample_rate=rate), Voice(
                    id=VOICE_ID, name="Joe"))
        finally:
            await endpoints.close()
    return run(scenario(), timeout=120)


def read_back(path: Path) -> tuple[float, float]:
    """The file's loudness as a meter reads it (every channel counts) and true peak."""
    data, rate = soundfile.read(str(path), dtype="float64", always_2d=True)
    loudness = pyloudnorm.Meter(rate).integrated_loudness(data)
    peak = true_peak_db(data, rate)
    assert peak is not None
    return float(loudness), peak


def test_speech_reaches_the_target_under_the_ceiling(joe: ThreadedServer, tmp_path: Path
                                                     ) -> None:
    take = speak(joe)
    assert take.duration > 3.0
    for target, spec in [
        (-16.0, ExportSpec(format="flac", sample_rate=48000, normalize_lufs=-16.0,
                           limiter=True)),
        # Not R128's -23: Joe's speech itself measures -21 to -24 LUFS, and the check
        # below that the export really moved the level needs a target 1 LU away from it.
        (-28.0, ExportSpec(wav_subtype="pcm24", normalize_lufs=-28.0, trim=True)),
        (-14.0, ExportSpec(wav_subtype="pcm16", channels=2, normalize_lufs=-14.0,
                           limiter=True)),
    ]:
        result = export_take(take, tmp_path / f"{target}-{spec.wav_subtype}-{spec.channels}"
                                              f"{spec.extension}", spec)
        lufs, peak = read_back(result.files[0])
        assert lufs == pytest.approx(target, abs=0.5)
        assert peak <= -1.0
        assert result.before is not None and result.after is not None
        assert result.after.lufs == pytest.approx(lufs, abs=0.01)
        assert result.true_peak_db == pytest.approx(peak, abs=0.01)
        # The ceiling holds for the file as decoded: the encoder's overshoot is taken
        # back before encoding (Opus raised the peaks ~0.8 dB over it on this speech).
        assert peak <= -1.0 + 0.01
        assert result.before.lufs != pytest.approx(target, abs=1.0)  # it really moved


def test_a_loud_take_is_held_by_the_ceiling_not_clipped(joe: ThreadedServer, tmp_path: Path
                                                        ) -> None:
    take = speak(joe)
    peak = float(np.max(np.abs(take.samples)))
    loud = Take.from_audio(take.settings, take.samples * (0.99 / peak))
    spec = ExportSpec(format="flac", wav_subtype="pcm24", normalize_lufs=-6.0,
                      true_peak_db=-2.0)
    result = export_take(loud, tmp_path / "loud.flac", spec)
    lufs, true_peak = read_back(result.files[0])
    assert true_peak <= -2.0 and true_peak > -2.2  # the ceiling set the gain
    assert lufs < -7.0  # so the target was not reached, and the result says why
    assert "true-peak ceiling (-2 dBTP) held the gain" in result.notes[0]
    # A gain, not a clipper: the waveform is the source's, scaled.
    data, _ = soundfile.read(str(result.files[0]), dtype="float64")
    scale = float(np.dot(data, loud.samples) / np.dot(loud.samples, loud.samples))
    assert np.max(np.abs(data - scale * loud.samples)) < 1e-4


def test_without_the_limiter_speech_stops_short_and_says_so(joe: ThreadedServer,
                                                            tmp_path: Path) -> None:
    take = speak(joe)  # Joe peaks about 20.5 dB over his loudness: -16 needs a limiter
    result = export_take(take, tmp_path / "a.flac",
                         ExportSpec(format="flac", normalize_lufs=-16.0))
    lufs, peak = read_back(result.files[0])
    assert -1.1 < peak <= -1.0 and lufs < -19.0
    assert result.notes[0].endswith("short of -16 LUFS; turn on the limiter to reach it")
    # With it, the limiter works only on the few loudest peaks: the rest is one gain.
    limited = export_take(take, tmp_path / "b.flac",
                          ExportSpec(format="flac", wav_subtype="pcm24", normalize_lufs=-16.0,
                                     limiter=True))
    data, _ = soundfile.read(str(limited.files[0]), dtype="float64")
    ratio = data[np.abs(take.samples) > 1e-3] / take.samples[np.abs(take.samples) > 1e-3]
    assert np.mean(np.isclose(ratio, np.median(ratio), rtol=1e-3)) > 0.7
    assert re.fullmatch(r"limiter: up to \d+\.\d dB off the loudest peaks \(ceiling -1 "
                        r"dBTP\)", limited.notes[0])


def test_lossy_formats_are_measured_as_decoded(joe: ThreadedServer, tmp_path: Path) -> None:
    take = speak(joe, rate=24000)
    for spec in (ExportSpec(format="mp3", normalize_lufs=-16.0, limiter=True),
                 ExportSpec(format="opus", normalize_lufs=-16.0, limiter=True)):
        result = export_take(take, tmp_path / f"a{spec.extension}", spec)
        lufs, peak = read_back(result.files[0])
        assert lufs == pytest.approx(-16.0, abs=0.5)
        assert result.after is not None and result.after.lufs == pytest.approx(lufs, abs=0.01)
        assert result.true_peak_db == pytest.approx(peak, abs=0.01)
        # The ceiling holds for the file as decoded: the encoder's overshoot is taken
        # back before encoding (Opus raised the peaks ~0.8 dB over it on this speech).
        assert peak <= -1.0 + 0.01
