"""The export dialog, real widgets offscreen over a real studio: three espeak takes from
the offline engine exported into a folder by a template, one take to a file, presets."""

from __future__ import annotations

import json
from pathlib import Path

import pyloudnorm
import pytest
import qasync
import soundfile

from app.engine.synth.espeak import EspeakSynthesizer
from app.settings import EXPORT_FOLDER, EXPORT_TEMPLATE
from app.studio.export_presets import last_spec
from app.takes.take import Take, TakeSettings
from app.ui.export_dialog import ExportDialog, ExportItem
from app.ui.window import MainWindow
from tests.ui.conftest import run

ESPEAK_EN = "e5beac00-0000-4000-8000-00000000e001"
LINES = ("Welcome to the lighthouse.", "Mind the stairs, they are steep.",
         "The keeper comes back tomorrow.")


def record(window: MainWindow, loop: qasync.QEventLoop, text: str) -> Take:
    voice = next(v for v in EspeakSynthesizer().voices() if v.id == ESPEAK_EN)
    return run(loop, window.studio.recorder.record(
        TakeSettings(text=text, voice_id=voice.id, voice_name="espeak", sample_rate=22050),
        voice))


def test_three_takes_into_a_folder_named_by_the_template(
        window: MainWindow, loop: qasync.QEventLoop, tmp_path: Path) -> None:
    takes = [record(window, loop, text) for text in LINES]
    items = [ExportItem(take, n, f"line{n}") for n, take in enumerate(takes, start=1)]
    dialog = ExportDialog(window, window.studio, items)
    dialog.path_edit.setText(str(tmp_path / "out"))
    dialog.template.setText("{n:02}_{id}_{text}")
    assert dialog.preview.text() == ("01_line1_Welcome_to_the_lighthouse.wav, "
                                     "02_line2_Mind_the_stairs_they_are_steep.wav, "
                                     "03_line3_The_keeper_comes_back_tomorrow.wav")
    dialog.template.setText("{n}_{id}")
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("flac"))
    assert dialog.preview.text() == "1_line1.flac, 2_line2.flac, 3_line3.flac"
    dialog.rate.setCurrentIndex(dialog.rate.findData(48000))
    assert not dialog.limiter.isChecked() and not dialog.limiter.isEnabled()
    dialog.target.setCurrentIndex(dialog.target.findData(-16.0))
    assert dialog.limiter.isChecked()  # a target turns the limiter on
    dialog.trim.setChecked(True)
    dialog.json.setChecked(False)
    dialog.vtt.setChecked(True)
    written: list[list[Path]] = []
    dialog.exported.connect(written.append)
    files = run(loop, dialog.export())
    out = tmp_path / "out"
    assert sorted(f.name for f in out.iterdir()) == [
        "1_line1.flac", "1_line1.vtt", "2_line2.flac", "2_line2.vtt", "3_line3.flac",
        "3_line3.vtt"]
    assert written == [files] and len(files) == 6
    for n in (1, 2, 3):
        data, rate = soundfile.read(str(out / f"{n}_line{n}.flac"))
        assert rate == 48000
        assert pyloudnorm.Meter(rate).integrated_loudness(data) == pytest.approx(-16, abs=0.5)
    assert (out / "2_line2.vtt").read_text().startswith("WEBVTT\n\n1\n00:00:00.")
    # One row per file: loudness before → after.
    assert dialog.results.rowCount() == 3
    row = [dialog.results.item(1, c).text() for c in range(5)]
    assert row[0] == "✓ 2_line2.flac" and row[3].startswith("→ -16.0 LUFS")
    assert "Exported 3 files" in dialog.status.text()
    # Remembered for next time.
    settings = window.studio.settings
    assert settings.get(EXPORT_FOLDER) == str(out)
    assert settings.get(EXPORT_TEMPLATE) == "{n}_{id}"
    assert last_spec(settings) == dialog.spec()
    again = ExportDialog(window, window.studio, items)
    assert again.spec() == dialog.spec() and again.template.text() == "{n}_{id}"
    # A second export without overwriting: every file fails, each says why, none lost.
    before = (out / "1_line1.flac").read_bytes()
    assert run(loop, again.export()) == []
    assert again.results.rowCount() == 3
    assert "already exists" in again.results.item(0, 4).text()
    assert "3 of 3 files failed" in again.status.text()
    assert (out / "1_line1.flac").read_bytes() == before
    for d in (dialog, again):
        d.deleteLater()


def test_one_take_to_a_file_with_a_preset(window: MainWindow, loop: qasync.QEventLoop,
                                          tmp_path: Path) -> None:
    take = record(window, loop, LINES[0])
    dialog = ExportDialog(window, window.studio, [ExportItem(take, 1, take.id)], (0.1, 0.9))
    assert dialog.part.isChecked()
    dialog.path_edit.setText(str(tmp_path / "prompt.wav"))
    dialog.json.setChecked(True)
    dialog.preset.setCurrentIndex(dialog.preset.findData("IVR 8k μ-law"))
    dialog.preset.activated.emit(dialog.preset.currentIndex())
    spec = dialog.spec()
    assert (spec.wav_subtype, spec.sample_rate, spec.normalize_lufs) == ("ulaw", 8000, -18.0)
    assert spec.timings == frozenset({"json"})  # a preset leaves the timings alone
    files = run(loop, dialog.export())
    assert [f.name for f in files] == ["prompt.wav", "prompt.json"]
    info = soundfile.info(str(files[0]))
    assert (info.subtype, info.samplerate) == ("ULAW", 8000)
    assert info.duration < 0.85  # the selection, trimmed
    assert json.loads(files[1].read_text())["words"]
    # Changing the format renames the file; a setting away from the preset shows it.
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("flac"))
    assert dialog.path_edit.text().endswith("prompt.flac")
    assert dialog.preset.currentData() is None
    # A user preset: saved, chosen, deleted; the built-ins refuse.
    dialog.save_as_preset("Trailer VO")
    assert dialog.preset.currentData() == "Trailer VO" and dialog.delete_preset.isEnabled()
    dialog.save_as_preset("Raw WAV (sample-exact)")
    assert "built-in preset" in dialog.status.text()
    dialog.preset.setCurrentIndex(dialog.preset.findData("Trailer VO"))
    dialog.delete_preset.click()
    assert dialog.preset.findData("Trailer VO") == -1
    dialog.deleteLater()


def test_a_bad_template_blocks_export_and_says_why(window: MainWindow,
                                                   loop: qasync.QEventLoop) -> None:
    takes = [record(window, loop, text) for text in LINES[:2]]
    dialog = ExportDialog(window, window.studio,
                          [ExportItem(t, n, f"l{n}") for n, t in enumerate(takes, 1)])
    dialog.template.setText("{n}_{name}")
    assert not dialog.export_button.isEnabled()
    assert "unknown field {name}" in dialog.status.text()
    dialog.template.setText("{voice}")  # the same name twice: numbered, not overwritten
    assert dialog.preview.text() == "Espeak English (US).wav, Espeak English (US)-2.wav"
    assert dialog.export_button.isEnabled() and dialog.status.text() == ""
    dialog.deleteLater()
