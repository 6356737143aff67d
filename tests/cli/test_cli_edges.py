"""The command line's sharp edges, each run as a user runs it: a real subprocess.

Where a test must prove that nothing was sent, the base URL points at a port
nobody listens on: any attempt to connect would end in exit code 4.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app.engine.server import ThreadedServer
from app.engine.synth.tones import VOICE_ID
from tests.cli.conftest import KEY, ROOT
from tests.cli.test_cli import TEXT, cli

UNKNOWN_VOICE = "00000000-0000-4000-8000-00000000dead"


@pytest.fixture
def nowhere() -> Iterator[str]:
    """A base URL where nothing listens (the port is held, so nobody else takes it)."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{holder.getsockname()[1]}"
    finally:
        holder.close()


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path, stdin: str | None = None,
            umask: int = -1) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CARTESIA_")}
    base.update(env or {})
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], env=base,
                          input=stdin, capture_output=True, text=True, timeout=60, cwd=cwd,
                          umask=umask)


# --- global options: either position, or refused ---------------------------------------


def test_global_options_before_the_command_are_used(server: ThreadedServer,
                                                    tmp_path: Path) -> None:
    # A wrong key given first must reach the server (exit 3), not be dropped for the
    # environment's or the offline engine's sake.
    wrong = run_cli("--base-url", server.url, "--api-key", "sk_wrong_key_9876", "say", TEXT,
                    "--voice", VOICE_ID, "-o", "x.wav", env={"CARTESIA_API_KEY": KEY},
                    cwd=tmp_path)
    assert wrong.returncode == 3, wrong.stderr
    assert "sk_wrong_key_9876" not in wrong.stderr
    right = run_cli("--base-url", server.url, "--api-key", KEY, "say", TEXT, "--voice",
                    VOICE_ID, "-o", "x.wav", cwd=tmp_path)
    assert right.returncode == 0, right.stderr
    assert "offline engine" not in right.stderr


def test_global_options_after_the_command_are_used(server: ThreadedServer,
                                                   tmp_path: Path) -> None:
    done = run_cli("say", TEXT, "--voice", VOICE_ID, "-o", "x.wav", "--base-url", server.url,
                   "--api-key", KEY, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "offline engine" not in done.stderr


def test_offline_before_the_command_wins_over_a_key(nowhere: str, tmp_path: Path) -> None:
    env = {"CARTESIA_API_KEY": KEY, "CARTESIA_BASE_URL": nowhere}
    done = run_cli("--offline", "say", TEXT, "--voice", VOICE_ID, "-o", "x.wav", env=env,
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Using the offline engine (--offline)." in done.stderr
    listed = run_cli("--offline", "voices", "--json", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert all(v["voicebooth_offline"] for v in json.loads(listed.stdout))


@pytest.mark.parametrize(("args", "said"), [
    (("--base-url", "http://127.0.0.1:9", "devices"), "--base-url does not apply to 'devices'"),
    (("--offline", "devices"), "--offline does not apply to 'devices'"),
    (("--api-key", "sk_x_123456", "serve"), "use 'serve --api-key KEY'"),
])
def test_options_that_cannot_apply_are_refused(args: tuple[str, ...], said: str,
                                               tmp_path: Path) -> None:
    done = run_cli(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert said in done.stderr


# --- outputs: checked before anything is sent ------------------------------------------------


@pytest.mark.parametrize("option", ["--timestamps", "--srt"])
def test_existing_timings_or_subtitles_are_kept_without_force(option: str, nowhere: str,
                                                              tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("precious")
    done = run_cli("say", TEXT, "--base-url", nowhere, "--voice", VOICE_ID, "-o", "x.wav",
                   option, "keep.txt", env={"CARTESIA_API_KEY": KEY}, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert f"keep.txt ({option}) already exists; use --force" in done.stderr
    assert (tmp_path / "keep.txt").read_text() == "precious"
    assert not (tmp_path / "x.wav").exists()


@pytest.mark.parametrize("args", [("-o", "x.wav", "--srt", "x.wav"),
                                  ("-o", "x.wav", "--timestamps", "./sub/../x.wav"),
                                  ("--timestamps", "t.json", "--srt", "t.json")])
def test_two_outputs_on_one_path_are_refused(args: tuple[str, ...], nowhere: str,
                                             tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    done = run_cli("say", TEXT, "--base-url", nowhere, "--voice", VOICE_ID, *args,
                   env={"CARTESIA_API_KEY": KEY}, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "give each output its own file" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub"]


def test_a_missing_folder_is_found_before_the_request(nowhere: str, tmp_path: Path) -> None:
    done = run_cli("say", TEXT, "--base-url", nowhere, "--voice", VOICE_ID,
                   "-o", "no/such/folder/x.wav", env={"CARTESIA_API_KEY": KEY}, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "the folder no/such/folder does not exist" in done.stderr


def test_a_read_only_folder_is_found_before_the_request(nowhere: str, tmp_path: Path,
                                                        read_only: Path) -> None:
    done = run_cli("say", TEXT, "--base-url", nowhere, "--voice", VOICE_ID, "-o", "x.wav",
                   "--srt", str(read_only / "x.srt"), env={"CARTESIA_API_KEY": KEY},
                   cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert f"the folder {read_only} is not writable" in done.stderr


def test_when_one_output_fails_the_message_says_which_were_written(
        server: ThreadedServer, tmp_path: Path, tiny_disk: Path) -> None:
    fd = os.open(tiny_disk / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        with pytest.raises(OSError, match="No space left"):
            while True:  # a full disk, for real
                os.write(fd, b"\0" * 4096)
    finally:
        os.close(fd)
    done = run_cli("say", TEXT, "--base-url", server.url, "--voice", VOICE_ID,
                   "-o", "a.wav", "--timestamps", str(tiny_disk / "t.json"), "--srt", "s.srt",
                   env={"CARTESIA_API_KEY": KEY}, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert re.search(r"wrote a\.wav; cannot write \S+/t\.json: the disk is full; nothing "
                     r"was changed; s\.srt not written", done.stderr), done.stderr
    assert (tmp_path / "a.wav").exists() and not (tmp_path / "s.srt").exists()
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler"]


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_outputs_get_the_mode_the_umask_gives(umask: int, mode: int, server: ThreadedServer,
                                              tmp_path: Path) -> None:
    done = run_cli("say", TEXT, "--base-url", server.url, "--voice", VOICE_ID, "-o", "a.wav",
                   "--timestamps", "a.json", "--srt", "a.srt", env={"CARTESIA_API_KEY": KEY},
                   cwd=tmp_path, umask=umask)
    assert done.returncode == 0, done.stderr
    for name in ("a.wav", "a.json", "a.srt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, name


# --- bad input exits 2, before anything is sent -------------------------------------------


@pytest.mark.parametrize(("args", "said"), [
    (("--model", "sonic-9"), "unknown model 'sonic-9'; did you mean"),
    (("--speed", "3"), "speed 3 is outside 0.6–1.5 on sonic-3"),
    (("--volume", "0.1"), "volume 0.1 is outside 0.5–2 on sonic-3"),
    (("--model", "sonic-3.5", "--speed", "1.2"), "sonic-3.5 has no speed control"),
    (("--model", "sonic-2", "--emotion", "sad"), "sonic-2 has no emotion control"),
    (("--emotion", "happpy"), "unknown emotion 'happpy'; did you mean 'happy'?"),
    (("--language", "xx"), "sonic-3 does not speak 'xx'"),
    (("--model", "sonic-2", "--language", "it"), "sonic-2 does not speak 'it'"),
    (("--timeout", "0"), "must be more than 0 seconds"),
    (("--timeout", "-1"), "must be more than 0 seconds"),
    (("--play", "--device", "no-such-device-here"), "--device no-such-device-here"),
])
def test_bad_say_input_exits_2_before_sending(args: tuple[str, ...], said: str, nowhere: str,
                                              tmp_path: Path) -> None:
    done = run_cli("say", TEXT, "--base-url", nowhere, "--voice", VOICE_ID, "-o", "x.wav",
                   *args, env={"CARTESIA_API_KEY": KEY}, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert said in done.stderr
    assert not (tmp_path / "x.wav").exists()


@pytest.mark.parametrize(("args", "stdin", "said"), [
    (("   \n\t ",), None, "nothing to say: the text is empty"),
    (("-",), "", "nothing to say: standard input is empty"),
    (("-",), "  \n", "nothing to say: standard input is empty"),
])
def test_nothing_to_say_exits_2(args: tuple[str, ...], stdin: str | None, said: str,
                                nowhere: str, tmp_path: Path) -> None:
    done = run_cli("say", *args, "--base-url", nowhere, "--voice", VOICE_ID, "-o", "x.wav",
                   env={"CARTESIA_API_KEY": KEY}, cwd=tmp_path, stdin=stdin)
    assert done.returncode == 2, done.stderr
    assert said in done.stderr
    assert not (tmp_path / "x.wav").exists()


def test_an_unknown_voice_exits_2(server: ThreadedServer, tmp_path: Path) -> None:
    done = cli("say", TEXT, "--base-url", server.url, "--voice", UNKNOWN_VOICE, "-o", "x.wav",
               cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert f"No voice with id {UNKNOWN_VOICE!r}" in done.stderr


@pytest.mark.parametrize(("args", "said"), [
    (("--limit", "0"), "must be 1 or more"),
    (("--limit", "-3"), "must be 1 or more"),
    (("--gender", "male"), "invalid choice: 'male'"),
    (("--language", "english"), "unknown language 'english'"),
])
def test_bad_voices_input_exits_2(args: tuple[str, ...], said: str, nowhere: str,
                                  tmp_path: Path) -> None:
    done = run_cli("voices", "--base-url", nowhere, *args, env={"CARTESIA_API_KEY": KEY},
                   cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert said in done.stderr


# --- connection failures say what to try; the keyring is reported once ---------------------


def test_a_failed_connection_says_what_to_try(nowhere: str, tmp_path: Path) -> None:
    done = run_cli("say", TEXT, "--base-url", nowhere, "--voice", VOICE_ID, "-o", "x.wav",
                   env={"CARTESIA_API_KEY": KEY}, cwd=tmp_path)
    assert done.returncode == 4, done.stderr
    assert "cannot connect to ws://127.0.0.1:" in done.stderr
    assert "hint: check the network connection; --offline uses the built-in engine" \
        in done.stderr


def test_a_rejected_key_says_where_keys_come_from(server: ThreadedServer,
                                                  tmp_path: Path) -> None:
    done = cli("say", TEXT, "--base-url", server.url, "--voice", VOICE_ID, "-o", "x.wav",
               key="sk_wrong_key_4321", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert "hint: check the key: --api-key, $CARTESIA_API_KEY" in done.stderr


NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def test_a_missing_keyring_is_logged_once_per_run(tmp_path: Path) -> None:
    done = run_cli("say", TEXT, "-o", "x.wav", "--voice", VOICE_ID, env=NO_KEYRING,
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("No keyring on this system") == 1
    assert "NoKeyringError" not in done.stderr
    assert "Using the offline engine (no API key is set)." in done.stderr


@pytest.mark.parametrize("how", ["environment", "argument", "offline"])
def test_the_keyring_is_not_mentioned_when_a_key_was_given(how: str, server: ThreadedServer,
                                                           tmp_path: Path) -> None:
    env = dict(NO_KEYRING)
    extra: tuple[str, ...] = ("--base-url", server.url)
    if how == "environment":
        env["CARTESIA_API_KEY"] = KEY
    elif how == "argument":
        extra += ("--api-key", KEY)
    else:
        extra = ("--offline",)
    done = run_cli("say", TEXT, "-o", "x.wav", "--voice", VOICE_ID, *extra, env=env,
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "keyring" not in done.stderr


# --- serve goes away politely ----------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_closes_its_sockets_with_1001_on_a_signal(sig: signal.Signals,
                                                        tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve", "--pace", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path)
    try:
        assert proc.stdout is not None
        match = re.search(r"listening on http://(\S+)", proc.stdout.readline())
        assert match
        address = match.group(1)

        async def scenario() -> int | None:
            async with connect(f"ws://{address}/tts/websocket") as ws:
                await ws.send(json.dumps({
                    "model_id": "sonic-3", "transcript": " ".join(["word"] * 60),
                    "voice": {"mode": "id", "id": VOICE_ID}, "context_id": "going-away",
                    "output_format": {"container": "raw", "encoding": "pcm_s16le",
                                      "sample_rate": 16000}}))
                first = json.loads(await ws.recv())
                assert first["type"] in ("chunk", "timestamps")
                proc.send_signal(sig)
                try:
                    while True:
                        await ws.recv()
                except ConnectionClosed as exc:
                    return exc.rcvd.code if exc.rcvd is not None else None

        code = asyncio.run(asyncio.wait_for(scenario(), 30))
        assert code == 1001
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
