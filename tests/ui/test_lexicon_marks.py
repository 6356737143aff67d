"""Lexicons in the editor of the real window, offline: the words a lexicon changes are
marked (and unmarked) as entries come and go and as the user types, their tooltip names
the entry and its lexicon, "Hear this word" says the word then its sentence with the
entry (espeak-ng speaks the entry's phonemes), and the "Use lexicons" switch sends the
line as written or rewritten."""

from __future__ import annotations

import qasync
from PySide6.QtCore import QEvent
from PySide6.QtGui import QHelpEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QApplication, QToolTip

from app.engine.synth.espeak import EspeakSynthesizer
from app.markup.lexicon import Entry
from app.settings import USE_LEXICONS
from app.studio.lexicons import USER
from app.studio.recorder import Recording
from app.takes.take import TakeStatus
from app.ui import theme
from app.ui.window import MainWindow
from tests.ui.conftest import current, run, until

IPA = Entry("Cartesia", "<<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>>")
LINE = ('Meet Cartesia.\nCartesian <emotion value="Cartesia"/> and cartesia, '
        "Cartesia's voices!")


def dotted(window: MainWindow) -> list[tuple[int, int]]:
    """The spans the highlighter drew with the lexicon's dotted underline."""
    spans = []
    block = window.editor.document().firstBlock()
    while block.isValid():
        for r in block.layout().formats():
            if r.format.underlineStyle() == QTextCharFormat.UnderlineStyle.DotLine:
                spans.append((block.position() + r.start, block.position() + r.start + r.length))
        block = block.next()
    return _merged(spans)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and out[-1][1] == a:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def spans_of(text: str, word: str, *starts: int) -> list[tuple[int, int]]:
    return [(s, s + len(word)) for s in starts]


def use_espeak(window: MainWindow) -> None:
    espeak = EspeakSynthesizer().voices()[0].id
    window.use_voice(next(v for v in window.studio.library.voices if v.id == espeak))


def test_marks_follow_the_lexicon_and_the_typing(window: MainWindow,
                                                 loop: qasync.QEventLoop) -> None:
    editor = window.editor
    editor.setPlainText(LINE)
    assert dotted(window) == [] and editor.marks() == []
    run(loop, window.studio.lexicons.add(IPA))
    # Whole words, as written and capitalised; not in "Cartesian" nor inside a tag;
    # "cartesia" (lowercase) is not matched by a capitalised entry.
    first = LINE.index("Cartesia")
    last = LINE.index("Cartesia's")
    expected = [(first, first + 8), (last, last + 8)]
    assert [(a, b) for a, b, _ in editor.marks()] == expected
    assert dotted(window) == expected
    assert all(e == Entry("Cartesia", IPA.pronunciation, source=USER)
               for _, _, e in editor.marks())
    # Typing marks the new word in the paragraph typed in.
    cursor = editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    cursor.insertText(" Cartesia")
    end = len(editor.toPlainText())
    assert dotted(window) == [*expected, (end - 8, end)]
    # Removing the entry unmarks every word.
    run(loop, window.studio.lexicons.remove("Cartesia"))
    assert dotted(window) == [] and editor.marks() == []


def test_a_marked_word_tells_its_entry_and_lexicon(window: MainWindow,
                                                   loop: qasync.QEventLoop) -> None:
    editor = window.editor
    editor.setPlainText("Meet Cartesia today.")
    run(loop, window.studio.lexicons.add(IPA))
    cursor = editor.textCursor()
    cursor.setPosition(8)
    point = editor.cursorRect(cursor).center()
    # As hovering does: the event goes to the viewport, under the pointer.
    QApplication.sendEvent(editor.viewport(), QHelpEvent(
        QEvent.Type.ToolTip, point, editor.viewport().mapToGlobal(point)))
    assert QToolTip.text() == "Cartesia → <<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>> · user lexicon"
    QToolTip.hideText()
    # "Meet" is no entry's.
    assert editor.mark_at(2) is None


def test_hear_this_word_says_it_alone_then_in_its_sentence(window: MainWindow,
                                                           loop: qasync.QEventLoop) -> None:
    async def scenario() -> None:
        use_espeak(window)
        window.editor.setPlainText("Welcome to the show. We love Cartesia today! Bye.")
        await window.studio.lexicons.add(IPA)
        cursor = window.editor.textCursor()
        cursor.setPosition(window.editor.toPlainText().index("Cartesia") + 3)
        window.editor.setTextCursor(cursor)  # no selection: the marked word
        window.shortcuts["hear_word"].trigger()
        await until(lambda: current(window) is not None
                    and current(window).settings.text.startswith("Cartesia …"))  # type: ignore[union-attr]
        heard = window.studio.hearing.current
        assert heard is not None
        result = await heard
        assert current(window) is result.joined
        assert result.joined.settings.text == "Cartesia … We love Cartesia today!"
        for take in (result.alone, result.sentence):
            assert take.status is TakeStatus.DONE
            # The engine was sent the entry: espeak says its phonemes, under the word.
            assert "ʒ" in [p.text for p in take.phonemes]
        assert [w.text for w in result.joined.words] == ["Cartesia", "We", "love",
                                                         "Cartesia", "today!"]
        # Heard, not kept.
        await until(lambda: not window.studio.transport.playing)
        assert window.studio.history.store is not None
        assert window.studio.history.store.list() == []
    run(loop, scenario())


def test_the_use_lexicons_switch(window: MainWindow, loop: qasync.QEventLoop) -> None:
    async def scenario() -> None:
        use_espeak(window)
        window.editor.setPlainText("We love Cartesia.")
        await window.studio.lexicons.add(IPA)
        started: list[Recording] = []
        window.studio.recorder.events.connect(
            lambda e: started.append(e.recording) if not e.recording.done else None)

        async def said() -> Recording:
            await until(lambda: started and started[-1].take.status is not
                        TakeStatus.STREAMING)
            return started[-1]

        window.play()
        on = await said()
        assert on.rewrite.text == f"We love {IPA.pronunciation}."
        assert [e.text for e in on.take.settings.lexicon] == ["Cartesia"]
        window.lexicons_box.setChecked(False)  # the switch, kept as a setting
        assert window.settings.get(USE_LEXICONS) is False
        assert not window.shortcuts["use_lexicons"].isChecked()
        window.play()
        off = await said()
        assert off is not on and off.rewrite.text == "We love Cartesia."
        assert off.take.settings.lexicon == ()
        assert [w.text for w in off.take.words] == ["We", "love", "Cartesia."]
        # The menu item turns it back on; "Play without lexicons" still says it as written.
        window.shortcuts["use_lexicons"].trigger()
        assert window.lexicons_box.isChecked() and window.settings.get(USE_LEXICONS)
        window.shortcuts["play_plain"].trigger()
        plain = await said()
        assert plain.rewrite.text == "We love Cartesia." and plain.take.settings.lexicon == ()
        # The take with and the take without say the same written line: A/B them.
        window.studio.transport.start_ab(on.take, plain.take)
        assert window.studio.transport.ab is not None
        await until(lambda: not window.studio.transport.playing)
    run(loop, scenario())


def test_marks_follow_the_line_language_and_typed_markup_is_coloured(
        window: MainWindow, loop: qasync.QEventLoop) -> None:
    editor = window.editor
    editor.setPlainText("Bonjour Paris. ")
    run(loop, window.studio.lexicons.add(Entry("Paris", "pa-REE", language="fr")))
    assert editor.marks() == []  # the line is English: a French entry does not apply
    window.controls.set_language("fr")
    assert [(a, b) for a, b, _ in editor.marks()] == [(8, 13)]
    # Text typed later is coloured from its own tokens (not those before the edit).
    cursor = editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    cursor.insertText('<break time="1s"/>')
    block = editor.document().firstBlock()
    tag = len("Bonjour Paris. ")
    colours = [r.format.foreground().color() for r in block.layout().formats()
               if r.start <= tag < r.start + r.length]
    assert colours == [theme.current().tag]
