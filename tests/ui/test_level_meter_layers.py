"""The level meter paints from layers drawn once (issue 14: it repaints at display rate
while a take plays): every paint must show exactly the pixels of the meter drawn from
nothing at the same levels, across sizes, and again after the palette or the font
changes."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtGui import QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import QApplication

from app.audio.level import Level
from app.ui.level_meter import LevelMeter

#: (peak, RMS) readings in linear amplitude, then silent ticks (bars falling, hold held).
READINGS = [(1.0, 1.0), (0.9, 0.5), (0.25, 0.1), (0.05, 0.01), (0.6, 0.3), (0.001, 0.0005)]


def drawn_from_nothing(meter: LevelMeter) -> QImage:
    """The meter at its current levels, drawn without its layers, as grab() shows it."""
    ratio = meter.devicePixelRatioF()
    image = QImage(round(meter.width() * ratio), round(meter.height() * ratio),
                   QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(ratio)
    image.fill(meter.palette().color(QPalette.ColorRole.Window))
    painter = QPainter(image)
    meter.draw(painter, meter.peak_db, meter.rms_db, meter.hold_db)
    painter.end()
    return image


def same_pixels(meter: LevelMeter) -> bool:
    shown = meter.grab().toImage().convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    return shown == drawn_from_nothing(meter)


def test_every_paint_shows_the_meter_as_drawn_from_nothing(qtbot: Any) -> None:
    meter = LevelMeter()
    qtbot.addWidget(meter)
    meter.show()
    checked = 0
    for width in (300, 173, 96):  # band edges and bar ends on fractional columns
        meter.resize(width, meter.sizeHint().height())
        assert same_pixels(meter)  # at rest: nothing lit
        for peak, rms in READINGS:
            meter.set_level(Level(peak, rms))
            assert same_pixels(meter), (width, peak, rms)
            for _ in range(7):  # falling bars, the held peak line
                meter.set_level(Level(0.0, 0.0))
            assert same_pixels(meter), (width, peak, rms, "falling")
            checked += 2
        meter.reset()
    assert checked == 36 and not math.isinf(meter.width())


def test_a_new_palette_is_drawn_at_once(qtbot: Any) -> None:
    meter = LevelMeter()
    qtbot.addWidget(meter)
    meter.resize(240, meter.sizeHint().height())
    meter.show()
    meter.set_level(Level(0.5, 0.2))
    before = meter.grab().toImage()
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    old = app.palette()
    dark = QPalette(old)
    for role, colour in ((QPalette.ColorRole.Window, "#202124"),
                         (QPalette.ColorRole.Base, "#101010"),
                         (QPalette.ColorRole.WindowText, "#f0f0f0")):
        dark.setColor(role, QColor(colour))
    try:
        app.setPalette(dark)
        assert meter.grab().toImage() != before  # the track and the scale's ink changed
        assert same_pixels(meter)
    finally:
        app.setPalette(old)
    assert same_pixels(meter)


def test_a_new_font_is_drawn_at_once(qtbot: Any) -> None:
    meter = LevelMeter()
    qtbot.addWidget(meter)
    meter.resize(240, meter.sizeHint().height())
    meter.show()
    meter.set_level(Level(0.5, 0.2))
    assert same_pixels(meter)
    font = meter.font()
    font.setPointSizeF(font.pointSizeF() * 1.5)
    meter.setFont(font)  # the widget's own: the scale's labels grow
    assert same_pixels(meter)
