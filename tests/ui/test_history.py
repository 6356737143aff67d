"""The history in the window: takes told apart, found again by text, voice, stars and
note, reopened in the editor without generating, deleted with Undo, shown when
selected; A/B of two different lines refused with the reason; the matched gain shown."""

from __future__ import annotations

from typing import Any

import qasync
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.settings import MATCH_LOUDNESS, OUTPUT_DEVICE
from app.takes.take import TakeStatus
from app.ui.window import MainWindow
from tests.ui.conftest import current, run, until

LINES = ('Welcome to Voicebooth. <break time="300ms"/> Every word lights up.',
         "Goodbye for now.")


def record(window: MainWindow, loop: qasync.QEventLoop, *texts: str) -> list[str]:
    """Generate each text with the test tones voice; the history's ids, newest first."""
    window.settings.set(OUTPUT_DEVICE, "no-such-device-anywhere")  # the takes matter here
    window.picker.search.setText("tones")
    window.picker.select_first()
    before = len(window.history_panel.ids())
    for n, text in enumerate(texts, start=1):
        window.editor.setPlainText(text)
        window.editor.revalidate()
        window.play()
        run(loop, until(lambda n=n: len(window.history_panel.ids()) == before + n))
    return window.history_panel.ids()


def test_takes_are_told_apart_rated_noted_and_found(window: MainWindow,
                                                    loop: qasync.QEventLoop,
                                                    qtbot: Any) -> None:
    newest, oldest = record(window, loop, *LINES)
    panel = window.history_panel
    names = [panel.list.item(i).text() for i in range(2)]
    assert names == ["Test Tones · Goodbye for now.",
                     "Test Tones · Welcome to Voicebooth. Every word lights…"]
    record_ = window.studio.history.record(oldest)
    assert record_ is not None and record_.loudness is not None  # measured as it was kept
    # Rate by clicking the fourth star of the older take's row.
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton,
                     pos=panel.star_point(oldest, 4))
    run(loop, until(lambda: (r := window.studio.history.record(oldest)) is not None
                    and r.rating == 4))
    # A note on the newer one.
    panel.select(newest)
    panel.note.setText("client wants it slower")
    panel.note.editingFinished.emit()
    run(loop, until(lambda: (r := window.studio.history.record(newest)) is not None
                    and r.note == "client wants it slower"))
    # Filters: by stars, by the note, by the spoken words (markup in between), by voice.
    panel.rating_filter.setCurrentIndex(panel.rating_filter.findData(3))
    run(loop, until(lambda: panel.ids() == [oldest]))
    panel.rating_filter.setCurrentIndex(0)
    panel.search.setText("SLOWER")
    run(loop, until(lambda: panel.ids() == [newest]))
    panel.search.setText("voicebooth. every word")  # the break tag is not in the way
    run(loop, until(lambda: panel.ids() == [oldest]))
    panel.search.clear()
    assert panel.voice_filter.count() == 2  # all voices, and the one with takes
    panel.voice_filter.setCurrentIndex(1)
    run(loop, until(lambda: set(panel.ids()) == {oldest, newest}))
    panel.search.setText("no such words")
    run(loop, until(lambda: panel.ids() == []))
    assert panel.empty.isVisible() and "No take matches" in panel.empty.text()


def test_open_in_editor_restores_without_generating(window: MainWindow,
                                                    loop: qasync.QEventLoop) -> None:
    oldest = record(window, loop, *LINES)[1]
    window.editor.setPlainText("Something else entirely.")
    # The picker's search hides every voice: the take's voice is still the one restored.
    window.picker.search.setText("no voice is called this")
    window.voice = None
    started = window.studio.recorder.current
    window.history_panel.select(oldest)
    window.history_panel.open_button.click()
    run(loop, until(lambda: window.editor.toPlainText() == LINES[0]))
    assert window.voice is not None and window.voice.name == "Test Tones"
    assert window.studio.recorder.current is started  # nothing generated
    assert len(window.history_panel.ids()) == 2


def test_delete_with_the_key_then_undo(window: MainWindow, loop: qasync.QEventLoop) -> None:
    newest, oldest = record(window, loop, *LINES)
    panel = window.history_panel
    panel.select(oldest)
    panel.list.setFocus()
    QTest.keyClick(panel.list, Qt.Key.Key_Delete)
    run(loop, until(lambda: panel.ids() == [newest]))
    assert panel.undo_bar.isVisible() and "Welcome to Voicebooth" in panel.undo_label.text()
    panel.undo_button.click()
    run(loop, until(lambda: panel.ids() == [newest, oldest]))
    assert not panel.undo_bar.isVisible()
    # Both selected, deleted with the button; Ctrl+Z in the history brings both back.
    panel.select(newest, oldest)
    panel.delete_button.click()
    run(loop, until(lambda: panel.ids() == []))
    assert panel.undo_label.text() == "Deleted 2 takes."
    panel.list.setFocus()
    QTest.keyClick(panel.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    run(loop, until(lambda: panel.ids() == [newest, oldest]))
    assert sorted(panel.selected_ids()) == sorted([newest, oldest])


def test_selecting_a_take_shows_it_and_a_word_seeks_in_it(window: MainWindow,
                                                         loop: qasync.QEventLoop) -> None:
    newest, oldest = record(window, loop, *LINES)
    assert current(window) is not None and current(window).id == newest  # type: ignore[union-attr]
    window.history_panel.select(oldest)
    run(loop, until(lambda: (take := current(window)) is not None and take.id == oldest))
    take = current(window)
    assert take is not None and take.status is TakeStatus.DONE
    view = window.take_view
    assert view.waveform.take is take
    assert view.transcript.toPlainText().split() == [w.text for w in take.words]
    view.transcript.wordClicked.emit(2)  # "Every": it plays that take, from that word
    run(loop, until(lambda: window.studio.transport.problem is not None))
    assert current(window) is take


def test_ab_of_different_lines_is_refused_in_the_banner(window: MainWindow,
                                                       loop: qasync.QEventLoop) -> None:
    newest, oldest = record(window, loop, *LINES)
    window.history_panel.abRequested.emit(newest, oldest)
    run(loop, until(lambda: "say different things" in window.banner.message()))
    assert "Goodbye for now." in window.banner.message()
    # Not a connection problem: retrying (reconnecting) would not change the texts.
    assert window.banner.retry_button.isHidden()
    assert window.studio.transport.ab is None


def test_the_matched_gain_is_shown_and_the_toggle_kept(window: MainWindow,
                                                       loop: qasync.QEventLoop) -> None:
    (newest,) = record(window, loop, LINES[1])
    window.history_panel.select(newest)
    run(loop, until(lambda: window.gain_label.text().endswith("dB")))
    assert window.match_box.isChecked()
    window.match_box.setChecked(False)
    assert window.gain_label.text() == "matched off"
    assert window.settings.get(MATCH_LOUDNESS) is False
    assert not window.shortcuts["match"].isChecked()
    window.shortcuts["match"].trigger()  # Playback ▸ Match loudness (Ctrl+Shift+M)
    assert window.match_box.isChecked() and window.settings.get(MATCH_LOUDNESS) is True
    assert window.gain_label.text().endswith("dB")
