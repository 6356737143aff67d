"""The icon set: Material Design Icons (the ``mdi6`` font qtawesome ships), by what they mean.

Widgets ask for ``icon("play")``, never for a glyph name, so the set can change in
one place. Icons are drawn from the font in the palette's text colour, so they
stay sharp at any scale (a 4K screen at 200%) and readable in light and dark.
The font is Pictogrammers' Material Design Icons (Apache-2.0), shipped in the
qtawesome wheel (MIT). We draw its glyphs ourselves, as qtawesome does (the glyph at
7/8 of the icon's height, centred), from the font file found without importing
qtawesome: its import goes through QtPy, which star-imports all of QtCore, QtGui and
QtWidgets and so makes shiboken build every wrapper, 0.3 s before the first paint.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QIcon,
    QIconEngine,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import QApplication

from app.errors import VoiceboothError
from app.ui import theme

#: The font and its glyph names, in qtawesome's ``fonts`` folder.
FONT_FILE: Final = "materialdesignicons6-webfont-6.9.96.ttf"
CHARMAP_FILE: Final = "materialdesignicons6-webfont-charmap-6.9.96.json"
#: qtawesome's size for a glyph: 7/8 of the icon's height.
GLYPH_SCALE: Final = 0.875


class IconFontMissing(VoiceboothError):
    """The icon font could not be found or loaded."""

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
    """The icon for ``name`` (a key of :data:`GLYPHS`), in ``color``.

    Without ``color`` the icon is drawn in the text colour of the palette in use
    each time it is painted, so it follows a switch between light and dark.
    """
    return QIcon(_GlyphEngine(_font().char(GLYPHS[name]), color))


@dataclass(frozen=True)
class _IconFont:
    family: str
    charmap: dict[str, str]

    def char(self, glyph: str) -> str:
        return chr(int(self.charmap[glyph.removeprefix("mdi6.")], 16))


def _font() -> _IconFont:
    """The font, registered with the application once (kept on it, not in this module)."""
    app = QApplication.instance()
    loaded = getattr(app, "voicebooth_icon_font", None)
    if isinstance(loaded, _IconFont):
        return loaded
    spec = importlib.util.find_spec("qtawesome")
    if spec is None or not spec.submodule_search_locations:
        raise IconFontMissing("the icon font is missing: qtawesome is not installed")
    folder = Path(next(iter(spec.submodule_search_locations))) / "fonts"
    font_id = QFontDatabase.addApplicationFont(str(folder / FONT_FILE))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        raise IconFontMissing(f"the icon font {folder / FONT_FILE} will not load")
    try:
        charmap = json.loads((folder / CHARMAP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IconFontMissing(f"the icon font's glyph names will not read: {exc}") from None
    loaded = _IconFont(families[0], charmap)
    if app is not None:
        app.voicebooth_icon_font = loaded  # type: ignore[attr-defined]
    return loaded


class _GlyphEngine(QIconEngine):
    """One glyph, drawn at the size asked in its colour (or the palette's of the moment;
    the palette's disabled text colour when the icon is disabled)."""

    def __init__(self, char: str, color: QColor | None) -> None:
        super().__init__()
        self.char = char
        self.color = color
        #: Drawn pixmaps by size, state and ink: a button asks again at every repaint
        #: (Play and Pause at each press of Play), and drawing the glyph is the cost.
        self._pixmaps: dict[tuple[int, int, int, int], QPixmap] = {}

    def _ink(self, mode: QIcon.Mode) -> QColor:
        palette = theme.app_palette()
        if mode == QIcon.Mode.Disabled:
            return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
        return self.color if self.color is not None else palette.color(
            QPalette.ColorRole.WindowText)

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode,
              state: QIcon.State) -> None:
        font = QFont(_font().family)
        font.setPixelSize(max(1, round(GLYPH_SCALE * rect.height())))
        painter.save()
        painter.setFont(font)
        painter.setPen(self._ink(mode))
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), self.char)
        painter.restore()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        # Qt asks in device pixels already (size × the screen's ratio): drawing at ratio 1
        # keeps a 200 % screen from scaling twice.
        key = (size.width(), size.height(), int(state.value), self._ink(mode).rgba())
        pixmap = self._pixmaps.get(key)
        if pixmap is None:
            pixmap = QPixmap(size)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            self.paint(painter, QRect(0, 0, size.width(), size.height()), mode, state)
            painter.end()
            self._pixmaps[key] = pixmap
        return pixmap

    def clone(self) -> QIconEngine:
        return _GlyphEngine(self.char, self.color)

