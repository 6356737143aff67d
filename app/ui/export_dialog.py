"""The export dialog: WAV format, whole take or selection, timings beside it.

Opened with ``open()`` (never ``exec()``: the asyncio loop keeps running);
the window handles ``accepted``.
"""

from __future__ import annotations

from pathlib import Path

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

FORMATS: tuple[tuple[str, WavFormat], ...] = (
    ("16-bit PCM (dithered from float)", "pcm16"), ("24-bit PCM", "pcm24"),
    ("32-bit float (exact)", "float32"))


class ExportDialog(QDialog):
    def __init__(self, parent: QWidget | None, *, folder: str, name: str, fmt: str,
                 selection: tuple[float, float] | None, timings_json: bool, srt: bool
                 ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export take")
        self.path = QLineEdit(str(Path(folder or Path.home()) / f"{_safe(name)}.wav"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
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

    def _browse(self) -> None:
        dialog = QFileDialog(self, "Export to", self.path.text(), "WAV files (*.wav)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("wav")
        dialog.fileSelected.connect(self.path.setText)
        dialog.open()

    def choice(self) -> dict[str, object]:
        return {"path": Path(self.path.text()).expanduser(),
                "fmt": self.format.currentData(),
                "selection": self.selection if self.part.isChecked() else None,
                "timings_json": self.json.isChecked(), "srt": self.srt.isChecked(),
                "overwrite": self.overwrite.isChecked()}


def _safe(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in " -_" else "_" for c in name).strip()
    return cleaned[:60] or "take"
