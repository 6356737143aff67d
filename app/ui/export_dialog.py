"""The export dialog: WAV format, whole take or selection, timings beside it.

Opened with ``open()`` (never ``exec()``: the asyncio loop keeps running).
On Save it exports through the studio (off the loop) and remembers the
choices; ``exported`` gives the files written, ``failed`` says why not.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)

from app.audio.wav import WavFormat
from app.errors import VoiceboothError
from app.settings import EXPORT_FOLDER, EXPORT_FORMAT, EXPORT_JSON, EXPORT_SRT
from app.studio.studio import Studio
from app.takes.export import ExportSpec, TimingsKind
from app.takes.take import Take

FORMATS: tuple[tuple[str, WavFormat], ...] = (
    ("16-bit PCM (dithered from float)", "pcm16"), ("24-bit PCM", "pcm24"),
    ("32-bit float (exact)", "float32"))


class ExportDialog(QDialog):
    exported = Signal(list)  # the files written
    failed = Signal(str)

    def __init__(self, parent: QWidget | None, studio: Studio, take: Take,
                 selection: tuple[float, float] | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export take")
        self.studio, self.take = studio, take
        settings = studio.settings
        folder, name, fmt = settings.get(EXPORT_FOLDER), take.name, settings.get(EXPORT_FORMAT)
        timings_json, srt = settings.get(EXPORT_JSON), settings.get(EXPORT_SRT)
        self.path_edit = QLineEdit(str(Path(folder or Path.home()) / f"{_safe(name)}.wav"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        self.format = QComboBox()
        for label, value in FORMATS:
            self.format.addItem(label, value)
        self.format.setCurrentIndex(max(0, self.format.findData(fmt)))
        self.whole = QRadioButton("Whole take")
        self.part = QRadioButton("Selection" + (f" ({selection[0]:.2f}–{selection[1]:.2f} s)"
                                                if selection else " (none)"))
        self.part.setEnabled(selection is not None)
        (self.part if selection else self.whole).setChecked(True)
        self.selection = selection
        self.json = QCheckBox("Word and phoneme timings (.json)")
        self.json.setChecked(timings_json)
        self.srt = QCheckBox("Subtitles (.srt)")
        self.srt.setChecked(srt)
        self.overwrite = QCheckBox("Overwrite existing files")
        form = QFormLayout(self)
        form.addRow("File", row)
        form.addRow("Format", self.format)
        form.addRow("Audio", self.whole)
        form.addRow("", self.part)
        form.addRow("Beside it", self.json)
        form.addRow("", self.srt)
        form.addRow("", self.overwrite)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.accepted.connect(lambda: studio.background(self.export()))

    async def export(self) -> list[Path]:
        """Write what the dialog says; remember the choices for next time."""
        path, fmt = self.path(), self.wav_format()
        try:
            timings: set[TimingsKind] = set()
            if self.json.isChecked():
                timings.add("json")
            if self.srt.isChecked():
                timings.add("srt")
            result = await self.studio.export(
                self.take, path, ExportSpec(wav_subtype=fmt, timings=frozenset(timings)),
                selection=self.chosen_selection(), overwrite=self.overwrite.isChecked())
            files = result.files
        except VoiceboothError as exc:
            self.failed.emit(str(exc))
            return []
        settings = self.studio.settings
        settings.set(EXPORT_FOLDER, str(path.parent))
        settings.set(EXPORT_FORMAT, fmt)
        settings.set(EXPORT_JSON, self.json.isChecked())
        settings.set(EXPORT_SRT, self.srt.isChecked())
        self.exported.emit(files)
        return files

    def _browse(self) -> None:
        dialog = QFileDialog(self, "Export to", self.path_edit.text(), "WAV files (*.wav)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("wav")
        dialog.fileSelected.connect(self.path_edit.setText)
        dialog.open()

    def path(self) -> Path:
        return Path(self.path_edit.text()).expanduser()

    def wav_format(self) -> WavFormat:
        chosen: WavFormat = self.format.currentData()
        return chosen

    def chosen_selection(self) -> tuple[float, float] | None:
        return self.selection if self.part.isChecked() else None


def _safe(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in " -_" else "_" for c in name).strip()
    return cleaned[:60] or "take"
