"""A wrapping label that keeps the height of two lines whatever it says."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QLabel, QWidget


class SteadyLabel(QLabel):
    """Word-wrapped, and as tall as two lines when it says one or nothing.

    Beside a button, a label that wraps only for some texts changes the row's height,
    and everything above the row moves: the gain beside Match loudness wraps to
    "as recorded while streaming" at each Play and back to "−3.2 dB" after it, and the
    transcript editor jumped by a few pixels twice per take (and the window relaid
    out and repainted in the frame of the press of Play)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)

    def _two_lines(self) -> int:
        margins = self.contentsMargins()
        return 2 * self.fontMetrics().lineSpacing() + margins.top() + margins.bottom()

    def heightForWidth(self, width: int) -> int:
        return max(super().heightForWidth(width), self._two_lines())

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(hint.width(), max(hint.height(), self._two_lines()))

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(hint.width(), max(hint.height(), self._two_lines()))
