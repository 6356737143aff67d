"""Cards at the top of the voice picker: the first run's key invitation, and a failed load.

Both are inline (never a modal): the offline voices under them work the whole
time. The key card says what a key adds, so a designer can decide whether to
get one; the load card says why the server's voices are missing and offers Retry.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.ui import theme
from app.ui.icons import icon
from app.ui.metrics import GAP, MARGIN, TIGHT, TITLE, scaled, spaced
from app.ui.notice import is_palette_change

#: Where a Cartesia key is made (the playground's API keys page).
KEYS_URL: Final = "https://play.cartesia.ai/keys"
KEY_TITLE: Final = "Add your Cartesia key"
KEY_TEXT: Final = (
    "The offline voices below work now, with no key. A Cartesia API key adds "
    "Cartesia's voice library (hundreds of voices in over 40 languages), the Sonic "
    "models with emotion and speed controls, your own cloned voices and "
    "pronunciation dictionaries.")


class _Card(QFrame):
    """A rounded panel tinted with one of the theme's colours, repainted on a palette
    change (the appearance can switch while it shows)."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.glyph = QLabel()
        self.glyph.setAlignment(Qt.AlignmentFlag.AlignTop)
        self._styled: QColor | None = None

    def colour(self) -> QColor:
        raise NotImplementedError

    def glyph_name(self) -> str:
        raise NotImplementedError

    def restyle(self) -> None:
        colour = self.colour()
        if colour == self._styled:
            return  # setting the style sheet announces a palette change itself
        self._styled = colour
        tint = QColor(colour)
        tint.setAlpha(28)
        edge = QColor(colour)
        edge.setAlpha(110)
        self.setStyleSheet(
            f"#{self.objectName()} {{ background: {tint.name(QColor.NameFormat.HexArgb)};"
            f" border: 1px solid {edge.name(QColor.NameFormat.HexArgb)};"
            " border-radius: 6px; }")
        size = self.fontMetrics().height() + TIGHT
        self.glyph.setPixmap(icon(self.glyph_name(), colour).pixmap(QSize(size, size)))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if is_palette_change(event):
            self.restyle()


class KeyCard(_Card):
    """"Add your Cartesia key": what a key unlocks, and a button to the key field."""

    addKeyRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("key_card", parent)
        self.title = QLabel(KEY_TITLE)
        self.title.setFont(scaled(self.font(), TITLE, bold=True))
        self.text = QLabel(KEY_TEXT)
        self.text.setWordWrap(True)
        self.link = QLabel(f'No key yet? Make one at <a href="{KEYS_URL}">'
                           "play.cartesia.ai/keys</a>.")
        self.link.setWordWrap(True)  # unwrapped, it widened the window past 1024 px
        self.link.setOpenExternalLinks(True)
        self.link.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.button = QPushButton(icon("key"), "Add key…")
        self.button.setToolTip("Open Settings at the API key field (the key is kept in "
                               "your system's keyring)")
        self.button.clicked.connect(self.addKeyRequested)
        heading = QHBoxLayout()
        heading.setSpacing(GAP)
        heading.addWidget(self.glyph)
        heading.addWidget(self.title, 1)
        actions = QHBoxLayout()
        actions.setSpacing(GAP)
        actions.addWidget(self.button)
        actions.addWidget(self.link, 1)
        layout = QVBoxLayout(self)
        spaced(layout, MARGIN, TIGHT)
        layout.addLayout(heading)
        layout.addWidget(self.text)
        layout.addSpacing(TIGHT)
        layout.addLayout(actions)
        self.restyle()

    def colour(self) -> QColor:
        return theme.current().accent

    def glyph_name(self) -> str:
        return "key"


class LoadCard(_Card):
    """The server's voices could not be loaded: the reason, and Retry."""

    retryRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("load_card", parent)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.button = QPushButton(icon("refresh"), "Retry")
        self.button.setToolTip("Load the voice library again")
        self.button.clicked.connect(self.retryRequested)
        layout = QHBoxLayout(self)
        spaced(layout, GAP, GAP)
        layout.addWidget(self.glyph, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignTop)
        self.restyle()
        self.hide()

    def colour(self) -> QColor:
        return theme.current().error

    def glyph_name(self) -> str:
        return "error"

    def show_failure(self, reason: str) -> None:
        reason = reason.rstrip(".")
        self.text.setText(f"Cartesia's voices could not be loaded: {reason}. The offline "
                          "voices still work.")
        self.show()

    def message(self) -> str:
        return self.text.text() if not self.isHidden() else ""


__all__ = ["KEYS_URL", "KEY_TEXT", "KEY_TITLE", "KeyCard", "LoadCard"]
