"""Autosave: a write after a pause, never later than the longest wait while typing goes on,
a failing write reported and retried, and a script killed with SIGKILL loses at most the
last two seconds."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from app.atomic import WriteError
from app.studio.autosave import Autosaved, AutosaveFailed, Autosaver, ScriptAutosave
from app.studio.errors import InvalidInput
from app.studio.project import load_project, recover_untitled, untitled_path
from app.studio.script import Script, ScriptError
from tests.studio.conftest import run, until


def test_one_write_after_the_user_pauses() -> None:
    writes: list[int] = []

    async def scenario() -> None:
        saver = Autosaver(lambda: writes.append(1), delay=0.05, max_delay=10.0)
        for _ in range(5):
            saver.changed()
        assert saver.pending
        await until(lambda: writes)
        await asyncio.sleep(0.2)  # nothing more to write: no second write
        assert writes == [1] and not saver.pending
        await saver.close()

    run(scenario())


def test_typing_without_a_pause_is_written_by_the_longest_wait() -> None:
    written: list[int] = []
    typed = [0]

    async def write() -> None:
        written.append(typed[0])

    async def scenario() -> None:
        with pytest.raises(InvalidInput, match="at most the longest wait"):
            Autosaver(write, delay=2.0, max_delay=1.0)
        saver = Autosaver(write, delay=0.1, max_delay=0.15)
        for _ in range(60):  # a keystroke every 10 ms for 0.6 s: never a pause
            typed[0] += 1
            saver.changed()
            await asyncio.sleep(0.01)
        assert len(written) >= 2  # written while typing went on, not at the end
        await saver.flush()
        assert written[-1] == 60 and not saver.pending
        await saver.close()

    run(scenario())


def test_a_blocking_write_runs_off_the_loop() -> None:
    threads: list[threading.Thread] = []

    async def scenario() -> None:
        saver = Autosaver(lambda: threads.append(threading.current_thread()), delay=0.0,
                          max_delay=0.0)
        saver.changed()
        await saver.flush()
        await saver.close()
        saver.changed()  # closed: ignored
        assert not saver.pending

    run(scenario())
    assert threads and threads[0] is not threading.main_thread()


def test_a_failing_write_is_reported_and_tried_again_at_the_next_change() -> None:
    attempts: list[str] = []
    events: list[object] = []

    def write() -> None:
        attempts.append("try")
        if len(attempts) == 1:
            raise OSError(28, "No space left on device")

    async def scenario() -> None:
        saver = Autosaver(write, delay=0.01, max_delay=0.02)
        saver.events.connect(events.append)
        saver.changed()  # never raises into the caller
        await until(lambda: events)
        assert isinstance(events[0], AutosaveFailed) and "No space" in events[0].message
        assert saver.pending and saver.problem is not None
        await asyncio.sleep(0.1)
        assert len(attempts) == 1  # not retried in a loop
        saver.changed()
        await until(lambda: len(events) == 2)
        assert isinstance(events[1], Autosaved)
        assert not saver.pending and saver.problem is None
        await saver.close()

    run(scenario())


def test_an_untitled_script_autosaves_to_the_data_folder(tmp_path: Path) -> None:
    script = Script()
    target = untitled_path(tmp_path)

    async def scenario() -> None:
        autosave = ScriptAutosave(script, untitled=target, delay=0.01, max_delay=0.05)
        script.add("Hello.")
        await until(lambda: target.exists())
        script.add("Again.")
        await autosave.close()
        script.add("Not followed any more.")

    run(scenario())
    assert [line.text for line in load_project(target)] == ["Hello.", "Again."]
    assert script.path is None and script.dirty  # still needs "Save As"


def test_a_script_with_a_file_autosaves_to_it(tmp_path: Path) -> None:
    path = tmp_path / "p.voicebooth"
    script = Script(path=path)

    async def scenario() -> None:
        autosave = ScriptAutosave(script, untitled=tmp_path / "untitled.voicebooth",
                                  delay=0.01, max_delay=0.05)
        script.add("Hello.")
        await until(lambda: not script.dirty)
        await autosave.close()

    run(scenario())
    assert [line.text for line in load_project(path)] == ["Hello."]
    assert not (tmp_path / "untitled.voicebooth").exists()


def test_save_and_save_as_go_through_the_autosave_and_say_when_they_fail(
        tmp_path: Path) -> None:
    script = Script()
    blocker = tmp_path / "a file"
    blocker.write_text("x")

    async def scenario() -> None:
        autosave = ScriptAutosave(script, untitled=untitled_path(tmp_path), delay=5.0,
                                  max_delay=10.0)
        try:
            script.add("Hello.")
            with pytest.raises(ScriptError, match="no file yet"):
                await autosave.save()
            assert await autosave.save(tmp_path / "a.voicebooth") == tmp_path / "a.voicebooth"
            assert not script.dirty
            script.add("Again.")
            with pytest.raises(WriteError, match="cannot write"):
                await autosave.save(blocker / "b.voicebooth")
            assert script.dirty and script.path == tmp_path / "a.voicebooth"
        finally:
            await autosave.close()

    run(scenario())
    assert [line.text for line in load_project(tmp_path / "a.voicebooth")] == \
        ["Hello.", "Again."]


def test_an_untitled_script_is_recovered_untitled(tmp_path: Path) -> None:
    assert recover_untitled(untitled_path(tmp_path)) is None
    script = Script()

    async def scenario() -> None:
        autosave = ScriptAutosave(script, untitled=untitled_path(tmp_path))
        script.add("Unsaved work.")
        await autosave.close()

    run(scenario())
    recovered = recover_untitled(untitled_path(tmp_path))
    assert recovered is not None and recovered.path is None
    assert [line.text for line in recovered] == ["Unsaved work."]


DRIVER = textwrap.dedent("""
    import asyncio, sys, time
    from pathlib import Path
    from app.studio.autosave import ScriptAutosave
    from app.studio.script import Script, ScriptError

    async def main(path: Path) -> None:
        script = Script(path=path)
        ScriptAutosave(script, untitled=path)
        line = script.add("")
        n = 0
        while True:  # typing, a character every 20 ms, a new line every 25 characters
            n += 1
            if n % 25 == 0:
                line = script.add("")
            else:
                script.update(script.index_of(line), text=line.text + "x")
            print(n, time.time(), flush=True)
            await asyncio.sleep(0.02)

    asyncio.run(main(Path(sys.argv[1])))
""")


def test_a_script_killed_with_sigkill_keeps_every_change_older_than_two_seconds(
        tmp_path: Path) -> None:
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    path = tmp_path / "killed.voicebooth"
    process = subprocess.Popen([sys.executable, str(driver), str(path)],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        process.stdout.readline()  # started
        time.sleep(4.0)
        killed_at = time.time()
        os.kill(process.pid, signal.SIGKILL)
        out, _ = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    changes = [(int(n), float(t)) for n, t in (row.split() for row in out.splitlines())]
    old_enough = max(n for n, t in changes if t <= killed_at - 2.0)
    data = json.loads(path.read_text("utf-8"))  # valid JSON, whole
    lines = [line["text"] for line in data["lines"]]
    # Change n made len(lines) == n // 25 + 1 lines, the last one n % 25 characters.
    on_disk = (len(lines) - 1) * 25 + len(lines[-1])
    print(f"changes {changes[-1][0]}, on disk {on_disk}, older than 2 s {old_enough}")
    assert on_disk >= old_enough, (on_disk, old_enough, changes[-1][0])
    assert all(text == "x" * 24 for text in lines[:-1])
