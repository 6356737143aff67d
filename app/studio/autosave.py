"""Autosave: a crash (even ``kill -9``) loses at most the last two seconds of typing.

:class:`Autosaver` is told of every change (:meth:`Autosaver.changed`) and writes
once the user pauses for ``delay`` seconds, but never later than ``max_delay``
after the first change not yet on disk, however fast they type. The write runs
off the loop (an ``async`` function, or a plain one run in an executor) and
should be atomic (:mod:`app.atomic`), so the file on disk is always the last
whole save. A write that fails (a full disk) is announced
(:class:`AutosaveFailed`) and never raised into the caller; it is tried again at
the next change. :meth:`Autosaver.flush` writes what is pending now (on close).

To keep the promise when a write takes time, the deadline is brought forward
by how long the last write took (a save that starts in time but ends late would
lose the change it was writing) and by a tenth of ``max_delay`` for a busy loop's
late timers: typing without a pause is written about every 1.8 s.

:class:`ScriptAutosave` binds a :class:`~app.studio.script.Script` to its project
file, or, while it has none, to ``<data dir>/scripts/untitled.voicebooth``
(:func:`~app.studio.project.untitled_path`) so an untitled script survives a
crash too.

Usage (the single-line editor's draft is saved the same way)::

    saver = Autosaver(save_the_draft)        # async def, or a blocking function
    settings_changed.connect(lambda _: saver.changed())
    ...
    await saver.close()                      # writes what is pending, then stops
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, cast

from app.events import Emitter
from app.studio.errors import InvalidInput
from app.studio.project import snapshot, write_snapshot
from app.studio.script import LexiconSet, Saved, Script, ScriptError, ScriptEvent

DELAY: Final = 1.0
MAX_DELAY: Final = 2.0

Write = Callable[[], Awaitable[None]] | Callable[[], None]


@dataclass(frozen=True)
class Autosaved:
    #: How long the write took, in seconds.
    seconds: float


@dataclass(frozen=True)
class AutosaveFailed:
    """A write failed; the change is still pending and is written at the next change
    (or :meth:`Autosaver.flush`)."""

    error: Exception

    @property
    def message(self) -> str:
        return f"autosave failed: {self.error}"


AutosaveEvent = Autosaved | AutosaveFailed


class Autosaver:
    """Writes after a pause of ``delay`` seconds, and at most ``max_delay`` seconds after
    the first unsaved change. Use it on one event loop."""

    def __init__(self, write: Write, *, delay: float = DELAY,
                 max_delay: float = MAX_DELAY) -> None:
        if not 0 <= delay <= max_delay:
            raise InvalidInput(f"autosave: the pause ({delay:g} s) must be at least 0 and "
                               f"at most the longest wait ({max_delay:g} s)")
        self._write = write
        self._is_async = inspect.iscoroutinefunction(write)
        self.delay = delay
        self.max_delay = max_delay
        self.events: Emitter[AutosaveEvent] = Emitter()
        #: The last write's failure, until a write succeeds.
        self.problem: Exception | None = None
        #: Loop times of the first and of the latest change not yet written.
        self._first: float | None = None
        self._last: float | None = None
        self._write_seconds = 0.0
        self._timer: asyncio.Task[None] | None = None
        self._writing: asyncio.Future[None] | None = None
        self._wake = asyncio.Event()
        self._closed = False

    @property
    def pending(self) -> bool:
        """A change not yet on disk."""
        return self._first is not None

    def changed(self) -> None:
        """Something changed: write it soon (call on the loop's thread)."""
        if self._closed:
            return
        now = asyncio.get_running_loop().time()
        if self._first is None:
            self._first = now
        self._last = now
        if self._timer is None or self._timer.done():
            self._timer = asyncio.ensure_future(self._wait_and_write())
        else:
            self._wake.set()

    async def flush(self) -> None:
        """Write what is pending now, and wait for any write under way."""
        await self._stop_timer()
        if self._writing is not None:
            await asyncio.shield(self._writing)
        if self.pending:
            await self._write_now()

    async def close(self) -> None:
        """Flush, and take no more changes."""
        self._closed = True
        await self.flush()

    # --- inside -------------------------------------------------------------------

    def _deadline(self) -> float:
        assert self._first is not None and self._last is not None
        slack = self.max_delay / 10 + self._write_seconds
        latest = self._first + max(0.0, self.max_delay - slack)
        return min(self._last + self.delay, latest)

    async def _wait_and_write(self) -> None:
        loop = asyncio.get_running_loop()
        while self._first is not None:
            wait = self._deadline() - loop.time()
            if wait > 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
                continue
            if self._writing is not None:
                await asyncio.shield(self._writing)
            await self._write_now()
            if self.problem is not None:
                return  # tried again at the next change, not in a tight loop

    async def _write_now(self) -> None:
        # Shielded: stopping the timer (flush, close) must not abandon a write midway.
        self._writing = asyncio.ensure_future(self._one_write())
        try:
            await asyncio.shield(self._writing)
        finally:
            if self._writing.done():
                self._writing = None

    async def _one_write(self) -> None:
        loop = asyncio.get_running_loop()
        first = self._first
        # Changes from now on are the next write's.
        self._first = self._last = None
        started = loop.time()
        try:
            if self._is_async:
                await cast(Callable[[], Awaitable[None]], self._write)()
            else:
                await loop.run_in_executor(None, self._write)
        except Exception as exc:  # an autosave never breaks the caller
            if first is not None:  # still unsaved, and older than anything since
                self._first = first if self._first is None else min(first, self._first)
                self._last = self._last or first
            self.problem = exc
            self.events.emit(AutosaveFailed(exc))
            return
        self._write_seconds = loop.time() - started
        self.problem = None
        self.events.emit(Autosaved(self._write_seconds))

    async def _stop_timer(self) -> None:
        if self._timer is not None and not self._timer.done():
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
        self._timer = None


class ScriptAutosave:
    """Keeps ``script`` saved: to its project file, or to ``untitled`` while it has none."""

    def __init__(self, script: Script, *, untitled: Path, delay: float = DELAY,
                 max_delay: float = MAX_DELAY) -> None:
        self.script = script
        self.untitled = untitled
        self.saver = Autosaver(self._write, delay=delay, max_delay=max_delay)
        self._disconnect = script.events.connect(self._on_event)

    @property
    def target(self) -> Path:
        return self.script.path or self.untitled

    def _on_event(self, event: ScriptEvent) -> None:
        if not isinstance(event, Saved | LexiconSet):
            self.saver.changed()

    async def _write(self) -> None:
        target = self.target
        shot = snapshot(self.script)
        await asyncio.get_running_loop().run_in_executor(None, write_snapshot, shot, target)
        if target == self.script.path:  # an untitled script still needs "Save As"
            self.script.mark_saved(shot.revision, target)

    async def save(self, path: Path | None = None) -> Path:
        """Save now ("Save", or "Save As" with ``path``), through the same writer as the
        autosave so two writes of one project never overlap; raises what the write
        raised (the user asked, so they are told)."""
        before = self.script.path
        target = path or before
        if target is None:
            raise ScriptError("the script has no file yet: choose where to save it")
        self.script.path = target
        self.saver.changed()
        await self.saver.flush()
        if self.saver.problem is not None:
            self.script.path = before  # "Save As" to a place that failed changes nothing
            raise self.saver.problem
        return target

    async def close(self) -> None:
        """Write what is pending and stop following the script."""
        self._disconnect()
        await self.saver.close()
