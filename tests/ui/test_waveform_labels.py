"""Words and phonemes on the waveform, a streaming take repainted only where it grew, and
a selection that snaps to words."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPaintEvent
from PySide6.QtWidgets import QApplication

from app.takes.take import Take, TakeSettings, TakeStatus
from app.takes.timings import Timing
from app.ui import theme
from app.ui.waveform import WaveformView, nearest_edge, ruler_label

RATE = 8000
#: 4 s over 400 px: 100 px a second, 80 frames a pixel.
WORDS = [Timing("one", 0.5, 1.0), Timing("two", 1.2, 1.8), Timing("x", 1.8, 1.85),
         Timing("three", 2.0, 2.8)]


def phonemes_of(words: list[Timing]) -> list[Timing]:
    """50 ms phonemes (5 px when the take fits the view), named after the word's letters."""
    out = []
    for word in words:
        n = max(1, round((word.end - word.start) / 0.05))
        step = (word.end - word.start) / n
        out += [Timing(word.text[i % len(word.text)], word.start + i * step,
                       word.start + (i + 1) * step) for i in range(n)]
    return out


def make_take(words: list[Timing] = WORDS, *, finish: bool = True) -> Take:
    take = Take(TakeSettings(text="one two three", voice_id="v", sample_rate=RATE))
    take.append_audio((0.5 * np.sin(np.arange(4 * RATE) / 4)).astype(np.float32))
    take.add_words(words)
    take.add_phonemes(phonemes_of(words))
    if finish:
        take.finish(TakeStatus.DONE)
    return take


def view_of(qtbot: Any, take: Take) -> WaveformView:
    view = WaveformView()
    qtbot.addWidget(view)
    view.resize(400, 180)
    view.show()
    view.set_take(take)
    return view


def grab(view: WaveformView) -> QImage:
    return view.canvas.grab().toImage()


def ink(image: QImage, x0: float, x1: float, y0: int, y1: int, color: QColor) -> int:
    """Pixels close to ``color`` in the box (boundary lines excluded)."""
    count = 0
    for x in range(int(x0) + 2, int(x1) - 1):
        for y in range(y0, y1):
            pixel = QColor(image.pixel(x, y))
            if max(abs(pixel.red() - color.red()), abs(pixel.green() - color.green()),
                   abs(pixel.blue() - color.blue())) < 60:
                count += 1
    return count


def text_color(view: WaveformView) -> QColor:
    return view.canvas.palette().color(view.canvas.palette().ColorRole.Text)


def test_word_labels_where_they_fit_never_overlapping(qtbot: Any) -> None:
    view = view_of(qtbot, make_take())
    image = grab(view)
    lane, _ = view.lanes()
    labels = {label.text: label for label in view.drawn_labels()}
    # "x" has 5 px between its boundaries: no room, no label; the others have theirs.
    assert set(labels) == {"one", "two", "three"}
    assert all(label.kind == "word" for label in labels.values())
    assert labels["one"].left == 50 and labels["one"].right == 100
    ordered = sorted(labels.values(), key=lambda label: label.left)
    assert all(a.right <= b.left for a, b in pairwise(ordered))
    assert ink(image, 50, 100, 0, lane, text_color(view)) > 10  # drawn in the lane
    assert ink(image, 180, 185, 0, lane, text_color(view)) == 0
    # Zoomed in, "x" has room for its label.
    view.zoom(0.25, around_x=180)
    grab(view)
    assert "x" in {label.text for label in view.drawn_labels()}


def test_a_word_too_long_for_its_room_is_elided(qtbot: Any) -> None:
    words = [Timing("unbelievably", 1.0, 1.3), Timing("ok", 2.0, 2.5)]
    view = view_of(qtbot, make_take(words))
    grab(view)
    texts = [label.text for label in view.drawn_labels()]
    assert texts[0].endswith("…") and "unbelievably".startswith(texts[0][:-1])
    assert texts[1] == "ok"


def test_the_phoneme_lane_shows_only_zoomed_in(qtbot: Any) -> None:
    view = view_of(qtbot, make_take())
    grab(view)
    assert view.lanes()[1] == 0 and not view.phoneme_lane_shown()
    assert not [label for label in view.drawn_labels() if label.kind == "phoneme"]
    view.zoom(0.2, around_x=150)
    image = grab(view)
    words, phonemes = view.lanes()
    assert phonemes > 0 and view.phoneme_lane_shown()
    drawn = [label for label in view.drawn_labels() if label.kind == "phoneme"]
    assert {label.text for label in drawn} >= {"t", "w", "o"}
    first = drawn[0]
    assert ink(image, first.left, first.right, words, words + phonemes,
               theme.current().phonemes) > 3
    view.zoom(5.0)
    grab(view)
    assert view.lanes()[1] == 0


def words_drawn(view: WaveformView) -> list[str]:
    return [label.text for label in view.drawn_labels() if label.kind == "word"]


def test_labels_follow_scrolling_and_a_growing_take(qtbot: Any) -> None:
    words = [Timing("one", 0.0, 1.0), Timing("two", 1.0, 2.0), Timing("three", 2.0, 3.5)]
    take = make_take(words[:1], finish=False)
    view = view_of(qtbot, take)
    grab(view)  # while it streams the view has room for 10 s: 40 px a second
    assert [label.text for label in view.drawn_labels()] == ["one"]
    take.add_words(words[1:])  # as they arrive while it streams
    grab(view)
    assert [label.text for label in view.drawn_labels()] == ["one", "two", "three"]
    assert view.drawn_labels()[1].left == 40
    take.finish(TakeStatus.DONE)  # now 4 s fill the view: 100 px a second
    grab(view)
    assert view.drawn_labels()[1].left == 100
    view.zoom(0.25, around_x=0)  # the first second: only "one" is in view
    grab(view)
    assert words_drawn(view) == ["one"]
    view.scrollbar.setValue(int(2.0 * RATE))  # 2–3 s: "three"
    grab(view)
    assert words_drawn(view) == ["three"]
    view.scrollbar.setValue(int(2.5 * RATE))  # "three" began off to the left: its label
    image = grab(view)                         # stays on the part in view
    assert words_drawn(view) == ["three"]
    assert ink(image, 0, 40, 0, view.lanes()[0], text_color(view)) > 10


def drag(view: WaveformView, x0: int, x1: int, alt: bool = False) -> None:
    """Press, move, release with the modifiers on every event (QTest's move has none)."""
    modifiers = Qt.KeyboardModifier.AltModifier if alt else Qt.KeyboardModifier.NoModifier
    left = Qt.MouseButton.LeftButton
    for kind, x, button, buttons in (
            (QEvent.Type.MouseButtonPress, x0, left, left),
            (QEvent.Type.MouseMove, (x0 + x1) // 2, Qt.MouseButton.NoButton, left),
            (QEvent.Type.MouseMove, x1, Qt.MouseButton.NoButton, left),
            (QEvent.Type.MouseButtonRelease, x1, left, Qt.MouseButton.NoButton)):
        position = QPointF(x, 40)
        global_position = QPointF(view.canvas.mapToGlobal(QPoint(x, 40)))
        QApplication.sendEvent(view.canvas, QMouseEvent(kind, position, global_position,
                                                        button, buttons, modifiers))


def test_a_drag_snaps_to_word_edges_and_alt_drags_freely(qtbot: Any) -> None:
    view = view_of(qtbot, make_take())
    seen: list[tuple[int, int]] = []
    view.selectionChanged.connect(lambda a, b: seen.append((a, b)))
    drag(view, 60, 170)  # 0.6 s to 1.7 s: to "one"'s start and "two"'s end
    assert view.selection() == (int(0.5 * RATE), int(1.8 * RATE)) == seen[-1]
    drag(view, 60, 170, alt=True)
    assert view.selection() == (60 * 80, 170 * 80) == seen[-1]
    drag(view, 130, 145)  # inside "two", nearer its start at both ends: the word
    assert view.selection() == (int(1.2 * RATE), int(1.8 * RATE))
    drag(view, 175, 130)  # right to left snaps the same way
    assert view.selection() == (int(1.2 * RATE), int(1.8 * RATE))


def test_the_selection_shows_start_end_and_length(qtbot: Any) -> None:
    view = view_of(qtbot, make_take())
    assert view.selection_text() == ""
    before = grab(view)
    drag(view, 60, 170)
    assert view.selection_text() == "0:00.5 – 0:01.8 · length 0:01.3"
    border = QColor(230, 170, 0)
    height = view.canvas.height() - 18
    assert ink(before, 0, 400, height - 30, height, border) == 0
    assert ink(grab(view), 0, 400, height - 30, height, border) > 20
    view.clear_selection()
    assert view.selection_text() == ""


def test_nearest_edge() -> None:
    assert nearest_edge([], 1.0) is None
    assert nearest_edge(WORDS, 0.0) == 0.5
    assert nearest_edge(WORDS, 1.05) == 1.0
    assert nearest_edge(WORDS, 1.15) == 1.2
    assert nearest_edge(WORDS, 1.79) == 1.8
    assert nearest_edge(WORDS, 9.0) == 2.8


def test_words_arriving_while_streaming_get_their_boundary_lines(qtbot: Any) -> None:
    take = make_take([Timing("early", 0.0, 0.5)], finish=False)
    view = view_of(qtbot, take)
    grab(view)  # the cached drawing, at the streaming scale: 40 px a second
    take.add_words([Timing("late", 1.0, 2.0)])
    image = grab(view)
    lanes = sum(view.lanes())
    background = theme.current().background
    y = lanes + 4  # above the wave's peaks

    def line_at(x: int) -> bool:
        return QColor(image.pixel(x, y)).name() != background.name()

    assert line_at(40) and line_at(80) and not line_at(60)


class PaintedRects(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.rects: list[QRect] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            assert isinstance(event, QPaintEvent)
            self.rects.append(event.rect())
        return False


def test_a_streaming_take_repaints_only_what_arrived_and_looks_drawn_whole(
        qtbot: Any) -> None:
    """Each chunk and word repaints its own columns (every label again was 2-5 ms of the
    loop at each chunk), and what is on screen then is what one whole paint draws; a
    change of scale (the room doubling from 10 s) repaints all of it."""
    second = (0.5 * np.sin(np.arange(RATE) / 4)).astype(np.float32)
    take = make_take([Timing("one", 0.0, 0.9)], finish=False)
    view = view_of(qtbot, take)
    QApplication.processEvents()
    painted = PaintedRects()
    view.canvas.installEventFilter(painted)
    for k in range(4, 8):  # 40 px a second: the room of 10 s
        take.append_audio(second)
        QApplication.processEvents()
        take.add_words([Timing(f"w{k}", k + 0.1, k + 0.9)])
        QApplication.processEvents()
    assert len(painted.rects) == 8
    assert all(rect.width() <= 50 for rect in painted.rects), painted.rects
    on_screen = view.screen().grabWindow(view.winId()).toImage()
    whole = view_of(qtbot, take)
    assert on_screen == view.grab().toImage() == whole.grab().toImage()
    painted.rects.clear()
    take.append_audio(np.zeros(3 * RATE, np.float32))  # 11 s: the room of 20 s
    QApplication.processEvents()
    assert [rect.width() for rect in painted.rects] == [view.canvas.width()]


def test_ruler_labels_in_the_one_time_format() -> None:
    assert ruler_label(65.0, 5) == "1:05.0"
    assert ruler_label(0.5, 0.5) == "0:00.5"
    assert ruler_label(0.25, 0.25) == "0:00.25"  # not "0:00.2"
    assert ruler_label(3725.0, 300) == "1:02:05.0"
