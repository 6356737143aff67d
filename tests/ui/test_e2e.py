"""The window end to end: find a voice, write markup, play, watch the words, export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import qasync
from PySide6.QtCore import Qt

from app.audio.wav import read_wav
from app.engine.synth.tones import VOICE_ID
from app.takes.take import TakeStatus
from app.ui.window import MainWindow
from tests.ui.conftest import current, run, until, watch_highlight

TEXT = 'Alpha beta <break time="200ms"/> gamma <speed ratio="0.8"/>delta epsilon.'


@pytest.mark.sound
def test_find_type_play_highlight_export(window: MainWindow, loop: qasync.QEventLoop,
                                         qtbot: Any, tmp_path: Path) -> None:
    # Find the voice by searching.
    qtbot.keyClicks(window.picker.search, "tones")
    assert window.picker.proxy.rowCount() == 1
    window.picker.select_first()
    assert window.voice is not None and window.voice.id == VOICE_ID
    # Type markup; it is valid, so Play is enabled.
    window.editor.clear()
    qtbot.keyClicks(window.editor, TEXT)
    window.editor.revalidate()
    assert window.generate_button.isEnabled()
    qtbot.mouseClick(window.generate_button, Qt.MouseButton.LeftButton)
    seen = run(loop, watch_highlight(window))
    take = current(window)
    assert take is not None and take.status is TakeStatus.DONE
    assert [w.text for w in take.words] == ["Alpha", "beta", "gamma", "delta", "epsilon."]
    # The highlight visited every word, in order, following the audio clock.
    assert seen == [0, 1, 2, 3, 4]
    # Export through the dialog, and compare with the take.
    window.open_export(take)
    dialog = window.export_dialog
    dialog.path_edit.setText(str(tmp_path / "take.wav"))
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("wav"))
    dialog.depth_combo.setCurrentIndex(dialog.depth_combo.findData("float32"))
    dialog.json.setChecked(True)
    dialog.srt.setChecked(True)
    files = run(loop, dialog.export())
    assert [f.name for f in files] == ["take.wav", "take.json", "take.srt"]
    np.testing.assert_array_equal(read_wav(files[0]).samples, take.samples)
    assert "Exported take.wav" in window.statusBar().currentMessage()
    # The take is in the history, saved the moment it finished (on a worker thread).
    run(loop, until(lambda: take.id in window.history_panel.ids()))
    stored = run(loop, window.studio.history.load(take.id))
    np.testing.assert_array_equal(stored.samples, take.samples)
    assert stored.phonemes == take.phonemes and stored.phonemes


def test_bad_markup_blocks_play_and_says_where(window: MainWindow) -> None:
    window.picker.search.setText("tones")
    window.picker.select_first()
    window.editor.setPlainText('Fine.\nThen <brek time="1s"/> and <speed ratio="9"/>.')
    window.editor.revalidate()
    assert not window.generate_button.isEnabled()
    text = window.problems.text()
    assert "line 2, column 6: unknown tag <brek>; did you mean <break>?" in text
    assert "speed ratio 9 is outside 0.6–1.5 on sonic-3" in text
    window.play()  # even via the shortcut path, nothing is sent
    assert current(window) is None
    assert "Fix the markup first" in window.banner.message()
    window.editor.setPlainText("Fine now.")
    window.editor.revalidate()
    assert window.generate_button.isEnabled() and window.problems.text() == ""


def test_models_change_controls_and_languages(window: MainWindow) -> None:
    controls = window.controls
    controls.model_box.setCurrentIndex(controls.model_box.findData("sonic-3.5"))
    assert not controls.speed.isEnabled() and not controls.volume.isEnabled()
    assert controls.emotion.isEnabled()
    window.editor.setPlainText('<speed ratio="1.2"/> hi')
    window.editor.revalidate()
    assert "not supported on sonic-3.5" in window.problems.text()
    controls.model_box.setCurrentIndex(controls.model_box.findData("sonic-2"))
    codes = [controls.language_box.itemData(i) for i in range(controls.language_box.count())]
    assert codes == ["en", "de", "es", "fr", "ja", "ko", "pt", "zh"]
    assert not controls.emotion.isEnabled()


def test_voice_and_language_disagree_warning(window: MainWindow) -> None:
    window.picker.search.setText("german")
    window.picker.select_first()
    assert window.controls.language() == "de"
    window.controls.set_language("fr")
    assert "speaks de, not fr" in window.controls.language_warning.text()


def test_a_runs_options_never_reach_the_settings_file(tmp_path: Path,
                                                       loop: qasync.QEventLoop) -> None:
    from app.settings import MODEL, OFFLINE_ONLY, Settings
    from app.studio.options import RunOptions
    from tests.ui.conftest import close_window, make_window

    window = make_window(tmp_path, RunOptions(offline=True, base_url="http://127.0.0.1:9",
                                              api_key="sk_run_only_12345678"))
    window.show()
    run(loop, window.studio.start())
    run(loop, window.studio.library.refresh())
    window.controls.model_box.setCurrentIndex(window.controls.model_box.findData("sonic-2"))
    close_window(loop, window)  # closing saves the settings
    path = tmp_path / "config" / "settings.json"
    raw = path.read_text()
    assert "sk_run_only" not in raw and "127.0.0.1:9" not in raw
    saved = Settings(path)
    assert saved.get(OFFLINE_ONLY) is False and saved.get(MODEL) == "sonic-2"
