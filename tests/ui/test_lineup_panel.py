"""Compare voices in the real window, offline: rows appear with waveform, duration and
loudness; the keyboard steps through them and plays one; Play all hears each in turn;
"Use this voice" makes the winner the line's voice; sets are saved and picked."""

from __future__ import annotations

import re
from typing import Any

import qasync
from PySide6.QtCore import Qt

from app.engine.synth.espeak import EspeakSynthesizer
from app.engine.synth.tones import VOICE_ID
from app.studio.lineup import RowState, voice_sets
from app.ui.lineup_panel import DURATION, LOUDNESS, NAME, STATUS, WAVE, LineupPanel, MiniWave
from app.ui.window import MainWindow
from tests.ui.conftest import run, until

TEXT = "One two three."


def open_panel(window: MainWindow, qtbot: Any) -> tuple[LineupPanel, list[str]]:
    window.editor.setPlainText(TEXT)
    qtbot.mouseClick(window.compare_button, Qt.MouseButton.LeftButton)
    panel = window.lineup_panel
    window.shortcuts["compare"].trigger()  # the menu's action shows the same window
    assert window.lineup_panel is panel
    assert panel is not None and panel.isVisible()
    # The voices the test engine holds (the library lists Piper's too).
    espeak = [v.id for v in EspeakSynthesizer().voices()][:2]
    return panel, [VOICE_ID, *espeak]


def test_rows_keyboard_and_the_winner(window: MainWindow, loop: qasync.QEventLoop,
                                      qtbot: Any) -> None:
    panel, ids = open_panel(window, qtbot)
    panel.tick(ids)
    panel.parallel.setValue(2)
    qtbot.mouseClick(panel.render_button, Qt.MouseButton.LeftButton)
    lineup = panel.lineup
    assert lineup is not None and lineup.limit == 2
    assert panel.table.rowCount() == 3
    run(loop, until(lambda: lineup.finished))
    for index, row in enumerate(lineup.rows):
        assert row.state is RowState.DONE, row.status
        assert panel.table.item(index, NAME).text() == row.voice.name
        assert re.fullmatch(r"0:0\d\.\d", panel.table.item(index, DURATION).text())
        assert re.fullmatch(r"-\d+\.\d LUFS", panel.table.item(index, LOUDNESS).text())
        assert panel.table.item(index, STATUS).text() == "done"
        wave = panel.table.cellWidget(index, WAVE)
        assert isinstance(wave, MiniWave) and wave.take is row.take
    # Every take of the comparison is in the history like any other.
    run(loop, until(lambda: {r.take.id for r in lineup.rows if r.take}
                    <= {rec.id for rec in window.studio.history.records}))

    transport = window.studio.transport
    panel.table.setFocus()
    panel.table.selectRow(0)
    qtbot.keyClick(panel.table, Qt.Key.Key_Down)
    assert panel.table.currentRow() == 1
    qtbot.keyClick(panel.table, Qt.Key.Key_Space)
    assert transport.take is lineup.rows[1].take
    qtbot.keyClick(panel.table, Qt.Key.Key_Down)
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    assert transport.take is lineup.rows[2].take
    transport.stop()

    qtbot.mouseClick(panel.use_button, Qt.MouseButton.LeftButton)
    assert window.voice is not None and window.voice.id == lineup.rows[2].voice.id
    picked = window.picker.selected_voice()
    assert picked is not None and picked.id == lineup.rows[2].voice.id


def test_play_all_hears_each_voice_in_turn(window: MainWindow, loop: qasync.QEventLoop,
                                           qtbot: Any) -> None:
    panel, ids = open_panel(window, qtbot)
    panel.tick(ids)
    qtbot.mouseClick(panel.render_button, Qt.MouseButton.LeftButton)
    lineup = panel.lineup
    assert lineup is not None
    run(loop, until(lambda: lineup.finished))
    transport = window.studio.transport
    heard: list[object] = []

    def note(*_: object) -> None:
        if transport.take is not None and (not heard or heard[-1] is not transport.take):
            heard.append(transport.take)

    unsubscribe = transport.events.connect(note)
    qtbot.mouseClick(panel.play_all_button, Qt.MouseButton.LeftButton)
    playing = panel.playback.in_turn
    assert playing is not None
    run(loop, until(playing.done, 30))
    unsubscribe()
    assert heard == [row.take for row in lineup.rows]
    assert panel.table.currentRow() == len(lineup.rows) - 1  # the rows followed along


def test_a_pick_is_saved_as_a_set_and_picked_again(window: MainWindow,
                                                   loop: qasync.QEventLoop,
                                                   qtbot: Any) -> None:
    panel, ids = open_panel(window, qtbot)
    panel.tick(ids[:2])
    qtbot.mouseClick(panel.save_set_button, Qt.MouseButton.LeftButton)
    assert "name the voice set" in panel.status.text()
    qtbot.keyClicks(panel.set_name, "Duo")
    qtbot.mouseClick(panel.save_set_button, Qt.MouseButton.LeftButton)
    assert list(voice_sets(window.settings)) == ["Duo"]
    assert sorted(voice_sets(window.settings)["Duo"]) == sorted(ids[:2])
    panel.tick([])
    assert not panel.render_button.isEnabled()
    panel.sets.setCurrentIndex(0)
    panel.sets.activated.emit(0)
    assert sorted(panel.ticked_ids()) == sorted(ids[:2])
    assert panel.render_button.isEnabled()
