"""The command line, run as a real subprocess against a real loopback server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.audio import codecs
from app.audio.wav import read_wav
from app.engine.server import ThreadedServer
from app.engine.synth.tones import VOICE_ID
from tests.cartesia.expected import expected_audio, expected_words
from tests.cli.conftest import KEY, ROOT

TEXT = "Hello there, world."


def cli(*args: str, key: str | None = KEY, stdin: str | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARTESIA_")}
    if key is not None:
        env["CARTESIA_API_KEY"] = key
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], env=env,
                          input=stdin, capture_output=True, text=True, timeout=60,
                          cwd=cwd or ROOT)


def say(srv: ThreadedServer, tmp: Path, *extra: str, text: str = TEXT,
        key: str | None = KEY) -> subprocess.CompletedProcess[str]:
    return cli("say", text, "--base-url", srv.url, "--voice", VOICE_ID, *extra, key=key,
               cwd=tmp)


@pytest.mark.parametrize(("encoding", "rate", "fmt"), [
    ("pcm_f32le", 44100, "float32"), ("pcm_s16le", 24000, "pcm16"),
    ("pcm_mulaw", 8000, "pcm16"), ("pcm_alaw", 16000, "pcm16")])
def test_say_writes_exactly_the_servers_audio(server: ThreadedServer, tmp_path: Path,
                                              encoding: str, rate: int, fmt: str) -> None:
    done = say(server, tmp_path, "--encoding", encoding, "--sample-rate", str(rate),
               "-o", "hi.wav", "--timestamps", "hi.json", "--srt", "hi.srt")
    assert done.returncode == 0, done.stderr
    assert re.search(r"first audio after \d+\.\d ms", done.stderr)
    wav = read_wav(tmp_path / "hi.wav")
    assert (wav.sample_rate, wav.fmt, wav.channels) == (rate, fmt, 1)
    sent = codecs.decode(codecs.encode(expected_audio(TEXT, rate), encoding), encoding)
    np.testing.assert_array_equal(wav.samples, sent)
    timings = json.loads((tmp_path / "hi.json").read_text())
    assert [(w["text"], w["start"], w["end"]) for w in timings["words"]] == \
        expected_words(TEXT, rate)
    assert len(timings["phonemes"]) == sum(c.isalnum() for c in TEXT)
    srt = (tmp_path / "hi.srt").read_text()
    assert srt.startswith("1\n00:00:00,000 --> ")
    assert "Hello there, world." in srt


def test_text_from_stdin_and_file(server: ThreadedServer, tmp_path: Path) -> None:
    done = cli("say", "-", "--base-url", server.url, "--voice", VOICE_ID, "-o", "a.wav",
               "--encoding", "pcm_s16le", "--sample-rate", "16000", stdin="piped words",
               cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(read_wav(tmp_path / "a.wav").samples) == len(expected_audio("piped words",
                                                                             16000))
    (tmp_path / "script.txt").write_text("from a file", "utf-8")
    done = say(server, tmp_path, "-f", "script.txt", "-o", "b.wav", text="")
    assert done.returncode == 0, done.stderr


def test_bad_markup_exits_2_with_line_and_column(server: ThreadedServer,
                                                  tmp_path: Path) -> None:
    done = say(server, tmp_path, "-o", "x.wav", text='Fine.\nThen <brek time="1s"/> here')
    assert done.returncode == 2
    assert "line 2, column 6: unknown tag <brek>; did you mean <break>?" in done.stderr
    assert not (tmp_path / "x.wav").exists()


@pytest.mark.parametrize("args", [
    (),                                   # nothing to say
    ("--encoding", "pcm_u8"),              # not an encoding
    ("--sample-rate", "12345"),
])
def test_bad_usage_exits_2(server: ThreadedServer, tmp_path: Path,
                           args: tuple[str, ...]) -> None:
    text = "" if not args else TEXT
    done = say(server, tmp_path, *args, "-o", "x.wav", text=text)
    assert done.returncode == 2, done.stderr
    assert not (tmp_path / "x.wav").exists()


def test_existing_output_is_kept_without_force(server: ThreadedServer, tmp_path: Path
                                               ) -> None:
    (tmp_path / "keep.wav").write_bytes(b"precious")
    done = say(server, tmp_path, "-o", "keep.wav")
    assert done.returncode == 2
    assert "already exists" in done.stderr and "--force" in done.stderr
    assert (tmp_path / "keep.wav").read_bytes() == b"precious"
    assert say(server, tmp_path, "-o", "keep.wav", "--force").returncode == 0
    assert read_wav(tmp_path / "keep.wav").sample_rate == 44100


def test_rejected_key_exits_3_and_never_shows_the_key(server: ThreadedServer,
                                                     tmp_path: Path) -> None:
    done = say(server, tmp_path, "-o", "x.wav", key="sk_wrong_secret_5555")
    assert done.returncode == 3
    assert "Invalid or missing API key" in done.stderr
    assert "sk_wrong_secret_5555" not in done.stderr + done.stdout


def test_failure_after_audio_keeps_a_partial_wav(server: ThreadedServer,
                                                 tmp_path: Path) -> None:
    server.server.faults.error_after_chunks = 4
    done = say(server, tmp_path, "-o", "take.wav", "--encoding", "pcm_s16le",
               "--sample-rate", "16000", text=" ".join(["word"] * 20))
    assert done.returncode == 4
    assert not (tmp_path / "take.wav").exists()
    partial = read_wav(tmp_path / "take.partial.wav")
    chunk = 16000 * 40 // 1000
    assert len(partial.samples) == 4 * chunk
    full = expected_audio(" ".join(["word"] * 20), 16000)
    np.testing.assert_array_equal(partial.samples, codecs.decode(
        codecs.encode(full[: 4 * chunk], "pcm_s16le"), "pcm_s16le"))
    assert "take.partial.wav" in done.stderr and "injected error" in done.stderr


def test_dropped_connection_exits_4(server: ThreadedServer, tmp_path: Path) -> None:
    server.server.faults.drop_after_chunks = 1
    done = say(server, tmp_path, "-o", "t.wav")
    assert done.returncode == 4
    assert "connection" in done.stderr and "t.partial.wav" in done.stderr


def test_stall_exits_4_after_the_timeout(server: ThreadedServer, tmp_path: Path) -> None:
    server.server.faults.stall_after_chunks = 1
    done = say(server, tmp_path, "-o", "t.wav", "--timeout", "0.5")
    assert done.returncode == 4
    assert "within 0.5 s" in done.stderr


def test_voices_lists_and_filters(server: ThreadedServer) -> None:
    done = cli("voices", "--base-url", server.url)
    assert done.returncode == 0, done.stderr
    assert VOICE_ID in done.stdout and "Test Tones" in done.stdout
    data = json.loads(cli("voices", "--base-url", server.url, "--json").stdout)
    # The server's voices first, then our offline ones, marked, and never twice
    # (this server is an offline engine too, so its voice is marked as well).
    assert data[0]["id"] == VOICE_ID
    assert len({v["id"] for v in data}) == len(data) > 1
    assert all(v.get("voicebooth_offline") for v in data)
    german = json.loads(cli("voices", "--base-url", server.url, "--json", "--language",
                            "de").stdout)
    assert [v["name"] for v in german] == ["Espeak German"]
    none = cli("voices", "--base-url", server.url, "--query", "zzz")
    assert none.returncode == 0 and "no voices match" in none.stdout


def test_serve_then_say_against_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARTESIA_")}
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        assert match, line
        url = match.group(1)
        voices = cli("voices", "--base-url", url, "--json", key=None)
        ids = [v["id"] for v in json.loads(voices.stdout)]
        assert VOICE_ID in ids
        done = cli("say", TEXT, "--base-url", url, "--voice", VOICE_ID, "-o", "hi.wav",
                   "--timestamps", "hi.json", key=None, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        wav = read_wav(tmp_path / "hi.wav")
        np.testing.assert_array_equal(wav.samples, expected_audio(TEXT, 44100))
        words = json.loads((tmp_path / "hi.json").read_text())["words"]
        assert [(w["text"], w["start"], w["end"]) for w in words] == \
            expected_words(TEXT, 44100)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_full_disk_exits_1_and_leaves_nothing_behind(server: ThreadedServer, tmp_path: Path,
                                                      tiny_disk: Path) -> None:
    (tiny_disk / "old.wav").write_bytes(b"old take")
    done = say(server, tmp_path, "-o", str(tiny_disk / "old.wav"), "--force",
               text=" ".join(["longer"] * 30))
    assert done.returncode == 1, done.stderr
    assert "the disk is full" in done.stderr and "nothing was changed" in done.stderr
    assert (tiny_disk / "old.wav").read_bytes() == b"old take"
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["old.wav"]


def test_interrupt_exits_130_and_keeps_the_audio(server: ThreadedServer,
                                                 tmp_path: Path) -> None:
    import signal
    import time

    server.server.faults.stall_after_chunks = 3
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARTESIA_")}
    env["CARTESIA_API_KEY"] = KEY
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "say", TEXT, "--base-url", server.url,
         "--voice", VOICE_ID, "-o", "t.wav", "--timeout", "30"],
        cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    # Wait for "first audio after ...": the stream is under way. On a loaded machine
    # asyncio's debug mode may log a slow step first; that is not what this tests.
    lines = [proc.stderr.readline()]
    while "first audio" not in lines[-1] and lines[-1] and len(lines) < 20:
        lines.append(proc.stderr.readline())
    assert "first audio" in lines[-1], lines
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    assert proc.wait(timeout=10) == 130
    assert "interrupted" in rest and "t.partial.wav" in rest
    assert len(read_wav(tmp_path / "t.partial.wav").samples) == 3 * 44100 * 40 // 1000
