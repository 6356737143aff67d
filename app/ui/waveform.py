"""The live waveform: peaks of the take as it grows, playhead, words, selection, zoom.

Painting asks the take's peaks pyramid for exactly one min/max pair per
device pixel of the visible span, so a paint costs O(width) whatever the
take's length. Repaints are coalesced with ``update()``: a growing take
invalidates only the newly covered columns, the playhead only its old and
new columns.

Above the wave, a lane shows each word where it fits between its boundaries
(elided when it nearly does, left out when not: labels never overlap), and a
second lane the phonemes once zoomed in far enough for them. Labels are found
by bisecting the timings for the repainted columns, so a paint touches only
the words it shows, however long the take.

Mouse: click to seek (``seekRequested``), drag to select (``selectionChanged``):
both ends snap to the nearest word edges, Alt drags freely; the selection's
start, end and length show on it. Wheel zooms around the cursor, Shift+wheel
(or the scrollbar) scrolls; Escape clears the selection. While playing, the
view follows the playhead unless the user scrolled away.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QScrollBar, QSizePolicy, QVBoxLayout, QWidget

from app.audio.timefmt import format_time
from app.takes.take import (
    AudioAppended,
    Finished,
    PhonemesAdded,
    Take,
    TakeEvent,
    TakeStatus,
    WordsAdded,
)
from app.takes.timings import Timing
from app.ui import metrics, theme

_RULER = 18  # pixels for the time ruler at the bottom
EMPTY_HINT = "Generate the line (Ctrl+Enter) or pick a take to see its waveform here"
#: The phoneme lane shows once the take's average phoneme is this wide: closer than
#: that, hardly any would have room for its label.
PHONEME_LANE_MIN_PX = 16.0
#: Word boundary lines are drawn once the take's average word is this wide.
WORD_LINES_MIN_PX = 4.0
#: The band under the parts of a take that came from a retake.
RETAKE_BAND_PX = 3.0
#: Narrower than this a word or phoneme gets no label at all (not even "x…").
_MIN_LABEL_PX = 10.0


@dataclass(frozen=True)
class DrawnLabel:
    """A label a paint drew: ``kind`` is "word" or "phoneme"; ``text`` as drawn (maybe
    elided); ``left`` and ``right`` the boundaries it sits between, in pixels."""

    kind: str
    text: str
    left: float
    right: float


def ruler_label(seconds: float, step: float) -> str:
    """A tick's time in the one format; hundredths only when the ticks need them."""
    return format_time(seconds, decimals=2 if round(step * 100) % 10 else 1)


def _mix(base: QColor, over: QColor, times: float) -> QColor:
    """``over`` laid on ``base`` ``times`` over, as one opaque colour."""
    alpha = min(1.0, over.alphaF() * times)
    return QColor.fromRgbF(*(b + (o - b) * alpha for b, o in (
        (base.redF(), over.redF()), (base.greenF(), over.greenF()),
        (base.blueF(), over.blueF()))))


def _start(timing: Timing) -> float:
    return timing.start


def _end(timing: Timing) -> float:
    return timing.end


def nearest_edge(words: Sequence[Timing], seconds: float) -> float | None:
    """The start or end of a word nearest to ``seconds`` (words in order); ``None``
    without words. Only the two words around ``seconds`` can hold it."""
    if not words:
        return None
    i = bisect.bisect_left(words, seconds, key=_start)
    best: float | None = None
    for word in words[max(0, i - 1):i + 1]:
        for edge in (word.start, word.end):
            if best is None or abs(edge - seconds) < abs(best - seconds):
                best = edge
    return best


def word_at(words: Sequence[Timing], seconds: float) -> Timing | None:
    i = bisect.bisect_right(words, seconds, key=_start) - 1
    return words[i] if i >= 0 and seconds < words[i].end else None


class _Canvas(QWidget):
    def __init__(self, view: WaveformView) -> None:
        super().__init__(view)
        self.view = view
        self.setMouseTracking(False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(90)

    def paintEvent(self, event: QPaintEvent) -> None:
        self.view.paint(self, event.rect())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.view.press(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self.view.drag_to(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self.view.release(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        self.view.wheel(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.view.selection() is not None:
            self.view.clear_selection()
            event.accept()
            return
        super().keyPressEvent(event)


class WaveformView(QWidget):
    seekRequested = Signal(int)
    selectionChanged = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = _Canvas(self)
        self.scrollbar = QScrollBar(Qt.Orientation.Horizontal, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.canvas)
        layout.addWidget(self.scrollbar)
        self.scrollbar.valueChanged.connect(self._scrolled)
        self.scrollbar.hide()  # shown only while zoomed in
        self.take: Take | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.playhead = -1
        self.current_word: int | None = None
        self._selection: tuple[int, int] | None = None
        self._drag_from: int | None = None
        self._dragged = False
        # The visible span: first frame and frames per (logical) pixel. 0 = fit.
        self._first = 0
        self._per_pixel = 0.0
        self._follow = True
        self.paints = 0
        self._cache: QPixmap | None = None
        self._cache_for: tuple[object, ...] = ()
        self._cache_frames = 0
        self._cache_words = 0
        self._font = QFont(self.canvas.font())
        self._font.setPointSizeF(max(7.0, self._font.pointSizeF() * 0.9))
        self._metrics = QFontMetricsF(self._font)
        self._lane_height = math.ceil(self._metrics.height()) + 4
        self._drawn: list[DrawnLabel] = []
        # The longest word and phoneme so far, per kind, and how many were looked at:
        # zoomed out so far that even the longest cannot hold a label, a paint skips
        # the lane without walking its timings.
        self._longest: dict[str, tuple[int, float]] = {}
        self._colours = theme.Colours()
        #: :meth:`_drawn_with` at the last repaint of the whole view a take's news asked for.
        self._updated_with: tuple[object, ...] = ()

    # --- the take ------------------------------------------------------------

    def set_take(self, take: Take | None) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.take = take
        self.playhead = -1
        self.current_word = None
        self._selection = None
        self._longest = {}
        self._updated_with = ()
        self._first, self._per_pixel, self._follow = 0, 0.0, True
        if take is not None:
            self._unsubscribe = take.events.connect(self._on_take)
            self._updated_with = self._drawn_with()
        self._update_scrollbar()
        self.canvas.update()

    def _on_take(self, event: TakeEvent) -> None:
        take = self.take
        if take is None:
            return
        # While a take streams, only the columns of what arrived are repainted (its
        # audio, its words' labels), as long as nothing else moved: a whole repaint
        # redrew every label at each chunk, 2-5 ms of the loop many times a second.
        drawn = self._drawn_with()
        if drawn != self._updated_with or isinstance(event, Finished):
            self._updated_with = drawn
            self.canvas.update()  # the scale, the lanes or the labels' room changed
        elif isinstance(event, AudioAppended):
            self._update_frames(event.first_frame, event.first_frame + event.n_frames)
        elif isinstance(event, WordsAdded | PhonemesAdded):
            timings = take.words if isinstance(event, WordsAdded) else take.phonemes
            new = timings[event.first_index:event.first_index + event.count]
            if new:
                rate = take.sample_rate
                self._update_frames(min(t.start for t in new) * rate,
                                    max(t.end for t in new) * rate)
        if isinstance(event, AudioAppended):
            self._update_scrollbar()

    def _drawn_with(self) -> tuple[object, ...]:
        """What a repaint of only the new columns relies on being as it was: the scale
        (fit-to-width changes it now and then while a take streams), the lanes, and
        whether each kind of label has room at all."""
        take = self.take
        assert take is not None
        per_pixel = self.frames_per_pixel()
        room = tuple(self._longest_of(kind, timings) * take.sample_rate / per_pixel
                     >= _MIN_LABEL_PX
                     for kind, timings in (("word", take.words), ("phoneme", take.phonemes)))
        return per_pixel, self.lanes(), room

    def _update_frames(self, start: float, end: float) -> None:
        """Repaint the columns of frames ``[start, end)``, if they are in view."""
        x0, x1 = self._x_of(start), self._x_of(end)
        if x1 >= 0 and x0 <= self.canvas.width():
            self.canvas.update(QRect(int(x0) - 2, 0, int(x1 - x0) + 5, self.canvas.height()))

    # --- geometry --------------------------------------------------------------

    def _total(self) -> int:
        return self.take.n_frames if self.take is not None else 0

    def frames_per_pixel(self) -> float:
        if self._per_pixel > 0:
            return self._per_pixel
        # Fit: the whole take. While it streams, the room doubles from 10 s as it
        # fills, so the scale (and the cached drawing) changes only now and then,
        # not on every chunk.
        rate = self.take.sample_rate if self.take is not None else 44100
        span = max(1, self._total())
        if self._streaming():
            room = 10 * rate
            while room < span:
                room *= 2
            span = room
        return span / max(1, self.canvas.width())

    def _streaming(self) -> bool:
        return self.take is not None and self.take.status is TakeStatus.STREAMING

    def visible_span(self) -> tuple[int, int]:
        first = self._first if self._per_pixel > 0 else 0
        return first, first + int(self.frames_per_pixel() * self.canvas.width())

    def _x_of(self, frame: float) -> float:
        first, _ = self.visible_span()
        return (frame - first) / self.frames_per_pixel()

    def frame_at(self, x: float) -> int:
        first, _ = self.visible_span()
        return max(0, min(self._total(), int(first + x * self.frames_per_pixel())))

    def zoom(self, factor: float, around_x: float | None = None) -> None:
        """Multiply frames per pixel by ``factor`` (< 1 zooms in), keeping ``around_x`` put."""
        if self.take is None or self._total() == 0:
            return
        x = self.canvas.width() / 2 if around_x is None else around_x
        anchor = self.frame_at(x)
        fit = self._total() / max(1, self.canvas.width())
        per_pixel = max(1.0 / 16, self.frames_per_pixel() * factor)
        if per_pixel >= fit:
            # Zoomed all the way out is "fit", not a scale that happens to fit now:
            # the whole take stays in view when the window is resized later.
            self._per_pixel, self._first = 0.0, 0
            self._update_scrollbar()
            self.canvas.update()
            return
        self._per_pixel = per_pixel
        self._first = max(0, int(anchor - x * per_pixel))
        self._clamp()
        self._update_scrollbar()
        self.canvas.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Fitted, the scale follows the width by itself (it is computed from it);
        zoomed, the user's scale is kept and only the scrolled span is re-clamped."""
        super().resizeEvent(event)
        if self._per_pixel > 0:
            self._clamp()
            self._update_scrollbar()
        self.canvas.update()

    def fitted(self) -> bool:
        """Whether the whole take is in view (not zoomed in by the user)."""
        return self._per_pixel == 0.0

    def _clamp(self) -> None:
        width_frames = int(self._per_pixel * self.canvas.width())
        self._first = max(0, min(self._first, max(0, self._total() - width_frames)))

    def _update_scrollbar(self) -> None:
        zoomed = self._per_pixel > 0
        self.scrollbar.setVisible(zoomed)
        if zoomed:
            width_frames = int(self._per_pixel * self.canvas.width())
            self.scrollbar.blockSignals(True)
            self.scrollbar.setRange(0, max(0, self._total() - width_frames))
            self.scrollbar.setPageStep(max(1, width_frames))
            self.scrollbar.setSingleStep(max(1, width_frames // 10))
            self.scrollbar.setValue(self._first)
            self.scrollbar.blockSignals(False)

    def _scrolled(self, value: int) -> None:
        self._first = value
        self._follow = False  # the user looks elsewhere: stop following the playhead
        self.canvas.update()

    # --- playhead, words, selection ---------------------------------------------

    def set_playhead(self, frame: int) -> None:
        if frame == self.playhead:
            return
        old = self.playhead
        self.playhead = frame
        ratio = self.canvas.devicePixelRatioF()
        if old >= 0 and int(self._x_of(old) * ratio) == int(self._x_of(frame) * ratio):
            return  # the same device pixel: at fit-to-width most ticks move it by less
        if self._per_pixel > 0 and self._follow:
            first, last = self.visible_span()
            if not first <= frame < last:
                self._first = int(frame - 0.1 * (last - first))
                self._clamp()
                self._update_scrollbar()
                self.canvas.update()
                return
        # The heard region is shaded up to the playhead: repaint from old to new (from
        # the start when there was no playhead: a take just shown, or after A/B).
        xs = [int(self._x_of(f)) for f in (max(old, 0), frame) if f >= 0]
        if xs:
            self.canvas.update(QRect(min(xs) - 2, 0, max(xs) - min(xs) + 5,
                                     self.canvas.height()))

    def set_current_word(self, index: int | None) -> None:
        if index == self.current_word:
            return
        take = self.take
        for word_index in (self.current_word, index):
            if take is not None and word_index is not None and word_index < len(take.words):
                word = take.words[word_index]
                x0 = int(self._x_of(word.start * take.sample_rate)) - 1
                x1 = int(self._x_of(word.end * take.sample_rate)) + 2
                self.canvas.update(QRect(x0, 0, x1 - x0, self.canvas.height()))
        self.current_word = index

    def follow(self) -> None:
        self._follow = True

    def selection(self) -> tuple[int, int] | None:
        return self._selection

    def clear_selection(self) -> None:
        if self._selection is not None:
            self._selection = None
            self.selectionChanged.emit(0, 0)
            self.canvas.update()

    def press(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.take is not None:
            self._drag_from = self.frame_at(event.position().x())
            self._dragged = False

    def drag_to(self, event: QMouseEvent) -> None:
        if self._drag_from is None:
            return
        here = self.frame_at(event.position().x())
        if abs(here - self._drag_from) / self.frames_per_pixel() >= 3:
            self._dragged = True
        if self._dragged:
            a, b = sorted((self._drag_from, here))
            if not event.modifiers() & Qt.KeyboardModifier.AltModifier:
                a, b = self._snap(a, b)
            self._selection = (a, b)
            self.canvas.update()

    def _snap(self, a: int, b: int) -> tuple[int, int]:
        """Both ends on the nearest word edges; a drag inside one word selects it."""
        take = self.take
        if take is None or not take.words:
            return a, b
        rate, words = take.sample_rate, take.words
        start, end = nearest_edge(words, a / rate), nearest_edge(words, b / rate)
        assert start is not None and end is not None
        if end > start:
            return self._frame(start), self._frame(end)
        # Both ends went to one edge: a short drag within a word means that word; in a
        # pause, the drag as it was.
        word = word_at(words, (a + b) / 2 / rate)
        if word is not None:
            return self._frame(word.start), self._frame(word.end)
        return a, b

    def _frame(self, seconds: float) -> int:
        assert self.take is not None
        return max(0, min(self._total(), round(seconds * self.take.sample_rate)))

    def selection_text(self) -> str:
        """The selection's start, end and length, as it shows on the waveform."""
        if self._selection is None or self.take is None:
            return ""
        rate = self.take.sample_rate
        start, end = self._selection[0] / rate, self._selection[1] / rate
        return f"{format_time(start)} – {format_time(end)} · length {format_time(end - start)}"

    def release(self, event: QMouseEvent) -> None:
        if self._drag_from is None:
            return
        start, self._drag_from = self._drag_from, None
        if self._dragged and self._selection is not None:
            self.selectionChanged.emit(*self._selection)
        else:
            self.clear_selection()
            self.follow()
            self.seekRequested.emit(start)

    def wheel(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120 or event.angleDelta().x() / 120
        if not steps:
            return
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            if self._per_pixel > 0:
                self.scrollbar.setValue(int(self.scrollbar.value() - steps *
                                            self.scrollbar.singleStep()))
        else:
            self.zoom(0.8 ** steps, event.position().x())
        event.accept()

    # --- painting ---------------------------------------------------------------

    def phoneme_lane_shown(self) -> bool:
        """Zoomed in far enough that the average phoneme has room for its label."""
        take = self.take
        if take is None or not take.phonemes:
            return False
        phonemes = take.phonemes
        mean = (phonemes[-1].end - phonemes[0].start) / len(phonemes)
        return mean * take.sample_rate / self.frames_per_pixel() >= PHONEME_LANE_MIN_PX

    def lanes(self) -> tuple[int, int]:
        """Heights of the word lane and the phoneme lane (0 when not shown)."""
        words = self._lane_height if self.take is not None and self.take.words else 0
        return words, self._lane_height if self.phoneme_lane_shown() else 0

    def drawn_labels(self) -> list[DrawnLabel]:
        """The labels the last paint drew (a partial repaint: those in its columns)."""
        return list(self._drawn)

    def _cache_key(self, canvas: QWidget) -> tuple[object, ...]:
        first, _ = self.visible_span()
        return (id(self.take), first, self.frames_per_pixel(), canvas.width(),
                canvas.height(), canvas.devicePixelRatioF(), self._colours().dark,
                self.lanes())

    def _render(self, canvas: QWidget, x0: int, x1: int) -> None:
        """Draw waveform, word lines and ruler for columns ``[x0, x1)`` into the cache."""
        take = self.take
        assert take is not None and self._cache is not None
        colors = self._colours()
        width, height = canvas.width(), canvas.height() - _RULER
        lanes = sum(self.lanes())
        painter = QPainter(self._cache)
        # Only these columns: a ruler label reaching in from the left would otherwise be
        # drawn again over itself (antialiased text darkens where it is drawn twice).
        painter.setClipRect(QRectF(x0, 0, x1 - x0, canvas.height()))
        painter.fillRect(QRectF(x0, 0, x1 - x0, canvas.height()), colors.background)
        # Opaque colours, mixed once: translucent lines cost ten times as much to draw.
        if lanes:  # the label lanes, set off from the wave
            painter.fillRect(QRectF(x0, 0, x1 - x0, lanes),
                             _mix(colors.background, colors.word_line, 1))
        # The word lines go under the wave (its image is transparent around the peaks).
        self._word_lines(painter, x0, x1, height,
                         _mix(colors.background, colors.word_line, 1.8))
        ratio = canvas.devicePixelRatioF()
        rows = max(1, int((height - lanes) * ratio))
        if take.n_frames:
            self._wave(painter, take, x0, x1, lanes, rows, ratio, colors.wave)
        else:
            # Nothing arrived yet (the press of Play, when the whole window changes):
            # the silent line the image would show, without building the image.
            painter.fillRect(QRectF(x0, lanes + math.floor(rows / 2) / ratio, x1 - x0,
                                    1 / ratio), colors.wave)
        self._cache_words = len(take.words)
        self._paint_ruler(painter, colors, width, height, x0, x1)
        painter.end()

    def _wave(self, painter: QPainter, take: Take, x0: int, x1: int, top_y: int, rows: int,
              ratio: float, color: QColor) -> None:
        """The peaks of columns ``[x0, x1)``, ``rows`` device pixels tall from ``top_y``."""
        per_pixel = self.frames_per_pixel()
        first, _ = self.visible_span()
        n = max(1, math.ceil((x1 - x0) * ratio))
        # The take's blocks, not ``take.samples``: zoomed in, only the columns' frames
        # are read (a long take's samples would be joined into one copy per paint).
        mins, maxs = take.peaks.query(int(first + x0 * per_pixel), int(first + x1 * per_pixel),
                                      n, take.audio)
        # The columns as an image built with numpy (one device pixel each): a
        # QLineF per column cost more than the rest of the redraw together.
        mid, amp = rows / 2, rows / 2 - 2 * ratio
        top = np.floor(mid - maxs * amp).astype(np.int32)
        bottom = np.maximum(np.ceil(mid - mins * amp).astype(np.int32), top + 1)
        y = np.arange(rows, dtype=np.int32)[:, None]
        inside = (y >= top[None, :]) & (y < bottom[None, :])
        pixels = np.zeros((rows, n), dtype=np.uint32)
        pixels[inside] = color.rgba()
        # The array's own memory, not a copy: it outlives the image, drawn just below.
        image = QImage(pixels.data, n, rows, n * 4, QImage.Format.Format_ARGB32)
        image.setDevicePixelRatio(ratio)
        painter.drawImage(QPointF(x0, top_y), image)

    def _word_lines(self, painter: QPainter, x0: float, x1: float, height: int,
                    color: QColor) -> None:
        """Boundary lines of the words in columns ``[x0, x1]``, drawn in one call."""
        take = self.take
        assert take is not None
        rate, per_pixel, words = take.sample_rate, self.frames_per_pixel(), take.words
        # Closer than every few pixels the lines would only grey the wave over.
        if not words or (words[-1].end - words[0].start) / len(words) * rate / per_pixel \
                < WORD_LINES_MIN_PX:
            return
        first, _ = self.visible_span()
        t0, t1 = ((first + x * per_pixel) / rate for x in (x0 - 1, x1 + 1))
        lines = []
        i = bisect.bisect_left(words, t0, key=_end)
        while i < len(words) and words[i].start <= t1:
            for t in (words[i].start, words[i].end):
                x = (t * rate - first) / per_pixel
                if x0 - 1 <= x <= x1 + 1:
                    lines.append(QLineF(x, 0, x, height))
            i += 1
        painter.setPen(QPen(color, 1))
        painter.drawLines(lines)

    def _retaken(self, painter: QPainter, take: Take, height: int, colors: theme.Theme
                 ) -> None:
        """The parts a retake was spliced into: a faint tint and a band along the
        bottom, so a designer sees what was said again (and where the joints are)."""
        if take.origin is None:  # never spliced: most takes, at every paint
            return
        # Here, not with the module: the splicing comes after the window's first paint
        # (with the retakes), and a take with retaken parts after that.
        from app.takes.splice import retaken_parts

        tint, band = QColor(colors.phonemes), QColor(colors.phonemes)
        tint.setAlpha(22)
        band.setAlpha(170)
        rate = take.sample_rate
        for start, end in retaken_parts(take):
            x0, x1 = self._x_of(start * rate), self._x_of(end * rate)
            width = max(1.0, x1 - x0)
            painter.fillRect(QRectF(x0, 0, width, height), tint)
            painter.fillRect(QRectF(x0, height - RETAKE_BAND_PX, width, RETAKE_BAND_PX), band)

    def paint(self, canvas: QWidget, dirty: QRect) -> None:
        """Blit the cached waveform, then the overlays that move (playhead, word, selection).

        The cache is redrawn only when the scale or size changes; while a take
        streams at a fixed scale, only the columns the new audio covers are drawn.
        """
        self.paints += 1
        self._drawn = []
        colors = self._colours()
        take = self.take
        width, height = canvas.width(), canvas.height() - _RULER
        if take is None or width <= 0 or height <= 0:
            painter = QPainter(canvas)
            painter.fillRect(dirty, colors.background)
            if take is None:  # an empty view says what will appear in it
                painter.setPen(canvas.palette().color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(canvas.rect().adjusted(metrics.GAP, 0, -metrics.GAP, 0),
                                 Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                                 EMPTY_HINT)
            painter.end()
            return
        key = self._cache_key(canvas)
        ratio = canvas.devicePixelRatioF()
        if self._cache is None or key != self._cache_for:
            self._cache = QPixmap(int(width * ratio), int(canvas.height() * ratio))
            self._cache.setDevicePixelRatio(ratio)
            self._cache_for, self._cache_frames = key, take.n_frames
            self._render(canvas, 0, width)
        else:
            # A streaming take at a fixed scale: redraw only the columns of the new
            # audio and of the new words' lines.
            spans = []
            if take.n_frames != self._cache_frames:
                spans.append((int(self._x_of(self._cache_frames)) - 1,
                              math.ceil(self._x_of(take.n_frames)) + 1))
                self._cache_frames = take.n_frames
            if len(take.words) > self._cache_words:
                rate = take.sample_rate
                spans.append((int(self._x_of(take.words[self._cache_words].start * rate)) - 1,
                              math.ceil(self._x_of(take.words[-1].end * rate)) + 2))
                self._cache_words = len(take.words)
            if spans:
                x0 = max(0, min(a for a, _ in spans))
                x1 = min(width, max(b for _, b in spans))
                if x1 > x0:
                    self._render(canvas, x0, x1)
        painter = QPainter(canvas)
        painter.drawPixmap(QRectF(dirty), self._cache, QRectF(
            dirty.x() * ratio, dirty.y() * ratio, dirty.width() * ratio,
            dirty.height() * ratio))
        word_lane, phoneme_lane = self.lanes()
        painter.setFont(self._font)
        if word_lane:
            self._labels(painter, "word", take.words, 0, word_lane, dirty,
                         canvas.palette().color(QPalette.ColorRole.Text))
        if phoneme_lane:
            self._labels(painter, "phoneme", take.phonemes, word_lane, phoneme_lane, dirty,
                         colors.phonemes)
        if self.playhead > 0:  # what has been heard, lightly shaded
            px = min(self._x_of(self.playhead), float(width))
            if px > dirty.left():
                painter.fillRect(QRectF(dirty.left(), 0, px - dirty.left(), height),
                                 colors.played)
        self._retaken(painter, take, height, colors)
        selection = self._selection
        if selection is not None:
            sx0, sx1 = self._x_of(selection[0]), self._x_of(selection[1])
            painter.fillRect(QRectF(sx0, 0, max(1.0, sx1 - sx0), height), colors.selection)
        if self.current_word is not None and self.current_word < len(take.words):
            word = take.words[self.current_word]
            wx0 = self._x_of(word.start * take.sample_rate)
            wx1 = self._x_of(word.end * take.sample_rate)
            painter.fillRect(QRectF(wx0, 0, max(1.0, wx1 - wx0), height), colors.word_current)
        if selection is not None:
            self._readout(painter, canvas, selection, height)
        if self.playhead >= 0:
            x = self._x_of(self.playhead)
            painter.setPen(QPen(colors.playhead, 2))
            painter.drawLine(QPointF(x, 0), QPointF(x, height))
        painter.end()

    def _labels(self, painter: QPainter, kind: str, timings: list[Timing], top: int,
                lane: int, dirty: QRect, color: QColor) -> None:
        """Label each timing in the dirty columns that has room between its boundaries."""
        assert self.take is not None
        rate, per_pixel = self.take.sample_rate, self.frames_per_pixel()
        if self._longest_of(kind, timings) * rate / per_pixel < _MIN_LABEL_PX:
            return  # zoomed out: not even the longest has room
        first, width = self.visible_span()[0], self.canvas.width()
        # Those with a pixel in the dirty columns: ending after its left edge, starting
        # before its right one.
        t0 = (first + dirty.left() * per_pixel) / rate
        t1 = (first + (dirty.right() + 1) * per_pixel) / rate
        # Words read left to right from their start, like Audacity's labels; a phoneme
        # sits in the middle of its span, between ticks (its lines are not drawn across
        # the wave, which would drown the word boundaries).
        phonemes = kind == "phoneme"
        align = Qt.AlignmentFlag.AlignHCenter if phonemes else Qt.AlignmentFlag.AlignLeft
        flags = align | Qt.AlignmentFlag.AlignVCenter
        tick = QPen(self._colours().ruler, 1)
        i = bisect.bisect_right(timings, t0, key=_end)  # the first one still going at t0
        while i < len(timings) and timings[i].start < t1:
            timing = timings[i]
            i += 1
            left = (timing.start * rate - first) / per_pixel
            right = (timing.end * rate - first) / per_pixel
            if phonemes:
                painter.setPen(tick)
                painter.drawLine(QPointF(left, top + lane - 5), QPointF(left, top + lane))
            # A word scrolled half out of view keeps its label on the part still shown.
            shown_left, shown_right = max(left, 0.0), min(right, float(width))
            room = shown_right - shown_left - 4  # 2 px off each boundary line
            if room < _MIN_LABEL_PX:
                continue
            text = timing.text
            if self._metrics.horizontalAdvance(text) > room:
                text = self._metrics.elidedText(text, Qt.TextElideMode.ElideRight, room)
                if len(text) < 2:  # "" or a lone "…" says nothing
                    continue
            painter.setPen(color)
            painter.drawText(QRectF(shown_left + 2, top, room, lane), flags, text)
            self._drawn.append(DrawnLabel(kind, text, left, right))

    def _longest_of(self, kind: str, timings: list[Timing]) -> float:
        seen, longest = self._longest.get(kind, (0, 0.0))
        for i in range(seen, len(timings)):  # only those added since the last paint
            longest = max(longest, timings[i].end - timings[i].start)
        self._longest[kind] = (len(timings), longest)
        return longest

    def _readout(self, painter: QPainter, canvas: QWidget, selection: tuple[int, int],
                 height: int) -> None:
        """Start, end and length in a box at the foot of the selection, inside the view."""
        text = self.selection_text()
        box_width = self._metrics.horizontalAdvance(text) + 12
        centre = (self._x_of(selection[0]) + self._x_of(selection[1])) / 2
        left = max(2.0, min(centre - box_width / 2, canvas.width() - box_width - 2))
        box = QRectF(left, height - self._lane_height - 3, box_width, self._lane_height)
        palette = canvas.palette()
        background = QColor(palette.color(QPalette.ColorRole.ToolTipBase))
        background.setAlpha(235)
        painter.setPen(QPen(QColor(230, 170, 0), 1))
        painter.setBrush(background)
        painter.drawRoundedRect(box, 3, 3)
        painter.setPen(palette.color(QPalette.ColorRole.ToolTipText))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_ruler(self, painter: QPainter, colors: theme.Theme, width: int, height: int,
                     x0: int, x1: int) -> None:
        assert self.take is not None
        rate = self.take.sample_rate
        seconds_per_pixel = self.frames_per_pixel() / rate
        step = next((s for s in (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300)
                     if s / seconds_per_pixel >= 70), 600)
        first, _ = self.visible_span()
        t = math.floor(first / rate / step) * step
        painter.setPen(QPen(colors.ruler, 1))
        painter.drawLine(0, height, width, height)
        while True:
            x = self._x_of(t * rate)
            if x > x1 + 60:
                break
            if x >= x0 - 60:
                painter.drawLine(QPointF(x, height), QPointF(x, height + 4))
                painter.drawText(QPointF(x + 2, height + _RULER - 4),
                                 ruler_label(t, step))
            t += step
