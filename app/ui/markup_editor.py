"""The transcript editor: Cartesia markup highlighted and checked as you type.

Tags, attributes, values and ``<< >>`` pronunciations are coloured from
:func:`app.markup.tokenize`; problems from :func:`app.markup.validate` (run
150 ms after the last keystroke, for the chosen model's dialect) are
underlined with a wave and explained in a tooltip with line and column.
``insert_actions`` gives the Insert menu and toolbar.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont, QSyntaxHighlighter, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from app.markup import Diagnostic, Dialect, sonic3, tokenize, validate
from app.markup.ipa import PALETTE
from app.ui import theme


class _Highlighter(QSyntaxHighlighter):
    def __init__(self, editor: MarkupEditor) -> None:
        super().__init__(editor.document())
        self.editor = editor
        self._source = ""
        self._tokens: list = []  # type: ignore[type-arg]

    def _tokens_for(self, source: str) -> list:  # type: ignore[type-arg]
        if source != self._source:
            self._source = source
            self._tokens = tokenize(source)
        return self._tokens

    def highlightBlock(self, text: str) -> None:
        colors = theme.current()
        block = self.currentBlock()
        start, end = block.position(), block.position() + len(text)
        for token in self._tokens_for(self.document().toPlainText()):
            if token.span.end <= start or token.span.start >= end or token.kind == "text":
                continue
            if token.kind == "phonemes":
                self._paint(token.span.start, token.span.end, start, end, colors.phonemes)
            elif token.kind == "malformed":
                continue  # its diagnostic underlines it
            else:
                self._paint(token.span.start, token.span.end, start, end, colors.tag)
                for attribute in token.attributes:
                    self._paint(attribute.name_span.start, attribute.name_span.end, start,
                                end, colors.attribute)
                    self._paint(attribute.value_span.start, attribute.value_span.end, start,
                                end, colors.value)
        for diag in self.editor.diagnostics():
            if diag.span.end <= start or diag.span.start >= end:
                continue
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(colors.error if diag.severity == "error"
                                  else colors.phonemes)
            a, b = max(diag.span.start, start), min(max(diag.span.end, diag.span.start + 1), end)
            if b > a:
                self._merge(a - start, b - a, fmt)

    def _paint(self, a: int, b: int, start: int, end: int, color: object) -> None:
        a, b = max(a, start), min(b, end)
        if b > a:
            fmt = QTextCharFormat()
            fmt.setForeground(color)  # type: ignore[arg-type]
            self.setFormat(a - start, b - a, fmt)

    def _merge(self, at: int, length: int, fmt: QTextCharFormat) -> None:
        for i in range(at, at + length):
            current = self.format(i)
            current.merge(fmt)
            self.setFormat(i, 1, current)


class MarkupEditor(QPlainTextEdit):
    diagnosticsChanged = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        font = QFont("DejaVu Sans Mono")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSize(11)
        self.setFont(font)
        self.setPlaceholderText('Type the line to hear. Markup: <break time="500ms"/>, '
                                '<speed ratio="1.2"/>, <spell>ABC</spell>, <<k|ɑ|ɹ>> …')
        self._dialect: Dialect = sonic3()
        self._diagnostics: list[Diagnostic] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.revalidate)
        self.textChanged.connect(self._timer.start)
        self._highlighter = _Highlighter(self)
        self.palette_popup: IpaPalette | None = None

    # --- validation -------------------------------------------------------------

    def set_dialect(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self.revalidate()

    def dialect(self) -> Dialect:
        return self._dialect

    def revalidate(self) -> None:
        self._timer.stop()
        found = validate(self.toPlainText(), self._dialect)
        if found != self._diagnostics:
            self._diagnostics = found
            self._highlighter.rehighlight()
            self.diagnosticsChanged.emit(found)

    def diagnostics(self) -> list[Diagnostic]:
        return list(self._diagnostics)

    def is_valid(self) -> bool:
        """True when the text as it is now has no errors (checked right away)."""
        if self._timer.isActive():
            self.revalidate()
        return not any(d.severity == "error" for d in self._diagnostics) and \
            bool(self.toPlainText().strip())

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            pos = event.pos()  # type: ignore[attr-defined]
            offset = self.cursorForPosition(pos).position()
            hits = [d for d in self._diagnostics
                    if d.span.start <= offset <= max(d.span.end, d.span.start + 1)]
            if hits:
                QToolTip.showText(event.globalPos(),  # type: ignore[attr-defined]
                                  "\n".join(d.describe() for d in hits), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    # --- inserting ----------------------------------------------------------------

    def insert_tag(self, before: str, placeholder: str = "", after: str = "") -> None:
        """Insert ``before + placeholder + after`` at the cursor, placeholder selected."""
        cursor = self.textCursor()
        cursor.insertText(before + placeholder + after)
        if placeholder:
            end = cursor.position() - len(after)
            cursor.setPosition(end - len(placeholder))
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            self.setTextCursor(cursor)
        self.setFocus()

    def wrap_selection(self, before: str, after: str) -> None:
        cursor = self.textCursor()
        text = cursor.selectedText() or "ABC"
        cursor.insertText(before + text + after)
        self.setTextCursor(cursor)
        self.setFocus()

    def selected_word(self) -> str:
        cursor = self.textCursor()
        if not cursor.hasSelection():
            cursor.select(QTextCursor.SelectionType.WordUnderCursor)
            self.setTextCursor(cursor)
        return cursor.selectedText()

    def open_palette(self) -> IpaPalette:
        word = self.selected_word()
        if self.palette_popup is None:
            self.palette_popup = IpaPalette(self)
            self.palette_popup.chosen.connect(self._replace_selection)
        self.palette_popup.start(word)
        self.palette_popup.show()
        self.palette_popup.raise_()
        return self.palette_popup

    def _replace_selection(self, text: str) -> None:
        cursor = self.textCursor()
        cursor.insertText(text)
        self.setTextCursor(cursor)
        self.setFocus()


def insert_actions(editor: MarkupEditor, parent: QObject) -> list[QAction]:
    """The Insert menu's actions (also used on the toolbar)."""
    specs = [
        ("Break", "Insert a pause", lambda: editor.insert_tag('<break time="', "500ms", '"/>')),
        ("Speed", "Speak faster or slower from here on",
         lambda: editor.insert_tag('<speed ratio="', "1.2", '"/>')),
        ("Volume", "Speak louder or softer from here on",
         lambda: editor.insert_tag('<volume ratio="', "1.2", '"/>')),
        ("Emotion", "Guide the emotion from here on",
         lambda: editor.insert_tag('<emotion value="', "excited", '"/>')),
        ("Spell", "Spell out the selected letters and digits",
         lambda: editor.wrap_selection("<spell>", "</spell>")),
        ("Pronunciation…", "Set the IPA pronunciation of the selected word",
         editor.open_palette),
    ]
    actions = []
    for text, tip, slot in specs:
        action = QAction(text, parent)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        actions.append(action)
    return actions


class IpaPalette(QWidget):
    """Build ``<<p|h|o|n|e|s>>`` from buttons, grouped as the docs' phoneme table."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Tool)
        self.setWindowTitle("Pronunciation")
        self.phonemes: list[str] = []
        layout = QVBoxLayout(self)
        self.word_label = QLabel()
        layout.addWidget(self.word_label)
        self.preview = QLineEdit()
        self.preview.setReadOnly(True)
        layout.addWidget(self.preview)
        self.buttons: dict[str, QPushButton] = {}
        for group, symbols in PALETTE:
            layout.addWidget(QLabel(f"<b>{group}</b>"))
            grid = QGridLayout()
            for i, symbol in enumerate(symbols):
                button = QPushButton(symbol)
                button.setFixedWidth(44)
                button.clicked.connect(lambda _=False, s=symbol: self.add(s))
                grid.addWidget(button, i // 10, i % 10)
                self.buttons[symbol] = button
            layout.addLayout(grid)
        row = QHBoxLayout()
        back = QPushButton("⌫ Remove last")
        back.clicked.connect(self.remove_last)
        clear = QPushButton("Clear")
        clear.clicked.connect(self.clear)
        self.insert_button = QPushButton("Use pronunciation")
        self.insert_button.setDefault(True)
        self.insert_button.clicked.connect(self.use)
        row.addWidget(back)
        row.addWidget(clear)
        row.addStretch()
        row.addWidget(self.insert_button)
        layout.addLayout(row)

    def start(self, word: str) -> None:
        self.word_label.setText(f"Pronunciation of <b>{word or 'the word at the cursor'}</b>:")
        self.clear()

    def add(self, symbol: str) -> None:
        self.phonemes.append(symbol)
        self._refresh()

    def remove_last(self) -> None:
        if self.phonemes:
            self.phonemes.pop()
        self._refresh()

    def clear(self) -> None:
        self.phonemes.clear()
        self._refresh()

    def markup(self) -> str:
        return "<<" + "|".join(self.phonemes) + ">>" if self.phonemes else ""

    def _refresh(self) -> None:
        self.preview.setText(self.markup())
        self.insert_button.setEnabled(bool(self.phonemes))

    def use(self) -> None:
        if self.phonemes:
            self.chosen.emit(self.markup())
            self.hide()
