"""Rendering a script against our loopback server with a plan's two contexts: every line
with its own settings, never more than the plan at once on the server but more than one,
a failing line failed alone with its reason, render stale, and stop."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from app.cartesia.errors import NotFound
from app.cartesia.protocol import ServerContext
from app.cartesia.voices_types import Voice
from app.engine.server import ServerConfig, ThreadedServer
from app.studio.autosave import ScriptAutosave
from app.studio.errors import InvalidInput
from app.studio.history import HistoryService
from app.studio.lineup import Backoff, LineupFinished, RowState
from app.studio.project import load_project
from app.studio.script import LineState, Script, ScriptDefaults, ScriptLine, TakeSet
from app.studio.script_renders import RenderProgress, ScriptRenders, ScriptRow, resolver
from app.takes.history import History
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

PLAN = 2
QUICK = Backoff(first=0.01, cap=0.05)
RATE = 16000


@pytest.fixture
def plan_server() -> Iterator[ThreadedServer]:
    """Six tone voices, a Free plan's two contexts at a time (``serve --max-contexts 2``),
    audio at 4× real time so contexts overlap."""
    srv = ThreadedServer([ManyTones(6)], ServerConfig(api_key=KEY, pace=4.0,
                                                      max_contexts=PLAN),
                         server_class=ListeningServer)
    srv.start()
    yield srv
    srv.stop()


class BreaksOneLine(BreaksMidStream):
    """Fails the context of any line that says BREAK mid-stream, after two chunks."""

    def breaks(self, context: ServerContext) -> bool:
        return "BREAK" in context.request.transcript


def script_for(server: ThreadedServer, count: int) -> Script:
    voices = [v.id for v in server.server.voices()]
    lines = [ScriptLine(f"p{i:02d}", f"Prompt number {i} is here.",
                        voice_id=voices[i % 3] if i % 4 else "",
                        speed=1.1 if i % 2 else None)
             for i in range(count)]
    return Script(lines, defaults=ScriptDefaults(voice_id=voices[5], voice_name="Default",
                                                 sample_rate=RATE))


def test_many_lines_each_with_its_own_settings_within_the_plan(
        plan_server: ThreadedServer, tmp_path: Path) -> None:
    script = script_for(plan_server, 12)
    script.update(3, voice_id="no-such-voice")  # unknown to the server: fails there
    script.update(7, speed=3.0)  # fails the check: never sent
    history = HistoryService(History(tmp_path / "history"))
    progress: list[RenderProgress] = []
    takes_set: list[str] = []
    script.events.connect(lambda e: takes_set.append(e.line.id) if isinstance(e, TakeSet)
                          else None)

    async def scenario() -> ScriptRenders:
        endpoints = online(plan_server)
        renders = ScriptRenders(endpoints, script, "all", max_parallel=PLAN, history=history,
                                backoff=QUICK, rng=random.Random(3))
        renders.progress.connect(progress.append)
        finished: list[object] = []
        renders.events.connect(lambda e: finished.append(e)
                               if isinstance(e, LineupFinished) else None)
        try:
            await renders.start()
        finally:
            await endpoints.close()
        assert len(finished) == 1
        return renders

    renders = run(scenario(), timeout=60)
    try:
        states = {line.id: line.state for line in script}
        assert states.pop("p03") is LineState.MISSING
        assert states.pop("p07") is LineState.MISSING
        assert set(states.values()) == {LineState.CURRENT}
        assert "no-such-voice" in script[3].error
        assert isinstance(next(r for r in renders.all_rows if r.line is script[3]).error,
                          NotFound)
        assert "speed 3 is outside" in script[7].error
        assert renders.refused[0].line is script[7]
        # Never sent: no context on the server ever had this line's text.
        sent = [f.get("transcript") for f in listening(plan_server).frames]
        assert script[7].text not in sent and script[0].text in sent
        assert progress[-1] == RenderProgress(done=10, failed=2, remaining=0)
        assert [p.done + p.failed for p in progress] == list(range(1, 13))
        assert sorted(takes_set) == sorted(states)
        # Each line in its own voice (the default where it names none) and its own speed.
        by_context = {f["context_id"]: f for f in listening(plan_server).frames
                      if "transcript" in f}
        for line in script:
            take = script.take_of(line)
            if line.id in ("p03", "p07"):
                assert take is None
                continue
            assert take is not None
            voice = line.voice_id or script.defaults.voice_id
            assert take.settings.voice_id == voice
            assert take.settings.speed == line.speed and take.sample_rate == RATE
            np.testing.assert_array_equal(take.samples,
                                          expected_audio(line.text, RATE, line.speed or 1.0))
            assert line.take_key == line.render_key()
        frames = [f for f in by_context.values() if f["transcript"] == script[1].text]
        assert frames and frames[0]["generation_config"] == {"speed": 1.1}
        assert frames[0]["voice"]["id"] == script[1].voice_id
        # The plan's limit held on the server, and the lines did run side by side.
        assert plan_server.server.peak_contexts == PLAN
        assert plan_server.stats()["connections"] <= 1
        # Every take (the failed one's too) went to the history like any take.
        recorded = {rec.id for rec in history.records}
        assert {line.take_id for line in script if line.take_id} <= recorded
    finally:
        history.close()


def test_render_stale_renders_only_what_changed_or_is_missing(
        plan_server: ThreadedServer) -> None:
    script = script_for(plan_server, 4)

    async def scenario() -> list[str]:
        endpoints = online(plan_server)
        try:
            await ScriptRenders(endpoints, script, "all", backoff=QUICK).start()
            kept = script[0].take_id
            script.update(1, text="A new line one.")
            script.set_take(2, None)
            before = len(listening(plan_server).frames)
            renders = ScriptRenders(endpoints, script, "stale", backoff=QUICK)
            assert [r.line.id for r in renders.all_rows] == ["p01", "p02"]
            await renders.start()
            assert script[0].take_id == kept
            with pytest.raises(InvalidInput, match="nothing to render"):
                ScriptRenders(endpoints, script, "stale")
            with pytest.raises(InvalidInput, match="there is no line 9"):
                ScriptRenders(endpoints, script, [8])
            renders = ScriptRenders(endpoints, script, [3], backoff=QUICK)
            await renders.start()
            return [f["transcript"] for f in listening(plan_server).frames[before:]
                    if "transcript" in f]
        finally:
            await endpoints.close()

    sent = run(scenario(), timeout=60)
    assert sorted(sent) == sorted(["A new line one.", script[2].text, script[3].text])
    assert all(line.state is LineState.CURRENT for line in script)


def test_a_line_failing_mid_stream_keeps_its_error_and_audio_and_stops_nothing(
        tmp_path: Path) -> None:
    server = ThreadedServer([ManyTones(6)], ServerConfig(api_key=KEY, pace=4.0,
                                                         max_contexts=PLAN),
                            server_class=BreaksOneLine)
    server.start()
    history = HistoryService(History(tmp_path / "history"))
    try:
        script = script_for(server, 5)
        script.update(2, text="Please BREAK here, with many more words to say after it.")

        async def scenario() -> ScriptRenders:
            endpoints = online(server)
            try:
                renders = ScriptRenders(endpoints, script, "all", history=history,
                                        backoff=QUICK)
                await renders.start()
                return renders
            finally:
                await endpoints.close()

        renders = run(scenario(), timeout=60)
        broken = next(r for r in renders.rows if isinstance(r, ScriptRow)
                      and r.line is script[2])
        assert broken.state is RowState.FAILED
        assert "injected error mid-stream" in script[2].error
        assert script[2].state is LineState.MISSING
        # The audio that arrived is kept, in the history like any take.
        assert broken.take is not None and broken.take.n_frames > 0
        assert broken.take.id in {rec.id for rec in history.records}
        assert [line.state for i, line in enumerate(script) if i != 2] == \
            [LineState.CURRENT] * 4
    finally:
        history.close()
        server.stop()


def test_rendered_takes_reach_the_project_file(plan_server: ThreadedServer,
                                               tmp_path: Path) -> None:
    script = script_for(plan_server, 3)
    script.path = tmp_path / "game.voicebooth"

    async def scenario() -> None:
        endpoints = online(plan_server)
        autosave = ScriptAutosave(script, untitled=tmp_path / "untitled.voicebooth",
                                  delay=0.01, max_delay=0.05)
        try:
            await ScriptRenders(endpoints, script, "all", backoff=QUICK).start()
        finally:
            await autosave.close()
            await endpoints.close()

    run(scenario(), timeout=60)
    assert not script.dirty
    again = load_project(tmp_path / "game.voicebooth")
    assert [line.state for line in again] == [LineState.CURRENT] * 3
    for old, new in zip(script, again, strict=True):
        old_take, new_take = script.take_of(old), again.take_of(new)
        assert old_take is not None and new_take is not None
        np.testing.assert_array_equal(new_take.samples, old_take.samples)
        assert new_take.words == old_take.words and new_take.words


def test_stop_leaves_the_lines_not_rendered_as_they_were(plan_server: ThreadedServer) -> None:
    script = script_for(plan_server, 6)
    long_text = " ".join(["word"] * 60)
    for index in range(len(script)):
        script.update(index, text=f"{long_text} {index}.")

    async def scenario() -> ScriptRenders:
        endpoints = online(plan_server)
        renders = ScriptRenders(endpoints, script, "all", max_parallel=PLAN, backoff=QUICK)
        renders.start()
        try:
            await until(lambda: streaming(renders.rows) == 2)
            await renders.close()
        finally:
            await endpoints.close()
        return renders

    renders = run(scenario(), timeout=60)
    assert [r.state for r in renders.rows] == [RowState.STOPPED] * 6
    assert all(line.state is LineState.MISSING and line.error == "" for line in script)
    assert renders.counts() == RenderProgress(done=0, failed=0, remaining=0, stopped=6)
    assert len(listening(plan_server).cancels()) == 2


def test_voices_are_resolved_by_id_or_name() -> None:
    voices = [Voice(id="v-1", name="Joe", offline=True), Voice(id="v-2", name="Ann")]
    resolve = resolver(voices)
    script = Script([ScriptLine("a", "Hi.", voice_id="v-2"), ScriptLine("b", "Hi.",
                     voice_id=" joe"), ScriptLine("c", "Hi.", voice_id="nobody")])
    assert [resolve(line) for line in script][:2] == [voices[1], voices[0]]
    assert resolve(script[2]) == Voice(id="nobody", name="nobody")
