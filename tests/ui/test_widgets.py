"""Widgets on their own: waveform, transcript, editor, picker, history, dialogs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import qasync
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage

from app import credentials
from app.cartesia.voices_types import Locale, Voice
from app.settings import OUTPUT_DEVICE, Settings
from app.studio.endpoints import Endpoints
from app.studio.options import RunOptions
from app.takes.take import Take, TakeSettings, TakeStatus
from app.takes.timings import Timing
from app.ui import theme
from app.ui.markup_editor import MarkupEditor, insert_actions
from app.ui.settings_dialog import SettingsDialog
from app.ui.transcript import TranscriptView
from app.ui.voice_picker import STAR, VoicePicker
from app.ui.waveform import WaveformView
from app.ui.window import MainWindow
from tests.ui.conftest import current, run, until

RATE = 8000


def take_with_burst() -> Take:
    """Silence, then a loud burst at 1-2 s, then silence: 4 s at 8 kHz."""
    take = Take(TakeSettings(text="a b", voice_id="v", sample_rate=RATE))
    x = np.zeros(4 * RATE, np.float32)
    x[RATE:2 * RATE] = 0.9 * np.sin(np.arange(RATE) / 3)
    take.append_audio(x)
    take.add_words([Timing("a", 1.0, 1.5), Timing("b", 1.5, 2.0)])
    take.finish(TakeStatus.DONE)
    return take


def grab(view: WaveformView) -> QImage:
    return view.canvas.grab().toImage()


def column_has(image: QImage, x: int, color: QColor, height: int) -> bool:
    return any(QColor(image.pixel(x, y)).name() == color.name() for y in range(height))


def test_waveform_paints_peaks_playhead_and_selection(qtbot: Any) -> None:
    view = WaveformView()
    qtbot.addWidget(view)
    view.resize(400, 150)
    view.show()
    view.set_take(take_with_burst())
    colors = theme.current()
    image = grab(view)
    height = view.canvas.height() - 20
    # 4 s over 400 px: the burst fills x 100..200; silence elsewhere is a flat line.
    assert column_has(image, 120, colors.wave, height)
    mid = height // 2
    assert QColor(image.pixel(50, mid - 20)).name() != colors.wave.name()
    view.set_playhead(3 * RATE)
    assert column_has(grab(view), 300, colors.playhead, height)
    # Drag to select 0.5–1.0 s: the selection signal.
    seen: list[tuple[int, int]] = []
    view.selectionChanged.connect(lambda a, b: seen.append((a, b)))
    qtbot.mousePress(view.canvas, Qt.MouseButton.LeftButton, pos=QPoint(50, 40))
    qtbot.mouseMove(view.canvas, QPoint(100, 40))
    qtbot.mouseRelease(view.canvas, Qt.MouseButton.LeftButton, pos=QPoint(100, 40))
    per_pixel = 4 * RATE // 400
    assert seen and seen[-1] == (50 * per_pixel, 100 * per_pixel)
    assert view.selection() == (4000, 8000)
    # A click seeks and clears the selection.
    seeks: list[int] = []
    view.seekRequested.connect(seeks.append)
    qtbot.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=QPoint(200, 40))
    assert seeks == [200 * per_pixel] and view.selection() is None


def test_a_take_with_no_audio_yet_shows_the_silent_line_of_silence(qtbot: Any) -> None:
    """At the press of Play nothing has arrived: the line is drawn without building the
    peaks' image, and must look as the image of silence does."""
    views = []
    for frames in (0, 1):
        view = WaveformView()
        qtbot.addWidget(view)
        view.resize(400, 150)
        view.show()
        take = Take(TakeSettings(text="a b", voice_id="v", sample_rate=RATE))
        take.append_audio(np.zeros(frames, np.float32))
        view.set_take(take)
        views.append(view)
    empty, silent = (grab(view) for view in views)
    height = views[0].canvas.height() - 20  # above the ruler
    colors = theme.current()
    assert column_has(empty, 10, colors.wave, height)  # the line is there
    assert all(empty.pixel(x, y) == silent.pixel(x, y)
               for x in range(0, 400, 7) for y in range(height))


def test_waveform_zoom_keeps_the_point_under_the_cursor(qtbot: Any) -> None:
    view = WaveformView()
    qtbot.addWidget(view)
    view.resize(400, 150)
    view.show()
    view.set_take(take_with_burst())
    before = view.frame_at(100)
    view.zoom(0.25, around_x=100)
    assert abs(view.frame_at(100) - before) <= view.frames_per_pixel() + 1
    first, last = view.visible_span()
    assert last - first == pytest.approx(RATE, rel=0.02)  # 4 s / 4
    assert view.scrollbar.isVisible()


def test_waveform_paint_asks_for_pixels_not_samples(qtbot: Any) -> None:
    view = WaveformView()
    qtbot.addWidget(view)
    view.resize(300, 120)
    view.show()
    take = take_with_burst()
    calls: list[int] = []
    original = take.peaks.query

    def counting(start: int, end: int, n: int, samples: Any = None) -> Any:
        calls.append(n)
        return original(start, end, n, samples)

    take.peaks.query = counting  # type: ignore[method-assign]
    view.set_take(take)
    grab(view)
    assert calls and max(calls) <= 300 * view.canvas.devicePixelRatioF()


def test_transcript_highlight_and_click(qtbot: Any) -> None:
    view = TranscriptView()
    qtbot.addWidget(view)
    view.resize(400, 100)
    view.show()
    view.set_words([Timing("Hello", 0, 1)])
    view.add_words([Timing("there", 1, 2), Timing("world.", 2, 3)])
    assert view.toPlainText() == "Hello there world."
    view.set_current(1)
    (selection,) = view.extraSelections()
    assert selection.cursor.selectedText() == "there"
    clicked: list[int] = []
    view.wordClicked.connect(clicked.append)
    rect = view.cursorRect(view.textCursor())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert clicked == [1]
    assert view.word_at_offset(len("Hello there w")) == 2


def test_editor_underlines_and_inserts(qtbot: Any) -> None:
    editor = MarkupEditor()
    qtbot.addWidget(editor)
    editor.show()
    changes: list[list[Any]] = []
    editor.diagnosticsChanged.connect(changes.append)
    editor.setPlainText("Say <brek/> now")
    editor.revalidate()
    assert changes and changes[-1][0].start.column == 5
    assert not editor.is_valid()
    block = editor.document().firstBlock()
    formats = block.layout().formats()
    assert any(f.format.underlineStyle().name == "WaveUnderline" and f.start == 4
               for f in formats)
    editor.setPlainText("Hello")
    editor.revalidate()
    assert editor.is_valid()
    cursor = editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    editor.setTextCursor(cursor)
    actions = {a.text(): a for a in insert_actions(editor, editor)}
    actions["Break"].trigger()
    assert editor.toPlainText() == 'Hello<break time="500ms"/>'
    assert editor.textCursor().selectedText() == "500ms"
    editor.setPlainText("My name is Nguyen")
    cursor = editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    editor.setTextCursor(cursor)
    palette = editor.open_palette()
    for symbol in ("ŋ", "w", "ɪ", "n"):
        palette.buttons[symbol].click()
    palette.insert_button.click()
    assert editor.toPlainText() == "My name is <<ŋ|w|ɪ|n>>"
    editor.revalidate()
    assert editor.is_valid()


def voices() -> list[Voice]:
    return [Voice("1", "Ada", "calm narrator", "en", "feminine",
                  locales=(Locale("en-US", True),)),
            Voice("2", "Bruno", "energetic", "de", "masculine", is_owner=True),
            Voice("3", "Clara", "offline calm", "fr", "feminine", offline=True)]


def test_picker_filters_sorts_and_favourites(qtbot: Any) -> None:
    picker = VoicePicker()
    qtbot.addWidget(picker)
    picker.set_voices(voices())
    assert picker.proxy.rowCount() == 3
    qtbot.keyClicks(picker.search, "calm")
    assert picker.proxy.rowCount() == 2
    picker.search.clear()
    picker.gender.setCurrentIndex(picker.gender.findData("feminine"))
    assert picker.proxy.rowCount() == 2
    picker.source.setCurrentIndex(picker.source.findData("offline"))
    assert picker.proxy.rowCount() == 1
    picker.source.setCurrentIndex(0)
    picker.gender.setCurrentIndex(0)
    picker.owner.setCurrentIndex(picker.owner.findData("mine"))
    assert picker.proxy.rowCount() == 1
    picker.owner.setCurrentIndex(0)
    picker.language.setCurrentIndex(picker.language.findData("fr"))
    assert picker.proxy.rowCount() == 1
    picker.language.setCurrentIndex(0)
    toggled: list[str] = []
    picker.on_favourite_toggled(toggled.append)
    index = picker.proxy.index(0, STAR)
    picker.table.clicked.emit(index)
    assert toggled == ["1"]  # the library decides and tells back:
    picker.model.set_favourites(toggled)
    picker.favourites_only.setChecked(True)
    assert picker.proxy.rowCount() == 1
    selected: list[Voice] = []
    picker.voiceSelected.connect(selected.append)
    picker.select("1")
    assert selected[-1].name == "Ada" and "calm narrator" in picker.details.text()


def test_filtering_never_changes_the_chosen_voice(qtbot: Any) -> None:
    # Found driving the window: typing "espeak" chose Espeak Swedish, and Swedish.
    picker = VoicePicker()
    qtbot.addWidget(picker)
    picker.set_voices(voices())
    chosen: list[Voice] = []
    picker.voiceSelected.connect(chosen.append)
    picker.select("1")
    qtbot.keyClicks(picker.search, "energetic")  # only Bruno is left
    assert picker.proxy.rowCount() == 1
    assert picker.selected_voice() is None
    assert "Ada" in picker.details.text() and "Hidden by the filter" in picker.details.text()
    picker.search.clear()  # Ada is back, and still the one chosen
    selected = picker.selected_voice()
    assert selected is not None and selected.id == "1"
    assert {v.id for v in chosen} == {"1"}


@pytest.mark.keyring
def test_settings_dialog_stores_the_key_in_the_keyring(qtbot: Any, tmp_path: Path,
                                                       loop: qasync.QEventLoop) -> None:
    settings = Settings(tmp_path / "settings.json")
    endpoints = Endpoints(settings, RunOptions(offline=True))
    dialog = SettingsDialog(None, settings, endpoints)
    qtbot.addWidget(dialog)
    changes: list[object] = []
    endpoints.events.connect(changes.append)
    try:
        run(loop, dialog.wait_idle())
        assert dialog.key_status.text() == "The keyring holds no key."
        assert "--offline" in dialog.run_note.text()  # this run's flag, not a setting
        dialog.key.setText("sk_dialog_secret_1234")
        dialog.store_button.click()
        run(loop, dialog.wait_idle())
        assert credentials.read_keyring() == "sk_dialog_secret_1234"
        assert "…1234" in dialog.key_status.text()
        assert dialog.key.text() == ""
        assert changes  # the studio is told to look the key up again
        dialog.base_url.setText("http://127.0.0.1:9")
        dialog.accept()
        raw = (tmp_path / "settings.json").read_text()
        assert "sk_dialog_secret" not in raw
        values = json.loads(raw)["values"]
        assert values["base_url"] == "http://127.0.0.1:9"
        assert values["offline_only"] is False  # --offline never persists
        dialog.remove_button.click()
        run(loop, dialog.wait_idle())
        assert credentials.read_keyring() is None
    finally:
        credentials.delete_key()
        run(loop, endpoints.close())


def test_settings_test_button_reports_a_refused_server(qtbot: Any, tmp_path: Path,
                                                       loop: qasync.QEventLoop) -> None:
    settings = Settings(tmp_path / "settings.json")
    dialog = SettingsDialog(None, settings)
    qtbot.addWidget(dialog)
    dialog.base_url.setText("http://127.0.0.1:9")
    run(loop, dialog.test_key())
    assert dialog.test_result.text().startswith("The test failed: cannot connect to "
                                                "http://127.0.0.1:9")


def test_no_sound_device_banner_and_the_take_still_completes(window: MainWindow,
                                                            loop: qasync.QEventLoop,
                                                            tmp_path: Path) -> None:
    window.settings.set(OUTPUT_DEVICE, "no-such-device-anywhere")
    window.picker.search.setText("tones")
    window.picker.select_first()
    window.editor.setPlainText("Still generated.")
    window.editor.revalidate()
    window.play()
    run(loop, until(lambda: (take := current(window)) is not None
                    and take.status is not TakeStatus.STREAMING
                    and "No playback:" in window.banner.message()))
    assert "still work" in window.banner.message()
    take = current(window)
    assert take is not None and take.status is TakeStatus.DONE
    result = run(loop, window.studio.export(take, tmp_path / "x.wav"))
    assert result.files and result.files[0].exists()


def test_history_rename_delete_and_ab(window: MainWindow, loop: qasync.QEventLoop) -> None:
    window.settings.set(OUTPUT_DEVICE, "no-such-device-anywhere")  # quick: no playback
    window.picker.search.setText("tones")
    window.picker.select_first()
    for count, text in enumerate(("Same line here.", "Same line <break time='200ms'/> here."),
                                 start=1):
        window.editor.setPlainText(text)
        window.editor.revalidate()
        window.play()
        run(loop, until(lambda n=count: len(window.history_panel.ids()) == n))
    ids = window.history_panel.ids()
    assert len(ids) == 2
    window.history_panel.renameRequested.emit(ids[0], "Keeper")
    run(loop, until(lambda: window.history_panel.list.item(0).text() == "Keeper"))
    window.history_panel.abRequested.emit(ids[0], ids[1])
    transport = window.studio.transport
    run(loop, until(lambda: transport.ab is not None))
    first = current(window)
    assert first is not None and first.id == ids[0] and first.name == "Keeper"
    # The status names both takes, by their own names.
    message = window.statusBar().currentMessage()
    assert "A “Keeper”" in message and "B “Test Tones · Same line here.”" in message
    window.switch_ab()
    second = current(window)
    assert second is not first and second is not None and second.id == ids[1]
    window.history_panel.deleteRequested.emit([ids[1]])
    run(loop, until(lambda: window.history_panel.ids() == [ids[0]]))
