"""Suite-wide rules.

``scripts/test.sh`` starts a PulseAudio null sink and a gnome-keyring Secret
Service and sets VOICEBOOTH_TEST_SERVICES=1; then a test that needs one of them
fails when it is missing instead of being skipped, so CI cannot pass by
silently testing less.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

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


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs: a real full disk (needs root, which the test machines have)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)
