"""An error banner across the top of the window: a specific message and a way to retry.

Never a modal dialog for what can be retried; the banner stays until dismissed
or replaced, and the window keeps working under it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class Banner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setStyleSheet("#banner { background: #8b1e1e; border-radius: 4px; } "
                           "#banner QLabel { color: white; } ")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.retry_button = QPushButton("Retry")
        self.close_button = QPushButton("Dismiss")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.retry_button)
        layout.addWidget(self.close_button)
        self.close_button.clicked.connect(self.dismiss)
        self.retry_button.clicked.connect(self._retry)
        self._retry_action: Callable[[], object] | None = None
        self.hide()

    def show_error(self, message: str, retry: Callable[[], object] | None = None) -> None:
        self.label.setText(message)
        self._retry_action = retry
        self.retry_button.setVisible(retry is not None)
        self.show()

    def message(self) -> str:
        return self.label.text() if self.isVisible() else ""

    def dismiss(self) -> None:
        self._retry_action = None
        self.hide()

    def _retry(self) -> None:
        action, self._retry_action = self._retry_action, None
        self.hide()
        if action is not None:
            action()
