"""The command line under hostile and unlucky input: bytes that are not text, a server
that never answers, a text of any length, SIGTERM, and a writer killed mid-take."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from app.audio.wav import read_wav
from app.engine.server import ThreadedServer
from app.engine.synth.tones import VOICE_ID
from tests.cli.conftest import KEY, ROOT

WORDS = 4000  # 14 minutes of tone audio: 27 MB as float32 if it were kept


def env(**extra: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("CARTESIA_")}
    out.update(extra)
    return out


def main_py(*args: str | bytes) -> list[str | bytes]:
    return [sys.executable, str(ROOT / "main.py"), *args]



# --- bytes that are not text ---------------------------------------------------------


def test_stdin_that_is_not_utf8_exits_2_naming_the_byte(tmp_path: Path) -> None:
    done = subprocess.run(main_py("say", "-", "--offline", "-o", "x.wav"), cwd=tmp_path,
                          input=b"caf\xe9 au lait", capture_output=True, env=env(),
                          timeout=60)
    assert done.returncode == 2, done.stderr
    assert b"standard input is not UTF-8 text: byte 0xe9 at offset 3" in done.stderr
    assert not (tmp_path / "x.wav").exists()


def test_a_file_that_is_not_utf8_exits_2_naming_the_byte(tmp_path: Path) -> None:
    (tmp_path / "script.txt").write_bytes("naïve ".encode() + b"\xff\xfe rest")
    done = subprocess.run(main_py("say", "-f", "script.txt", "--offline", "-o", "x.wav"),
                          cwd=tmp_path, capture_output=True, text=True, env=env(),
                          timeout=60)
    assert done.returncode == 2, done.stderr
    assert "script.txt is not UTF-8 text: byte 0xff at offset 7" in done.stderr


def test_an_argument_with_bytes_that_are_not_text_exits_2(tmp_path: Path) -> None:
    # Python hands such an argument over with lone surrogates in it.
    done = subprocess.run(main_py("say", b"bad \xff bytes", "--offline", "-o", "x.wav"),
                          cwd=tmp_path, capture_output=True, text=True, env=env(),
                          timeout=60)
    assert done.returncode == 2, done.stderr
    assert "the text cannot be sent: character 5 (line 1, column 5)" in done.stderr


# --- a server that never answers: the limits given are the limits kept -------------------


def test_say_gives_up_on_a_silent_server_within_its_timeout(black_hole: str,
                                                           tmp_path: Path) -> None:
    started = time.monotonic()
    done = subprocess.run(main_py("say", "Hello.", "--base-url", black_hole, "--voice",
                                  VOICE_ID, "-o", "x.wav", "--timeout", "2"), cwd=tmp_path,
                          capture_output=True, text=True, env=env(CARTESIA_API_KEY=KEY),
                          timeout=60)
    took = time.monotonic() - started
    assert done.returncode == 4, done.stderr
    assert "no answer within 2 s" in done.stderr
    assert took < 5.0  # the interpreter's start included; it took 10.5 s before


def test_voices_gives_up_on_a_silent_server_within_its_timeout(black_hole: str,
                                                              tmp_path: Path) -> None:
    started = time.monotonic()
    done = subprocess.run(main_py("voices", "--base-url", black_hole, "--timeout", "2"),
                          cwd=tmp_path, capture_output=True, text=True,
                          env=env(CARTESIA_API_KEY=KEY), timeout=60)
    took = time.monotonic() - started
    assert done.returncode == 4, done.stderr
    assert "no answer within" in done.stderr
    assert took < 5.0  # it took 127 s before


# --- a text of any length, in constant memory ----------------------------------------------


def rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) if match else 0


def test_say_of_a_long_text_holds_no_more_memory_than_a_short_one(tmp_path: Path) -> None:
    (tmp_path / "long.txt").write_text(" ".join(["word"] * WORDS))
    proc = subprocess.Popen(main_py("say", "-f", "long.txt", "--offline", "--voice", VOICE_ID,
                                    "--encoding", "pcm_s16le", "--sample-rate", "8000",
                                    "-o", "long.wav"),
                            cwd=tmp_path, stderr=subprocess.PIPE, text=True, env=env())
    assert proc.stderr is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr or []))
    reader.start()
    samples: list[int] = []
    while proc.poll() is None:
        if any("first audio" in line for line in lines):
            samples.append(rss_kib(proc.pid))
        time.sleep(0.05)
    reader.join()
    assert proc.returncode == 0, "".join(lines)
    seconds = len(read_wav(tmp_path / "long.wav").samples) / 8000
    assert seconds > 800
    kept = seconds * 8000 * 4 / 1024  # KiB the audio would take as float32
    assert len(samples) > 10
    growth = max(samples) - samples[0]
    assert growth < 0.25 * kept, (growth, kept)  # in practice: a few hundred KiB


# --- SIGTERM and kill -9 ---------------------------------------------------------------------


def start_say(server: ThreadedServer, cwd: Path, out: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(main_py("say", " ".join(["word"] * 200), "--base-url", server.url,
                                    "--voice", VOICE_ID, "-o", out, "--timeout", "30"),
                            cwd=cwd, stderr=subprocess.PIPE, text=True,
                            env=env(CARTESIA_API_KEY=KEY))
    assert proc.stderr is not None
    assert "first audio" in proc.stderr.readline()  # the stream is under way
    time.sleep(0.3)
    return proc


def test_sigterm_keeps_the_audio_that_arrived(server: ThreadedServer, tmp_path: Path) -> None:
    server.server.faults.stall_after_chunks = 3  # type: ignore[attr-defined]
    proc = start_say(server, tmp_path, "t.wav")
    proc.send_signal(signal.SIGTERM)
    rest = proc.stderr.read() if proc.stderr else ""
    assert proc.wait(timeout=10) == 143, rest
    assert "t.partial.wav" in rest and "terminated" in rest
    assert len(read_wav(tmp_path / "t.partial.wav").samples) == 3 * 44100 * 40 // 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.partial.wav"]


def test_the_leftover_of_a_killed_writer_is_removed_by_the_next(server: ThreadedServer,
                                                                 tmp_path: Path) -> None:
    server.server.faults.stall_after_chunks = 3  # type: ignore[attr-defined]
    proc = start_say(server, tmp_path, "t.wav")
    proc.kill()
    proc.wait(timeout=10)
    if proc.stderr:
        proc.stderr.close()
    (leftover,) = tmp_path.iterdir()  # the audio so far, hidden, with the writer's pid
    assert leftover.name.startswith(f".t.wav.voicebooth-{proc.pid}-")
    server.server.faults.stall_after_chunks = None  # type: ignore[attr-defined]
    done = subprocess.run(main_py("say", "Again.", "--base-url", server.url, "--voice",
                                  VOICE_ID, "-o", "t.wav"), cwd=tmp_path, capture_output=True,
                          text=True, env=env(CARTESIA_API_KEY=KEY), timeout=60)
    assert done.returncode == 0, done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["t.wav"]
