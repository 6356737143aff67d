"""The output level meter: peak and RMS in dBFS on a −60…0 dB scale, with peak hold.

Drawn the way a mixing desk's meter reads: the RMS as a solid bar (how loud it
sounds), the peak as a lighter bar in front of it (how close to clipping), and
the highest recent peak as a thin line that stays put for a moment before it
falls, so a short overload is still visible after it passed. The bands are the
theme's: green up to −18 dBFS, amber to −6, red above. The meter is fed one
:class:`~app.audio.level.Level` per display tick (:meth:`LevelMeter.set_level`);
holding and falling count ticks, not wall-clock time, so they are deterministic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPaintEvent,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.audio.level import SILENCE, Level
from app.ui import metrics, theme

#: The scale's floor and the bands' lower edges, in dBFS.
FLOOR_DB: Final = -60.0
MID_DB: Final = -18.0
HIGH_DB: Final = -6.0
#: Ticks the held peak stays before it falls, and how fast the bars fall (dB per tick).
HOLD_TICKS: Final = 90  # 1.5 s at the take view's 60 updates a second
FALL_DB: Final = 0.5  # 30 dB a second: a falling bar the eye can follow
#: dB marks drawn under the bar, most wanted first: a narrow meter keeps those
#: that fit without touching a neighbour.
MARKS: Final = (0, -60, -18, -6, -40, -12, -30)


def fraction(db: float) -> float:
    """Where ``db`` sits on the meter, 0 (at or below the floor) to 1 (0 dBFS)."""
    if math.isnan(db) or db <= FLOOR_DB:
        return 0.0
    return min(1.0, (db - FLOOR_DB) / -FLOOR_DB)


def band(db: float) -> str:
    """"low", "mid" or "high": the colour band ``db`` falls in."""
    return "high" if db >= HIGH_DB else "mid" if db >= MID_DB else "low"


class LevelMeter(QWidget):
    """A horizontal peak/RMS meter with peak hold (see the module)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMaximumWidth(20 * metrics.LOOSE)  # a meter, not a second waveform
        self.peak_db = -math.inf
        self.rms_db = -math.inf
        self.hold_db = -math.inf
        self._held_for = 0
        self._layers: _Layers | None = None
        self.setToolTip("Output level (dBFS): bar RMS, lighter bar peak, line the "
                        "highest recent peak")
        self._describe()

    # --- the level ---------------------------------------------------------------------

    def set_level(self, level: Level) -> None:
        """One reading (a display tick): bars rise at once and fall gently."""
        before = (self.peak_db, self.rms_db, self.hold_db)
        peak, rms = level.peak_dbfs, level.rms_dbfs
        self.peak_db = peak if peak >= self.peak_db else max(peak, self.peak_db - FALL_DB)
        self.rms_db = rms if rms >= self.rms_db else max(rms, self.rms_db - FALL_DB)
        for name in ("peak_db", "rms_db"):
            if getattr(self, name) < FLOOR_DB:
                setattr(self, name, -math.inf)
        if peak >= self.hold_db:
            self.hold_db, self._held_for = peak, 0
        elif self._held_for < HOLD_TICKS:
            self._held_for += 1
        else:
            self.hold_db = max(peak, self.hold_db - FALL_DB)
            if self.hold_db < FLOOR_DB:
                self.hold_db = -math.inf
        if (self.peak_db, self.rms_db, self.hold_db) != before:
            self._describe()
            self.update()  # silence after silence repaints nothing

    def reset(self) -> None:
        """Back to silence at once (a new take, or stopped)."""
        self._held_for = 0
        self.peak_db = self.rms_db = self.hold_db = -math.inf
        self.set_level(SILENCE)

    def _describe(self) -> None:
        text = "silent" if self.peak_db == -math.inf else \
            f"peak {_db(self.peak_db)} dBFS, RMS {_db(self.rms_db)} dBFS"
        self.setAccessibleName("Output level")
        self.setAccessibleDescription(text)

    # --- drawing -----------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        return QSize(180, self._bar_height() + self._scale_height())

    def minimumSizeHint(self) -> QSize:
        return QSize(80, self._bar_height() + self._scale_height())

    def _bar_height(self) -> int:
        return 2 * metrics.GAP

    def _scale_height(self) -> int:
        return math.ceil(QFontMetricsF(self._scale_font()).height())

    def _scale_font(self) -> QFont:
        return metrics.scaled(self.font(), metrics.CAPTION * 0.9)

    def colour(self, db: float) -> QColor:
        colors = theme.current()
        return {"low": colors.meter_low, "mid": colors.meter_mid,
                "high": colors.meter_high}[band(db)]

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange,
                            QEvent.Type.StyleChange):
            self._layers = None  # the scale's ink and font, the track's colour
        super().changeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        # The meter repaints at display rate while a take plays: drawing the bands,
        # the outline and the scale's labels each time cost 1-2 ms of the GUI thread
        # per frame (translucent fills, text). Drawn once into three layers (nothing
        # lit, the peak bar lit across the whole width, the RMS bar lit too), a paint
        # copies each bar's lit part from its layer: the same pixels as draw() (the
        # RMS bar's layer has the peak lit under it: the RMS never exceeds the peak,
        # as both rise to a reading and fall at one rate).
        layers = self._current_layers()
        painter = QPainter(self)
        painter.drawPixmap(0, 0, layers.unlit)
        height = self._bar_height()
        ratio = layers.unlit.devicePixelRatio()
        for db, lit, top, bottom in ((self.peak_db, layers.peak, 0, height),
                                     (self.rms_db, layers.both, *_inner(height))):
            end = _column(fraction(db) * self.width())
            if end > 0:
                painter.drawPixmap(QRectF(0, top, end, bottom - top), lit,
                                   QRectF(0, top * ratio, end * ratio, (bottom - top) * ratio))
        if self.hold_db > FLOOR_DB:
            line = self._hold(painter, float(self.width()), self.hold_db,
                              layers.bands[band(self.hold_db)])
            # draw() puts the (translucent) outline over the hold line: so here.
            painter.setClipRect(line)
            self._outline(painter, layers.ink)
            for tick_x in layers.ticks:
                self._tick(painter, tick_x)
        painter.end()

    def draw(self, painter: QPainter, peak_db: float, rms_db: float, hold_db: float) -> None:
        """The whole meter at these levels, drawn from nothing (the layers are made
        with it)."""
        colors = theme.current()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        width = float(self.width())
        bar = QRectF(0, 0, width, self._bar_height())
        track = self.palette().color(QPalette.ColorRole.Base)
        painter.fillRect(bar, track)
        # The bands, faint, so the scale reads before anything plays.
        for low, high, colour in ((FLOOR_DB, MID_DB, colors.meter_low),
                                  (MID_DB, HIGH_DB, colors.meter_mid),
                                  (HIGH_DB, 0.0, colors.meter_high)):
            faint = QColor(colour)
            faint.setAlpha(40)
            x0, x1 = fraction(low) * width, fraction(high) * width
            painter.fillRect(QRectF(x0, bar.top(), x1 - x0, bar.height()), faint)
        self._fill(painter, bar, peak_db, 110)
        top, bottom = _inner(self._bar_height())
        self._fill(painter, QRectF(0, top, width, bottom - top), rms_db, 255)
        if hold_db > FLOOR_DB:
            self._hold(painter, width, hold_db, self.colour(hold_db))
        ink = self._ink()
        self._outline(painter, ink)
        painter.setFont(self._scale_font())
        for tick_x, box, label in self._marks():
            self._tick(painter, tick_x)
            painter.drawText(box, Qt.AlignmentFlag.AlignLeft, label)

    def _marks(self) -> list[tuple[int, QRectF, str]]:
        """The dB marks that fit: each one's tick column, label box and label."""
        text_metrics = QFontMetricsF(self._scale_font())
        width = float(self.width())
        top = self._bar_height() + 1
        taken: list[tuple[float, float]] = []
        marks = []
        for mark in MARKS:
            label = "0 dB" if mark == 0 else f"−{-mark}"
            label_width = text_metrics.horizontalAdvance(label)
            x = fraction(mark) * width
            left = min(max(0.0, x - label_width / 2), width - label_width)
            span = (left - metrics.TIGHT, left + label_width + metrics.TIGHT)
            if any(a < span[1] and span[0] < b for a, b in taken):
                continue  # no room beside a more wanted mark
            taken.append(span)
            marks.append((min(int(x), int(width) - 1),
                          QRectF(left, top, label_width + 1, text_metrics.height()), label))
        return marks

    def _tick(self, painter: QPainter, x: int) -> None:
        bottom = self._bar_height()
        painter.drawLine(x, bottom, x, bottom - 3)

    def _hold(self, painter: QPainter, width: float, db: float, colour: QColor) -> QRectF:
        """The held peak's line; where it was drawn."""
        x = fraction(db) * width
        line = QRectF(min(x, width - 2), 0, 2, self._bar_height())
        painter.fillRect(line, colour)
        return line

    def _ink(self) -> QColor:
        """The scale's colour: the window's text colour, softened, readable in light and
        dark."""
        ink = self.palette().color(QPalette.ColorRole.WindowText)
        ink.setAlpha(170)
        return ink

    def _outline(self, painter: QPainter, ink: QColor) -> None:
        painter.setPen(ink)
        painter.drawRect(QRectF(0, 0, self.width(), self._bar_height()).adjusted(0, 0, -1, -1))

    def _current_layers(self) -> _Layers:
        ratio = self.devicePixelRatioF()
        # The theme follows the application's palette (changeEvent covers the
        # widget's own): its cache key, not theme.current(), which builds a theme.
        shared = theme.app_palette().cacheKey()
        key = (self.width(), self.height(), ratio, shared)
        if self._layers is None or self._layers.key != key:
            pictures = []
            for peak, rms in ((-math.inf, -math.inf), (0.0, -math.inf), (0.0, 0.0)):
                picture = QPixmap(max(1, round(self.width() * ratio)),
                                  max(1, round(self.height() * ratio)))
                picture.setDevicePixelRatio(ratio)
                picture.fill(Qt.GlobalColor.transparent)
                painter = QPainter(picture)
                self.draw(painter, peak, rms, -math.inf)
                painter.end()
                pictures.append(picture)
            colors = theme.current()
            bands = {"low": colors.meter_low, "mid": colors.meter_mid,
                     "high": colors.meter_high}
            unlit, lit_peak, lit_both = pictures
            self._layers = _Layers(key, unlit, lit_peak, lit_both, bands, self._ink(),
                                   [tick_x for tick_x, _, _ in self._marks()])
        return self._layers

    def _fill(self, painter: QPainter, rect: QRectF, db: float, alpha: int) -> None:
        """The bar up to ``db``, each band in its colour."""
        end = fraction(db) * rect.width()
        for low, high in ((FLOOR_DB, MID_DB), (MID_DB, HIGH_DB), (HIGH_DB, 0.0)):
            x0, x1 = fraction(low) * rect.width(), min(end, fraction(high) * rect.width())
            if x1 > x0:
                colour = QColor(self.colour(low))
                colour.setAlpha(alpha)
                painter.fillRect(QRectF(rect.left() + x0, rect.top(), x1 - x0,
                                        rect.height()), colour)


@dataclass(frozen=True)
class _Layers:
    """The meter drawn at rest, with the peak bar full and with both bars full, for
    one size, pixel ratio and theme."""

    key: tuple[object, ...]
    unlit: QPixmap
    peak: QPixmap
    both: QPixmap
    #: The theme's colour of each band (for the hold line).
    bands: dict[str, QColor]
    #: The outline's and the scale's colour, and the columns of the scale's ticks.
    ink: QColor
    ticks: list[int]


def _inner(height: int) -> tuple[float, float]:
    """The RMS bar's rows: inside the peak bar."""
    return metrics.TIGHT / 2, height - metrics.TIGHT / 2


def _column(x: float) -> int:
    """The first column an aliased fill ending at ``x`` leaves unlit (Qt rounds a
    rectangle's edges half up)."""
    return math.floor(x + 0.5)


def _db(value: float) -> str:
    return f"{value:.1f}".replace("-", "−")
