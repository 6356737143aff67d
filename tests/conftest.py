"""Suite-wide rules.

``scripts/test.sh`` starts a PulseAudio null sink and a gnome-keyring Secret
Service and sets VOICEBOOTH_TEST_SERVICES=1; then a test that needs one of them
fails when it is missing instead of being skipped, so CI cannot pass by
silently testing less.

A test fails when it leaves something running: a thread, an asyncio task, a TCP
socket, or an audio stream on the sound server (napari does the same for
QThreads and QTimers; tests/ui/conftest.py adds QTimers and qasync tasks).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

SERVICES_REQUIRED = os.environ.get("VOICEBOOTH_TEST_SERVICES") == "1"


def _keyring_ready() -> str | None:
    try:
        import keyring
        from keyring.backends import SecretService
    except ImportError as exc:  # pragma: no cover - keyring is a dependency
        return f"keyring cannot be imported: {exc}"
    backend = keyring.get_keyring()
    if not isinstance(backend, SecretService.Keyring):
        return f"no Secret Service (keyring backend is {type(backend).__name__})"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    problem = None
    if item.get_closest_marker("sound") and not os.environ.get("PULSE_SERVER"):
        problem = "needs the PulseAudio null sink (PULSE_SERVER is unset; run scripts/test.sh)"
    if item.get_closest_marker("keyring"):
        problem = _keyring_ready()
    if problem:
        if SERVICES_REQUIRED:
            pytest.fail(problem, pytrace=False)
        pytest.skip(problem)


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """A test must stop every thread it started (servers, players, workers)."""
    before = set(threading.enumerate())
    yield
    extra: list[threading.Thread] = []
    for _ in range(100):  # threads told to stop get up to 2 s to finish
        extra = [t for t in threading.enumerate()
                 if t not in before and t.is_alive() and not t.name.startswith(_IGNORED)]
        if not extra:
            return
        threading.Event().wait(0.02)
    pytest.fail(f"test left threads running: {[t.name for t in extra]}", pytrace=False)


# Threads owned by libraries for the life of the process, not by a test.
_IGNORED = ("QDBusConnection", "Dummy-", "pydevd")


def _settle(leftovers: Callable[[], list[str]], what: str) -> None:
    """Fail if ``leftovers()`` stays non-empty for 2 s (closing may take a moment)."""
    found: list[str] = []
    for _ in range(100):
        found = leftovers()
        if not found:
            return
        threading.Event().wait(0.02)
    pytest.fail(f"test left {what}: {found}", pytrace=False)


class _TaskTracker(asyncio.DefaultEventLoopPolicy):
    """Loops made by ``asyncio.run`` note which tasks were still running when the main
    coroutine returned: ``asyncio.run`` would cancel them silently."""

    def __init__(self) -> None:
        super().__init__()
        self.leaked: list[str] = []

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = super().new_event_loop()
        tasks: list[asyncio.Task[Any]] = []

        def factory(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any],
                    **kw: Any) -> asyncio.Task[Any]:
            task: asyncio.Task[Any] = asyncio.Task(coro, loop=loop, **kw)
            if not tasks:  # the main task: look at the others the moment it ends
                task.add_done_callback(lambda main: self.leaked.extend(
                    repr(t.get_coro()) for t in tasks if t is not main and not t.done()))
            tasks.append(task)
            return task

        loop.set_task_factory(factory)  # type: ignore[arg-type]
        return loop


@pytest.fixture(autouse=True)
def no_leaked_tasks() -> Iterator[None]:
    previous = asyncio.get_event_loop_policy()
    tracker = _TaskTracker()
    asyncio.set_event_loop_policy(tracker)
    try:
        yield
    finally:
        asyncio.set_event_loop_policy(previous)
    if tracker.leaked:
        pytest.fail(f"test left asyncio tasks running: {tracker.leaked}", pytrace=False)


def _tcp_inodes() -> set[str]:
    inodes = set()
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        inodes.update(line.split()[9] for line in lines)
    return inodes


def _open_tcp_sockets() -> set[str]:
    """This process's open TCP sockets (not Unix ones: D-Bus and the sound server)."""
    mine = set()
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            mine.add(target[8:-1])
    return mine & _tcp_inodes()


@pytest.fixture(autouse=True)
def no_leaked_sockets() -> Iterator[None]:
    before = _open_tcp_sockets()
    yield
    _settle(lambda: sorted(_open_tcp_sockets() - before), "TCP sockets open (inodes)")


def _our_audio_streams() -> list[str]:
    listed = subprocess.run(["pactl", "list", "sink-inputs"], capture_output=True, text=True,
                            timeout=10).stdout
    return [block.splitlines()[0] for block in listed.split("\n\n")
            if f'application.process.id = "{os.getpid()}"' in block]


@pytest.fixture(autouse=True)
def no_leaked_audio_streams() -> Iterator[None]:
    """Checked on the sound server itself: a stream this process left playing there."""
    yield
    if os.environ.get("PULSE_SERVER"):
        _settle(_our_audio_streams, "audio streams open on the sound server")


@contextmanager
def tmpfs(mount: Path, options: str) -> Iterator[Path]:
    """A real file system of our own (mounting needs root, which the test machines have)."""
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs: a real full disk."""
    with tmpfs(tmp_path / "tiny", "size=64k") as mount:
        yield mount


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A read-only file system (a permission bit would not stop root, which CI is)."""
    with tmpfs(tmp_path / "ro", "size=64k,ro") as mount:
        yield mount


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A base URL whose server accepts connections and never answers."""
    import socket

    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(16)
    try:
        yield f"http://127.0.0.1:{hole.getsockname()[1]}"
    finally:
        hole.close()


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """No usable keyring, as on a machine without a Secret Service."""
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


async def serve_files(files: dict[str, bytes],
                      headers: list[dict[str, str]] | None = None) -> web.AppRunner:
    """An HTTP server on 127.0.0.1 answering ``files`` by path, noting each request's
    headers in ``headers``; ``cleanup()`` it after."""
    async def answer(request: web.Request) -> web.Response:
        if headers is not None:
            headers.append(dict(request.headers))
        return web.Response(body=files[request.path])

    app = web.Application()
    app.router.add_get("/{name}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner
