"""The history service: loudness measured as a take is kept, delete and undo, and a
filter typed quickly shows the answer to the last keystroke."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from app.audio.loudness import Loudness
from app.studio.history import HistoryChanged, HistoryEvent, HistoryService, TakeDeleted, when
from app.takes.history import History, HistoryFilter
from app.takes.take import Take, TakeSettings, TakeStatus
from tests.studio.conftest import run

RATE = 16000


def take(text: str, level: float = 0.3) -> Take:
    t = Take(TakeSettings(text=text, voice_id="v", voice_name="Vee", sample_rate=RATE))
    t.append_audio((level * np.sin(np.arange(RATE) / 5)).astype(np.float32))
    t.finish(TakeStatus.DONE)
    return t


def test_a_kept_take_has_its_loudness_measured(tmp_path: Path) -> None:
    async def scenario() -> Loudness | None:
        service = HistoryService(History(tmp_path))
        try:
            kept = take("Loud.", 0.9)
            await service.save(kept)
            (record,) = service.records
            assert record.loudness == kept.loudness
            return (await service.load(kept.id)).loudness
        finally:
            service.close()

    loudness = run(scenario())
    assert loudness is not None and loudness.peak_dbfs == pytest.approx(-0.92, abs=0.01)


def test_delete_announces_and_undo_brings_back(tmp_path: Path) -> None:
    async def scenario() -> None:
        service = HistoryService(History(tmp_path))
        events: list[HistoryEvent] = []
        service.events.connect(events.append)
        try:
            a, b, c = take("One."), take("Two."), take("Three.")
            for t in (a, b, c):
                await service.save(t)
            await service.delete(a.id)
            await service.delete(b.id, c.id)  # several selected: deleted together
            assert service.records == ()
            deleted = [e for e in events if isinstance(e, TakeDeleted)]
            assert [[r.id for r in e.records] for e in deleted] == [[a.id], [b.id, c.id]]
            back = await service.undo_delete()  # the last delete, whole
            assert [r.id for r in back] == [b.id, c.id]
            assert {r.id for r in service.records} == {b.id, c.id}
            assert [r.id for r in await service.undo_delete()] == [a.id]
            assert len(service.records) == 3 and not service.can_undo
            assert await service.undo_delete() == ()  # nothing more to undo
        finally:
            service.close()

    run(scenario())


def test_the_last_filter_typed_wins(tmp_path: Path) -> None:
    async def scenario() -> list[HistoryChanged]:
        service = HistoryService(History(tmp_path))
        try:
            for text in ("alpha one", "alpha two", "beta"):
                await service.save(take(text))
            events: list[HistoryChanged] = []
            service.events.connect(lambda e: events.append(e)
                                   if isinstance(e, HistoryChanged) else None)
            # Keystrokes faster than SQLite answers: "a", "al", ..., "alpha t".
            typed = ["a", "al", "alp", "alph", "alpha", "alpha ", "alpha t"]
            await asyncio.gather(*(service.set_filter(HistoryFilter(text=t)) for t in typed))
            assert [r.text for r in service.records] == ["alpha two"]
            return events
        finally:
            service.close()

    events = run(scenario())
    assert [r.text for r in events[-1].records] == ["alpha two"]


def test_when_a_take_was_made_reads_as_a_designer_says_it() -> None:
    from datetime import datetime

    now = datetime(2026, 11, 27, 15, 0).astimezone()
    at = datetime(2026, 11, 27, 14, 2).astimezone()
    assert when(at.isoformat(), now) == "today 14:02"
    assert when(at.replace(day=26).isoformat(), now) == "yesterday 14:02"
    assert when(at.replace(month=11, day=3).isoformat(), now) == "3 Nov"
    assert when(at.replace(year=2025).isoformat(), now) == "27 Nov 2025"
