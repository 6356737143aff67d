"""Compare voices: the line in several voices side by side, heard one after another.

Tick voices (favourites first, or a saved set), Render: one row per voice with
its name, a small waveform that grows as the audio streams, the duration, the
loudness and where it stands. Play all hears them in turn through the studio's
transport (which matches their loudness); Up/Down step through the rows,
Space or Enter plays one, and "Use this voice" keeps the winner for the line.
The rendering itself is the studio's (:class:`~app.studio.lineup.Lineup`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QPainter, QPaintEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.audio.timefmt import format_time
from app.cartesia.voices_types import Voice
from app.errors import VoiceboothError
from app.settings import LINEUP_PARALLEL
from app.studio.draft import Draft
from app.studio.lineup import (
    Lineup,
    LineupEvent,
    LineupFinished,
    LineupRow,
    ParallelLowered,
    RowChanged,
    RowState,
    delete_voice_set,
    play_in_turn,
    save_voice_set,
    voice_sets,
)
from app.studio.studio import Studio
from app.studio.transport import Transport
from app.takes.take import AudioAppended, Take, TakeEvent
from app.ui import theme
from app.ui.icons import icon
from app.ui.metrics import TITLE, scaled, spaced

NAME, WAVE, DURATION, LOUDNESS, STATUS = range(5)
HEADERS = ("Voice", "Waveform", "Duration", "Loudness", "Status")
MAX_PARALLEL = 15  # Cartesia's largest plan (Scale)


def _short_status(row: LineupRow) -> str:
    """The status that fits its column (the whole of it is the cell's tooltip)."""
    if row.state is RowState.FAILED and row.error is not None:
        title = getattr(row.error, "title", None)
        reason = title if isinstance(title, str) and title else str(row.error)
        return f"failed: {reason if len(reason) <= 32 else reason[:31] + '…'}"
    if row.state is RowState.WAITING:
        return "waiting (plan limit)"
    return row.status


class MiniWave(QWidget):
    """A take's waveform at a glance, redrawn as its audio arrives."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.take: Take | None = None
        #: Seconds the full width stands for: the longest row's, so lengths compare.
        self.span = 0.0
        #: Pixels at the bottom kept free for labels drawn by a subclass.
        self.lane = 0
        self._disconnect: Callable[[], None] | None = None
        self.setMinimumSize(160, 30)

    def sizeHint(self) -> QSize:
        return QSize(220, 34)

    def show_take(self, take: Take | None) -> None:
        self.release()
        self.take = take
        if take is not None:
            self._disconnect = take.events.connect(self._on_take)
        self.update()

    def release(self) -> None:
        if self._disconnect is not None:
            self._disconnect()
            self._disconnect = None

    def _on_take(self, event: TakeEvent) -> None:
        if isinstance(event, AudioAppended):
            self.update()  # Qt folds the repaints of a burst into one

    def paintEvent(self, event: QPaintEvent) -> None:
        colours = theme.current()
        painter = QPainter(self)
        painter.fillRect(self.rect(), colours.background)
        take = self.take
        width, height = self.width(), self.height() - self.lane
        if take is None or take.n_frames == 0 or width < 2:
            painter.end()
            return
        frames = max(take.n_frames, round(self.span * take.sample_rate))
        mins, maxs = take.peaks.query(0, frames, width,
                                      take.samples if frames < 64 * width else None)
        middle, half = height / 2, height / 2 - 2
        painter.setPen(colours.wave)
        for x in range(width):
            low, high = float(mins[x]), float(maxs[x])
            if low == high == 0.0:
                continue
            painter.drawLine(x, round(middle - high * half), x, round(middle - low * half))
        painter.end()


class RowTable(QTableWidget):
    """The rows; Space and Enter play the current one (Up/Down move, as in any table)."""

    playRequested = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter) \
                and self.currentRow() >= 0:
            self.playRequested.emit(self.currentRow())
            return
        super().keyPressEvent(event)


def show_row(table: QTableWidget, index: int, row: LineupRow, wave_column: int,
             columns: tuple[int, int, int]) -> None:
    """A row's waveform, duration, loudness and status in ``table`` (the columns
    ``columns`` gives, in that order); every waveform drawn on the longest row's scale.
    Shared by the voice lineup and the pronunciation lab."""
    wave = table.cellWidget(index, wave_column)
    if isinstance(wave, MiniWave) and wave.take is not row.take:
        wave.show_take(row.take)
    share_span(table, wave_column)
    take = row.take
    finished = take is not None and row.state in (RowState.DONE, RowState.FAILED,
                                                 RowState.STOPPED)
    duration = format_time(take.duration) if finished and take is not None \
        and take.n_frames else ""
    loudness = f"{take.loudness.lufs:.1f} LUFS" if take is not None and take.loudness \
        else ""
    duration_column, loudness_column, status_column = columns
    _cell(table, index, duration_column, duration, right=True)
    _cell(table, index, loudness_column, loudness, right=True)
    status = _cell(table, index, status_column, _short_status(row))
    status.setToolTip(row.status)
    if row.state is RowState.FAILED:
        status.setForeground(theme.current().error)


def release_waves(table: QTableWidget, wave_column: int) -> None:
    """Stop the rows' waveforms listening to their takes (the panel is going away)."""
    for index in range(table.rowCount()):
        wave = table.cellWidget(index, wave_column)
        if isinstance(wave, MiniWave):
            wave.release()


def share_span(table: QTableWidget, wave_column: int) -> None:
    """One time scale for every row: a longer read looks longer."""
    waves = [table.cellWidget(i, wave_column) for i in range(table.rowCount())]
    span = max((w.take.duration for w in waves
                if isinstance(w, MiniWave) and w.take is not None), default=0.0)
    for wave in waves:
        if isinstance(wave, MiniWave) and wave.span != span:
            wave.span = span
            wave.update()


def _cell(table: QTableWidget, index: int, column: int, text: str,
          right: bool = False) -> QTableWidgetItem:
    item = table.item(index, column)
    if item is None:
        item = QTableWidgetItem()
        table.setItem(index, column, item)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    item.setText(text)
    return item


class RowPlayback:
    """Playing a comparison's rows, shared by the voice lineup and the pronunciation lab:
    one row (Space again pauses and resumes, as in the main window), or every finished
    row in turn with the table's selection following along."""

    def __init__(self, transport: Transport, table: QTableWidget,
                 takes: Callable[[], list[Take | None]]) -> None:
        self.transport = transport
        self.table = table
        self._takes = takes  # the rows' takes, in table order
        self._playing: asyncio.Future[None] | None = None

    def play(self, take: Take | None) -> None:
        if take is None or not take.n_frames:
            return
        self.stop()
        if self.transport.take is take and self.transport.holds_current:
            self.transport.toggle()
        else:
            self.transport.play_take(take)

    def play_all(self, takes: list[Take]) -> bool:
        """Each of ``takes`` in turn; False when there is nothing to play."""
        if not takes:
            return False
        self.stop()
        self._playing = asyncio.ensure_future(
            play_in_turn(self.transport, takes, playing=self._follow))
        return True

    @property
    def in_turn(self) -> asyncio.Future[None] | None:
        """The playing of every row in turn, while it runs."""
        return self._playing

    def _follow(self, take: Take) -> None:
        for index, row_take in enumerate(self._takes()):
            if row_take is take:
                self.table.selectRow(index)

    def stop(self) -> None:
        if self._playing is not None and not self._playing.done():
            self._playing.cancel()
        self._playing = None

    async def aclose(self) -> None:
        playing, self._playing = self._playing, None
        if playing is not None:
            playing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await playing


def lowered_text(limit: int, what: str) -> str:
    return (f"The server allows fewer at once: {limit} at a time now. Waiting {what} are "
            "queued, not lost.")


def finished_text(rows: Sequence[LineupRow], what: str, hint: str) -> str:
    """"4 of 5 voices ready, 1 failed. <hint>" once a render has ended."""
    done = sum(row.state is RowState.DONE for row in rows)
    failed = sum(row.state is RowState.FAILED for row in rows)
    return (f"{done} of {len(rows)} {what} ready" + (f", {failed} failed" if failed else "")
            + f". {hint}")


class LineupPanel(QDialog):
    """The comparison window; ``voiceChosen`` carries the voice kept for the line."""

    voiceChosen = Signal(object)  # Voice

    def __init__(self, studio: Studio, draft: Callable[[], Draft],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare voices")
        self.studio = studio
        self._draft = draft
        self.lineup: Lineup | None = None
        self._unbind: Callable[[], None] | None = None
        self._build()
        self.playback = RowPlayback(studio.transport, self.table, lambda: [
            row.take for row in self.lineup.rows] if self.lineup is not None else [])
        self._fill_voices()
        self._fill_sets()

    # --- building -----------------------------------------------------------------

    def _build(self) -> None:
        self.line = QLabel()
        self.line.setWordWrap(True)
        self.line.setStyleSheet("color: palette(placeholder-text);")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter voices")
        self.search.textChanged.connect(self._filter)
        self.voices = QListWidget()
        self.voices.itemChanged.connect(lambda _: self._update_buttons())
        self.sets = QComboBox()
        self.sets.setPlaceholderText("Saved sets")
        self.sets.activated.connect(self._pick_set)
        self.set_name = QLineEdit()
        self.set_name.setPlaceholderText("Name this pick")
        self.save_set_button = QPushButton("Save set")
        self.save_set_button.clicked.connect(self._save_set)
        self.delete_set_button = QPushButton("Delete set")
        self.delete_set_button.clicked.connect(self._delete_set)
        pick = QWidget()
        pick_layout = QVBoxLayout(pick)
        pick_layout.setContentsMargins(0, 0, 0, 0)
        pick_title = QLabel("Voices to compare")
        pick_title.setFont(scaled(self.font(), TITLE, bold=True))
        pick_title.setToolTip("Favourites come first")
        pick_layout.addWidget(pick_title)
        pick_layout.addWidget(self.search)
        pick_layout.addWidget(self.voices, 1)
        sets_row = QHBoxLayout()
        sets_row.addWidget(self.sets, 1)
        sets_row.addWidget(self.delete_set_button)
        pick_layout.addLayout(sets_row)
        save_row = QHBoxLayout()
        save_row.addWidget(self.set_name, 1)
        save_row.addWidget(self.save_set_button)
        pick_layout.addLayout(save_row)

        self.table = RowTable(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(38)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(WAVE, QHeaderView.ResizeMode.Stretch)
        for column in (NAME, DURATION, LOUDNESS, STATUS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.playRequested.connect(self.play_row)
        self.table.cellDoubleClicked.connect(lambda row, _: self.play_row(row))
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.render_button = QPushButton("Render")
        self.render_button.setToolTip("Say the line in every ticked voice")
        self.render_button.setDefault(True)
        self.render_button.clicked.connect(self.render_voices)
        self.parallel = QSpinBox()
        self.parallel.setRange(1, MAX_PARALLEL)
        self.parallel.setValue(self.studio.settings.get(LINEUP_PARALLEL))
        self.parallel.setPrefix("at once: ")
        self.parallel.setToolTip("Voices rendered at the same time: your plan's concurrency "
                                 "(Free 2, Pro 3, Startup 5, Scale 15)")
        self.parallel.valueChanged.connect(
            lambda n: self.studio.settings.set(LINEUP_PARALLEL, int(n)))
        self.play_all_button = QPushButton(icon("play"), "Play all")
        self.play_all_button.setToolTip("Hear every voice in turn, at matched loudness")
        self.play_all_button.clicked.connect(self.play_all)
        self.stop_button = QPushButton(icon("stop"), "Stop")
        self.stop_button.clicked.connect(self.stop)
        self.use_button = QPushButton("Use this voice")
        self.use_button.setToolTip("Keep the selected row's voice for the line")
        self.use_button.clicked.connect(self.use_current)
        self.status = QLabel()
        self.status.setWordWrap(True)

        buttons = QHBoxLayout()
        for widget in (self.render_button, self.parallel, self.play_all_button,
                       self.stop_button):
            buttons.addWidget(widget)
        buttons.addStretch()
        buttons.addWidget(self.use_button)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.line)
        right_layout.addWidget(self.table, 1)
        right_layout.addLayout(buttons)
        right_layout.addWidget(self.status)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(pick)
        split.addWidget(right)
        split.setSizes([260, 640])
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        spaced(layout)
        layout.addWidget(split)
        self.resize(960, 520)
        self._update_buttons()

    # --- choosing voices -------------------------------------------------------------

    def _fill_voices(self) -> None:
        """The library's voices, favourites first (ticks kept across a refill)."""
        ticked = set(self.ticked_ids())
        favourites = self.studio.library.favourites
        voices = sorted(self.studio.library.voices,
                        key=lambda v: (v.id not in favourites, v.name.casefold()))
        self.voices.blockSignals(True)
        self.voices.clear()
        for voice in voices:
            star = "★ " if voice.id in favourites else ""
            item = QListWidgetItem(f"{star}{voice.name}")
            item.setData(Qt.ItemDataRole.UserRole, voice)
            item.setToolTip(voice.description or voice.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if voice.id in ticked
                               else Qt.CheckState.Unchecked)
            self.voices.addItem(item)
        self.voices.blockSignals(False)
        self._filter(self.search.text())

    def _items(self) -> list[QListWidgetItem]:
        return [self.voices.item(i) for i in range(self.voices.count())]

    def ticked(self) -> list[Voice]:
        return [item.data(Qt.ItemDataRole.UserRole) for item in self._items()
                if item.checkState() is Qt.CheckState.Checked]

    def ticked_ids(self) -> list[str]:
        return [voice.id for voice in self.ticked()]

    def tick(self, voice_ids: list[str]) -> None:
        """Tick exactly these voices."""
        wanted = set(voice_ids)
        for item in self._items():
            voice = item.data(Qt.ItemDataRole.UserRole)
            item.setCheckState(Qt.CheckState.Checked if voice.id in wanted
                               else Qt.CheckState.Unchecked)
        self._update_buttons()

    def _filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for item in self._items():
            voice = item.data(Qt.ItemDataRole.UserRole)
            item.setHidden(bool(needle) and needle not in voice.name.casefold()
                           and needle not in voice.description.casefold())

    def _fill_sets(self, current: str = "") -> None:
        self.sets.clear()
        for name, ids in voice_sets(self.studio.settings).items():
            self.sets.addItem(f"{name} ({len(ids)})", name)
        self.sets.setCurrentIndex(self.sets.findData(current) if current else -1)
        self._update_buttons()

    def _pick_set(self, index: int) -> None:
        name = self.sets.itemData(index)
        ids = voice_sets(self.studio.settings).get(name, [])
        self.tick(ids)
        known = {voice.id for voice in self.ticked()}
        missing = len(set(ids) - known)
        self.set_name.setText(name)
        self.status.setText(f"{missing} voice{'s' if missing > 1 else ''} of {name!r} "
                            "are not in the library now" if missing else "")

    def _save_set(self) -> None:
        try:
            name = save_voice_set(self.studio.settings, self.set_name.text(),
                                  self.ticked_ids())
        except VoiceboothError as exc:
            self.status.setText(str(exc))
            return
        self._fill_sets(name)
        self.status.setText(f"Saved the set {name!r}.")

    def _delete_set(self) -> None:
        name = self.sets.currentData()
        if isinstance(name, str):
            delete_voice_set(self.studio.settings, name)
            self._fill_sets()
            self.status.setText(f"Deleted the set {name!r}.")

    # --- rendering ---------------------------------------------------------------------

    def render_voices(self) -> None:
        """Say the line in each ticked voice (one row each)."""
        self.stop_playing()
        try:
            lineup = self.studio.compare(self._draft(), self.ticked(), self.parallel.value())
        except VoiceboothError as exc:
            self.status.setText(str(exc))
            return
        self.show_lineup(lineup)

    def show_lineup(self, lineup: Lineup) -> None:
        self._release()
        self.lineup = lineup
        self.line.setText(f"“{lineup.settings.text}”")
        self.table.setRowCount(len(lineup.rows))
        for index, row in enumerate(lineup.rows):
            name = QTableWidgetItem(row.voice.name)
            name.setToolTip(row.voice.id)
            self.table.setItem(index, NAME, name)
            self.table.setCellWidget(index, WAVE, MiniWave())
            for column in (DURATION, LOUDNESS, STATUS):
                self.table.setItem(index, column, QTableWidgetItem())
            self._show_row(index, row)
        self._unbind = lineup.events.connect(self._on_lineup)
        self.status.setText(f"Rendering {len(lineup.rows)} voices, {lineup.limit} at a time…")
        if lineup.rows:
            self.table.selectRow(0)
        self.table.setFocus()
        self._update_buttons()

    def _on_lineup(self, event: LineupEvent) -> None:
        if self.lineup is None:
            return
        if isinstance(event, RowChanged):
            self._show_row(self.lineup.rows.index(event.row), event.row)
        elif isinstance(event, ParallelLowered):
            self.status.setText(lowered_text(event.limit, "voices"))
        elif isinstance(event, LineupFinished):
            self.status.setText(finished_text(
                event.lineup.rows, "voices",
                "Up/Down to step, Space to play, Play all to hear each."))
        self._update_buttons()

    def _show_row(self, index: int, row: LineupRow) -> None:
        show_row(self.table, index, row, WAVE, (DURATION, LOUDNESS, STATUS))

    # --- hearing and choosing ------------------------------------------------------------

    def current_row(self) -> LineupRow | None:
        index = self.table.currentRow()
        if self.lineup is None or not 0 <= index < len(self.lineup.rows):
            return None
        return self.lineup.rows[index]

    def play_row(self, index: int) -> None:
        if self.lineup is not None and 0 <= index < len(self.lineup.rows):
            self.playback.play(self.lineup.rows[index].take)

    def play_all(self) -> None:
        """Each finished voice in turn, the row following along."""
        if self.lineup is None:
            return
        takes = [row.take for row in self.lineup.rows
                 if row.state is RowState.DONE and row.take is not None]
        if not self.playback.play_all(takes):
            self.status.setText("Nothing to play yet: render first.")

    def stop_playing(self) -> None:
        self.playback.stop()

    def stop(self) -> None:
        self.stop_playing()
        self.studio.transport.stop()
        if self.lineup is not None and not self.lineup.finished:
            self.lineup.stop()

    def use_current(self) -> None:
        row = self.current_row()
        if row is None:
            return
        self.voiceChosen.emit(row.voice)
        self.status.setText(f"{row.voice.name} is now the line's voice.")

    def _update_buttons(self) -> None:
        has_rows = self.lineup is not None and bool(self.lineup.rows)
        ticked = len(self.ticked_ids())
        self.render_button.setEnabled(bool(ticked))
        self.render_button.setText(f"Render {ticked} voice{'' if ticked == 1 else 's'}"
                                   if ticked else "Render")
        self.play_all_button.setEnabled(has_rows)
        self.use_button.setEnabled(self.current_row() is not None)
        self.save_set_button.setEnabled(bool(self.ticked_ids()))
        self.delete_set_button.setEnabled(self.sets.currentIndex() >= 0)

    # --- lifetime ----------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        self._fill_voices()  # the library may have loaded more since
        if self.lineup is None:
            self.line.setText(f"“{self._draft().text}”")
        super().showEvent(event)

    def _release(self) -> None:
        if self._unbind is not None:
            self._unbind()
            self._unbind = None
        release_waves(self.table, WAVE)

    async def aclose(self) -> None:
        """Stop playing in turn (the lineup itself is the studio's)."""
        await self.playback.aclose()
        self._release()
