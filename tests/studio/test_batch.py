"""The batch run without the command line, against our loopback server: what it plans
(done lines, name clashes, files it did not make), what it announces, and what a
changed template, spec or line does to the next run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from app.engine.server import ThreadedServer
from app.engine.synth.tones import VOICE_ID
from app.markup.lexicon import Entry, Lexicon
from app.studio.batch import (
    BatchDefaults,
    BatchEvent,
    BatchFinished,
    BatchPlan,
    BatchRun,
    LineFailed,
    LineStarted,
    LineWritten,
    Progress,
)
from app.studio.errors import InvalidInput
from app.studio.manifest import MANIFEST_NAME, ManifestError
from app.studio.script import LineState, Script, ScriptDefaults, ScriptLine
from app.takes.export import ExportSpec
from app.takes.take import Take
from tests.studio.conftest import listening, online, run

DEFAULTS = BatchDefaults(voice_id=VOICE_ID)


def script(*texts: str) -> Script:
    return Script([ScriptLine(f"l{i}", text) for i, text in enumerate(texts, start=1)])


def generations(server: ThreadedServer) -> list[str]:
    return [f["transcript"] for f in listening(server).frames
            if "transcript" in f and f.get("continue") is not True]


async def batch(server: ThreadedServer, lines: Script, folder: Path,
                events: list[BatchEvent] | None = None, **options: object
                ) -> tuple[BatchRun, BatchPlan]:
    """Plan and run (unless the plan finds files the run did not make)."""
    endpoints = online(server)
    try:
        options.setdefault("defaults", DEFAULTS)
        batch_run = BatchRun(endpoints, lines, folder, **options)  # type: ignore[arg-type]
        if events is not None:
            batch_run.events.connect(events.append)
        plan = await batch_run.plan()
        if not plan.foreign:
            await batch_run.run(plan)
        return batch_run, plan
    finally:
        await endpoints.close()


def test_every_line_is_announced_written_and_counted(server: ThreadedServer,
                                                     tmp_path: Path) -> None:
    events: list[BatchEvent] = []
    done, _ = run(batch(server, script("One two.", "Three four.", "Five six."), tmp_path,
                        events))
    assert [type(e) for e in events].count(LineStarted) == 3
    written = [e for e in events if isinstance(e, LineWritten)]
    assert sorted(e.line.n for e in written) == [1, 2, 3]
    assert all(e.result.files[0].exists() and e.duration > 0 for e in written)
    progress = [e for e in events if isinstance(e, Progress)]
    assert [(p.done, p.failed, p.remaining) for p in progress] == [(1, 0, 2), (2, 0, 1),
                                                                    (3, 0, 0)]
    assert isinstance(events[-1], BatchFinished) and events[-1].summary is done.summary
    assert done.summary.ok and done.summary.audio_seconds > 0


def test_a_second_run_plans_everything_done_and_sends_nothing(server: ThreadedServer,
                                                              tmp_path: Path) -> None:
    lines = script("One two.", "Three four.")
    run(batch(server, lines, tmp_path))
    sent = len(generations(server))
    again, plan = run(batch(server, script("One two.", "Three four."), tmp_path))
    assert [line.done for line in plan.lines] == [True, True]
    assert len(generations(server)) == sent
    assert len(again.summary.skipped) == 2 and not again.summary.written


def test_a_changed_spec_renders_again_and_force_renders_everything(
        server: ThreadedServer, tmp_path: Path) -> None:
    run(batch(server, script("One two.", "Three four."), tmp_path))
    sent = len(generations(server))
    flac = ExportSpec(format="flac")
    changed, _ = run(batch(server, script("One two.", "Three four."), tmp_path, spec=flac))
    assert len(changed.summary.written) == 2 and len(generations(server)) == sent + 2
    assert soundfile.info(str(tmp_path / "1_l1.flac")).format == "FLAC"
    forced, _ = run(batch(server, script("One two.", "Three four."), tmp_path, spec=flac,
                          force=True))
    assert len(forced.summary.written) == 2 and len(generations(server)) == sent + 4


def test_files_of_an_earlier_name_are_left_and_said(server: ThreadedServer,
                                                    tmp_path: Path) -> None:
    run(batch(server, script("One two."), tmp_path))
    events: list[BatchEvent] = []
    run(batch(server, script("One two."), tmp_path, events, template="take_{id}"))
    written = next(e for e in events if isinstance(e, LineWritten))
    assert written.result.files[0] == tmp_path / "take_l1.wav"
    assert written.left_behind == (tmp_path / "1_l1.wav",)
    assert (tmp_path / "1_l1.wav").exists()  # not deleted
    assert json.loads((tmp_path / MANIFEST_NAME).read_text())["lines"]["l1"]["files"][0] \
        == "take_l1.wav"


def test_two_lines_with_one_name_are_refused_before_anything_is_sent(
        server: ThreadedServer, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"line 1 \(l1\) and line 2 \(l2\) would both be "
                       r"written to same\.wav"):
        run(batch(server, script("One.", "Two."), tmp_path, template="same"))
    assert generations(server) == []


def test_a_line_that_cannot_be_right_is_named_before_anything_is_sent(
        server: ThreadedServer, tmp_path: Path) -> None:
    lines = script("One.", "Two.")
    lines.lines[1].speed = 9.0
    with pytest.raises(InvalidInput, match=r"line 2 \(l2\): speed 9"):
        run(batch(server, lines, tmp_path))
    assert generations(server) == []


def test_files_the_run_did_not_make_are_not_overwritten(server: ThreadedServer,
                                                        tmp_path: Path) -> None:
    (tmp_path / "2_l2.wav").write_bytes(b"someone else's")
    _, plan = run(batch(server, script("One.", "Two."), tmp_path))
    assert plan.foreign == [tmp_path / "2_l2.wav"]
    assert (tmp_path / "2_l2.wav").read_bytes() == b"someone else's"
    assert generations(server) == []


def test_a_foreign_manifest_is_refused_unless_forced(server: ThreadedServer,
                                                     tmp_path: Path) -> None:
    (tmp_path / MANIFEST_NAME).write_text("[1, 2, 3]")
    with pytest.raises(ManifestError):
        run(batch(server, script("One."), tmp_path))
    forced, _ = run(batch(server, script("One."), tmp_path, force=True))
    assert len(forced.summary.written) == 1
    assert json.loads((tmp_path / MANIFEST_NAME).read_text())["format"] == "voicebooth-batch"


def test_a_failed_line_is_announced_with_its_reason(server: ThreadedServer,
                                                    tmp_path: Path) -> None:
    lines = script("One two.", "Three four.")
    lines.lines[0].voice_id = "no-such-voice"
    events: list[BatchEvent] = []
    done, _ = run(batch(server, lines, tmp_path, events))
    failed = [e for e in events if isinstance(e, LineFailed)]
    assert [f.line.n for f in failed] == [1] and "Voice not found" in failed[0].error
    assert [w.line.n for w in done.summary.written] == [2]
    assert not done.summary.ok


def test_the_export_rate_is_asked_of_the_server_and_defaults_fill_unnamed_lines(
        server: ThreadedServer, tmp_path: Path) -> None:
    lines = script("One two.", "Three four.")
    lines.lines[1].language = "de"
    run(batch(server, lines, tmp_path, spec=ExportSpec(sample_rate=24000)))
    requests = [f for f in listening(server).frames if "transcript" in f]
    assert {f["output_format"]["sample_rate"] for f in requests} == {24000}
    assert soundfile.info(str(tmp_path / "1_l1.wav")).samplerate == 24000
    lines = script("Five six.", "Seven eight.")
    lines.lines[1].language = "de"
    run(batch(server, lines, tmp_path / "fr",
              defaults=BatchDefaults(voice_id=VOICE_ID, language="fr")))
    languages = {f["transcript"]: f["language"] for f in listening(server).frames
                 if "transcript" in f}
    assert languages["Five six."] == "fr" and languages["Seven eight."] == "de"
    assert (tmp_path / "fr" / "1_l1.wav").exists()  # the folder is made


def test_takes_stay_chosen_in_the_script_unless_let_go(server: ThreadedServer,
                                                       tmp_path: Path) -> None:
    kept = script("One two.", "Three four.")
    run(batch(server, kept, tmp_path / "kept"))
    assert [line.state for line in kept.lines] == [LineState.CURRENT] * 2
    assert len(kept.takes) == 2
    let_go = script("One two.", "Three four.")
    done, _ = run(batch(server, let_go, tmp_path / "let-go", keep_takes=False))
    assert len(done.summary.written) == 2 and let_go.takes == {}


def test_a_chosen_take_said_with_the_lexicon_is_exported_as_it_is(
        server: ThreadedServer, tmp_path: Path) -> None:
    """A project's take made in the window with the lexicon stays current in a batch
    given that lexicon (a project file does not hold the lexicons: the batch sets them);
    given another pronunciation, the line is rendered again."""
    tuned = Lexicon([Entry("Cartesia", "car tee zha")])
    lines = Script([ScriptLine("brand", "Try Cartesia today.")],
                   defaults=ScriptDefaults(voice_id=VOICE_ID))
    lines.set_lexicon(tuned)
    lines.set_take(0, Take.from_audio(lines[0].take_settings(), np.zeros(4410, np.float32)))
    lines.set_lexicon(None)  # as read back from its file
    sent = len(generations(server))
    done, plan = run(batch(server, lines, tmp_path / "a", lexicon=tuned))
    assert [item.line.id for item in plan.from_takes] == ["brand"]
    assert len(generations(server)) == sent and len(done.summary.written) == 1
    other = Lexicon([Entry("Cartesia", "car tay zha")])
    _, plan = run(batch(server, lines, tmp_path / "b", lexicon=other))
    assert not plan.from_takes
    assert generations(server)[sent:] == ["Try car tay zha today."]
