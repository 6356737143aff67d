"""The history's operations for the window: list, save, load, rename, delete, off the loop.

SQLite and the takes' WAV files are read and written in an executor, so a
long take never stalls the window; every change announces the new list.
Without a history (its folder cannot be created) the operations say so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from app.events import Emitter
from app.takes.errors import HistoryError
from app.takes.history import History, TakeRecord
from app.takes.take import Take, TakeStatus

T = TypeVar("T")


@dataclass(frozen=True)
class HistoryChanged:
    records: tuple[TakeRecord, ...]


class HistoryService:
    def __init__(self, history: History | None) -> None:
        self.store = history
        self.records: tuple[TakeRecord, ...] = ()
        self.events: Emitter[HistoryChanged] = Emitter()

    async def _off_loop(self, work: Callable[[History], T]) -> T:
        store = self.store
        if store is None:
            raise HistoryError("the take history is unavailable; takes are not kept")
        return await asyncio.get_running_loop().run_in_executor(None, work, store)

    async def refresh(self) -> None:
        if self.store is None:
            return
        self.records = tuple(await self._off_loop(History.list))
        self.events.emit(HistoryChanged(self.records))

    async def save(self, take: Take) -> None:
        """Keep a finished take (a failed one too, with the audio that arrived)."""
        if self.store is None or (take.n_frames == 0 and take.status is not TakeStatus.DONE):
            return
        await self._off_loop(lambda store: store.save(take))
        await self.refresh()

    async def load(self, take_id: str) -> Take:
        return await self._off_loop(lambda store: store.load(take_id))

    async def rename(self, take_id: str, name: str) -> None:
        await self._off_loop(lambda store: store.rename(take_id, name))
        await self.refresh()

    async def delete(self, take_id: str) -> None:
        await self._off_loop(lambda store: store.delete(take_id))
        await self.refresh()

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
