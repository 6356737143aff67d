"""Atomic file writes: a reader sees the old file or the new one, never half.

Write to a temporary file beside the target, flush and fsync it, then
``os.replace``; on any error the temporary file is removed and the target is
untouched (qutebrowser's ``savefile_open``, without Qt).

Modes: a new file gets what the user's umask gives any new file (0644 under
umask 022), because exports are meant to be shared; a file that is replaced
keeps its own mode; ``private=True`` (the take history) makes it 0600 whatever
the umask. The temporary file is created with ``O_EXCL`` and mode 0666, so the
kernel applies the umask: reading the umask would mean changing it, which is
process-wide and races with other threads.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from app.errors import VoiceboothError


class WriteError(VoiceboothError):
    """A file could not be written; the message names the file and the reason."""

    def __init__(self, path: Path, exc: OSError) -> None:
        self.path = path
        reason = {
            errno.ENOSPC: "the disk is full",
            errno.EDQUOT: "the disk quota is exhausted",
            errno.EACCES: "permission denied",
            errno.EPERM: "permission denied",
            errno.EROFS: "the folder is on a read-only file system",
            errno.ENOENT: "the folder does not exist",
            errno.EISDIR: "it is a folder",
        }.get(exc.errno or 0, exc.strerror or str(exc))
        super().__init__(f"cannot write {path}: {reason}; nothing was changed")


class TargetExists(VoiceboothError):
    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"{path} already exists; choose another name or allow overwriting")


def _create_temporary(target: Path, private: bool) -> tuple[int, Path]:
    folder = target.parent if str(target.parent) else Path(".")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = folder / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, flags, 0o600 if private else 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], *, overwrite: bool = True,
                 private: bool = False) -> Iterator[BinaryIO]:
    """Open a binary temporary file that replaces ``path`` when the block ends cleanly."""
    target = Path(path)
    if not overwrite and target.exists():
        raise TargetExists(target)
    try:
        fd, tmp = _create_temporary(target, private)
    except OSError as exc:
        raise WriteError(target, exc) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            if not private:
                with contextlib.suppress(FileNotFoundError):
                    os.fchmod(handle.fileno(), stat.S_IMODE(target.stat().st_mode))
            os.fsync(handle.fileno())
        if not overwrite and target.exists():
            raise TargetExists(target)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise WriteError(target, exc) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path: str | os.PathLike[str], data: bytes, *, overwrite: bool = True,
                private: bool = False) -> None:
    with atomic_write(path, overwrite=overwrite, private=private) as handle:
        handle.write(data)
