"""The pronunciation lab: one word said several ways, each in its sentence, side by side.

Candidates come from what the designer types (IPA like ``k|ɑ|ɹ`` or a spelling
like ``kar-TEE-zhuh``), the IPA the engine gives for the word and the
pronunciations used before. Render says the sentence once per candidate (the
studio's :class:`~app.studio.lab.PronunciationLab`, within the plan's
concurrency); each row shows its waveform with the replaced word's phonemes
under it. Play all hears them in turn at matched loudness, A/B switches between
two selected rows at the same word, and "Keep this occurrence" / "Keep
everywhere" announce the winner (:attr:`LabPanel.kept`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.cartesia.voices_types import Voice
from app.errors import VoiceboothError
from app.settings import LINEUP_PARALLEL
from app.studio.draft import Draft
from app.studio.lab import (
    Candidate,
    LabRow,
    PronunciationLab,
    Scope,
    WordInLine,
    candidate,
    default_candidates,
    word_phonemes,
)
from app.studio.lineup import (
    LineupEvent,
    LineupFinished,
    LineupRow,
    ParallelLowered,
    RowChanged,
    RowState,
)
from app.studio.studio import Studio
from app.takes.take import TakeEvent
from app.takes.timings import Timing
from app.ui import theme
from app.ui.icons import icon
from app.ui.lineup_panel import (
    MAX_PARALLEL,
    MiniWave,
    RowPlayback,
    RowTable,
    finished_text,
    lowered_text,
    release_waves,
    show_row,
)
from app.ui.metrics import TITLE, scaled, spaced

SAID, SOURCE, WAVE, DURATION, LOUDNESS, STATUS = range(6)
HEADERS = ("Said as", "From", "Waveform and the word's phonemes", "Duration", "Loudness",
           "Status")
LANE = 16  # pixels of phoneme labels under each waveform


class LabWave(MiniWave):
    """A row's waveform, with the replaced word's span shaded and its phonemes below."""

    def __init__(self, phonemes: Callable[[], list[Timing]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._phonemes = phonemes
        self.lane = LANE
        self.setMinimumSize(240, 30 + LANE)

    def sizeHint(self) -> QSize:
        return QSize(320, 34 + LANE)

    def _on_take(self, event: TakeEvent) -> None:
        self.update()  # words and phonemes arrive after the audio they time

    def labels(self) -> list[Timing]:
        return self._phonemes()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        take = self.take
        phonemes = self.labels()
        if take is None or not phonemes or self.width() < 2:
            return
        seconds = max(take.duration, self.span) or 1.0
        scale = self.width() / seconds
        colours = theme.current()
        painter = QPainter(self)
        shade = QColor(colours.phonemes)
        shade.setAlpha(40)
        first, last = phonemes[0].start * scale, phonemes[-1].end * scale
        painter.fillRect(QRectF(first, 0, max(1.0, last - first), self.height() - LANE), shade)
        font = QFont(painter.font())
        font.setPointSizeF(max(6.5, font.pointSizeF() - 1.5))
        painter.setFont(font)
        painter.setPen(colours.phonemes)
        top = self.height() - LANE
        right = -1.0
        for phoneme in phonemes:
            x = phoneme.start * scale
            width = max(1.0, (phoneme.end - phoneme.start) * scale)
            painter.drawLine(round(x), top, round(x), top + 3)
            if x >= right:  # labels that would overlap the last one drawn are left out
                painter.drawText(QRectF(x + 1, top, max(width, 14.0), LANE),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                                 phoneme.text)
                right = x + painter.fontMetrics().horizontalAdvance(phoneme.text) + 3
        painter.end()


class LabPanel(QDialog):
    """The lab for one word of the line; ``kept`` carries (word, pronunciation, scope)."""

    kept = Signal(str, str, str)

    def __init__(self, studio: Studio, draft: Draft, voice: Voice, word: WordInLine,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Pronunciation lab — {word.word}")
        self.studio = studio
        self.draft = draft
        self.voice = voice
        self.word = word
        self.candidates: list[Candidate] = []
        #: The last rendering (the one announcing its rows' changes).
        self.lab: PronunciationLab | None = None
        #: Each candidate's latest rendering, by pronunciation: adding a candidate
        #: renders only what has not been heard, the others stay.
        self.rendered: dict[str, LabRow] = {}
        self._unbind: Callable[[], None] | None = None
        self._tasks: set[asyncio.Future[None]] = set()
        self._build()
        self.playback = RowPlayback(studio.transport, self.table, lambda: [
            row.take if row is not None else None
            for row in (self.row(i) for i in range(len(self.candidates)))])
        for found in default_candidates(studio.pronunciations.for_word(word.word), None):
            self.add(found)
        self._update_buttons()

    # --- building -----------------------------------------------------------------

    def _build(self) -> None:
        self.heading = QLabel(f"How should <b>{self.word.word}</b> sound in "
                              f"“{self._sentence_html()}”? "
                              f"<span style='color: palette(placeholder-text)'>"
                              f"({self.voice.name})</span>")
        self.heading.setWordWrap(True)
        self.heading.setFont(scaled(self.font(), TITLE))
        self.typed = QLineEdit()
        self.typed.setPlaceholderText("IPA like k|ɑ|ɹ|ˈt|i|ʒ|ə, or a spelling like "
                                      "kar-TEE-zhuh — Enter adds it")
        self.typed.returnPressed.connect(self.add_typed)
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(self.add_typed)
        self.engine_button = QPushButton("Add the engine's")
        self.engine_button.setToolTip("The IPA the offline engine (espeak-ng) gives for "
                                      "the word")
        self.engine_button.clicked.connect(self.add_engine)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        entry = QHBoxLayout()
        entry.addWidget(self.typed, 1)
        entry.addWidget(self.add_button)
        entry.addWidget(self.engine_button)
        entry.addWidget(self.remove_button)

        self.table = RowTable(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(34 + LANE + 4)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(WAVE, QHeaderView.ResizeMode.Stretch)
        for column in (SAID, SOURCE, DURATION, LOUDNESS, STATUS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.playRequested.connect(self.play_row)
        self.table.cellDoubleClicked.connect(lambda row, _: self.play_row(row))
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.render_button = QPushButton("Render")
        self.render_button.setDefault(True)
        self.render_button.setToolTip("Say the sentence once per candidate")
        self.render_button.clicked.connect(self.render_candidates)
        self.parallel = QSpinBox()
        self.parallel.setRange(1, MAX_PARALLEL)
        self.parallel.setValue(self.studio.settings.get(LINEUP_PARALLEL))
        self.parallel.setPrefix("at once: ")
        self.parallel.setToolTip("Candidates rendered at the same time: your plan's "
                                 "concurrency (Free 2, Pro 3, Startup 5, Scale 15)")
        self.play_all_button = QPushButton(icon("play"), "Play all")
        self.play_all_button.setToolTip("Hear every candidate in turn, at matched loudness")
        self.play_all_button.clicked.connect(self.play_all)
        self.ab_button = QPushButton("A/B")
        self.ab_button.setToolTip("Select two rows: play the first, Switch continues in "
                                  "the other at the same word")
        self.ab_button.clicked.connect(self.start_ab)
        self.switch_button = QPushButton("Switch")
        self.switch_button.setShortcut("Ctrl+B")
        self.switch_button.clicked.connect(self.studio.transport.switch_ab)
        self.stop_button = QPushButton(icon("stop"), "Stop")
        self.stop_button.clicked.connect(self.stop)
        self.keep_here_button = QPushButton("Keep this occurrence")
        self.keep_here_button.setToolTip("Write the selected pronunciation into the line, "
                                         "at this word only")
        self.keep_here_button.clicked.connect(lambda: self.keep("occurrence"))
        self.keep_all_button = QPushButton("Keep everywhere")
        self.keep_all_button.setToolTip("Add the selected pronunciation to the lexicon: "
                                        "every line says the word this way")
        self.keep_all_button.clicked.connect(lambda: self.keep("everywhere"))
        #: Which of the project's lexicons "Keep everywhere" writes to.
        self.keep_in = QComboBox()
        self.keep_in.setToolTip("The lexicon that keeps the pronunciation (a file is "
                                "written back in its own format)")
        for source in self.studio.lexicons.sources:
            self.keep_in.addItem(f"in {source.name}", source.name)
        self.status = QLabel()
        self.status.setWordWrap(True)

        buttons = QHBoxLayout()
        for widget in (self.render_button, self.parallel, self.play_all_button,
                       self.ab_button, self.switch_button, self.stop_button):
            buttons.addWidget(widget)
        buttons.addStretch()
        buttons.addWidget(self.keep_here_button)
        buttons.addWidget(self.keep_all_button)
        buttons.addWidget(self.keep_in)
        layout = QVBoxLayout(self)
        spaced(layout)
        layout.addWidget(self.heading)
        layout.addLayout(entry)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.resize(980, 460)

    def _sentence_html(self) -> str:
        a, b = self.word.sentence()
        text = self.word.text
        return (html.escape(text[a:self.word.start].lstrip()) + "<u>"
                + html.escape(self.word.word) + "</u>"
                + html.escape(text[self.word.end:b].rstrip()))

    # --- candidates ----------------------------------------------------------------

    def add(self, found: Candidate) -> bool:
        """Add a candidate row (``False`` when it is there already)."""
        if any(c.pronunciation == found.pronunciation for c in self.candidates):
            self.status.setText(f"{found.pronunciation} is already a candidate.")
            return False
        self.candidates.append(found)
        self._show_candidates()
        return True

    def add_typed(self) -> None:
        try:
            found = candidate(self.typed.text())
        except VoiceboothError as exc:
            self.status.setText(str(exc))  # what was typed stays, to be corrected
            return
        if self.add(found):
            self.typed.clear()
            self.status.setText(f"Added {found.pronunciation}. Render to hear it.")

    def add_engine(self) -> None:
        self.engine_button.setEnabled(False)
        self._background(self._add_engine())

    async def _add_engine(self) -> None:
        try:
            found = await self.studio.pronunciation(self.word.word, self.draft.language)
        except VoiceboothError as exc:
            self.status.setText(str(exc))
            return
        finally:
            self.engine_button.setEnabled(True)
        if self.add(found):
            self.status.setText(f"The engine says {found.pronunciation}.")

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        if not rows:
            return
        for row in rows:
            self.rendered.pop(self.candidates[row].pronunciation, None)
            del self.candidates[row]
        self._show_candidates()

    def _show_candidates(self) -> None:
        self.table.setRowCount(len(self.candidates))
        for index, found in enumerate(self.candidates):
            said = QTableWidgetItem(found.pronunciation)
            said.setToolTip(self.word.sentence_with(found))
            self.table.setItem(index, SAID, said)
            self.table.setItem(index, SOURCE, QTableWidgetItem(found.source))
            self.table.setCellWidget(index, WAVE, LabWave(functools.partial(self._labels,
                                                                            index)))
            for column in (DURATION, LOUDNESS, STATUS):
                self.table.setItem(index, column, QTableWidgetItem())
            rendered = self.rendered.get(found.pronunciation)
            if rendered is not None:
                self._show_row(index, rendered)
        self._update_buttons()

    def _labels(self, index: int) -> list[Timing]:
        row = self.row(index)
        return word_phonemes(self.word, row.take) if row is not None else []

    # --- rendering --------------------------------------------------------------------

    def unheard(self) -> list[Candidate]:
        """The candidates with no finished rendering yet."""
        return [c for c in self.candidates
                if (r := self.rendered.get(c.pronunciation)) is None
                or r.state is not RowState.DONE]

    def render_candidates(self) -> None:
        """Say the sentence once per candidate not yet heard (all again when every one
        has been)."""
        self.stop_playing()
        if not self.candidates:
            self.status.setText("Add a candidate first: type IPA or a spelling, or add the "
                                "engine's.")
            return
        todo = self.unheard() or list(self.candidates)
        try:
            lab = self.studio.audition(self.draft, self.voice, self.word, todo,
                                       self.parallel.value())
        except VoiceboothError as exc:
            self.status.setText(str(exc))
            return
        self.show_lab(lab)

    def show_lab(self, lab: PronunciationLab) -> None:
        self._release()
        self.lab = lab
        for row in lab.candidates:
            self.rendered[row.candidate.pronunciation] = row
            self._show_row(self._index(row), row)
        self._unbind = lab.events.connect(self._on_lab)
        self.status.setText(f"Rendering {len(lab.rows)} candidates, {lab.limit} at a time…")
        if lab.rows and self.table.currentRow() < 0:
            self.table.selectRow(0)
        self.table.setFocus()
        self._update_buttons()

    def _on_lab(self, event: LineupEvent) -> None:
        if self.lab is None:
            return
        if isinstance(event, RowChanged) and isinstance(event.row, LabRow):
            index = self._index(event.row)
            if index >= 0 and self.rendered.get(event.row.candidate.pronunciation) \
                    is event.row:
                self._show_row(index, event.row)
        elif isinstance(event, ParallelLowered):
            self.status.setText(lowered_text(event.limit, "candidates"))
        elif isinstance(event, LineupFinished):
            self.status.setText(finished_text(event.lineup.rows, "candidates",
                                              "Space plays a row; select two for A/B."))
        self._update_buttons()

    def _index(self, row: LabRow) -> int:
        return next((i for i, c in enumerate(self.candidates)
                     if c.pronunciation == row.candidate.pronunciation), -1)

    def _show_row(self, index: int, row: LineupRow) -> None:
        show_row(self.table, index, row, WAVE, (DURATION, LOUDNESS, STATUS))
        wave = self.table.cellWidget(index, WAVE)
        if wave is not None:
            wave.update()

    # --- hearing and choosing ---------------------------------------------------------

    def row(self, index: int) -> LabRow | None:
        """The rendering of the candidate in row ``index`` (``None`` if never rendered)."""
        if not 0 <= index < len(self.candidates):
            return None
        return self.rendered.get(self.candidates[index].pronunciation)

    def selected_rows(self) -> list[LabRow]:
        indexes = sorted({i.row() for i in self.table.selectedIndexes()})
        return [r for r in (self.row(i) for i in indexes) if r is not None]

    def play_row(self, index: int) -> None:
        row = self.row(index)
        self.playback.play(row.take if row is not None else None)

    def play_all(self) -> None:
        rows = [self.row(i) for i in range(len(self.candidates))]
        takes = [row.take for row in rows
                 if row is not None and row.state is RowState.DONE and row.take is not None]
        if not self.playback.play_all(takes):
            self.status.setText("Nothing to play yet: render first.")

    def start_ab(self) -> None:
        rows = self.selected_rows()
        if self.lab is None or len(rows) != 2:
            self.status.setText("Select two rendered rows to compare (Ctrl+click).")
            return
        self.stop_playing()
        try:
            self.lab.start_ab(self.studio.transport, rows[0], rows[1])
        except VoiceboothError as exc:
            self.status.setText(str(exc))
            return
        self.status.setText(f"A: {rows[0].candidate.pronunciation}   B: "
                            f"{rows[1].candidate.pronunciation}   — Switch (Ctrl+B) "
                            "continues in the other at the same word.")

    def stop_playing(self) -> None:
        self.playback.stop()

    def stop(self) -> None:
        self.stop_playing()
        self.studio.transport.stop()
        if self.lab is not None and not self.lab.finished:
            self.lab.stop()

    def keep(self, scope: Scope) -> None:
        rows = self.selected_rows()
        if self.lab is None or len(rows) != 1:
            self.status.setText("Select the one row to keep.")
            return
        kept = self.lab.keep(rows[0], scope)
        self.studio.pronunciations.remember(kept.word, kept.pronunciation)
        self.kept.emit(kept.word, kept.pronunciation, kept.scope)
        where = ("in this line" if scope == "occurrence"
                 else f"everywhere ({self.keep_in.currentText()})")
        self.status.setText(f"Kept {kept.pronunciation} for “{kept.word}” {where}.")

    def _update_buttons(self) -> None:
        rendered = self.lab is not None
        selected = self.selected_rows()
        unheard = len(self.unheard())
        self.render_button.setEnabled(bool(self.candidates))
        self.render_button.setText(
            "Render" if not self.candidates else f"Render {unheard}"
            if unheard == len(self.candidates) else f"Render {unheard} new" if unheard
            else "Render again")
        self.play_all_button.setEnabled(rendered)
        self.ab_button.setEnabled(len(selected) == 2)
        self.keep_here_button.setEnabled(len(selected) == 1)
        self.keep_all_button.setEnabled(len(selected) == 1)
        self.remove_button.setEnabled(bool(self.table.selectedIndexes()))

    # --- lifetime ------------------------------------------------------------------------

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _release(self) -> None:
        if self._unbind is not None:
            self._unbind()
            self._unbind = None
        release_waves(self.table, WAVE)

    async def aclose(self) -> None:
        """Stop playing in turn and looking words up (the lab itself is the studio's)."""
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.playback.aclose()
        self._release()
