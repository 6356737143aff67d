"""Atomic file writes: a reader sees the old file or the new one, never half.

Write to a temporary file beside the target, flush and fsync it, then
``os.replace``; on any error the temporary file is removed and the target is
untouched (qutebrowser's ``savefile_open``, without Qt).
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
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
        }.get(exc.errno or 0, exc.strerror or str(exc))
        super().__init__(f"cannot write {path}: {reason}; nothing was changed")


class TargetExists(VoiceboothError):
    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"{path} already exists; choose another name or allow overwriting")


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], *, overwrite: bool = True) -> Iterator[BinaryIO]:
    """Open a binary temporary file that replaces ``path`` when the block ends cleanly."""
    target = Path(path)
    if not overwrite and target.exists():
        raise TargetExists(target)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                        dir=target.parent if str(target.parent) else ".")
    except OSError as exc:
        raise WriteError(target, exc) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
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


def write_bytes(path: str | os.PathLike[str], data: bytes, *, overwrite: bool = True) -> None:
    with atomic_write(path, overwrite=overwrite) as handle:
        handle.write(data)
