"""The spacing grid and the type scale every panel is laid out on.

Spacing comes in steps of a 4 px grid (in device-independent pixels, so it
scales with the screen); text comes in four sizes relative to the system font,
so a user who enlarged their font gets a larger Voicebooth too.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLayout

#: The grid: tight (inside a group), normal (between controls), loose (between
#: groups) and the margin of a panel.
TIGHT: Final = 4
GAP: Final = 8
LOOSE: Final = 16
MARGIN: Final = 12

#: The type scale, as factors of the system font's point size.
CAPTION: Final = 0.85
BODY: Final = 1.0
TITLE: Final = 1.2
DISPLAY: Final = 1.6


def scaled(font: QFont, factor: float, *, bold: bool = False) -> QFont:
    """``font`` at one step of the type scale."""
    result = QFont(font)
    size = font.pointSizeF()
    if size > 0:
        result.setPointSizeF(size * factor)
    result.setBold(bold)
    return result


def spaced(layout: QLayout, margin: int = MARGIN, spacing: int = GAP) -> QLayout:
    """A layout on the grid: ``margin`` around it, ``spacing`` between its items."""
    layout.setContentsMargins(margin, margin, margin, margin)
    layout.setSpacing(spacing)
    return layout
