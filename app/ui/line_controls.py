"""The controls of the next take: model, language, speed, volume, emotion, output format.

A view of a :class:`~app.studio.draft.Draft`: :meth:`LineControls.draft`
reads it, :meth:`LineControls.set_draft` shows one. Controls the chosen
model ignores are disabled, say why in their tooltip and are left out of the
draft (as the request leaves them out); they keep their value, so choosing a
model that has them again brings it back. The language list is the model's.

The output format (encoding, sample rate) is a choice made once per project,
not per line: it lives in a collapsed "Advanced" section whose header says
what is in use, so the main rows hold only what shapes the voice.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.audio.codecs import ENCODINGS, SAMPLE_RATES
from app.cartesia.models import Model, catalog
from app.markup import Dialect
from app.studio.draft import NEUTRAL, Draft, control
from app.ui import metrics
from app.ui.emotion_picker import EmotionPicker
from app.ui.notice import NoticeLabel

#: The output format a new line starts with (Draft's defaults), stated in the section.
DEFAULT_ENCODING = Draft(text="").encoding
DEFAULT_RATE = Draft(text="").sample_rate


class LineControls(QWidget):
    #: The model or the language changed: the editor checks markup for this dialect.
    dialectChanged = Signal(object)
    #: Any control changed (the window saves the line, a script line follows it).
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_box = QComboBox()
        for model in catalog().models:
            self.model_box.addItem(model.label, model.id)
        self.language_box = QComboBox()
        self.language_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.language_box.setMinimumContentsLength(12)
        self.language_warning = NoticeLabel()  # amber with its icon: a warning, not an error
        self.language_warning.setSizePolicy(QSizePolicy.Policy.Ignored,  # wraps, never widens
                                            QSizePolicy.Policy.Preferred)
        low, high = catalog().ranges["speed"]
        self.speed = _spin("speed ", low, high, 0.05)
        low, high = catalog().ranges["volume"]
        self.volume = _spin("volume ", low, high, 0.1)
        self.emotion = EmotionPicker()
        self.encoding = QComboBox()
        for encoding in ENCODINGS:
            self.encoding.addItem(encoding, encoding)
        self.encoding.setToolTip(f"How the samples are sent (default {DEFAULT_ENCODING}: "
                                 "32-bit float, no conversion loss)")
        self.rate = QComboBox()
        for rate in SAMPLE_RATES:
            self.rate.addItem(f"{rate} Hz", rate)
        self.rate.setToolTip(f"Samples per second (default {DEFAULT_RATE} Hz)")
        # A new line starts at the defaults the section states, not the lists' first items.
        self.encoding.setCurrentIndex(self.encoding.findData(DEFAULT_ENCODING))
        self.rate.setCurrentIndex(self.rate.findData(DEFAULT_RATE))
        first, second = QHBoxLayout(), QHBoxLayout()
        for row in (first, second):
            row.setSpacing(metrics.GAP)
        first.addWidget(self.model_box)
        first.addWidget(self.language_box)
        first.addWidget(self.language_warning, 1)
        for widget in (self.speed, self.volume, self.emotion):
            second.addWidget(widget)
        second.addStretch()
        self.advanced_button = QToolButton()
        self.advanced_button.setCheckable(True)
        self.advanced_button.setAutoRaise(True)
        self.advanced_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_button.setToolTip("Output format: encoding and sample rate")
        self.advanced = QWidget()
        form = QFormLayout(self.advanced)
        metrics.spaced(form, margin=0, spacing=metrics.TIGHT)
        form.setContentsMargins(metrics.LOOSE, 0, 0, 0)  # indented under its header
        form.addRow("Encoding", self.encoding)
        form.addRow("Sample rate", self.rate)
        defaults = QLabel(f"Defaults: {DEFAULT_ENCODING}, {DEFAULT_RATE} Hz. Exports "
                          "convert to any format and rate later.")
        defaults.setWordWrap(True)
        defaults.setFont(metrics.scaled(defaults.font(), metrics.CAPTION))
        form.addRow(defaults)
        self.advanced.setVisible(False)  # collapsed until asked for
        layout = QVBoxLayout(self)
        metrics.spaced(layout, margin=0, spacing=metrics.TIGHT)
        layout.addLayout(first)
        layout.addLayout(second)
        layout.addWidget(self.advanced_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.advanced)
        self.advanced_button.toggled.connect(self.show_advanced)
        for box in (self.encoding, self.rate):
            box.currentIndexChanged.connect(self._describe_format)
        self._describe_format()
        self.model_box.currentIndexChanged.connect(self._model_changed)
        self.language_box.currentIndexChanged.connect(self._language_changed)
        for box in (self.model_box, self.language_box, self.encoding, self.rate):
            box.currentIndexChanged.connect(self._changed)
        for spin in (self.speed, self.volume):
            spin.valueChanged.connect(self._changed)
        self.emotion.changed.connect(self._changed)
        self._model_changed()

    def model(self) -> Model:
        return catalog().get(self.model_box.currentData() or "sonic-3")

    def language(self) -> str:
        return str(self.language_box.currentData() or "en")

    def dialect(self) -> Dialect:
        return self.model().dialect(self.language())

    def draft(self, text: str) -> Draft:
        model = self.model()
        return Draft(text=text, model_id=model.id, language=self.language(),
                     speed=control(self.speed.value()) if model.supports("speed") else None,
                     volume=control(self.volume.value()) if model.supports("volume") else None,
                     emotion=self.emotion.value() if model.supports("emotion") else None,
                     encoding=str(self.encoding.currentData()),
                     sample_rate=int(self.rate.currentData()))

    def set_draft(self, draft: Draft) -> None:
        self.model_box.setCurrentIndex(max(0, self.model_box.findData(draft.model_id)))
        self.set_language(draft.language)
        self.speed.setValue(draft.speed if draft.speed is not None else NEUTRAL)
        self.volume.setValue(draft.volume if draft.volume is not None else NEUTRAL)
        self.emotion.set_value(draft.emotion)
        self.encoding.setCurrentIndex(max(0, self.encoding.findData(draft.encoding)))
        self.rate.setCurrentIndex(max(0, self.rate.findData(draft.sample_rate)))

    def show_advanced(self, shown: bool) -> None:
        """Open or collapse the output format section."""
        if self.advanced_button.isChecked() != shown:
            self.advanced_button.setChecked(shown)  # comes back here through toggled
            return
        self.advanced.setVisible(shown)
        self.advanced_button.setArrowType(Qt.ArrowType.DownArrow if shown
                                          else Qt.ArrowType.RightArrow)

    def _describe_format(self, *_: object) -> None:
        # The header says what is in use, so the collapsed section hides nothing.
        self.advanced_button.setText(
            f"Advanced · output {self.encoding.currentData()}, {self.rate.currentData()} Hz")
        self.advanced_button.setArrowType(Qt.ArrowType.DownArrow if self.advanced_button
                                          .isChecked() else Qt.ArrowType.RightArrow)

    def set_language(self, code: str) -> bool:
        index = self.language_box.findData(code)
        if index >= 0:
            self.language_box.setCurrentIndex(index)
        return index >= 0

    def _model_changed(self, *_: object) -> None:
        model = self.model()
        current = self.language_box.currentData()
        self.language_box.blockSignals(True)
        self.language_box.clear()
        for code in model.languages:
            self.language_box.addItem(f"{catalog().language_name(code)} ({code})", code)
        self.language_box.setCurrentIndex(max(0, self.language_box.findData(current)))
        self.language_box.blockSignals(False)
        for name, widget in (("speed", self.speed), ("volume", self.volume),
                             ("emotion", self.emotion)):
            widget.setEnabled(model.supports(name))
            widget.setToolTip(model.why_not(name))
        self._language_changed()

    def _language_changed(self, *_: object) -> None:
        self.dialectChanged.emit(self.dialect())

    def _changed(self, *_: object) -> None:
        self.changed.emit()


def _spin(prefix: str, low: float, high: float, step: float) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setPrefix(prefix)
    spin.setValue(NEUTRAL)
    return spin
