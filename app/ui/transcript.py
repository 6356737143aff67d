"""The words of the take as flowing text; the word at the playhead is highlighted.

Clicking a word emits ``wordClicked(index)`` (the window seeks there).
Highlighting uses an extra selection, so the text itself never changes while
it plays and the user's scroll position is kept unless the word leaves view.
"""

from __future__ import annotations

import bisect

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QTextEdit, QWidget

from app.takes.timings import Timing
from app.ui import theme


class TranscriptView(QTextEdit):
    wordClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.viewport().setCursor(Qt.CursorShape.PointingHandCursor)
        self.setPlaceholderText("The words of the take appear here as they are spoken.")
        self._words: list[Timing] = []
        self._offsets: list[int] = []  # character offset of each word in the text
        self.current: int | None = None

    def set_words(self, words: list[Timing]) -> None:
        self._words = list(words)
        self._offsets = []
        parts, at = [], 0
        for word in self._words:
            self._offsets.append(at)
            parts.append(word.text)
            at += len(word.text) + 1
        self.setPlainText(" ".join(parts))
        self.current = None
        self.setExtraSelections([])

    def add_words(self, words: list[Timing]) -> None:
        """Append words as their timestamps arrive (cheaper than resetting the text)."""
        if not words:
            return
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        at = cursor.position()
        for word in words:
            if self._words:
                cursor.insertText(" ")
                at += 1
            self._offsets.append(at)
            self._words.append(word)
            cursor.insertText(word.text)
            at += len(word.text)

    def set_current(self, index: int | None) -> None:
        if index == self.current:
            return
        self.current = index
        if index is None or not 0 <= index < len(self._words):
            self.setExtraSelections([])
            return
        selection = QTextEdit.ExtraSelection()
        fmt = QTextCharFormat()
        fmt.setBackground(theme.current().highlight)
        selection.format = fmt
        cursor = QTextCursor(self.document())
        cursor.setPosition(self._offsets[index])
        cursor.setPosition(self._offsets[index] + len(self._words[index].text),
                           QTextCursor.MoveMode.KeepAnchor)
        selection.cursor = cursor
        self.setExtraSelections([selection])
        # Scroll to the word with a bare cursor: a selected one would paint over
        # the highlight in the system's selection colour and outlive it.
        visible = QTextCursor(self.document())
        visible.setPosition(self._offsets[index])
        self.setTextCursor(visible)
        self.ensureCursorVisible()

    def word_at_offset(self, offset: int) -> int | None:
        i = bisect.bisect_right(self._offsets, offset) - 1
        if i >= 0 and offset <= self._offsets[i] + len(self._words[i].text):
            return i
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        event.accept()  # read-only text: the click is ours (seek), not a selection

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        event.accept()
        if event.button() == Qt.MouseButton.LeftButton:
            index = self.word_at_offset(self.cursorForPosition(event.position().toPoint())
                                        .position())
            if index is not None:
                self.wordClicked.emit(index)
