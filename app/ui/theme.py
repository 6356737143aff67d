"""Colours that follow the system palette, so light and dark themes both read well."""

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


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def current() -> Theme:
    app = QApplication.instance()
    palette = app.palette() if isinstance(app, QApplication) else QPalette()
    dark = is_dark(palette)
    base = palette.color(QPalette.ColorRole.Base)
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
        error=QColor("#ff5370") if dark else QColor("#d32f2f"),
        highlight=QColor(255, 214, 0, 120) if dark else QColor(255, 214, 0, 160),
        dark=dark,
    )
