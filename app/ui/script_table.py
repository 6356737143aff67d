"""The script's lines as a table: number, id, text, voice, state, duration, loudness.

Drawing only: :meth:`LineTable.show_line` writes one line into its row (the
state's colour and the tooltip that says why, from :func:`describe`); Enter and
double-click ask to play the line.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from app.audio.timefmt import format_time
from app.studio.script import LineState, ScriptLine
from app.takes.take import Take
from app.ui import theme

N, ID, TEXT, VOICE, STATE, DURATION, LOUDNESS = range(7)
HEADERS = ("#", "Id", "Text", "Voice", "State", "Length", "LUFS")
#: Characters of a line's text shown in its cell (the whole text is the tooltip).
TEXT_SHOWN = 90
#: What an empty script says: how lines get in.
EMPTY_HINT = ("No lines yet. Import a CSV or JSON Lines file (id,text[,voice,…]) with "
              "Import…, or add the editor's line with + Line.")


@dataclass(frozen=True)
class Shown:
    """What the state column says about a line, and why."""

    label: str
    why: str
    colour: QColor | None


def describe(line: ScriptLine, take: Take | None, *, rendering: bool,
             waiting: bool = False) -> Shown:
    """The line's state as the table shows it: rendering and failed come before the
    take's own state (current, stale, missing)."""
    colours = theme.current()
    if rendering:
        return Shown("rendering…", "being rendered now", colours.wave)
    if waiting:
        return Shown("queued", "waiting for a free slot of the plan", colours.ruler)
    if line.error:
        return Shown("failed", f"the last render failed: {line.error}", colours.error)
    state = line.state
    if state is LineState.CURRENT:
        return Shown("current", "the take matches the line's text and settings",
                     colours.value)
    if state is LineState.STALE:
        return Shown("stale", stale_reason(line, take), colours.phonemes)
    return Shown("missing", "no take yet: render it (Enter)", colours.ruler)


def stale_reason(line: ScriptLine, take: Take | None) -> str:
    """Why the take no longer matches: the text, or a setting (when the take is known)."""
    if take is None:
        return "the text or the settings changed since the take"
    if take.settings.text != line.text:
        return "text changed since the take"
    return "settings changed since the take (voice, model, language or controls)"


def elide(text: str, limit: int = TEXT_SHOWN) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


class LineTable(QTableWidget):
    """Enter and double-click play the current line (the panel decides how)."""

    playRequested = Signal(int)

    def __init__(self) -> None:
        super().__init__(0, len(HEADERS))
        self.setHorizontalHeaderLabels(HEADERS)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(22)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        for column, width in ((N, 34), (ID, 90), (VOICE, 110), (STATE, 84),
                              (DURATION, 56), (LOUDNESS, 54)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            self.setColumnWidth(column, width)
        header.setSectionResizeMode(TEXT, QHeaderView.ResizeMode.Stretch)
        self.cellDoubleClicked.connect(lambda row, _column: self.playRequested.emit(row))

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.rowCount() == 0:
            # An empty table says nothing on its own: tell how lines get in.
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.viewport().rect().adjusted(12, 8, -12, -8),
                             int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                             EMPTY_HINT)
            painter.end()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        row = self.currentRow()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and row >= 0:
            self.playRequested.emit(row)
            return
        super().keyPressEvent(event)

    def show_line(self, index: int, line: ScriptLine, take: Take | None, shown: Shown,
                  default_voice: str) -> None:
        self._cell(index, N, str(index + 1), right=True)
        self._cell(index, ID, line.id).setToolTip(line.id)
        text = self._cell(index, TEXT, elide(line.text))
        text.setToolTip(line.text)
        voice = line.voice_name or line.voice_id or default_voice
        self._cell(index, VOICE, voice).setToolTip(line.voice_id or "the script's voice")
        state = self._cell(index, STATE, shown.label)
        state.setToolTip(shown.why)
        if shown.colour is not None:
            state.setForeground(shown.colour)
        usable = take is not None and take.n_frames > 0
        self._cell(index, DURATION, format_time(take.duration) if usable and take else "",
                   right=True)
        lufs = take.loudness.lufs if take is not None and take.loudness else None
        self._cell(index, LOUDNESS, f"{lufs:.1f}" if lufs is not None else "", right=True)

    def _cell(self, row: int, column: int, text: str,
              right: bool = False) -> QTableWidgetItem:
        item = self.item(row, column)
        if item is None:
            item = QTableWidgetItem()
            self.setItem(row, column, item)
        if right:
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if item.text() != text:
            item.setText(text)
        return item
