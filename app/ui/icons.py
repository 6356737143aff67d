"""The icon set: Material Design Icons (qtawesome's ``mdi6`` font), by what they mean.

Widgets ask for ``icon("play")``, never for a glyph name, so the set can change in
one place. Icons are drawn from the font in the palette's text colour, so they
stay sharp at any scale (a 4K screen at 200%) and readable in light and dark.
The font is Pictogrammers' Material Design Icons (Apache-2.0), shipped in the
qtawesome wheel (MIT).
"""

from __future__ import annotations

import os
from typing import Final

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

os.environ.setdefault("QT_API", "pyside6")  # qtawesome goes through QtPy: use our binding

#: What an icon means → its glyph in the mdi6 font.
GLYPHS: Final[dict[str, str]] = {
    "play": "mdi6.play",
    "pause": "mdi6.pause",
    "stop": "mdi6.stop",
    "loop": "mdi6.repeat",
    "ab": "mdi6.alpha-b-box-outline",
    "export": "mdi6.export-variant",
    "import": "mdi6.import",
    "open": "mdi6.folder-open-outline",
    "save": "mdi6.content-save-outline",
    "new": "mdi6.file-document-outline",
    "settings": "mdi6.cog-outline",
    "search": "mdi6.magnify",
    "refresh": "mdi6.refresh",
    "compare": "mdi6.account-multiple-outline",
    "preview": "mdi6.play-circle-outline",
    "star": "mdi6.star",
    "star-outline": "mdi6.star-outline",
    "delete": "mdi6.delete-outline",
    "rename": "mdi6.rename-outline",
    "rerun": "mdi6.restart",
    "retake": "mdi6.content-cut",
    "undo": "mdi6.undo",
    "redo": "mdi6.redo",
    "find": "mdi6.text-search",
    "help": "mdi6.help-circle-outline",
    "keyboard": "mdi6.keyboard-outline",
    "info": "mdi6.information-outline",
    "warning": "mdi6.alert-outline",
    "error": "mdi6.alert-circle-outline",
    "success": "mdi6.check-circle-outline",
    "close": "mdi6.close",
    "key": "mdi6.key-outline",
    "cloud": "mdi6.cloud-outline",
    "offline": "mdi6.laptop",
    "tag-break": "mdi6.timer-sand",
    "tag-speed": "mdi6.speedometer",
    "tag-volume": "mdi6.volume-high",
    "tag-emotion": "mdi6.emoticon-outline",
    "tag-spell": "mdi6.alphabetical-variant",
    "tag-pronunciation": "mdi6.account-voice",
    "lab": "mdi6.flask-outline",
    "lexicon": "mdi6.book-alphabet",
    "script": "mdi6.script-text-outline",
    "volume": "mdi6.volume-high",
    "level": "mdi6.equalizer",
    "find-previous": "mdi6.chevron-up",
    "find-next": "mdi6.chevron-down",
    "cut": "mdi6.content-cut",
    "copy": "mdi6.content-copy",
    "paste": "mdi6.content-paste",
    "select-all": "mdi6.select-all",
    "markup": "mdi6.code-tags",
    "about": "mdi6.information-variant",
    "generate": "mdi6.waveform",
}


def icon(name: str, color: QColor | None = None) -> QIcon:
    """The icon meaning ``name``, in ``color`` (default: the palette's text colour).

    Without ``color`` the icon is drawn in the text colour of the palette in use
    each time it is painted, so it follows a switch between light and dark.
    """
    glyph = GLYPHS[name]
    if color is None:
        return QIcon(_PaletteIconEngine(glyph))
    return _drawn(glyph, color)


def _drawn(glyph: str, color: QColor) -> QIcon:
    import qtawesome  # imported on first use: it builds its font cache then

    disabled = _palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
    result: QIcon = qtawesome.icon(glyph, color=color, color_disabled=disabled)
    return result


class _PaletteIconEngine(QIconEngine):
    """A glyph drawn in the palette's text colour of the moment it is painted."""

    def __init__(self, glyph: str) -> None:
        super().__init__()
        self.glyph = glyph

    def _now(self) -> QIcon:
        return _drawn(self.glyph, _palette().color(QPalette.ColorRole.WindowText))

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode,
              state: QIcon.State) -> None:
        self._now().paint(painter, rect, Qt.AlignmentFlag.AlignCenter, mode, state)

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        # Qt asks in device pixels already (size × the screen's ratio): drawing at ratio 1
        # keeps a 200 % screen from scaling twice.
        return self._now().pixmap(size, 1.0, mode, state)

    def clone(self) -> QIconEngine:
        return _PaletteIconEngine(self.glyph)


def _palette() -> QPalette:
    app = QApplication.instance()
    return app.palette() if isinstance(app, QApplication) else QPalette()
