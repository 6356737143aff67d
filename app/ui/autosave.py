"""Save after a pause, and never later than a deadline: the editor's crash safety.

A crash (kill -9) loses what was typed since the last save. Saving on every key
would fsync dozens of times a second; saving only on a pause would never save a
designer who types without stopping. So :class:`Debounce` fires once the changes
pause for ``idle_ms``, and at the latest ``at_most_ms`` after the first change it
has not saved yet.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from app.settings import Settings

#: The pause after which the editor is saved.
IDLE_MS = 1000
#: The latest a change is saved after it was made. Under the two seconds the editor
#: promises to lose at most, leaving room for the write itself on a loaded machine.
AT_MOST_MS = 1500


class Debounce(QObject):
    def __init__(self, fire: Callable[[], None], idle_ms: int = IDLE_MS,
                 at_most_ms: int = AT_MOST_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fire = fire
        self._waiting = False
        self._idle = _single_shot(self, idle_ms, self.flush)
        self._deadline = _single_shot(self, at_most_ms, self.flush)

    @property
    def pending(self) -> bool:
        """A change is waiting to be saved."""
        return self._waiting

    def touch(self) -> None:
        """Something changed: restart the pause; the deadline runs from the first."""
        self._idle.start()
        if not self._waiting:
            self._waiting = True
            self._deadline.start()

    def flush(self) -> None:
        """Fire now if a change is waiting (and stop waiting)."""
        if self.pending:
            self.stop()
            self._fire()

    def stop(self) -> None:
        """Forget what is waiting (the window saves on close by itself)."""
        self._waiting = False
        self._idle.stop()
        self._deadline.stop()


def _single_shot(parent: QObject, ms: int, slot: Callable[[], None]) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(ms)
    timer.timeout.connect(slot)
    return timer


class SettingsSaver:
    """Writes the settings off the loop, in the order they were taken.

    Each write is a snapshot (:meth:`Settings.encode`) taken on the loop; a snapshot
    older than one already written is dropped, so a slow background write can never
    put back what the window's final save on close replaced.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._taken = 0
        self._written = 0

    def _snapshot(self) -> tuple[int, bytes]:
        self._taken += 1
        return self._taken, self.settings.encode()

    async def save(self) -> None:
        """Write the settings as they are now, in an executor (fsync is slow)."""
        number, data = self._snapshot()
        await asyncio.get_running_loop().run_in_executor(None, self._write, number, data)

    def save_now(self) -> None:
        """Write them on this thread (closing: nothing may be left waiting)."""
        self._write(*self._snapshot())

    def _write(self, number: int, data: bytes) -> None:
        with self._lock:
            if number < self._written:
                return
            self.settings.write(data)
            self._written = number
