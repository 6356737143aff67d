"""The script panel in the real window, offline: a 40-line CSV imported, rendered within
the plan's limit, one line edited and only it rendered again, lines split, merged,
moved, duplicated and deleted, the project saved and opened again with its takes."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
import soundfile
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app.audio.loudness import measure
from app.engine.local import LocalEngine
from app.engine.server import ServerConfig
from app.engine.synth.tones import VOICE_ID, ToneSynthesizer
from app.markup.lexicon import Entry
from app.settings import LINEUP_PARALLEL, RECENT_SCRIPTS, SCRIPT_PATH, Settings
from app.studio.lexicons import Lexicons
from app.studio.options import RunOptions
from app.studio.script import LineState
from app.studio.studio import Studio
from app.takes.history import History
from app.ui.script_table import ID, STATE, TEXT
from app.ui.window import MainWindow
from tests.ui.conftest import close_window, run, until

PLAN = 2
LINES = 40


def engine_server(window: MainWindow) -> Any:
    """The offline engine's server (it counts the contexts open at once)."""
    engine = window.studio.endpoints._engine
    assert engine is not None and engine._server is not None
    return engine._server.server


def start(loop: qasync.QEventLoop, window: MainWindow) -> None:
    """Started, with the voice of tones chosen, and the work start() began finished."""
    window.show()
    run(loop, window.studio.start())
    run(loop, window.studio.library.refresh())
    run(loop, until(lambda: not window.studio._tasks))
    assert window.picker.select(VOICE_ID)


def plan_window(tmp_path: Path, settings: Settings | None = None) -> MainWindow:
    """The window over a test engine of tones that allows a Free plan's two contexts
    at once (``serve --max-contexts 2``), sending audio at 8× real time so they
    overlap."""
    studio = Studio(settings or Settings(tmp_path / "config" / "settings.json"),
                    RunOptions(offline=True), History(tmp_path / "data" / "history"),
                    engine=LocalEngine(ServerConfig(max_contexts=PLAN, pace=8.0),
                                       synthesizers=[ToneSynthesizer()]),
                    cache_dir=tmp_path / "cache", lexicons=Lexicons(tmp_path / "data"))
    return MainWindow(studio)


@pytest.fixture
def window(loop: qasync.QEventLoop, tmp_path: Path, qtbot: Any) -> Iterator[MainWindow]:
    win = plan_window(tmp_path)
    win.resize(1024, 760)
    start(loop, win)
    yield win
    close_window(loop, win)


def write_csv(path: Path, count: int = LINES) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["id", "text"])
        for n in range(1, count + 1):
            out.writerow([f"prompt_{n:02d}", f"Prompt number {n}. Please hold."])
    return path


def states(window: MainWindow) -> list[str]:
    table = window.script_panel.table
    return [table.item(i, STATE).text() for i in range(table.rowCount())]


def test_import_render_edit_and_render_stale(window: MainWindow, loop: qasync.QEventLoop,
                                            tmp_path: Path) -> None:
    panel, server = window.script_panel, engine_server(window)
    window.settings.set(LINEUP_PARALLEL, PLAN)
    assert not window.script_dock.isVisible()

    async def scenario() -> None:
        assert await window.script_files.import_lines(write_csv(tmp_path / "lines.csv"))
        assert window.script_dock.isVisible()
        assert panel.table.rowCount() == LINES
        assert states(window) == ["missing"] * LINES
        assert panel.table.item(11, ID).text() == "prompt_12"
        assert panel.table.item(11, TEXT).toolTip() == "Prompt number 12. Please hold."
        assert panel.table.item(11, STATE).toolTip() == "no take yet: render it (Enter)"
        # Choosing a line loads it into the editor.
        panel.table.selectRow(11)
        assert window.editor.toPlainText() == "Prompt number 12. Please hold."

        panel.render_stale_button.click()
        renders = panel.renders
        assert renders is not None and renders.limit == PLAN
        assert panel.progress_box.isVisible() and panel.cancel_button.isEnabled()
        await until(lambda: "rendering…" in states(window))
        await until(lambda: renders.finished, 120)
        assert states(window) == ["current"] * LINES
        assert 1 < server.peak_contexts <= PLAN
        assert panel.progress_label.text() == f"{LINES} done · 0 failed · 0 remaining"
        assert panel.progress.value() == panel.progress.maximum() == LINES
        assert not panel.cancel_button.isEnabled()

        # Line 12 edited in the editor: only it turns stale, and only it renders again.
        panel.table.selectRow(11)
        first_take = panel.script[11].take_id
        window.editor.setPlainText("Prompt twelve, said again.")
        assert panel.script[11].text == "Prompt twelve, said again."
        assert states(window).count("stale") == 1 and states(window)[11] == "stale"
        assert panel.table.item(11, STATE).toolTip() == "text changed since the take"
        others = [line.take_id for i, line in enumerate(panel.script.lines) if i != 11]
        panel.render_stale_button.click()
        again = panel.renders
        assert again is not None and again is not renders
        assert [row.line.id for row in again.all_rows] == ["prompt_12"]
        await until(lambda: again.finished, 60)
        assert states(window) == ["current"] * LINES
        assert panel.script[11].take_id != first_take
        assert [line.take_id for i, line in enumerate(panel.script.lines)
                if i != 11] == others
    run(loop, scenario(), 180)


def test_split_merge_move_duplicate_delete(window: MainWindow, loop: qasync.QEventLoop,
                                           tmp_path: Path) -> None:
    panel, script = window.script_panel, window.script_panel.script

    async def scenario() -> None:
        window.script_dock.show()
        panel.add_line()
        assert len(script) == 1 and script[0].voice_id == VOICE_ID
        window.editor.setPlainText("First half. Second half.")
        assert script[0].text == "First half. Second half."
        cursor = window.editor.textCursor()
        cursor.setPosition(len("First half. "))
        window.editor.setTextCursor(cursor)
        panel.buttons["split"].click()
        assert [line.text for line in script.lines] == ["First half.", "Second half."]
        assert panel.current_line() is script[0]
        assert window.editor.toPlainText() == "First half."
        panel.buttons["merge"].click()
        assert [line.text for line in script.lines] == ["First half. Second half."]
        assert window.editor.toPlainText() == "First half. Second half."
        panel.buttons["duplicate"].click()
        assert len(script) == 2 and script[1].text == script[0].text
        assert script[1].id != script[0].id and panel.current_index() == 1
        window.editor.setPlainText("The copy.")
        assert [line.text for line in script.lines] == ["First half. Second half.",
                                                        "The copy."]
        panel.table.setFocus()
        panel.move_current(-1)
        assert [line.text for line in script.lines] == ["The copy.",
                                                        "First half. Second half."]
        assert panel.current_index() == 0  # the moved line stays chosen
        panel.buttons["down"].click()
        assert [line.text for line in script.lines] == ["First half. Second half.",
                                                        "The copy."]
        assert panel.current_index() == 1
        panel.buttons["delete"].click()
        assert [line.text for line in script.lines] == ["First half. Second half."]
        panel.buttons["undo"].click()
        assert [line.text for line in script.lines] == ["First half. Second half.",
                                                        "The copy."]
    run(loop, scenario())


def test_alt_arrows_move_and_a_bad_split_is_said(window: MainWindow, loop: qasync.QEventLoop,
                                                 qtbot: Any) -> None:
    panel, script = window.script_panel, window.script_panel.script

    async def scenario() -> None:
        window.script_dock.show()
        for text in ("One.", "Two."):
            panel.add_line()
            window.editor.setPlainText(text)
        panel.table.setFocus()
        qtbot.keyClick(panel.table, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
        # The shortcut clicks the ↑ button (animated: the click lands a moment later).
        await until(lambda: [line.text for line in script.lines] == ["Two.", "One."])
        qtbot.keyClick(window.editor, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
        await until(lambda: [line.text for line in script.lines] == ["One.", "Two."])
        qtbot.keyClick(window.editor, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
        await until(lambda: [line.text for line in script.lines] == ["Two.", "One."])
        window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
        panel.split_current()  # at the end: nothing to split off
        assert "cannot be split" in window.banner.message()
        assert [line.text for line in script.lines] == ["Two.", "One."]
    run(loop, scenario())


def test_save_and_open_again_with_the_takes(loop: qasync.QEventLoop, tmp_path: Path,
                                            qtbot: Any) -> None:
    project = tmp_path / "prompts.voicebooth"
    first = plan_window(tmp_path / "a")
    start(loop, first)
    panel = first.script_panel

    async def edit_and_save() -> None:
        assert await first.script_files.import_lines(write_csv(tmp_path / "l.csv", 4))
        assert panel.render_lines("all")
        renders = panel.renders
        assert renders is not None
        await until(lambda: renders.finished, 60)
        panel.table.selectRow(2)
        first.editor.setPlainText("Changed after rendering.")
        assert await first.script_files.save(project) == project
    run(loop, edit_and_save())
    assert states(first) == ["current", "current", "stale", "current"]
    takes = [line.take_id for line in panel.script.lines]
    assert first.settings.get(SCRIPT_PATH) == str(project.resolve())
    assert first.settings.get(RECENT_SCRIPTS) == [str(project.resolve())]
    close_window(loop, first)

    # The next start opens it again (the setting), takes and states as they were.
    settings = Settings(tmp_path / "a" / "config" / "settings.json")
    assert settings.get(SCRIPT_PATH) == str(project.resolve())
    second = plan_window(tmp_path / "b", settings)
    start(loop, second)
    other = next(v for v in second.studio.library.voices if v.id != VOICE_ID)
    second.use_voice(other)
    run(loop, second.open_first_script(None))
    # The first line is chosen: the picker shows the script's voice, which says it.
    assert second.voice is not None and second.voice.id == VOICE_ID
    assert second.script_dock.isVisible()
    assert second.script_panel.script.path == project.resolve()
    assert [line.take_id for line in second.script_panel.script.lines] == takes
    assert states(second) == ["current", "current", "stale", "current"]
    take = second.script_panel.script.take_of(second.script_panel.script[0])
    assert take is not None and take.n_frames > 0
    assert [line.state for line in second.script_panel.script.lines] == [
        LineState.CURRENT, LineState.CURRENT, LineState.STALE, LineState.CURRENT]
    second.recent_menu.aboutToShow.emit()  # File ▸ Recent scripts lists it
    assert [a.text() for a in second.recent_menu.actions()] == [
        f"prompts.voicebooth — {project.resolve().parent}"]
    close_window(loop, second)


def test_a_bad_csv_is_said_with_line_and_column_and_adds_nothing(
        window: MainWindow, loop: qasync.QEventLoop, tmp_path: Path) -> None:
    good = write_csv(tmp_path / "good.csv", 3)
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text,speed\nx1,Hello.,1.0\nx2,World.,fast\n", "utf-8")

    async def scenario() -> None:
        assert await window.script_files.import_lines(good)
        assert not await window.script_files.import_lines(bad)
        message = window.banner.message()
        assert "No lines were imported" in message and "bad.csv:3:" in message
        assert len(window.script_panel.script) == 3
        # The same ids again: refused, nothing added.
        assert not await window.script_files.import_lines(good)
        assert "already lines of this script" in window.banner.message()
        assert len(window.script_panel.script) == 3
    run(loop, scenario())


def test_a_kept_retake_repoints_its_line_and_undo_points_back(
        window: MainWindow, loop: qasync.QEventLoop) -> None:
    panel, script = window.script_panel, window.script_panel.script

    async def scenario() -> None:
        window.script_dock.show()
        panel.add_line()
        window.editor.setPlainText("Welcome to the show. Try the fastest voices, then "
                                   "keep the best one.")
        panel.add_line()
        window.editor.setPlainText("A line that is not retaken.")
        assert panel.render_lines("all")
        renders = panel.renders
        assert renders is not None
        await until(lambda: renders.finished, 60)
        take, other = script.take_of(script[0]), script[1].take_id
        assert take is not None and script[0].state is LineState.CURRENT
        panel.table.selectRow(0)  # the line's take is the one shown, to retake from
        assert window.take_view.take is take
        variants = window.retakes.generate(take, 6, 7, count=1)
        await until(lambda: variants.finished, 60)
        spliced = await window.retakes.keep(variants.variants[0])
        assert spliced.id != take.id
        assert script[0].take_id == spliced.id and script.take_of(script[0]) is spliced
        assert script[0].state is LineState.CURRENT and states(window)[0] == "current"
        assert script[1].take_id == other
        await window.retakes.undo()
        assert script[0].take_id == take.id and script[0].state is LineState.CURRENT
    run(loop, scenario())


def test_export_all_lines_as_flac_at_minus_16_lufs_named_n_id(
        window: MainWindow, loop: qasync.QEventLoop, tmp_path: Path) -> None:
    panel = window.script_panel
    out = tmp_path / "out"

    async def scenario() -> list[Path]:
        assert await window.script_files.import_lines(write_csv(tmp_path / "l.csv", 5))
        assert window.export_lines() is None  # nothing rendered yet: said, no dialog
        assert "render the script first" in window.statusBar().currentMessage()
        assert panel.render_lines([0, 1, 2, 4])
        renders = panel.renders
        assert renders is not None
        await until(lambda: renders.finished, 60)
        panel.export_button.click()  # the panel's Export all… opens the window's dialog
        dialog = window.export_dialog
        assert dialog is not None and len(dialog.items) == 4
        assert "1 line has no take and is left out (prompt_04)" in \
            window.statusBar().currentMessage()
        dialog.path_edit.setText(str(out))
        dialog.template.setText("{n}_{id}")
        dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("flac"))
        dialog.rate.setCurrentIndex(dialog.rate.findData(48000))
        dialog.target.setCurrentIndex(dialog.target.findData(-16.0))
        files: list[Path] = await dialog.export()
        dialog.close()
        return files

    files = run(loop, scenario(), 120)
    audio = sorted(p.name for p in files if p.suffix == ".flac")
    assert audio == ["1_prompt_01.flac", "2_prompt_02.flac", "3_prompt_03.flac",
                     "5_prompt_05.flac"]
    for name in audio:
        samples, rate = soundfile.read(out / name, dtype="float32")
        assert rate == 48000
        loudness = measure(samples, rate)
        assert loudness is not None and abs(loudness.lufs - -16.0) <= 0.5


def test_new_script_asks_before_an_untitled_script_is_let_go(
        window: MainWindow, loop: qasync.QEventLoop, tmp_path: Path) -> None:
    panel = window.script_panel

    async def scenario() -> None:
        assert await window.script_files.import_lines(write_csv(tmp_path / "l.csv", 3))
        kept = panel.script
        window.new_script()
        box = window.leave_box
        assert box.isVisible() and "3 lines and no file yet" in box.text()
        cancel = next(b for b in box.buttons() if box.buttonRole(b) ==
                      QMessageBox.ButtonRole.RejectRole)
        cancel.click()
        assert panel.script is kept and len(kept) == 3
        window.new_script()
        discard = next(b for b in window.leave_box.buttons() if b.text() == "Discard it")
        discard.click()
        await until(lambda: panel.script is not kept)
        assert len(panel.script) == 0 and panel.script.path is None
    run(loop, scenario())


def test_a_failed_line_says_why_and_the_others_go_on_and_cancel_stops(
        window: MainWindow, loop: qasync.QEventLoop, tmp_path: Path) -> None:
    panel = window.script_panel

    async def scenario() -> None:
        assert await window.script_files.import_lines(write_csv(tmp_path / "l.csv", 6))
        panel.script.update(2, language="xx")  # refused before sending: no such language
        panel.render_all_button.click()
        renders = panel.renders
        assert renders is not None
        await until(lambda: renders.finished, 60)
        assert states(window) == ["current", "current", "failed", "current", "current",
                                  "current"]
        why = panel.table.item(2, STATE).toolTip()
        assert why.startswith("the last render failed: ") and "'xx'" in why
        assert panel.progress_label.text() == "5 done · 1 failed · 0 remaining"
        assert panel.counts.text() == "5 current · 1 failed"
        panel.table.selectRow(2)
        assert "Line prompt_03 failed: " in window.statusBar().currentMessage()

        # Cancel: the lines rendered keep their takes, the others stay as they were.
        more = write_csv(tmp_path / "more.csv", 30)
        text = more.read_text("utf-8").replace("prompt_", "more_")
        more.write_text(text, "utf-8")
        assert await window.script_files.import_lines(more)
        panel.render_stale_button.click()
        again = panel.renders
        assert again is not None
        await until(lambda: again.counts().done >= 2, 60)
        panel.cancel_button.click()
        await until(lambda: again.finished, 60)
        done = again.counts().done
        assert done < 31 and "cancelled" in panel.progress_label.text()
        assert states(window).count("missing") + states(window).count("failed") == 31 - done
    run(loop, scenario(), 120)


@pytest.mark.sound
def test_enter_plays_a_line_and_renders_one_without_a_take(
        window: MainWindow, loop: qasync.QEventLoop, tmp_path: Path, qtbot: Any) -> None:
    panel, transport = window.script_panel, window.studio.transport

    async def scenario() -> None:
        assert await window.script_files.import_lines(write_csv(tmp_path / "l.csv", 2))
        panel.table.setFocus()
        panel.table.selectRow(1)
        qtbot.keyClick(panel.table, Qt.Key.Key_Return)  # no take: it is rendered
        renders = panel.renders
        assert renders is not None and [r.line.id for r in renders.all_rows] == [
            "prompt_02"]
        await until(lambda: renders.finished, 60)
        assert states(window) == ["missing", "current"]
        qtbot.keyClick(panel.table, Qt.Key.Key_Return)  # now it plays
        assert transport.take is panel.script.take_of(panel.script[1])
        await until(lambda: transport.holds_current or transport.problem is not None)
        transport.stop()
    run(loop, scenario())


def test_a_save_that_fails_is_said_and_changes_nothing(
        window: MainWindow, loop: qasync.QEventLoop, tmp_path: Path, read_only: Path) -> None:
    panel = window.script_panel

    async def scenario() -> None:
        assert await window.script_files.import_lines(write_csv(tmp_path / "l.csv", 2))
        assert await window.script_files.save(read_only / "nope.voicebooth") is None
        assert "The script was not saved" in window.banner.message()
        assert panel.script.path is None and len(panel.script) == 2
        saved = await window.script_files.save(tmp_path / "fine")  # the suffix is added
        assert saved == tmp_path / "fine.voicebooth" and saved.is_file()
    run(loop, scenario())


def test_keeping_a_pronunciation_makes_the_lines_that_say_it_stale(
        window: MainWindow, loop: qasync.QEventLoop, tmp_path: Path) -> None:
    """Tuning a word in the lexicon (or switching lexicons off) is a change the script
    sees: the lines that say the word turn stale, Render stale says them again."""
    panel = window.script_panel
    lines = tmp_path / "brand.csv"
    lines.write_text('id,text\nbrand,"Try Cartesia today."\nplain,"Nothing to tune."\n',
                     encoding="utf-8")

    async def scenario() -> None:
        assert await window.script_files.import_lines(lines)
        assert panel.render_lines("all")
        first = panel.renders
        assert first is not None
        await until(lambda: first.finished, 60)
        assert states(window) == ["current", "current"]
        await window.studio.lexicons.add(Entry("Cartesia", "car tee zha"))
        await until(lambda: states(window) == ["stale", "current"])
        assert panel.render_lines("stale")
        again = panel.renders
        assert again is not None and again is not first
        await until(lambda: again.finished, 60)
        assert states(window) == ["current", "current"]
        take = panel.script.take_of(panel.script[0])
        assert take is not None and [e.text for e in take.settings.lexicon] == ["Cartesia"]
        revision = panel.script.revision
        window.set_use_lexicons(False)
        assert states(window) == ["stale", "current"]
        window.set_use_lexicons(True)
        assert states(window) == ["current", "current"]
        assert panel.script.revision == revision  # nothing of the script to save

    run(loop, scenario(), 120)
