"""The project file: a script and its chosen takes saved and read back, audio written once,
orphans removed, a newer version refused, a missing audio file a missing take."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from app.atomic import WriteError
from app.audio.loudness import Loudness
from app.studio.project import (
    audio_folder,
    load_project,
    save_project,
    save_script,
    untitled_path,
)
from app.studio.script import (
    LineState,
    Saved,
    Script,
    ScriptDefaults,
    ScriptLine,
    ScriptSourceError,
)
from app.studio.script_sources import read_script
from app.takes.take import Take
from app.takes.timings import Timing
from tests.studio.conftest import run


def made_script(path: Path | None = None) -> Script:
    script = Script([ScriptLine("intro", "Welcome to the game.", voice_id="v1", speed=1.2,
                                emotion="happy"),
                     ScriptLine("menu", "Choose a level.", model_id="sonic-2", language="fr"),
                     ScriptLine("bye", "Goodbye.", voice_id="", volume=1.5)],
                    path=path, defaults=ScriptDefaults(voice_id="dflt", voice_name="Default",
                                                       sample_rate=24000))
    return script


def rendered(script: Script, index: int, seed: int = 0) -> Take:
    line = script[index]
    samples = np.random.default_rng(seed).uniform(-0.5, 0.5, 2400).astype(np.float32)
    take = Take.from_audio(line.take_settings(), samples,
                           [Timing("Welcome", 0.0, 0.04), Timing("to", 0.05, 0.08)],
                           [Timing("w", 0.0, 0.01)], loudness=Loudness(-20.5, -6.0))
    script.set_take(index, take)
    return take


def test_a_project_comes_back_as_it_was_saved_with_its_takes(tmp_path: Path) -> None:
    path = tmp_path / "game.voicebooth"
    script = made_script()
    first = rendered(script, 0)
    rendered(script, 2, seed=1)
    script.update(2, text="Good bye.")  # stale: its take says the old text
    script.set_error(1, "the server refused it")
    assert save_project(script, path, script.takes) == script.revision

    data = json.loads(path.read_text("utf-8"))
    assert (data["format"], data["version"]) == ("voicebooth-script", 1)
    assert data["defaults"] == {"voice_id": "dflt", "voice_name": "Default",
                                "encoding": "pcm_f32le", "sample_rate": 24000}
    assert [line["id"] for line in data["lines"]] == ["intro", "menu", "bye"]
    folder = audio_folder(path)
    assert folder == tmp_path / "game.voicebooth-audio"
    assert sorted(f.name for f in folder.iterdir()) == sorted(
        f"{t}{ext}" for t in script.takes for ext in (".wav", ".timings.json"))

    again = read_script(path)  # the same reader as CSV and JSON Lines
    assert again.path == path and not again.dirty and again.problems == []
    assert again.defaults == script.defaults
    for old, new in zip(script, again, strict=True):
        assert new.settings_json() == old.settings_json()
        assert (new.take_id, new.take_key, new.error, new.state) == \
            (old.take_id, old.take_key, old.error, old.state)
    assert [line.state for line in again] == [LineState.CURRENT, LineState.MISSING,
                                              LineState.STALE]
    take = again.take_of(again[0])
    assert take is not None
    np.testing.assert_array_equal(take.samples, first.samples)  # float32: exactly
    assert (take.id, take.name, take.settings, take.words, take.phonemes, take.loudness) == \
        (first.id, first.name, first.settings, first.words, first.phonemes, first.loudness)


def test_audio_is_written_once_and_orphans_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "p.voicebooth"
    script = made_script()
    old = rendered(script, 0)
    save_project(script, path, script.takes)
    wav = audio_folder(path) / f"{old.id}.wav"
    os.utime(wav, (1, 1))
    save_project(script, path, script.takes)
    assert wav.stat().st_mtime == 1  # a take never changes: not written again
    new = rendered(script, 0, seed=2)
    save_project(script, path, script.takes)
    names = {f.name for f in audio_folder(path).iterdir()}
    assert names == {f"{new.id}.wav", f"{new.id}.timings.json"}


def test_a_missing_audio_file_makes_that_line_missing(tmp_path: Path) -> None:
    path = tmp_path / "p.voicebooth"
    script = made_script()
    gone = rendered(script, 0)
    kept = rendered(script, 1, seed=3)
    save_project(script, path, script.takes)
    (audio_folder(path) / f"{gone.id}.wav").unlink()
    again = load_project(path)
    assert again[0].state is LineState.MISSING and again[0].take_id is None
    assert again[1].state is LineState.CURRENT and again[1].take_id == kept.id
    assert len(again.problems) == 1 and "'intro'" in again.problems[0]


@pytest.mark.parametrize(("text", "line", "column", "words"), [
    ('{"format": "voicebooth-script", "version": 2, "lines": []}', 1, 1,
     "saved by a newer Voicebooth (project version 2; this one reads up to 1)"),
    ('{"format": "other", "version": 1}', 1, 1, "not a Voicebooth project"),
    ('{"format": "voicebooth-script",\n "version": 1,,}', 2, 15, "bad JSON"),
    ('{"format": "voicebooth-script", "version": 1}', 1, 1, "no list of \"lines\""),
    ('{"format": "voicebooth-script", "version": 1, "lines": [{"id": "a"}]}', 1, 1,
     "line 1 of the project has no text"),
    ('{"format": "voicebooth-script", "version": 1, "lines": [{"id": "a", "text": "x", '
     '"speed": "fast"}]}', 1, 1, "speed is 'fast', not a number"),
    ('{"format": "voicebooth-script", "version": 1, "lines": [{"id": "a", "text": "x"}, '
     '{"id": "a", "text": "y"}]}', 1, 1, "'a' is already used"),
])
def test_bad_project_files_are_refused_clearly(tmp_path: Path, text: str, line: int,
                                               column: int, words: str) -> None:
    path = tmp_path / "bad.voicebooth"
    path.write_text(text, "utf-8")
    with pytest.raises(ScriptSourceError) as caught:
        read_script(path)
    assert words in caught.value.message
    assert (caught.value.line, caught.value.column) == (line, column)


def test_save_script_runs_off_the_loop_and_marks_it_saved(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "p.voicebooth"
    script = made_script(path)
    script.add("One more.")
    events: list[object] = []
    script.events.connect(events.append)
    assert script.dirty
    assert run(save_script(script)) == path
    assert not script.dirty and events == [Saved(script.revision, path)]
    assert [x.id for x in load_project(path)] == ["intro", "menu", "bye", "line-1"]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(WriteError, match="nothing was changed"):
        save_project(script, blocker / "p.voicebooth", {})
    assert untitled_path(tmp_path) == tmp_path / "scripts" / "untitled.voicebooth"
