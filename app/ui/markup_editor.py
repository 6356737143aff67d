"""The transcript editor: Cartesia markup highlighted and checked as you type.

Tags, attributes, values and ``<< >>`` pronunciations are coloured from
:func:`app.markup.tokenize`; problems from :func:`app.markup.validate` (run
150 ms after the last keystroke, for the chosen model's dialect) are
underlined with a wave and explained in a tooltip with line and column.
Words a lexicon says differently are marked with a dotted underline and a
faint tint (their tooltip names the entry and its lexicon); the marks are
found block by block, so typing re-marks only the paragraph typed in.
``insert_actions`` gives the Insert menu and toolbar.
"""

from __future__ import annotations

import html
from bisect import bisect_right
from collections.abc import Iterator

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QContextMenuEvent,
    QEnterEvent,
    QFont,
    QHideEvent,
    QKeySequence,
    QSyntaxHighlighter,
    QTextBlock,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from app.markup import Diagnostic, Dialect, sonic3, tokenize, validate
from app.markup.ipa import EXAMPLES, PALETTE, markup
from app.markup.lexicon import Entry, Lexicon
from app.markup.tokens import Token
from app.ui import theme
from app.ui.icons import icon


class _Highlighter(QSyntaxHighlighter):
    """Colours a paragraph at a time from the tokens of the whole text (a tag may span
    lines). The text is tokenized once per edit, not per paragraph, and each paragraph
    looks only at its own tokens: re-colouring a long script stays linear."""

    def __init__(self, editor: MarkupEditor) -> None:
        super().__init__(editor.document())
        self.editor = editor
        self.stale = True
        self._tokens: list[Token] = []
        self._ends: list[int] = []

    def _tokens_in(self, start: int, end: int) -> Iterator[Token]:
        if self.stale:
            self._tokens = tokenize(self.document().toPlainText())
            self._ends = [t.span.end for t in self._tokens]
            self.stale = False
        for token in self._tokens[bisect_right(self._ends, start):]:
            if token.span.start >= end:
                return
            yield token

    def highlightBlock(self, text: str) -> None:
        colors = theme.current()
        block = self.currentBlock()
        start, end = block.position(), block.position() + len(text)
        for token in self._tokens_in(start, end):
            if token.kind == "text":
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
        marked = lexicon_format(colors)
        for a, b, _entry in self.editor.marks_in(block):
            # Plain text only (the lexicon never touches tags): nothing painted to keep.
            self.setFormat(a - start, b - a, marked)
        for diag in self.editor.diagnostics():
            if diag.span.end <= start or diag.span.start >= end:
                continue
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(colors.error if diag.severity == "error"
                                  else colors.warning)
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


def lexicon_format(colors: theme.Theme) -> QTextCharFormat:
    """A word a lexicon changes: a dotted underline and a faint tint in the link colour,
    unlike the errors' wave and the markup's coloured letters."""
    fmt = QTextCharFormat()
    fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)
    fmt.setUnderlineColor(colors.attribute)
    tint = QColor(colors.attribute)
    tint.setAlpha(40 if colors.dark else 28)
    fmt.setBackground(tint)
    return fmt


def describe_entry(entry: Entry) -> str:
    """``Cartesia → <<k|ɑ|ɹ|…>> · user lexicon`` (the mark's tooltip)."""
    return f"{entry.text} → {entry.pronunciation} · {entry.source or 'lexicon'}"


class MarkupEditor(QPlainTextEdit):
    diagnosticsChanged = Signal(list)
    #: "Pronunciation lab…" for the span (start, end) of the selected word.
    labRequested = Signal(int, int)
    #: The palette was opened for a word (the window prefills and hears through it).
    paletteOpened = Signal(object)
    #: "Hear this word" for the span (start, end): the word alone, then its sentence.
    hearRequested = Signal(int, int)

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
        # Connected before the highlighter is made: Qt calls slots in that order, and
        # the highlighter re-colours on the same signal, from fresh tokens.
        self.document().contentsChange.connect(self._text_edited)
        self._highlighter = _Highlighter(self)
        # Markup has no tabs: Tab moves on to the next control, so the window can be
        # worked from the keyboard alone.
        self.setTabChangesFocus(True)
        self.palette_popup: IpaPalette | None = None
        self._lexicon = Lexicon()

    def _text_edited(self, *_: object) -> None:
        self._highlighter.stale = True

    # --- lexicon marks ----------------------------------------------------------------

    def set_lexicon(self, lexicon: Lexicon) -> None:
        """Mark the words ``lexicon`` changes (the project's, for the line's language)."""
        if lexicon.entries == self._lexicon.entries:
            return
        self._lexicon = lexicon
        self._highlighter.rehighlight()

    def marks_in(self, block: QTextBlock) -> list[tuple[int, int, Entry]]:
        """The lexicon's matches in one paragraph, in document positions. A paragraph at
        a time: a tag or an entry never spans a line break that matters here, and
        typing then costs one paragraph, not the script."""
        at = block.position()
        return [(at + span.start, at + span.end, entry)
                for span, entry in self._lexicon.matches(block.text())]

    def marks(self) -> list[tuple[int, int, Entry]]:
        """Every word the lexicon changes in the text, in order."""
        found: list[tuple[int, int, Entry]] = []
        block = self.document().firstBlock()
        while block.isValid():
            found.extend(self.marks_in(block))
            block = block.next()
        return found

    def mark_at(self, offset: int) -> tuple[int, int, Entry] | None:
        """The marked word at (or just after) character ``offset``."""
        block = self.document().findBlock(offset)
        return next(((a, b, e) for a, b, e in self.marks_in(block) if a <= offset <= b), None)

    def hear_span(self) -> tuple[int, int]:
        """What "Hear this word" says: the selection, else the marked word or phrase at
        the cursor ("New York" whole), else the word under the cursor."""
        cursor = self.textCursor()
        if not cursor.hasSelection():
            mark = self.mark_at(cursor.position())
            if mark is not None:
                return mark[0], mark[1]
        return self.selected_span()

    def request_hear(self) -> None:
        self.hearRequested.emit(*self.hear_span())

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

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._highlighter.rehighlight()  # the tag colours of the new light or dark

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            pos = event.pos()  # type: ignore[attr-defined]
            offset = self.cursorForPosition(pos).position()
            hits = [d.describe() for d in self._diagnostics
                    if d.span.start <= offset <= max(d.span.end, d.span.start + 1)]
            mark = self.mark_at(offset)
            if mark is not None:
                hits.insert(0, describe_entry(mark[2]))
            if hits:
                QToolTip.showText(event.globalPos(),  # type: ignore[attr-defined]
                                  "\n".join(hits), self)
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
        """The palette for the selected word, prefilled when it is already a ``<< >>``
        pronunciation (the window prefills a plain word with how the engine says it)."""
        word = self.selected_word()
        if self.palette_popup is None:
            self.palette_popup = IpaPalette(self)
            self.palette_popup.chosen.connect(self._replace_selection)
        current = word[2:-2] if word.startswith("<<") and word.endswith(">>") else ""
        self.palette_popup.start(word, [p for p in current.split("|") if p])
        self.palette_popup.show()
        self.palette_popup.raise_()
        self.paletteOpened.emit(self.palette_popup)
        return self.palette_popup

    def selected_span(self) -> tuple[int, int]:
        """The selection (the word under the cursor when nothing is selected)."""
        self.selected_word()
        cursor = self.textCursor()
        return cursor.selectionStart(), cursor.selectionEnd()

    def request_lab(self) -> None:
        self.labRequested.emit(*self.selected_span())

    def replace_span(self, start: int, end: int, text: str) -> None:
        """Replace characters ``start``–``end`` as one undoable edit."""
        cursor = self.textCursor()
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(text)
        self.setTextCursor(cursor)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if not self.textCursor().hasSelection():
            self.setTextCursor(self.cursorForPosition(event.pos()))
        menu = self.context_menu()
        menu.exec(event.globalPos())
        menu.deleteLater()

    def context_menu(self) -> QMenu:
        """The standard edit menu, then the pronunciation tools for the word at the
        cursor."""
        menu = self.createStandardContextMenu()
        menu.addSeparator()
        lab = menu.addAction("Pronunciation lab…")
        lab.setShortcut(QKeySequence(LAB_KEYS))
        lab.triggered.connect(self.request_lab)
        palette = menu.addAction("Pronunciation…")
        palette.triggered.connect(self.open_palette)
        hear = menu.addAction("Hear this word")
        hear.setShortcut(QKeySequence(HEAR_KEYS))
        hear.setToolTip("The word alone, then in its sentence, with the lexicons")
        hear.triggered.connect(self.request_hear)
        return menu

    def _replace_selection(self, text: str) -> None:
        cursor = self.textCursor()
        cursor.insertText(text)
        self.setTextCursor(cursor)
        self.setFocus()


def insert_actions(editor: MarkupEditor, parent: QObject) -> list[QAction]:
    """The Insert menu's actions, also the editor's icon toolbar: each has an icon and a
    tooltip that shows the markup it inserts, so the toolbar teaches the markup."""
    specs = [
        ("Break", "tag-break", "Insert a pause", '<break time="500ms"/>',
         lambda: editor.insert_tag('<break time="', "500ms", '"/>')),
        ("Speed", "tag-speed", "Speak faster or slower from here on",
         '<speed ratio="1.2"/>', lambda: editor.insert_tag('<speed ratio="', "1.2", '"/>')),
        ("Volume", "tag-volume", "Speak louder or softer from here on",
         '<volume ratio="1.2"/>', lambda: editor.insert_tag('<volume ratio="', "1.2", '"/>')),
        ("Emotion", "tag-emotion", "Guide the emotion from here on",
         '<emotion value="excited"/>',
         lambda: editor.insert_tag('<emotion value="', "excited", '"/>')),
        ("Spell", "tag-spell", "Spell out the selected letters and digits",
         "<spell>…</spell>", lambda: editor.wrap_selection("<spell>", "</spell>")),
        ("Pronunciation…", "tag-pronunciation",
         "Set the IPA pronunciation of the selected word", "<<ˈw|ɝ|d>>", editor.open_palette),
        ("Pronunciation lab…", "lab", "Hear the selected word said several ways in its "
         f"sentence, and keep the best ({LAB_KEYS})", "", editor.request_lab),
    ]
    actions = []
    for text, glyph, tip, inserts, slot in specs:
        action = QAction(icon(glyph), text, parent)
        # Rich text, so the markup shows as code under what it does.
        action.setToolTip(f"<b>{html.escape(text.rstrip('…'))}</b>: {html.escape(tip)}"
                          + (f"<br><code>{html.escape(inserts)}</code>" if inserts else ""))
        action.setStatusTip(f"{tip}: {inserts}" if inserts else tip)
        action.setData(inserts)
        action.triggered.connect(slot)
        if slot == editor.request_lab:
            action.setShortcut(QKeySequence(LAB_KEYS))
        actions.append(action)
    return actions


LAB_KEYS = "Ctrl+Shift+P"
HEAR_KEYS = "Ctrl+Shift+H"
HOVER_MS = 400  # a symbol is heard once the pointer rests on it this long


class SymbolButton(QPushButton):
    """A palette symbol: its example on hover (a tooltip and, after a rest, its sound)."""

    hovered = Signal(str)
    left = Signal()

    def __init__(self, symbol: str, parent: QWidget | None = None) -> None:
        super().__init__(symbol, parent)
        self.symbol = symbol
        example = EXAMPLES.get(symbol)
        if example is not None:
            self.setToolTip(f"{example.describe()}  ({example.markup()})")

    def enterEvent(self, event: QEnterEvent) -> None:
        self.hovered.emit(self.symbol)
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self.left.emit()
        super().leaveEvent(event)


class IpaPalette(QWidget):
    """Build ``<<p|h|o|n|e|s>>`` from buttons, grouped as the docs' phoneme table.

    Every symbol shows an example word ("ʃ — sh as in ship") and is heard in it on
    hover (after :data:`HOVER_MS`) or click: ``hearRequested`` carries the example
    as markup for the window to say through the studio. ``chosen`` puts the
    pronunciation at this occurrence; ``chosenEverywhere`` asks for a lexicon entry.
    """

    chosen = Signal(str)
    #: (word, pronunciation): "Use everywhere".
    chosenEverywhere = Signal(str, str)
    hearRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Tool)
        self.setWindowTitle("Pronunciation")
        self.phonemes: list[str] = []
        self.word = ""
        self._hovered = ""
        self._heard = ""
        self._hover = QTimer(self)
        self._hover.setSingleShot(True)
        self._hover.setInterval(HOVER_MS)
        self._hover.timeout.connect(self._hear_hovered)
        layout = QVBoxLayout(self)
        self.word_label = QLabel()
        layout.addWidget(self.word_label)
        preview_row = QHBoxLayout()
        self.preview = QLineEdit()
        self.preview.setReadOnly(True)
        self.hear_button = QPushButton(icon("play"), "Hear")
        self.hear_button.setToolTip("Hear the pronunciation as it is now")
        self.hear_button.clicked.connect(lambda: self.hearRequested.emit(self.markup()))
        preview_row.addWidget(self.preview, 1)
        preview_row.addWidget(self.hear_button)
        layout.addLayout(preview_row)
        self.buttons: dict[str, SymbolButton] = {}
        for group, symbols in PALETTE:
            layout.addWidget(QLabel(f"<b>{group}</b>"))
            grid = QGridLayout()
            for i, symbol in enumerate(symbols):
                button = SymbolButton(symbol)
                button.setFixedWidth(44)
                button.clicked.connect(lambda _=False, s=symbol: self.press(s))
                button.hovered.connect(self._start_hover)
                button.left.connect(self._end_hover)
                grid.addWidget(button, i // 10, i % 10)
                self.buttons[symbol] = button
            layout.addLayout(grid)
        self.example = QLabel(" ")
        self.example.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(self.example)
        row = QHBoxLayout()
        back = QPushButton("⌫ Remove last")
        back.clicked.connect(self.remove_last)
        clear = QPushButton("Clear")
        clear.clicked.connect(self.clear)
        self.insert_button = QPushButton("Use here")
        self.insert_button.setToolTip("Put the pronunciation in the line at this word")
        self.insert_button.setDefault(True)
        self.insert_button.clicked.connect(self.use)
        self.everywhere_button = QPushButton("Use everywhere")
        self.everywhere_button.setToolTip("Add it to the lexicon: every line says the word "
                                          "this way, and the script keeps the word")
        self.everywhere_button.clicked.connect(self.use_everywhere)
        row.addWidget(back)
        row.addWidget(clear)
        row.addStretch()
        row.addWidget(self.insert_button)
        row.addWidget(self.everywhere_button)
        layout.addLayout(row)

    def start(self, word: str, phonemes: list[str] | None = None) -> None:
        self.word = word
        self.word_label.setText(f"Pronunciation of <b>{word or 'the word at the cursor'}</b>:")
        self.phonemes = list(phonemes or [])
        self._refresh()

    def prefill(self, word: str, phonemes: list[str]) -> bool:
        """Show ``word``'s current pronunciation, unless the user has begun another."""
        if word != self.word or self.phonemes:
            return False
        self.phonemes = list(phonemes)
        self._refresh()
        return True

    def press(self, symbol: str) -> None:
        """A click adds the symbol, and says it unless the hover just did."""
        self.add(symbol)
        if self._heard != symbol:
            self._hear(symbol)

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
        return markup(self.phonemes)

    def _refresh(self) -> None:
        self.preview.setText(self.markup())
        for button in (self.insert_button, self.everywhere_button, self.hear_button):
            button.setEnabled(bool(self.phonemes))
        self.everywhere_button.setEnabled(bool(self.phonemes) and bool(self.word.strip())
                                          and not self.word.startswith("<<"))

    def use(self) -> None:
        if self.phonemes:
            self.chosen.emit(self.markup())
            self.hide()

    def use_everywhere(self) -> None:
        if self.phonemes and self.word.strip():
            self.chosenEverywhere.emit(self.word, self.markup())
            self.hide()

    # --- hearing the symbols ----------------------------------------------------------

    def _start_hover(self, symbol: str) -> None:
        self._hovered = symbol
        example = EXAMPLES.get(symbol)
        self.example.setText(example.describe() if example is not None else symbol)
        self._hover.start()

    def _end_hover(self) -> None:
        self._hover.stop()
        self._hovered = ""
        self._heard = ""

    def _hear_hovered(self) -> None:
        if self._hovered:
            self._hear(self._hovered)

    def _hear(self, symbol: str) -> None:
        example = EXAMPLES.get(symbol)
        if example is not None:
            self._heard = symbol
            self.hearRequested.emit(example.markup())

    def hideEvent(self, event: QHideEvent) -> None:
        self._end_hover()
        super().hideEvent(event)
