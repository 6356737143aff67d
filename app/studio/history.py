"""The history's operations for the window: list, filter, save, load, rate, note, rename,
delete and undo, off the loop.

SQLite and the takes' WAV files are read and written in an executor, so a
long take never stalls the window; every change announces the new list. A
take's loudness (BS.1770) is measured there too as it is saved, once, so
matched playback never waits for it. Without a history (its folder cannot be
created) the operations say so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from app.audio.timefmt import format_time
from app.events import Emitter
from app.takes.errors import HistoryError
from app.takes.history import History, HistoryFilter, TakeRecord
from app.takes.take import Take, TakeStatus

T = TypeVar("T")


@dataclass(frozen=True)
class HistoryChanged:
    """The takes the filter selects (newest first), and every voice with a take."""

    records: tuple[TakeRecord, ...]
    voices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TakeDeleted:
    """Takes left the list (deleted together); :meth:`HistoryService.undo_delete`
    brings them back together."""

    records: tuple[TakeRecord, ...]


HistoryEvent = HistoryChanged | TakeDeleted


class HistoryService:
    def __init__(self, history: History | None) -> None:
        self.store = history
        self.records: tuple[TakeRecord, ...] = ()
        self.voices: tuple[tuple[str, str], ...] = ()
        self.filter = HistoryFilter()
        self.events: Emitter[HistoryEvent] = Emitter()
        self._deleted: list[tuple[TakeRecord, ...]] = []  # newest last: what Undo restores
        self._asked = 0  # refreshes begun: only the newest one's answer is shown

    async def _off_loop(self, work: Callable[[History], T]) -> T:
        store = self.store
        if store is None:
            raise HistoryError("the take history is unavailable; takes are not kept")
        return await asyncio.get_running_loop().run_in_executor(None, work, store)

    async def refresh(self) -> None:
        if self.store is None:
            return
        self._asked += 1
        asked, where = self._asked, self.filter
        records, voices = await self._off_loop(lambda store: (store.list(where),
                                                              store.voices()))
        if asked != self._asked:
            return  # typing in the filter: a newer answer is on its way, this one is stale
        self.records, self.voices = tuple(records), tuple(voices)
        self.events.emit(HistoryChanged(self.records, self.voices))

    async def set_filter(self, where: HistoryFilter) -> None:
        """List only the takes ``where`` selects (the filter is SQLite's, not the widget's)."""
        self.filter = where
        await self.refresh()

    def record(self, take_id: str) -> TakeRecord | None:
        return next((r for r in self.records if r.id == take_id), None)

    async def save(self, take: Take) -> None:
        """Keep a finished take (a failed one too, with the audio that arrived), its
        loudness measured on the way."""
        if self.store is None or (take.n_frames == 0 and take.status is not TakeStatus.DONE):
            return

        def measure_and_save(store: History) -> None:
            if take.loudness is None:
                take.measure_loudness()
            store.save(take)

        await self._off_loop(measure_and_save)
        await self.refresh()

    async def store_loudness(self, take: Take) -> None:
        """Remember a loudness measured later (a take kept before loudness was)."""
        if self.store is not None and take.loudness is not None:
            await self._off_loop(lambda store: store.set_loudness(take.id, take.loudness))

    async def load(self, take_id: str) -> Take:
        return await self._off_loop(lambda store: store.load(take_id))

    async def rename(self, take_id: str, name: str) -> None:
        await self._off_loop(lambda store: store.rename(take_id, name))
        await self.refresh()

    async def set_rating(self, take_id: str, rating: int) -> None:
        await self._off_loop(lambda store: store.set_rating(take_id, rating))
        await self.refresh()

    async def set_note(self, take_id: str, note: str) -> None:
        await self._off_loop(lambda store: store.set_note(take_id, note))
        await self.refresh()

    async def delete(self, *take_ids: str) -> None:
        """Delete takes (several selected: one Undo brings them all back)."""
        records = tuple(r for r in map(self.record, take_ids) if r is not None)

        def delete_all(store: History) -> None:
            for take_id in take_ids:
                store.delete(take_id)

        await self._off_loop(delete_all)
        if records:
            self._deleted.append(records)
            self.events.emit(TakeDeleted(records))
        await self.refresh()

    @property
    def can_undo(self) -> bool:
        return bool(self._deleted)

    async def undo_delete(self) -> tuple[TakeRecord, ...]:
        """Bring back the takes deleted last (none: nothing to undo)."""
        if not self._deleted:
            return ()
        records = self._deleted.pop()

        def undelete_all(store: History) -> None:
            for record in records:
                store.undelete(record.id)

        await self._off_loop(undelete_all)
        await self.refresh()
        return records

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def summary(record: TakeRecord, now: datetime | None = None) -> str:
    """One line that tells a take from its neighbours: voice · model · language · the
    controls not at their default · duration · when ("today 14:02", "3 Nov")."""
    return " · ".join(summary_parts(record, now))


def summary_parts(record: TakeRecord, now: datetime | None = None) -> tuple[str, str]:
    """The summary in two halves, what made the take and how long/when (a narrow row
    shows the second whole and shortens the first)."""
    s = record.settings
    parts = [s.voice_name or s.voice_id, s.model_id]
    if s.language:
        parts.append(s.language)
    parts += controls(s.speed, s.volume, s.emotion)
    if record.status is not TakeStatus.DONE:
        parts.append(record.status.value)
    return " · ".join(parts), f"{format_time(record.duration)} · {when(record.created_at, now)}"


def controls(speed: float | None, volume: float | None, emotion: str | None) -> list[str]:
    """The generation controls that were set ("speed 1.2", "volume 0.8", "excited")."""
    out = []
    if speed is not None:
        out.append(f"speed {speed:g}")
    if volume is not None:
        out.append(f"volume {volume:g}")
    if emotion:
        out.append(emotion)
    return out


def when(created_at: str, now: datetime | None = None) -> str:
    """A stored UTC time as a designer says it: "today 14:02", "yesterday 09:10",
    "3 Nov", "3 Nov 2025" (local time)."""
    try:
        made = datetime.fromisoformat(created_at).astimezone()
    except ValueError:
        return created_at
    today = (now or datetime.now().astimezone()).date()
    day = made.date()
    clock = f"{made.hour:02d}:{made.minute:02d}"
    if day == today:
        return f"today {clock}"
    if day == today - timedelta(days=1):
        return f"yesterday {clock}"
    month = made.strftime("%b")
    return f"{day.day} {month}" if day.year == today.year else f"{day.day} {month} {day.year}"
