"""Sentence retakes: a few words of a take said again, heard in place, the best kept.

The designer drags over words in the waveform and chooses "Retake selection…"
(Ctrl+Shift+R). The panel renders N variants of the sentence holding them, with
the take's own voice and settings (the studio's
:class:`~app.studio.retakes.Retakes`, within the plan's concurrency); each row
shows the sentence's waveform with the retaken words drawn solid, their length
and how it differs from the take's. "Play in place" (Space) plays the take with
that variant spliced in, from a second before the words to a second after;
"Keep" (Enter) splices it for good; "Undo splice" takes the latest splice back.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable, Coroutine
from typing import Any

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QKeySequence, QPainter, QPaintEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.audio.timefmt import format_time
from app.errors import VoiceboothError
from app.studio.lineup import LineupEvent, LineupFinished, ParallelLowered, RowChanged, RowState
from app.studio.retakes import (
    DEFAULT_VARIANTS,
    RetakeRenders,
    RetakeRow,
    Retakes,
    RetakesEvent,
    Spliced,
    SpliceUndone,
    VariantsStarted,
    find_span,
)
from app.studio.transport import Transport
from app.takes.take import Take
from app.ui import theme
from app.ui.icons import icon
from app.ui.lineup_panel import MAX_PARALLEL, lowered_text
from app.ui.metrics import TITLE, scaled, spaced

NUMBER, WAVE, LENGTH, STATUS = range(4)
HEADERS = ("Variant", "The sentence, the retaken words solid", "Words' length", "Status")
MAX_VARIANTS = 8
SENTENCE_ENDS = (".", "!", "?", "…", "。", "！", "？")


class SpanWave(QWidget):
    """A variant's sentence, faint, with the retaken words in the wave's colour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.take: Take | None = None
        self.span: tuple[float, float] | None = None
        self.setMinimumSize(200, 30)

    def sizeHint(self) -> QSize:
        return QSize(320, 34)

    def show_span(self, take: Take | None, span: tuple[float, float] | None) -> None:
        self.take, self.span = take, span
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        take, width, height = self.take, self.width(), self.height()
        colours = theme.current()
        painter = QPainter(self)
        painter.fillRect(self.rect(), colours.background)
        if take is None or not take.n_frames or width < 2:
            painter.end()
            return
        samples = take.samples
        columns = np.array_split(np.abs(samples), min(width, len(samples)))
        peaks = np.array([c.max() if len(c) else 0.0 for c in columns])
        faint = QColor(colours.wave)
        faint.setAlpha(70)
        mid = height / 2
        step = width / len(peaks)
        start, end = self.span or (0.0, 0.0)
        for i, peak in enumerate(peaks):
            t = (i + 0.5) * step / width * take.duration
            colour = colours.wave if start <= t <= end else faint
            h = max(1.0, float(peak) * (height - 4))
            painter.fillRect(QRectF(i * step, mid - h / 2, max(1.0, step), h), colour)
        if self.span is not None:
            x0, x1 = (s / take.duration * width for s in self.span)
            painter.setPen(colours.phonemes)
            painter.drawLine(round(x0), 0, round(x0), height)
            painter.drawLine(round(x1), 0, round(x1), height)
        painter.end()


class VariantTable(QTableWidget):
    """Up/Down move; Space plays the current variant in place; Enter keeps it."""

    playRequested = Signal(int)
    keepRequested = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        row = self.currentRow()
        if row >= 0 and event.key() == Qt.Key.Key_Space:
            self.playRequested.emit(row)
            return
        if row >= 0 and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.keepRequested.emit(row)
            return
        super().keyPressEvent(event)


class RetakePanel(QWidget):
    """Variants of words ``first..last`` of ``take``, played in place and kept."""

    closed = Signal()

    def __init__(self, retakes: Retakes, transport: Transport, take: Take, first: int,
                 last: int, *, parallel: int = 2, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.retakes = retakes
        self.transport = transport
        self.take = take
        self.first, self.last = first, last
        self._unbind: Callable[[], None] | None = None
        self._tasks: set[asyncio.Future[None]] = set()
        self._build(parallel)
        self._unbind_retakes = retakes.events.connect(self._on_retakes)
        self._show_heading()
        self._update_buttons()

    # --- building -----------------------------------------------------------------

    def _build(self, parallel: int) -> None:
        self.setWindowTitle("Retake")
        # A tool window like the lab and the comparison (dialogs): Escape puts it away.
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.heading.setFont(scaled(self.font(), TITLE))
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.count = QSpinBox()
        self.count.setRange(1, MAX_VARIANTS)
        self.count.setValue(DEFAULT_VARIANTS)
        self.count.setSuffix(" variants")
        self.parallel = QSpinBox()
        self.parallel.setRange(1, MAX_PARALLEL)
        self.parallel.setValue(parallel)
        self.parallel.setPrefix("at once: ")
        self.parallel.setToolTip("Variants rendered at the same time: your plan's "
                                 "concurrency (Free 2, Pro 3, Startup 5, Scale 15)")
        self.generate_button = QPushButton("Generate")
        self.generate_button.setDefault(True)
        self.generate_button.setToolTip("Say the sentence again, with the same voice and "
                                        "settings, once per variant")
        self.generate_button.clicked.connect(self.generate)
        self.sentence_button = QPushButton("Whole sentence")
        self.sentence_button.setToolTip("Retake the whole sentence holding these words")
        self.sentence_button.clicked.connect(self.whole_sentence)
        top = QHBoxLayout()
        top.addWidget(self.count)
        top.addWidget(self.parallel)
        top.addWidget(self.generate_button)
        top.addStretch()
        top.addWidget(self.sentence_button)

        self.table = VariantTable(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(40)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(WAVE, QHeaderView.ResizeMode.Stretch)
        for column in (NUMBER, LENGTH, STATUS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.playRequested.connect(self.play_in_place)
        self.table.keepRequested.connect(self.keep)
        self.table.cellDoubleClicked.connect(lambda row, _: self.play_in_place(row))
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.play_button = QPushButton(icon("play"), "Play in place")
        self.play_button.setToolTip("The take with this variant spliced in, from a second "
                                    "before the words to a second after (Space)")
        self.play_button.clicked.connect(lambda: self.play_in_place(self.table.currentRow()))
        self.original_button = QPushButton(icon("preview"), "Original")
        self.original_button.setToolTip("The take as it is, over the same stretch")
        self.original_button.clicked.connect(self.play_original)
        self.stop_button = QPushButton(icon("stop"), "Stop")
        self.stop_button.clicked.connect(self.stop)
        self.keep_button = QPushButton("Keep")
        self.keep_button.setToolTip("Splice this variant into the take (Enter)")
        self.keep_button.clicked.connect(lambda: self.keep(self.table.currentRow()))
        self.undo_button = QPushButton("Undo splice")
        self.undo_button.setToolTip("Take the latest splice back: the take before it is "
                                    "current again")
        self.undo_button.clicked.connect(self.undo)
        self.status = QLabel()
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        for widget in (self.play_button, self.original_button, self.stop_button):
            buttons.addWidget(widget)
        buttons.addStretch()
        buttons.addWidget(self.keep_button)
        buttons.addWidget(self.undo_button)
        layout = QVBoxLayout(self)
        spaced(layout)
        layout.addWidget(self.heading)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.resize(760, 340)

    def _show_heading(self) -> None:
        words = self.take.words
        said = " ".join(w.text for w in words[self.first:self.last + 1])
        start, end = words[self.first].start, words[self.last].end
        # The take's name says the voice and the first words already.
        self.heading.setText(
            f"Retake <b>“{html.escape(said)}”</b> ({format_time(start)}–"
            f"{format_time(end)}) <span style='color: palette(placeholder-text)'>"
            f"in “{html.escape(self.take.name)}”</span>")

    # --- rendering -------------------------------------------------------------------

    @property
    def renders(self) -> RetakeRenders | None:
        return self.retakes.renders

    def generate(self) -> None:
        self.stop()
        self.retakes.max_parallel = self.parallel.value()
        try:
            self.retakes.generate(self.take, self.first, self.last, self.count.value())
        except VoiceboothError as exc:
            self.status.setText(str(exc))

    def whole_sentence(self) -> None:
        """Widen the span to the sentence(s) holding it, and render that."""
        try:
            span = find_span(self.take, self.first, self.last)
        except VoiceboothError as exc:
            self.status.setText(str(exc))
            return
        self.first, self.last = span.sentence_first, span.sentence_last
        self._show_heading()
        self.generate()

    def _bind(self, renders: RetakeRenders) -> None:
        if self._unbind is not None:
            self._unbind()
        self.table.setRowCount(len(renders.variants))
        for index, row in enumerate(renders.variants):
            number = QTableWidgetItem(f"#{row.number}")
            number.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            self.table.setItem(index, NUMBER, number)
            self.table.setCellWidget(index, WAVE, SpanWave())
            self._show_row(index, row)
        self._unbind = renders.events.connect(self._on_renders)
        self.status.setText(f"Saying the sentence {len(renders.variants)} times, "
                            f"{renders.limit} at a time…")
        self.table.selectRow(0)
        self.table.setFocus()

    def _on_renders(self, event: LineupEvent) -> None:
        renders = self.renders
        if renders is None:
            return
        if isinstance(event, RowChanged) and isinstance(event.row, RetakeRow) \
                and event.row in renders.variants:
            self._show_row(renders.variants.index(event.row), event.row)
        elif isinstance(event, ParallelLowered):
            self.status.setText(lowered_text(event.limit, "variants"))
        elif isinstance(event, LineupFinished):
            ok = sum(v.state is RowState.DONE for v in renders.variants)
            failed = len(renders.variants) - ok
            self.status.setText(
                f"{ok} variant{'s' if ok != 1 else ''} ready"
                + (f", {failed} failed (hover for why)" if failed else "")
                + ". Space plays one in place, Enter keeps it.")
        self._update_buttons()

    def _show_row(self, index: int, row: RetakeRow) -> None:
        renders = self.renders
        wave = self.table.cellWidget(index, WAVE)
        span = self._variant_span(row)
        if isinstance(wave, SpanWave):
            wave.show_span(row.take, span)
        length = ""
        if span is not None and renders is not None:
            words = renders.span.take.words
            was = words[renders.span.last].end - words[renders.span.first].start
            now = span[1] - span[0]
            length = f"{format_time(now)} ({now - was:+.2f} s)"
        item = QTableWidgetItem(length)
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.table.setItem(index, LENGTH, item)
        status = QTableWidgetItem(_status(row))
        status.setToolTip(row.status)
        if row.state is RowState.FAILED:
            status.setForeground(theme.current().error)
        self.table.setItem(index, STATUS, status)

    def _variant_span(self, row: RetakeRow) -> tuple[float, float] | None:
        renders = self.renders
        if renders is None or row.take is None or row.state is not RowState.DONE:
            return None
        first, last = renders.span.in_sentence
        words = row.take.words
        return words[first].start, words[last].end

    def variant(self, index: int) -> RetakeRow | None:
        renders = self.renders
        if renders is None or not 0 <= index < len(renders.variants):
            return None
        return renders.variants[index]

    # --- hearing and keeping ----------------------------------------------------------

    def play_in_place(self, index: int) -> None:
        row = self.variant(index)
        if row is None:
            return
        try:
            where = self.retakes.play_in_place(self.transport, row)
        except VoiceboothError as exc:
            self.status.setText(str(exc))
            return
        self.status.setText(f"Variant {row.number} in place: {format_time(where.start)} to "
                            f"{format_time(where.end)} (not kept until you press Keep).")

    def play_original(self) -> None:
        renders = self.renders
        take = renders.span.take if renders is not None else self.take
        words = take.words
        start = max(0.0, words[self.first].start - 1.0)
        end = min(take.duration, words[self.last].end + 1.0)
        self.transport.play_take(take, start, end)

    def stop(self) -> None:
        self.transport.stop()

    def keep(self, index: int) -> None:
        row = self.variant(index)
        if row is None:
            return
        self._background(self._keep(row))

    async def _keep(self, row: RetakeRow) -> None:
        self.keep_button.setEnabled(False)
        try:
            take = await self.retakes.keep(row)
        except VoiceboothError as exc:
            self.status.setText(str(exc))
            return
        finally:
            self._update_buttons()
        self.take = take
        self.status.setText(f"Kept variant {row.number}: spliced into the take "
                            f"({format_time(take.duration)}). Undo splice takes it back.")

    def undo(self) -> None:
        self._background(self._undo())

    async def _undo(self) -> None:
        previous = await self.retakes.undo()
        if previous is not None:
            self.take = previous
            self.status.setText("Splice undone: the take before it is current again.")
        self._update_buttons()

    def _on_retakes(self, event: RetakesEvent) -> None:
        if isinstance(event, VariantsStarted):
            self._bind(event.renders)
        elif isinstance(event, (Spliced, SpliceUndone)):
            renders = self.renders
            if renders is not None:  # the lengths compare with the take now current
                for index, row in enumerate(renders.variants):
                    self._show_row(index, row)
        self._update_buttons()

    def _update_buttons(self) -> None:
        row = self.variant(self.table.currentRow())
        ready = row is not None and row.state is RowState.DONE
        self.play_button.setEnabled(ready)
        self.keep_button.setEnabled(ready)
        self.undo_button.setEnabled(self.retakes.can_undo)
        words = self.take.words
        whole = self.first == 0 or words[self.first - 1].text.endswith(SENTENCE_ENDS)
        whole = whole and (self.last + 1 == len(words)
                           or words[self.last].text.endswith(SENTENCE_ENDS))
        self.sentence_button.setEnabled(not whole)

    # --- lifetime ------------------------------------------------------------------------

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        """Wait for a keep or undo under way; stop listening (rendering is the studio's)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks))
        if self._unbind is not None:
            self._unbind()
            self._unbind = None
        self._unbind_retakes()
        self.closed.emit()


def _status(row: RetakeRow) -> str:
    if row.state is RowState.FAILED:
        return "failed" + (": words differ" if "cannot be matched" in row.status else "")
    if row.state is RowState.WAITING:
        return f"waiting ({row.refusals}×)"
    return str(row.state.value)
