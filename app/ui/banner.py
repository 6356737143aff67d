"""A banner across the top of the window: a specific message and a way to retry.

Never a modal dialog for what can be retried; the banner stays until dismissed
or replaced, and the window keeps working under it. Errors, warnings and info
each have their own colour and icon (a warning is amber, never red), taken from
the palette in use, so the banner follows a switch between light and dark.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QSize
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from app.ui import theme
from app.ui.icons import icon
from app.ui.metrics import GAP, MARGIN, TIGHT
from app.ui.notice import KIND_ICONS, is_palette_change, kind_colour

BANNER_KINDS = ("error", "warning", "info")


def mix(a: QColor, b: QColor, part: float) -> QColor:
    """``a`` with ``part`` of ``b`` in it (an opaque tint, the same on any backdrop)."""
    return QColor(round(a.red() + (b.red() - a.red()) * part),
                  round(a.green() + (b.green() - a.green()) * part),
                  round(a.blue() + (b.blue() - a.blue()) * part))


class Banner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.kind = "error"
        self.icon_label = QLabel()
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.retry_button = QPushButton("Retry")
        self.retry_button.setIcon(icon("refresh"))
        self.close_button = QPushButton()
        self.close_button.setIcon(icon("close"))
        self.close_button.setToolTip("Dismiss")
        self.close_button.setAccessibleName("Dismiss")
        self.close_button.setFlat(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(MARGIN, GAP, GAP, GAP)
        layout.setSpacing(GAP)
        layout.addWidget(self.icon_label)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.retry_button)
        layout.addWidget(self.close_button)
        self.close_button.clicked.connect(self.dismiss)
        self.retry_button.clicked.connect(self._retry)
        self._retry_action: Callable[[], object] | None = None
        self._restyling = False
        self.hide()

    def show(self, kind: str = "", message: str = "",
             retry: Callable[[], object] | None = None) -> None:
        """Show ``message`` as an ``"error"``, a ``"warning"`` or ``"info"``."""
        if not kind:  # QWidget.show(): the banner as it stands
            super().show()
            return
        if kind not in BANNER_KINDS:
            raise ValueError(f"unknown banner kind {kind!r}: one of {', '.join(BANNER_KINDS)}")
        self.kind = kind
        self.label.setText(message)
        self._retry_action = retry
        self.retry_button.setVisible(retry is not None)
        self._restyle()
        super().show()

    def show_error(self, message: str, retry: Callable[[], object] | None = None) -> None:
        self.show("error", message, retry)

    def message(self) -> str:
        return self.label.text() if self.isVisible() else ""

    def colour(self) -> QColor:
        return kind_colour(self.kind)

    def dismiss(self) -> None:
        self._retry_action = None
        self.hide()

    def _retry(self) -> None:
        action, self._retry_action = self._retry_action, None
        self.hide()
        if action is not None:
            action()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if is_palette_change(event):
            self._restyle()

    def _restyle(self) -> None:
        if self._restyling:
            return  # a style sheet set here sends a change event of its own
        self._restyling = True
        try:
            colours = theme.current()
            colour = kind_colour(self.kind, colours)
            # A tint of the kind's colour over the window, its full colour as the
            # edge: readable text in light and dark, the kind obvious at a glance.
            fill = mix(colours.background, colour, 0.18 if colours.dark else 0.12)
            self.setStyleSheet(
                f"#banner {{ background: {fill.name()}; border: 1px solid {colour.name()}; "
                f"border-left: {TIGHT}px solid {colour.name()}; border-radius: {TIGHT}px; }}")
            side = self.label.fontMetrics().height() + TIGHT
            self.icon_label.setPixmap(icon(KIND_ICONS[self.kind], colour).pixmap(
                QSize(side, side), self.devicePixelRatioF()))
            self.retry_button.setIcon(icon("refresh"))
            self.close_button.setIcon(icon("close"))
        finally:
            self._restyling = False
