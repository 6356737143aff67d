"""Colours that follow the palette in use, so light and dark both read well.

Widgets that paint with these colours ask :func:`current` at paint time, and
repaint on ``QEvent.PaletteChange`` (the appearance switched live), so nothing
keeps a colour of the palette that was in use when it was built.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class Theme:
    background: QColor
    wave: QColor
    playhead: QColor
    played: QColor
    selection: QColor
    word_line: QColor
    word_current: QColor
    ruler: QColor
    tag: QColor
    attribute: QColor
    value: QColor
    phonemes: QColor
    error: QColor
    highlight: QColor
    dark: bool
    #: Something that did not stop the work but needs a look: amber, never red.
    warning: QColor
    #: Neutral news (a tip, a state): blue.
    info: QColor
    #: Something finished well: green.
    success: QColor
    #: The one brand colour: selected items, the primary button, links.
    accent: QColor
    #: The level meter's bands: safe, loud, clipping.
    meter_low: QColor
    meter_mid: QColor
    meter_high: QColor
    #: The keyboard focus ring.
    focus: QColor


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def current() -> Theme:
    return for_palette(app_palette())


def app_palette() -> QPalette:
    """The application's palette (a default one before the application exists)."""
    app = QApplication.instance()
    return app.palette() if isinstance(app, QApplication) else QPalette()


class Colours:
    """:func:`current`, made again only when the application's palette changes. A
    widget that paints many times a second keeps one: making a theme is two dozen
    colours (about 0.1 ms), and the waveform asked for it three or four times a paint."""

    def __init__(self) -> None:
        self._made: tuple[int, Theme] | None = None

    def __call__(self) -> Theme:
        palette = app_palette()
        key = palette.cacheKey()
        if self._made is None or self._made[0] != key:
            self._made = (key, for_palette(palette))
        return self._made[1]


def for_palette(palette: QPalette) -> Theme:
    dark = is_dark(palette)
    base = palette.color(QPalette.ColorRole.Base)
    accent = palette.color(QPalette.ColorRole.Highlight)
    return Theme(
        background=base,
        wave=QColor("#5b8def") if dark else QColor("#2f6fd6"),
        playhead=QColor("#ff5a4f"),
        played=QColor(255, 255, 255, 40) if dark else QColor(20, 40, 90, 28),
        selection=QColor(255, 200, 0, 70),
        word_line=QColor(255, 255, 255, 40) if dark else QColor(0, 0, 0, 35),
        word_current=QColor(90, 200, 120, 70),
        ruler=palette.color(QPalette.ColorRole.PlaceholderText),
        tag=QColor("#c792ea") if dark else QColor("#8a2be2"),
        attribute=QColor("#82aaff") if dark else QColor("#1f5fbf"),
        value=QColor("#c3e88d") if dark else QColor("#2e7d32"),
        phonemes=QColor("#ffcb6b") if dark else QColor("#b35900"),
        error=QColor("#ff6b6b") if dark else QColor("#c62828"),
        highlight=QColor(255, 214, 0, 120) if dark else QColor(255, 214, 0, 160),
        dark=dark,
        warning=QColor("#ffb74d") if dark else QColor("#a35f00"),
        info=QColor("#64b5f6") if dark else QColor("#1565c0"),
        success=QColor("#81c784") if dark else QColor("#2e7d32"),
        accent=accent,
        meter_low=QColor("#4caf50") if dark else QColor("#2e9d48"),
        meter_mid=QColor("#ffc107") if dark else QColor("#e0a100"),
        meter_high=QColor("#ff5252") if dark else QColor("#d32f2f"),
        focus=accent,
    )
