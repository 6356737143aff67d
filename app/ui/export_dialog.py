"""The export dialog: one take to a file, or many into a folder named by a template.

Opened with ``open()`` (never ``exec()``: the asyncio loop keeps running). The
choices follow Audacity's export dialog (format, then its options) with what a
voice designer delivers on top: a preset, loudness with a true-peak ceiling,
trim, fades, timings beside the audio. Export runs through the studio off the
loop; the dialog stays open and lists each file with its loudness before and
after, or why it failed (the other files are still written). ``exported``
gives the files written, ``failed`` a summary of what was not.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.audio.timefmt import format_time
from app.errors import VoiceboothError
from app.settings import EXPORT_FOLDER, EXPORT_TEMPLATE
from app.studio.export_jobs import ExportItem, ExportOutcome, export_items, planned_paths
from app.studio.export_presets import ExportPresets, last_spec, remember
from app.studio.studio import Studio
from app.takes.export import ExportFormat, ExportSpec, TimingsKind, WavSubtype
from app.takes.naming import safe_stem
from app.ui import theme
from app.ui.metrics import spaced
from app.ui.notice import NoticeLabel

__all__ = ["ExportDialog", "ExportItem"]

FORMATS: tuple[tuple[str, ExportFormat], ...] = (
    ("WAV", "wav"), ("FLAC (lossless)", "flac"), ("MP3", "mp3"), ("Ogg Opus", "opus"))
DEPTHS: tuple[tuple[str, WavSubtype], ...] = (
    ("16-bit PCM (dithered)", "pcm16"), ("24-bit PCM", "pcm24"),
    ("32-bit float (exact)", "float32"), ("8-bit μ-law (telephony)", "ulaw"),
    ("8-bit A-law (telephony)", "alaw"))
RATES: tuple[int, ...] = (8000, 16000, 22050, 24000, 44100, 48000)
TARGETS: tuple[tuple[str, float | None], ...] = (
    ("Off (as generated)", None), ("−23 LUFS  broadcast (EBU R128)", -23.0),
    ("−16 LUFS  podcast, games", -16.0), ("−14 LUFS  streaming", -14.0))
CUSTOM = "custom"
COLUMNS = ("File", "Length", "Before", "After", "Note")
#: How many names the template's preview shows.
PREVIEW_NAMES = 3


class ExportDialog(QDialog):
    exported = Signal(list)  # the files written
    failed = Signal(str)

    def __init__(self, parent: QWidget | None, studio: Studio, items: list[ExportItem],
                 selection: tuple[float, float] | None = None) -> None:
        super().__init__(parent)
        if not items:
            raise ValueError("nothing to export")
        self.studio, self.items, self.selection = studio, items, selection
        self.many = len(items) > 1
        self.presets = ExportPresets(studio.settings)
        self.setWindowTitle(f"Export {len(items)} takes" if self.many else "Export take")
        self._busy = False
        spec = last_spec(studio.settings)
        folder = studio.settings.get(EXPORT_FOLDER) or str(Path.home())

        layout = QVBoxLayout(self)
        spaced(layout)
        layout.addWidget(self._destination(folder, spec))
        layout.addWidget(self._preset_row())
        row = QHBoxLayout()
        row.addWidget(self._format_box(), 1)
        row.addWidget(self._loudness_box(), 1)
        layout.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(self._edit_box(), 1)
        row.addWidget(self._beside_box(), 1)
        layout.addLayout(row)
        self.results = QTableWidget(0, len(COLUMNS))
        self.results.setHorizontalHeaderLabels(COLUMNS)
        self.results.verticalHeader().setVisible(False)
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.setWordWrap(False)
        header = self.results.horizontalHeader()
        for column in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.results.setMinimumHeight(120)
        self.results.setToolTip("Each file's integrated loudness and true peak, before and "
                                "after the export")
        layout.addWidget(self.results, 1)
        buttons = QHBoxLayout()
        self.overwrite = QCheckBox("Overwrite existing files")
        self.status = NoticeLabel()
        self.export_button = QPushButton("Export")
        self.export_button.setDefault(True)
        self.close_button = QPushButton("Close")
        buttons.addWidget(self.overwrite)
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.export_button)
        layout.addLayout(buttons)

        self.set_spec(spec)
        self._normalizing = spec.normalize_lufs is not None
        self.target.currentIndexChanged.connect(self._target_chosen)
        self.export_button.clicked.connect(lambda: studio.background(self.export()))
        self.close_button.clicked.connect(self.reject)
        for signal in (self.format_combo.currentIndexChanged, self.depth_combo.currentIndexChanged,
                       self.rate.currentIndexChanged, self.channels.currentIndexChanged,
                       self.target.currentIndexChanged, self.custom.valueChanged,
                       self.ceiling.valueChanged, self.limiter.toggled, self.trim.toggled,
                       self.pad.valueChanged, self.fade_in.valueChanged,
                       self.fade_out.valueChanged):
            signal.connect(self._changed)
        self._changed()

    # --- building -----------------------------------------------------------------------

    def _destination(self, folder: str, spec: ExportSpec) -> QGroupBox:
        box = QGroupBox("Save to")
        form = QFormLayout(box)
        browse = QPushButton("Browse…")
        browse.setAutoDefault(False)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        if self.many:
            self.path_edit = QLineEdit(folder)
            row.addWidget(self.path_edit, 1)
            row.addWidget(browse)
            form.addRow("Folder", row)
            self.template = QLineEdit(self.studio.settings.get(EXPORT_TEMPLATE))
            self.template.setToolTip("Fields: {n} (number; {n:03} pads to 001), {id}, "
                                     "{voice}, {text} (first words), {date}")
            self.template.textChanged.connect(self._changed)
            form.addRow("File names", self.template)
            self.preview = QLabel("")
            self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow("", self.preview)
        else:
            take = self.items[0].take
            stem = safe_stem(take.name, fallback="take")
            self.path_edit = QLineEdit(str(Path(folder) / f"{stem}{spec.extension}"))
            row.addWidget(self.path_edit, 1)
            row.addWidget(browse)
            form.addRow("File", row)
            self.whole = QRadioButton(f"Whole take ({format_time(take.duration)})")
            self.part = QRadioButton(
                "Selection" + (f" ({format_time(self.selection[0])} – "
                               f"{format_time(self.selection[1])})" if self.selection
                               else " (none)"))
            self.part.setEnabled(self.selection is not None)
            (self.part if self.selection else self.whole).setChecked(True)
            audio = QHBoxLayout()
            audio.addWidget(self.whole)
            audio.addWidget(self.part)
            audio.addStretch(1)
            form.addRow("Audio", audio)
        return box

    def _preset_row(self) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Preset"))
        self.preset = QComboBox()
        self.preset.setMinimumContentsLength(24)
        self._fill_presets()
        self.preset.activated.connect(self._apply_preset)
        layout.addWidget(self.preset, 1)
        self.save_preset = QPushButton("Save as preset…")
        self.save_preset.setAutoDefault(False)
        self.save_preset.clicked.connect(self._ask_preset_name)
        self.delete_preset = QPushButton("Delete")
        self.delete_preset.setAutoDefault(False)
        self.delete_preset.clicked.connect(self._delete_preset)
        layout.addWidget(self.save_preset)
        layout.addWidget(self.delete_preset)
        return row

    def _format_box(self) -> QGroupBox:
        box = QGroupBox("Format")
        form = QFormLayout(box)
        self.format_combo = QComboBox()
        for label, value in FORMATS:
            self.format_combo.addItem(label, value)
        self.depth_combo = QComboBox()
        for label, depth in DEPTHS:
            self.depth_combo.addItem(label, depth)
        self.rate = QComboBox()
        rate = self.items[0].take.sample_rate
        self.rate.addItem(f"Keep ({rate / 1000:g} kHz)" if not self.many else "Keep", None)
        for hz in RATES:
            self.rate.addItem(f"{hz / 1000:g} kHz", hz)
        self.channels = QComboBox()
        self.channels.addItem("Mono", 1)
        self.channels.addItem("Stereo (both channels the same)", 2)
        form.addRow("Format", self.format_combo)
        form.addRow("Samples", self.depth_combo)
        form.addRow("Sample rate", self.rate)
        form.addRow("Channels", self.channels)
        return box

    def _loudness_box(self) -> QGroupBox:
        box = QGroupBox("Loudness")
        form = QFormLayout(box)
        self.target = QComboBox()
        for label, lufs in TARGETS:
            self.target.addItem(label, lufs)
        self.target.addItem("Custom", CUSTOM)
        self.custom = QDoubleSpinBox()
        self.custom.setRange(-70.0, 0.0)
        self.custom.setDecimals(1)
        self.custom.setSingleStep(0.5)
        self.custom.setSuffix(" LUFS")
        self.custom.setValue(-18.0)
        self.ceiling = QDoubleSpinBox()
        self.ceiling.setRange(-20.0, 0.0)
        self.ceiling.setDecimals(1)
        self.ceiling.setSingleStep(0.5)
        self.ceiling.setSuffix(" dBTP")
        self.limiter = QCheckBox("Limit peaks to reach the target")
        self.limiter.setToolTip("A look-ahead limiter takes the few loudest peaks down "
                                "(no clipping). Off: one gain for the whole take, so a "
                                "peaky take stays under the target.")
        target_row = QHBoxLayout()
        target_row.addWidget(self.target, 1)
        target_row.addWidget(self.custom)
        form.addRow("Target", target_row)
        form.addRow("True-peak ceiling", self.ceiling)
        form.addRow("", self.limiter)
        return box

    def _edit_box(self) -> QGroupBox:
        box = QGroupBox("Edit")
        form = QFormLayout(box)
        self.trim = QCheckBox("Trim silence at both ends")
        self.pad = _ms_box(0, 5000)
        trim_row = QHBoxLayout()
        trim_row.addWidget(self.trim)
        trim_row.addWidget(QLabel("keep"))
        trim_row.addWidget(self.pad)
        trim_row.addStretch(1)
        self.fade_in = _ms_box(0, 10000)
        self.fade_out = _ms_box(0, 10000)
        fades = QHBoxLayout()
        fades.addWidget(QLabel("in"))
        fades.addWidget(self.fade_in)
        fades.addWidget(QLabel("out"))
        fades.addWidget(self.fade_out)
        fades.addStretch(1)
        form.addRow("Trim", trim_row)
        form.addRow("Fades", fades)
        return box

    def _beside_box(self) -> QGroupBox:
        box = QGroupBox("Timings beside the audio")
        layout = QVBoxLayout(box)
        self.json = QCheckBox("Words and phonemes (.json)")
        self.srt = QCheckBox("Subtitles (.srt)")
        self.vtt = QCheckBox("Web subtitles (.vtt)")
        for check in (self.json, self.srt, self.vtt):
            layout.addWidget(check)
        layout.addStretch(1)
        return box

    # --- the spec shown -----------------------------------------------------------------

    def set_spec(self, spec: ExportSpec) -> None:
        """Show ``spec`` in the controls (a preset, or the last export)."""
        self.format_combo.setCurrentIndex(max(0, self.format_combo.findData(spec.format)))
        self.depth_combo.setCurrentIndex(max(0, self.depth_combo.findData(spec.wav_subtype)))
        index = 0
        if spec.sample_rate is not None:
            index = self.rate.findData(spec.sample_rate)
            if index < 0:
                self.rate.addItem(f"{spec.sample_rate / 1000:g} kHz", spec.sample_rate)
                index = self.rate.count() - 1
        self.rate.setCurrentIndex(index)
        self.channels.setCurrentIndex(1 if spec.channels == 2 else 0)
        target = self.target.findData(spec.normalize_lufs)
        if spec.normalize_lufs is not None and target < 0:
            target = self.target.findData(CUSTOM)
            self.custom.setValue(spec.normalize_lufs)
        self.target.setCurrentIndex(max(0, target))
        self.ceiling.setValue(spec.true_peak_db)
        self.limiter.setChecked(spec.limiter)
        self.trim.setChecked(spec.trim)
        self.pad.setValue(spec.pad_ms)
        self.fade_in.setValue(spec.fade_in_ms)
        self.fade_out.setValue(spec.fade_out_ms)
        self.json.setChecked("json" in spec.timings)
        self.srt.setChecked("srt" in spec.timings)
        self.vtt.setChecked("vtt" in spec.timings)

    def spec(self) -> ExportSpec:
        """The spec the controls say."""
        fmt: ExportFormat = self.format_combo.currentData()
        depth: WavSubtype = self.depth_combo.currentData()
        target = self.target.currentData()
        lufs = self.custom.value() if target == CUSTOM else target
        timings: set[TimingsKind] = set()
        for kind, check in (("json", self.json), ("srt", self.srt), ("vtt", self.vtt)):
            if check.isChecked():
                timings.add(kind)  # type: ignore[arg-type]
        return ExportSpec(
            format=fmt, wav_subtype=depth if fmt in ("wav", "flac") else "pcm16",
            sample_rate=self.rate.currentData(), channels=self.channels.currentData(),
            normalize_lufs=lufs, true_peak_db=self.ceiling.value(),
            limiter=self.limiter.isChecked(), trim=self.trim.isChecked(),
            pad_ms=self.pad.value(), fade_in_ms=self.fade_in.value(),
            fade_out_ms=self.fade_out.value(), timings=frozenset(timings))

    def _target_chosen(self) -> None:
        # Turning loudness on turns the limiter on: speech peaks ~20 dB over its
        # loudness, so without it most targets are missed (the note would say so).
        normalizing = self.target.currentData() is not None
        if normalizing and not self._normalizing:
            self.limiter.setChecked(True)
        self._normalizing = normalizing

    def _changed(self) -> None:
        """Keep the controls consistent with each other and the preview current."""
        fmt = self.format_combo.currentData()
        model = self.depth_combo.model()
        for row in range(self.depth_combo.count()):
            allowed = fmt == "wav" or (fmt == "flac" and row < 2)
            item = model.item(row)  # type: ignore[attr-defined]
            item.setEnabled(allowed)
        if fmt == "flac" and self.depth_combo.currentIndex() >= 2:
            self.depth_combo.setCurrentIndex(1)
        self.depth_combo.setEnabled(fmt in ("wav", "flac"))
        normalizing = self.target.currentData() is not None
        self.custom.setVisible(self.target.currentData() == CUSTOM)
        self.ceiling.setEnabled(normalizing)
        self.limiter.setEnabled(normalizing)
        self.pad.setEnabled(self.trim.isChecked())
        if not self.many:
            self._follow_extension()
        else:
            self._preview()
        spec = self.spec()
        match = self.presets.find(spec)
        self.preset.blockSignals(True)
        self.preset.setCurrentIndex(self.preset.findData(match.name) if match else 0)
        self.preset.blockSignals(False)
        self.delete_preset.setEnabled(match is not None and not match.builtin)
        self._check(spec)

    def _check(self, spec: ExportSpec) -> None:
        try:
            spec.check()
            if self.many:
                planned_paths(self.items[:1], Path("."), self.template.text(), spec)
        except VoiceboothError as exc:
            self._say(str(exc), error=True)
            self.export_button.setEnabled(False)
            return
        if not self._busy:
            self._say("")
            self.export_button.setEnabled(True)

    def _follow_extension(self) -> None:
        """A single file's name follows the format (take.wav → take.flac)."""
        path = Path(self.path_edit.text())
        extension = ExportSpec(format=self.format_combo.currentData()).extension
        if path.suffix.lower() in (".wav", ".flac", ".mp3", ".opus", ".ogg", ""):
            wanted = path.with_name(path.stem + extension) if path.suffix else path
            if wanted != path and path.name:
                self.path_edit.setText(str(wanted))

    def _preview(self) -> None:
        try:
            paths = planned_paths(self.items[:PREVIEW_NAMES], Path("."), self.template.text(),
                                  self.spec())
        except VoiceboothError:
            self.preview.setText("")
            return
        more = len(self.items) - len(paths)
        self.preview.setText(", ".join(p.name for p in paths)
                             + (f", … ({more} more)" if more > 0 else ""))

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.set_notice("error" if error else "info", text)
        self.status.setToolTip(text)

    # --- presets ------------------------------------------------------------------------

    def _fill_presets(self) -> None:
        self.preset.blockSignals(True)
        self.preset.clear()
        self.preset.addItem("(custom settings)", None)
        for preset in self.presets.all():
            self.preset.addItem(preset.name + ("" if preset.builtin else "  (yours)"),
                                preset.name)
        self.preset.blockSignals(False)

    def _apply_preset(self) -> None:
        name = self.preset.currentData()
        if name is None:
            return
        keep = self.spec().timings  # a preset sets the audio; the timings stay the user's
        spec = self.presets.get(name).spec
        self.set_spec(ExportSpec(**{**spec.__dict__, "timings": keep}))

    def _ask_preset_name(self) -> None:
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Save preset")
        dialog.setLabelText("Name of the preset:")
        dialog.textValueSelected.connect(self.save_as_preset)
        dialog.open()

    def save_as_preset(self, name: str) -> None:
        try:
            self.presets.save(name, self.spec())
        except VoiceboothError as exc:
            self._say(str(exc), error=True)
            return
        self._fill_presets()
        self._changed()
        self._say(f"Preset “{' '.join(name.split())}” saved.")

    def _delete_preset(self) -> None:
        name = self.preset.currentData()
        if name is None:
            return
        try:
            self.presets.delete(name)
        except VoiceboothError as exc:
            self._say(str(exc), error=True)
            return
        self._fill_presets()
        self._changed()

    # --- exporting ----------------------------------------------------------------------

    def _browse(self) -> None:
        if self.many:
            dialog = QFileDialog(self, "Export into", self.path_edit.text())
            dialog.setFileMode(QFileDialog.FileMode.Directory)
            dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        else:
            spec = self.spec()
            dialog = QFileDialog(self, "Export to", self.path_edit.text(),
                                 f"{spec.format.upper()} files (*{spec.extension})")
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.setDefaultSuffix(spec.extension.lstrip("."))
        dialog.fileSelected.connect(self.path_edit.setText)
        dialog.open()

    def path(self) -> Path:
        return Path(self.path_edit.text()).expanduser()

    def chosen_selection(self) -> tuple[float, float] | None:
        if self.many:
            return None
        return self.selection if self.part.isChecked() else None

    async def export(self) -> list[Path]:
        """Write every file; list each with its loudness, or why it failed. Returns the
        files written; remembers the folder, spec and template."""
        if self._busy:
            return []
        spec = self.spec()
        try:
            if self.many:
                folder = self.path()
                paths = planned_paths(self.items, folder, self.template.text(), spec)
            else:
                paths = [self.path()]
                folder = paths[0].parent
        except VoiceboothError as exc:
            self._say(str(exc), error=True)
            return []
        self._busy = True
        self.export_button.setEnabled(False)
        self.results.setRowCount(0)
        done = 0

        def progress(outcome: ExportOutcome) -> None:
            nonlocal done
            done += 1
            self.show_outcome(outcome)
            self._say(f"Exporting… {done} of {len(paths)}")

        self._say(f"Exporting… 0 of {len(paths)}")
        try:
            if self.many and not folder.is_dir():
                folder.mkdir(parents=True, exist_ok=True)
            outcomes = await export_items(self.items, paths, spec,
                                          overwrite=self.overwrite.isChecked(),
                                          selection=self.chosen_selection(),
                                          progress=progress)
        except OSError as exc:
            outcomes = []
            self._say(f"cannot create {folder}: {exc.strerror or exc}", error=True)
        finally:
            self._busy = False
            self.export_button.setEnabled(True)
        files = [f for o in outcomes if o.result is not None for f in o.result.files]
        failures = [o for o in outcomes if not o.ok]
        if outcomes and not failures:
            remember(self.studio.settings, spec, folder=str(folder),
                     template=self.template.text() if self.many else None)
        if failures or not outcomes:
            summary = (f"{len(failures)} of {len(paths)} files failed" if self.many and
                       outcomes else (failures[0].error if failures else "nothing exported"))
            self._say(summary, error=True)
            self.failed.emit(summary)
        else:
            self._say(f"Exported {len(outcomes)} file{'s' if len(outcomes) > 1 else ''} "
                      f"to {folder}")
        if files:
            self.exported.emit(files)
        return files


    def show_outcome(self, outcome: ExportOutcome) -> None:
        """One row: the file, its length, loudness before and after, and any note."""
        row = self.results.rowCount()
        self.results.insertRow(row)
        result = outcome.result
        if result is None:
            cells = [f"✗ {outcome.path.name}", "", "", "", outcome.error]
        else:
            before = _level(result.before.lufs if result.before else None,
                            result.true_peak_before)
            after = _level(result.after.lufs if result.after else None, result.true_peak_db)
            extra = [p.suffix for p in result.files[1:]]
            notes = ([f"with {' '.join(extra)}"] if extra else []) + result.notes
            cells = [f"✓ {outcome.path.name}", format_time(result.duration), before,
                     f"→ {after}", "; ".join(notes)]
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            if result is None:
                item.setForeground(theme.current().error)
            self.results.setItem(row, column, item)
        self.results.scrollToBottom()


def _level(lufs: float | None, peak: float | None) -> str:
    text = f"{lufs:.1f} LUFS" if lufs is not None else "— LUFS"
    return text + (f"  {peak:.1f} dBTP" if peak is not None else "")


def describe(outcome: ExportOutcome) -> str:
    """One line per file: "002_intro.flac   −24.5 LUFS −4.0 dBTP → −16.0 LUFS −1.1 dBTP"."""
    name = outcome.path.name
    if outcome.result is None:
        return f"✗ {name}: {outcome.error}"
    result = outcome.result

    def level(lufs: float | None, peak: float | None) -> str:
        text = f"{lufs:.1f} LUFS" if lufs is not None else "— LUFS"
        return text + (f" {peak:.1f} dBTP" if peak is not None else "")

    before = level(result.before.lufs if result.before else None, result.true_peak_before)
    after = level(result.after.lufs if result.after else None, result.true_peak_db)
    line = f"✓ {name}  {format_time(result.duration)}  {before} → {after}"
    extra = [p.name for p in result.files[1:]]
    if extra:
        line += f"  (+ {', '.join(extra)})"
    return line + "".join(f"\n    {note}" for note in result.notes)


def _ms_box(low: int, high: int) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(0)
    box.setSingleStep(10)
    box.setSuffix(" ms")
    return box
