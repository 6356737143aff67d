"""Evented objects without Qt: an :class:`Emitter` that plain objects announce changes on.

The take, the studio's services and the settings are plain Python objects;
the window subscribes to them and redraws, the command line subscribes to the
same events or ignores them (napari's evented models; Picard's rule that
background work never touches widgets). Listeners run synchronously, in the
order they connected, on the thread that emits: in Voicebooth that is always
the event loop's thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

E = TypeVar("E")
Listener = Callable[[E], None]


class Emitter(Generic[E]):
    """A list of listeners for events of one type."""

    __slots__ = ("_listeners",)

    def __init__(self) -> None:
        self._listeners: list[Listener[E]] = []

    def connect(self, listener: Listener[E]) -> Callable[[], None]:
        """Call ``listener`` for every event from now on; returns the way to stop."""
        self._listeners.append(listener)

        def disconnect() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)
        return disconnect

    def emit(self, event: E) -> None:
        # A copy: a listener may disconnect itself (or another) while it runs.
        for listener in list(self._listeners):
            listener(event)

    def __len__(self) -> int:
        return len(self._listeners)
