"""Messages in their kind's colour and icon: errors red, warnings amber, info blue.

One look for every inline message (the editor's problems, the language warning, a
dialog's status), so a warning never reads as an error and none of them is a
hard-coded colour that vanishes in dark mode.
"""

from __future__ import annotations

from typing import Final, Literal

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from app.ui import theme
from app.ui.icons import icon
from app.ui.metrics import GAP, TIGHT

Kind = Literal["error", "warning", "info", "success"]
KINDS: Final[tuple[Kind, ...]] = ("error", "warning", "info", "success")

#: The icon beside a message of each kind (a glyph as well as a colour, so the kind
#: reads without colour vision).
KIND_ICONS: Final[dict[str, str]] = {
    "error": "error", "warning": "warning", "info": "info", "success": "success"}


def kind_colour(kind: str, colours: theme.Theme | None = None) -> QColor:
    """The colour of a message of ``kind`` in the palette in use."""
    colours = colours or theme.current()
    if kind not in KIND_ICONS:
        raise ValueError(f"unknown message kind {kind!r}: one of {', '.join(KINDS)}")
    colour: QColor = getattr(colours, kind)
    return colour


def is_palette_change(event: QEvent) -> bool:
    return event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange)


class NoticeLabel(QWidget):
    """An inline message: the kind's icon, then the text in the kind's colour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind: str = ""
        self.icon_label = QLabel()
        self.icon_label.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.text_label = QLabel()
        self.text_label.setWordWrap(True)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, TIGHT, 0, TIGHT)
        layout.setSpacing(GAP)
        layout.addWidget(self.icon_label)
        layout.addWidget(self.text_label, 1)
        self._restyling = False
        self.hide()

    def set_notice(self, kind: str, text: str) -> None:
        """Show ``text`` as a message of ``kind`` (an empty text clears it)."""
        if not text:
            self.clear()
            return
        kind_colour(kind)  # an unknown kind fails here, not at the next repaint
        self.kind = kind
        self.text_label.setText(text)
        self._restyle()
        self.show()

    def clear(self) -> None:
        self.kind = ""
        self.text_label.clear()
        self.hide()

    def text(self) -> str:
        return self.text_label.text() if self.kind else ""

    def colour(self) -> QColor:
        return self.text_label.palette().color(self.text_label.foregroundRole())

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if is_palette_change(event) and self.kind:
            self._restyle()

    def _restyle(self) -> None:
        if self._restyling:
            return  # setting a style sheet sends change events of its own
        self._restyling = True
        try:
            colour = kind_colour(self.kind)
            side = self.text_label.fontMetrics().height()
            self.icon_label.setPixmap(icon(KIND_ICONS[self.kind], colour).pixmap(
                QSize(side, side), self.devicePixelRatioF()))
            # A style sheet, not a palette: an application style sheet re-polishes
            # widgets and would put back the palette they had before.
            self.text_label.setStyleSheet(f"color: {colour.name()};")
        finally:
            self._restyling = False
