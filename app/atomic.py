"""Atomic file writes: a reader sees the old file or the new one, never half.

Write to a temporary file beside the target, flush and fsync it, then
``os.replace``; on any error the temporary file is removed and the target is
untouched (qutebrowser's ``savefile_open``, without Qt). :class:`AtomicFile`
can be written in pieces (a take streamed to disk as it arrives) and renamed
under another name (a failed take's ``.partial.wav``). Temporary files are
named ``.NAME.voicebooth-PID-HEX.tmp``: a process killed mid-write leaves one
behind, and the next write to ``NAME`` removes it.

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
import glob
import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Final

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


TEMPORARY_MARK: Final = ".voicebooth-"


def _temporary_name(target: Path) -> str:
    # Hidden, beside the target, and findable: ``.take.wav.voicebooth-<pid>-<hex>.tmp``.
    # The pid lets a later write tell a dead writer's leftover from a live one's file.
    return f".{target.name}{TEMPORARY_MARK}{os.getpid()}-{secrets.token_hex(4)}.tmp"


def remove_leftovers(target: Path) -> list[Path]:
    """Remove temporary files of writes to ``target`` whose process is gone (killed
    mid-write); returns what was removed. A live writer's file is left alone."""
    folder = target.parent if str(target.parent) else Path(".")
    return _remove_dead(folder.glob(glob.escape(f".{target.name}{TEMPORARY_MARK}") + "*.tmp"))


def remove_leftovers_in(folder: Path) -> list[Path]:
    """The same for every file of ``folder`` (the history's takes are written once each,
    so no later write of the same name would find them)."""
    return _remove_dead(folder.glob(f".*{TEMPORARY_MARK}*.tmp"))


def _remove_dead(candidates: Iterable[Path]) -> list[Path]:
    removed = []
    for leftover in candidates:
        pid = leftover.name.rsplit(TEMPORARY_MARK, 1)[-1].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                leftover.unlink()
                removed.append(leftover)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


class AtomicFile:
    """A temporary file beside ``target`` that becomes it (or another name) on commit.

    Written in pieces as data arrives (a long take streamed to disk), or at once.
    Any :class:`OSError` becomes :class:`WriteError`, the temporary file is removed,
    and the target is untouched.
    """

    def __init__(self, path: str | os.PathLike[str], *, overwrite: bool = True,
                 private: bool = False) -> None:
        self.target = Path(path)
        self.overwrite = overwrite
        self.private = private
        if not overwrite and self.target.exists():
            raise TargetExists(self.target)
        remove_leftovers(self.target)
        folder = self.target.parent if str(self.target.parent) else Path(".")
        # O_EXCL and mode 0666: the kernel applies the umask (see the module's notes).
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        while True:
            self.temporary = folder / _temporary_name(self.target)
            try:
                fd = os.open(self.temporary, flags, 0o600 if private else 0o666)
            except FileExistsError:
                continue  # 32 random bits collided: draw again
            except OSError as exc:
                raise WriteError(self.target, exc) from exc
            break
        self.handle: BinaryIO = os.fdopen(fd, "w+b")

    def write(self, data: bytes) -> None:
        try:
            self.handle.write(data)
        except OSError as exc:
            self.abort()
            raise WriteError(self.target, exc) from exc

    def commit(self, as_path: Path | None = None) -> Path:
        """Flush, fsync and rename onto the target (or ``as_path``); returns the name."""
        final = self.target if as_path is None else as_path
        try:
            self.handle.flush()
            if not self.private:
                with contextlib.suppress(FileNotFoundError):
                    os.fchmod(self.handle.fileno(), stat.S_IMODE(final.stat().st_mode))
            os.fsync(self.handle.fileno())
            self.handle.close()
            if not self.overwrite and final.exists():
                raise TargetExists(final)
            os.replace(self.temporary, final)
        except OSError as exc:
            self.abort()
            raise WriteError(final, exc) from exc
        except BaseException:
            self.abort()
            raise
        return final

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self.handle.close()
        self.temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], *, overwrite: bool = True,
                 private: bool = False) -> Iterator[BinaryIO]:
    """Open a binary temporary file that replaces ``path`` when the block ends cleanly."""
    file = AtomicFile(path, overwrite=overwrite, private=private)
    try:
        yield file.handle
    except OSError as exc:
        file.abort()
        raise WriteError(file.target, exc) from exc
    except BaseException:
        file.abort()
        raise
    file.commit()


def write_bytes(path: str | os.PathLike[str], data: bytes, *, overwrite: bool = True,
                private: bool = False) -> None:
    with atomic_write(path, overwrite=overwrite, private=private) as handle:
        handle.write(data)
