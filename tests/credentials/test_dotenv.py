"""The key in a ``.env`` file: read last, never written, never put in the environment.

Real files, a real Secret Service (gnome-keyring, from scripts/test.sh), keyring's
``fail`` backend for "no keyring", and the command line as a subprocess against
a loopback server that notes the Authorization header of every request.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from app import credentials
from app.credentials import NO_KEYRING, ApiKey, find_key, read_dotenv
from app.engine.server import EngineServer, ServerConfig, ThreadedServer
from app.engine.synth.tones import VOICE_ID, ToneSynthesizer
from tests.cli.conftest import ROOT

DOTENV_KEY = "sk_car_dotenv_0123456789abcdWXYZ"
STORED = "sk_car_keyring_0123456789abcdef"


class HeaderNotingServer(EngineServer):
    """Our server, noting the Authorization header it was sent on each request."""

    def __init__(self, *args: object, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.authorizations: list[str] = []

    def _key_ok(self, request: web.Request) -> bool:
        self.authorizations.append(request.headers.get("Authorization", ""))
        return super()._key_ok(request)


@pytest.fixture
def noting() -> Iterator[ThreadedServer]:
    srv = ThreadedServer([ToneSynthesizer()], ServerConfig(api_key=DOTENV_KEY),
                         server_class=HeaderNotingServer)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A working folder and a config folder of our own (the default places are asked)."""
    work, config = tmp_path / "work", tmp_path / "config"
    (config / "voicebooth").mkdir(parents=True)
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    return work, config / "voicebooth"


@pytest.fixture
def real_keyring() -> Iterator[None]:
    yield
    credentials.delete_key()


def write_env(folder: Path, value: str) -> Path:
    path = folder / ".env"
    path.write_text(f"# my keys\nOTHER=1\nCARTESIA_API_KEY={value}\n", encoding="utf-8")
    return path


@pytest.mark.keyring
def test_precedence_argument_environment_keyring_working_folder_config_folder(
        folders: tuple[Path, Path], real_keyring: None) -> None:
    work, config = folders
    config_env = write_env(config, "sk_from_config_env_000001")
    assert find_key(None, {}).key == ApiKey("sk_from_config_env_000001", "dotenv",
                                            config_env.resolve())
    work_env = write_env(work, "sk_from_work_env_000002")
    assert find_key(None, {}).key == ApiKey("sk_from_work_env_000002", "dotenv",
                                            work_env.resolve())
    credentials.store_key(STORED)
    assert find_key(None, {}).key == ApiKey(STORED, "keyring")
    env = {"CARTESIA_API_KEY": "sk_from_environment_03"}
    assert find_key(None, env).key == ApiKey("sk_from_environment_03", "environment")
    assert find_key("sk_from_argument_0004", env).key == ApiKey("sk_from_argument_0004",
                                                                "argument")


def test_the_file_never_reaches_os_environ(folders: tuple[Path, Path],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CARTESIA_API_KEY", raising=False)
    before = dict(os.environ)
    path = write_env(folders[0], DOTENV_KEY)
    found = find_key(None, {}, files=[path]).key
    assert found == ApiKey(DOTENV_KEY, "dotenv", path.resolve())
    assert dict(os.environ) == before
    assert "OTHER" not in os.environ
    assert path.read_text(encoding="utf-8").count(DOTENV_KEY) == 1  # read, never written


def test_where_the_key_came_from_in_words(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    assert ApiKey("x" * 20, "argument").origin == "from --api-key"
    assert ApiKey("x" * 20, "environment").origin == \
        "from CARTESIA_API_KEY in the environment"
    assert ApiKey("x" * 20, "keyring").origin == "from the keyring"
    assert ApiKey("x" * 20, "dotenv", path).origin == f"from {path}"
    assert str(ApiKey(DOTENV_KEY, "dotenv", path)) == f"API key from {path} (…WXYZ)"


def test_a_malformed_file_names_its_lines_and_still_gives_its_key(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(f"OTHER=1\n{DOTENV_KEY}\nCARTESIA_API_KEY = '{DOTENV_KEY}'\n"
                    "'unterminated\n", encoding="utf-8")
    found = read_dotenv(path)
    assert found.value == DOTENV_KEY
    assert found.problems == (
        f"{path}:2: this line is not NAME=value, so it was skipped",
        f"{path}:4: this line is not NAME=value, so it was skipped")
    # The line that is only a pasted key is named by number, never quoted.
    assert all(DOTENV_KEY not in problem for problem in found.problems)


def test_a_file_that_cannot_be_read_is_named_and_the_next_one_counts(tmp_path: Path) -> None:
    binary, folder, good = tmp_path / "a.env", tmp_path / "b.env", tmp_path / "c.env"
    binary.write_bytes(b"CARTESIA_API_KEY=\xff\xfe\n")
    folder.mkdir()
    good.write_text(f"CARTESIA_API_KEY={DOTENV_KEY}\n", encoding="utf-8")
    lookup = find_key(None, {}, use_keyring=True, files=[binary, folder, good,
                                                          tmp_path / "missing.env"])
    assert lookup.key == ApiKey(DOTENV_KEY, "dotenv", good.resolve())
    assert lookup.file_problems[0] == f"{binary}: not a text file in UTF-8, so it was not read"
    assert lookup.file_problems[1].startswith(f"{folder}: could not be read (")
    assert read_dotenv(tmp_path / "missing.env") == credentials.DotenvKey(None)


def test_an_empty_value_is_no_key(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("CARTESIA_API_KEY=\n", encoding="utf-8")
    assert read_dotenv(path).value is None


def test_no_keyring_is_said_in_words_and_the_file_still_works(tmp_path: Path) -> None:
    """A real process with keyring's ``fail`` backend, as on a machine with no keyring."""
    write_env(tmp_path, DOTENV_KEY)
    script = ("from app.credentials import find_key\n"
              "none = find_key(None, {}, files=[])\n"
              "print(none.keyring_problem)\n"
              "print(find_key(None, {}).key)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=child_env(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    problem, key = done.stdout.splitlines()
    assert problem == NO_KEYRING
    assert "Error" not in problem
    assert key == f"API key from {(tmp_path / '.env').resolve()} (…WXYZ)"


def child_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARTESIA_")}
    env.update(HOME=str(home / "home"), XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"),
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
               PYTHONPATH=str(ROOT))
    return env


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=folder / "work",
                          env=child_env(folder), capture_output=True, text=True, timeout=60)


def test_the_command_line_sends_the_dotenv_key_and_keeps_it_nowhere(
        noting: ThreadedServer, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    write_env(work, DOTENV_KEY)
    server = noting.server
    assert isinstance(server, HeaderNotingServer)

    listed = cli(tmp_path, "voices", "--base-url", noting.url)
    assert listed.returncode == 0, listed.stderr
    assert VOICE_ID in listed.stdout
    assert server.authorizations == [f"Bearer {DOTENV_KEY}"]

    said = cli(tmp_path, "say", "Hello from the dotenv key.", "--base-url", noting.url,
               "--voice", VOICE_ID, "-o", "hello.wav")
    assert said.returncode == 0, said.stderr
    assert (work / "hello.wav").stat().st_size > 1000
    batch_in = work / "lines.csv"
    batch_in.write_text("text\nA second line.\n", encoding="utf-8")
    batched = cli(tmp_path, "batch", str(batch_in), "--base-url", noting.url, "--voice",
                  VOICE_ID, "--output", str(work / "out"))
    assert batched.returncode == 0, batched.stderr

    for output in (listed, said, batched):
        assert DOTENV_KEY not in output.stdout + output.stderr
    holding = [path for path in tmp_path.rglob("*") if path.is_file()
               and DOTENV_KEY.encode() in path.read_bytes()]
    assert holding == [work / ".env"]


def test_a_wrong_dotenv_key_is_refused_by_the_server(noting: ThreadedServer,
                                                     tmp_path: Path) -> None:
    """The other side of the test above: the server really checks the header."""
    (tmp_path / "work").mkdir()
    write_env(tmp_path / "work", "sk_car_not_the_right_key_999")
    listed = cli(tmp_path, "voices", "--base-url", noting.url)
    assert listed.returncode != 0
    server = noting.server
    assert isinstance(server, HeaderNotingServer)
    assert server.authorizations[0] == "Bearer sk_car_not_the_right_key_999"


def test_a_malformed_dotenv_is_reported_by_the_command_line(noting: ThreadedServer,
                                                            tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / ".env").write_text(f"not a statement\nCARTESIA_API_KEY={DOTENV_KEY}\n",
                               encoding="utf-8")
    listed = cli(tmp_path, "voices", "--base-url", noting.url)
    assert listed.returncode == 0, listed.stderr
    assert f"{(work / '.env')}:1: this line is not NAME=value" in listed.stderr
    assert "Traceback" not in listed.stderr
