"""One line in many voices against our loopback server with a plan's concurrency limit:
every voice is rendered however high the parallelism is set, the server never holds
more than its limit, and a failing voice fails its row alone."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from app.cartesia.errors import NotFound
from app.cartesia.protocol import ServerContext
from app.cartesia.voices_types import Voice
from app.engine.server import ServerConfig, ThreadedServer
from app.settings import VOICE_SETS, Settings
from app.studio.errors import InvalidInput
from app.studio.history import HistoryService
from app.studio.lineup import (
    Backoff,
    Lineup,
    LineupFinished,
    ParallelLowered,
    RowChanged,
    RowState,
    delete_voice_set,
    save_voice_set,
    voice_sets,
)
from app.takes.history import History
from app.takes.take import TakeSettings
from tests.cartesia.expected import expected_audio
from tests.engine.conftest import ManyTones
from tests.studio.conftest import (
    KEY,
    BreaksMidStream,
    ListeningServer,
    listening,
    online,
    run,
    streaming,
    until,
)

TEXT = "One two three four five."
PLAN = 2
#: Quick retries: the tests are about what happens, not how long the waits are.
QUICK = Backoff(first=0.01, cap=0.05)


@pytest.fixture
def plan_server() -> Iterator[ThreadedServer]:
    """Six tone voices, a Free plan's two contexts at a time, audio at 4× real time so
    contexts overlap."""
    srv = ThreadedServer([ManyTones(6)], ServerConfig(api_key=KEY, pace=4.0,
                                                      max_contexts=PLAN),
                         server_class=ListeningServer)
    srv.start()
    yield srv
    srv.stop()


def voices_of(server: ThreadedServer) -> list[Voice]:
    """The server's voices as a Cartesia account lists them (not the app's offline ones)."""
    return [replace(v, offline=False) for v in server.server.voices()]


def take_settings(text: str = TEXT) -> TakeSettings:
    return TakeSettings(text=text, voice_id="", sample_rate=16000, encoding="pcm_f32le")


def test_more_at_once_than_the_plan_allows_still_renders_every_voice(
        plan_server: ThreadedServer, tmp_path: Path) -> None:
    voices = voices_of(plan_server)
    history = HistoryService(History(tmp_path / "history"))

    async def scenario() -> Lineup:
        endpoints = online(plan_server)
        lineup = Lineup(endpoints, take_settings(), voices, max_parallel=5, history=history,
                        backoff=QUICK, rng=random.Random(1))
        events: list[object] = []
        states: list[tuple[object, RowState]] = []  # as each was announced
        lineup.events.connect(events.append)
        lineup.events.connect(lambda e: states.append((e.row, e.row.state))
                              if isinstance(e, RowChanged) else None)
        try:
            rows = await lineup.start()
        finally:
            await endpoints.close()
        assert rows == lineup.rows
        assert any(isinstance(e, ParallelLowered) for e in events)
        assert isinstance(events[-1], LineupFinished)
        for row in rows:
            seen = [state for r, state in states if r is row]
            assert seen[0] is RowState.RENDERING and seen[-1] is RowState.DONE
        assert RowState.WAITING in [state for _, state in states]
        return lineup

    lineup = run(scenario())
    try:
        assert [r.voice.id for r in lineup.rows] == [v.id for v in voices]
        assert all(r.state is RowState.DONE and r.error is None for r in lineup.rows)
        expected = expected_audio(TEXT, 16000)
        for row in lineup.rows:
            assert row.take is not None
            np.testing.assert_array_equal(row.take.samples, expected)
            assert row.take.settings.voice_id == row.voice.id
            assert row.take.name == f"{row.voice.name} · {TEXT}"  # told apart in the history
            assert row.take.loudness is not None and -40 < row.take.loudness.lufs < 0
        # The server refused some (the lineup asked for 5) but never held more than 2.
        assert sum(r.refusals for r in lineup.rows) >= 1
        assert plan_server.server.peak_contexts == PLAN
        assert lineup.limit == PLAN
        # One socket: every context went over the same connection.
        assert plan_server.stats()["connections"] <= 1
        assert {r.take.id for r in lineup.rows if r.take} == \
            {rec.id for rec in history.records}
    finally:
        history.close()


def test_a_failing_voice_fails_its_row_alone(plan_server: ThreadedServer) -> None:
    voices = voices_of(plan_server)[:3]
    missing = Voice(id="no-such-voice", name="Nobody")

    async def scenario() -> Lineup:
        endpoints = online(plan_server)
        lineup = Lineup(endpoints, take_settings(), [voices[0], missing, *voices[1:]],
                        max_parallel=2, backoff=QUICK)
        try:
            await lineup.start()
        finally:
            await endpoints.close()
        return lineup

    lineup = run(scenario())
    states = {r.voice.id: r.state for r in lineup.rows}
    assert states == {voices[0].id: RowState.DONE, missing.id: RowState.FAILED,
                      voices[1].id: RowState.DONE, voices[2].id: RowState.DONE}
    failed = lineup.rows[1]
    assert isinstance(failed.error, NotFound)
    assert failed.status.startswith("failed: ") and "no-such-voice" in failed.status


def test_stopping_cancels_the_contexts_on_the_server(plan_server: ThreadedServer) -> None:
    voices = voices_of(plan_server)
    long_text = " ".join(["word"] * 60)

    async def scenario() -> Lineup:
        endpoints = online(plan_server)
        lineup = Lineup(endpoints, take_settings(long_text), voices, max_parallel=2,
                        backoff=QUICK)
        lineup.start()
        try:
            await until(lambda: streaming(lineup.rows) == 2)
            await lineup.close()
        finally:
            await endpoints.close()
        return lineup

    lineup = run(scenario())
    states = [r.state for r in lineup.rows]
    assert states == [RowState.STOPPED] * len(voices)
    started = [r.take for r in lineup.rows[:2]]
    assert all(t is not None and t.n_frames > 0 for t in started)
    cancelled = listening(plan_server).cancels()
    assert len(cancelled) == 2


def test_bad_input_is_refused_before_anything_is_sent(plan_server: ThreadedServer) -> None:
    voices = voices_of(plan_server)

    async def scenario() -> None:
        endpoints = online(plan_server)
        try:
            with pytest.raises(InvalidInput, match="at least one voice"):
                Lineup(endpoints, take_settings(), [])
            with pytest.raises(InvalidInput, match="1 or more"):
                Lineup(endpoints, take_settings(), voices, max_parallel=0)
            with pytest.raises(InvalidInput):
                Lineup(endpoints, take_settings("   "), voices)
            # The same voice twice is one row.
            assert len(Lineup(endpoints, take_settings(), voices[:2] + voices[:1]).rows) == 2
        finally:
            await endpoints.close()

    run(scenario())
    assert listening(plan_server).frames == []


def test_backoff_grows_to_its_cap_with_jitter_and_honours_retry_after() -> None:
    backoff = Backoff(first=0.25, cap=4.0, jitter=0.5)
    rng = random.Random(7)
    delays = [backoff.delay(n, rng) for n in range(8)]
    for n, delay in enumerate(delays):
        full = min(4.0, 0.25 * 2 ** n)
        assert full / 2 <= delay <= full
    assert len(set(delays)) == len(delays)  # jittered, never in lockstep
    assert backoff.delay(0, rng, retry_after=3.0) == 3.0


def test_voice_sets_are_saved_by_name_and_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings = Settings(path)
    assert save_voice_set(settings, "  Narrators  for  ads ", ["a", "b", "a"]) == \
        "Narrators for ads"
    save_voice_set(settings, "Kids", ["c"])
    with pytest.raises(InvalidInput, match="name the voice set"):
        save_voice_set(settings, "  ", ["a"])
    with pytest.raises(InvalidInput, match="would be empty"):
        save_voice_set(settings, "Empty", [])
    settings.save()
    again = Settings(path)
    assert voice_sets(again) == {"Narrators for ads": ["a", "b"], "Kids": ["c"]}
    delete_voice_set(again, "Kids")
    assert voice_sets(again) == {"Narrators for ads": ["a", "b"]}
    # What get() returned cannot change the stored sets behind their back.
    again.get(VOICE_SETS)["Narrators for ads"].append("z")
    assert voice_sets(again) == {"Narrators for ads": ["a", "b"]}


def test_a_hand_edited_set_with_bad_entries_keeps_what_is_usable(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"version": 2, "values": {"voice_sets": '
                    '{"Good": ["a", 3, "b"], "Bad": "not a list"}}}')
    assert voice_sets(Settings(path)) == {"Good": ["a", "b"]}


class BreaksOneVoice(BreaksMidStream):
    """Fails one voice's contexts mid-stream, after a few chunks (a server fault)."""

    breaking = ""
    after = 3
    message = "the synthesizer broke"

    def breaks(self, context: ServerContext) -> bool:
        return context.request.voice_id == self.breaking


def test_a_voice_failing_mid_stream_keeps_its_audio_and_the_rest_finish(
        tmp_path: Path) -> None:
    srv = ThreadedServer([ManyTones(3)], ServerConfig(api_key=KEY, chunk_ms=1000),
                         server_class=BreaksOneVoice)
    srv.start()
    history = HistoryService(History(tmp_path / "history"))
    try:
        voices = voices_of(srv)
        assert isinstance(srv.server, BreaksOneVoice)
        srv.server.breaking = voices[1].id

        async def scenario() -> Lineup:
            endpoints = online(srv)
            lineup = Lineup(endpoints, take_settings(), voices, max_parallel=3,
                            history=history, backoff=QUICK)
            try:
                await lineup.start()
            finally:
                await endpoints.close()
            return lineup

        lineup = run(scenario())
        assert [r.state for r in lineup.rows] == [RowState.DONE, RowState.FAILED,
                                                  RowState.DONE]
        broken = lineup.rows[1]
        # Three words' chunks arrived (long enough to measure), then the error.
        assert broken.take is not None
        assert 0 < broken.take.n_frames < len(expected_audio(TEXT, 16000))
        assert "the synthesizer broke" in broken.status
        assert broken.take.loudness is not None  # measured like the others
        assert {r.take.id for r in lineup.rows if r.take} == \
            {rec.id for rec in history.records}
    finally:
        history.close()
        srv.stop()
