"""``say --voice A --voice B -o DIR/``: one WAV per voice, named by voice, rendered in
parallel within the server's concurrency limit; run as a real subprocess."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from app.audio.wav import read_wav
from app.cartesia.voices_types import Voice
from app.engine.server import ServerConfig, ThreadedServer
from app.engine.synth.tones import VOICE_ID, ToneSynthesizer
from tests.cartesia.expected import expected_audio
from tests.cli.conftest import KEY
from tests.cli.test_cli import cli
from tests.engine.conftest import ManyTones
from tests.faults import FaultyServer

TEXT = "Hello there, world."
TWIN_IDS = ("aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002")


class Twins(ManyTones):
    """Two voices with one name, and a name no file system takes as it is."""

    def voices(self) -> list[Voice]:
        return [Voice(id=i, name="Narrator: Deep/Warm", language="en") for i in TWIN_IDS]


@pytest.fixture
def plan_server() -> Iterator[ThreadedServer]:
    """Tone voices behind a Free plan's limit of two contexts, paced so they overlap."""
    srv = ThreadedServer([ToneSynthesizer(), ManyTones(3), Twins(0)],
                         ServerConfig(api_key=KEY, pace=4.0, max_contexts=2),
                         server_class=FaultyServer)
    srv.start()
    yield srv
    srv.stop()


def say_many(srv: ThreadedServer, tmp: Path, voices: list[str], *extra: str
             ) -> subprocess.CompletedProcess[str]:
    args = [arg for voice in voices for arg in ("--voice", voice)]
    return cli("say", TEXT, "--base-url", srv.url, *args, *extra, cwd=tmp)


def test_one_wav_per_voice_named_by_voice_within_the_plan(plan_server: ThreadedServer,
                                                          tmp_path: Path) -> None:
    many = [v.id for v in plan_server.server.voices() if v.name.startswith("Test Tones ")]
    done = say_many(plan_server, tmp_path, [VOICE_ID, *many], "-o", "takes/",
                    "--encoding", "pcm_s16le", "--sample-rate", "16000", "--max-parallel", "4")
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (tmp_path / "takes").iterdir())
    assert names == ["Test Tones 0.wav", "Test Tones 1.wav", "Test Tones 2.wav",
                     "Test Tones.wav"]
    expected = expected_audio(TEXT, 16000)
    for name in names:
        wav = read_wav(tmp_path / "takes" / name)
        assert (wav.sample_rate, wav.fmt) == (16000, "pcm16")
        np.testing.assert_allclose(wav.samples, expected, atol=1 / 32768)
        assert f"-> takes/{name}" in done.stderr
    assert "LUFS" in done.stderr and "4 of 4 voices written" in done.stderr
    # Four asked for at once, two allowed: the server never held more than two.
    assert plan_server.server.peak_contexts == 2


def test_a_failing_voice_is_reported_and_the_others_are_written(
        plan_server: ThreadedServer, tmp_path: Path) -> None:
    many = [v.id for v in plan_server.server.voices() if v.name.startswith("Test Tones ")]
    done = say_many(plan_server, tmp_path, [many[0], "no-such-voice", many[1]], "-o", "out")
    assert done.returncode == 2, done.stderr  # an unknown voice is bad input
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == \
        ["Test Tones 0.wav", "Test Tones 1.wav"]
    assert "no-such-voice: failed: " in done.stderr and "Voice not found" in done.stderr
    assert "2 of 3 voices written" in done.stderr and "error: 1 voice failed" in done.stderr


def test_same_names_get_the_start_of_their_id_and_unsafe_characters_go(
        plan_server: ThreadedServer, tmp_path: Path) -> None:
    done = say_many(plan_server, tmp_path, list(TWIN_IDS), "-o", "twins")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "twins").iterdir()) == \
        ["Narrator_ Deep_Warm-aaaaaaaa.wav", "Narrator_ Deep_Warm-bbbbbbbb.wav"]


@pytest.mark.parametrize(("extra", "message"), [
    (("--timestamps", "t.json", "-o", "out"), "--timestamps works with one voice"),
    (("--play", "-o", "out"), "--play works with one voice"),
    ((), "give -o FOLDER/"),
    (("-o", "file.wav"), "-o names a folder"),
    (("-o", "out"), "already exists; use --force"),
])
def test_what_cannot_work_is_refused_before_anything_is_sent(
        plan_server: ThreadedServer, tmp_path: Path, extra: tuple[str, ...],
        message: str) -> None:
    (tmp_path / "file.wav").write_bytes(b"keep me")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "Test Tones.wav").write_bytes(b"keep me too")
    done = say_many(plan_server, tmp_path, [VOICE_ID, TWIN_IDS[0]], *extra)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert (tmp_path / "out" / "Test Tones.wav").read_bytes() == b"keep me too"
    assert (tmp_path / "file.wav").read_bytes() == b"keep me"
    assert plan_server.server.peak_contexts == 0
