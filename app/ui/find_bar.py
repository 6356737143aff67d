"""Find in the line being edited: a bar over the editor's top edge, as in a browser.

Ctrl+F opens it with the selection (or the last search) filled in; Enter finds
the next match, Shift+Enter the previous, and the search wraps round the end
with a word saying so; Escape closes it and gives the editor back its focus.
Matching ignores case (the way designers search a line for a word).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QPalette, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QToolButton,
)

from app.ui.icons import icon
from app.ui.metrics import GAP, TIGHT

_ESCAPE = Qt.Key.Key_Escape
_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class _FindField(QLineEdit):
    """The search field: Escape and Enter are the bar's, not the window's shortcuts."""

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) \
                and event.key() in (_ESCAPE, *_ENTER):
            event.accept()  # Escape here closes the bar, it does not stop playback
            return True
        return super().event(event)


class FindBar(QFrame):
    def __init__(self, editor: QPlainTextEdit) -> None:
        super().__init__(editor)
        self.setObjectName("find_bar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.editor = editor
        self.field = _FindField()
        self.field.setPlaceholderText("Find in the line")
        self.field.setClearButtonEnabled(True)
        self.field.setAccessibleName("Find")
        self.status = QLabel()
        self.status.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.previous_button = self._button("find-previous", "Previous match (Shift+Enter)")
        self.next_button = self._button("find-next", "Next match (Enter)")
        self.close_button = self._button("close", "Close (Esc)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(GAP, TIGHT, TIGHT, TIGHT)
        layout.setSpacing(TIGHT)
        layout.addWidget(self.field, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.previous_button)
        layout.addWidget(self.next_button)
        layout.addWidget(self.close_button)
        self.field.textEdited.connect(self._search_from_start)
        self.field.installEventFilter(self)
        self.previous_button.clicked.connect(self.find_previous)
        self.next_button.clicked.connect(self.find_next)
        self.close_button.clicked.connect(self.close_bar)
        editor.installEventFilter(self)
        self.hide()

    def _button(self, glyph: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(glyph))
        button.setToolTip(tip)
        button.setAccessibleName(tip.split(" (")[0])
        button.setAutoRaise(True)
        return button

    # --- opening and closing ------------------------------------------------------

    def open_bar(self) -> None:
        selected = self.editor.textCursor().selectedText()
        if selected and "\u2029" not in selected:  # one line of selection: search for it
            self.field.setText(selected)
        self._place()
        self.show()
        self.raise_()
        self.field.setFocus()
        self.field.selectAll()
        self._count()

    def close_bar(self) -> None:
        self.hide()
        self.status.clear()
        self.editor.setFocus()

    # --- finding ------------------------------------------------------------------

    def find_next(self) -> bool:
        return self._find(backward=False)

    def find_previous(self) -> bool:
        return self._find(backward=True)

    def _search_from_start(self) -> None:
        cursor = self.editor.textCursor()
        cursor.setPosition(cursor.selectionStart())  # typing refines the match in place
        self.editor.setTextCursor(cursor)
        self._find(backward=False)

    def _find(self, backward: bool) -> bool:
        needle = self.field.text()
        if not needle:
            self.status.clear()
            return False
        flags = QTextDocument.FindFlag.FindBackward if backward else QTextDocument.FindFlag(0)
        document = self.editor.document()
        found = document.find(needle, self.editor.textCursor(), flags)
        wrapped = False
        if found.isNull():  # past the end (or the start): go round once
            start = QTextCursor(document)
            if backward:
                start.movePosition(QTextCursor.MoveOperation.End)
            found = document.find(needle, start, flags)
            wrapped = not found.isNull()
        if found.isNull():
            self.status.setText("not found")
            return False
        self.editor.setTextCursor(found)
        self.editor.ensureCursorVisible()
        self._count(wrapped)
        return True

    def _count(self, wrapped: bool = False) -> None:
        needle = self.field.text().casefold()
        if not needle:
            self.status.clear()
            return
        text = self.editor.toPlainText().casefold()
        starts = [i for i in range(len(text)) if text.startswith(needle, i)]
        at = self.editor.textCursor().selectionStart()
        if not starts:
            self.status.setText("not found")
            return
        index = starts.index(at) + 1 if at in starts else 0
        where = f"{index} of {len(starts)}" if index else f"{len(starts)} found"
        self.status.setText(f"{where} · wrapped" if wrapped else where)

    # --- keys and placement -------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.field and event.type() == QEvent.Type.KeyPress \
                and isinstance(event, QKeyEvent):
            if event.key() == _ESCAPE:
                self.close_bar()
                return True
            if event.key() in _ENTER:
                shift = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
                self._find(backward=bool(shift))
                return True
        if watched is self.editor and event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        """Over the editor's top right corner, clear of its scroll bar."""
        width = min(max(self.sizeHint().width(), 320), self.editor.width() - 2 * GAP)
        bar = self.editor.verticalScrollBar()
        right = self.editor.width() - (bar.width() if bar.isVisible() else 0) - GAP
        self.setGeometry(right - width, TIGHT, width, self.sizeHint().height())
