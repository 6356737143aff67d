"""The Edit and Help menus: undo/redo, find, the shortcut sheet, the markup reference."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.markup import check, ipa, sonic3
from app.markup.dialect import ALL_TAGS
from app.ui.help import TAGS, markup_reference_html, shortcut_rows
from app.ui.window import MainWindow
from tests.ui.conftest import run, until


def menu_titles(window: MainWindow) -> list[str]:
    return [a.text().replace("&", "") for a in window.menuBar().actions()]


def test_edit_comes_after_file_and_help_is_last(window: MainWindow) -> None:
    titles = menu_titles(window)
    assert titles[:2] == ["File", "Edit"] and titles[-1] == "Help"


def test_the_shortcut_sheet_lists_every_action_with_keys_and_searches(
        window: MainWindow) -> None:
    with_keys = {a.text().replace("&", "").rstrip("…") for a in window.findChildren(QAction)
                 if a.menu() is None and any(not k.isEmpty() for k in a.shortcuts())}
    assert {"Undo", "Find", "Find voice", "Generate", "Keyboard shortcuts"} <= with_keys
    sheet = window.open_shortcut_sheet()
    listed = {text for _menu, text, _keys in sheet.rows}
    assert [menu for menu, _text, _keys in sheet.rows][:2] == ["File", "File"]  # menu order
    assert with_keys <= listed, with_keys - listed
    row = next(r for r in sheet.rows if r[1] == "Find voice")
    assert row == ("Voices", "Find voice", "Ctrl+K")
    assert next(r for r in sheet.rows if r[1] == "Find")[2] == "Ctrl+F"
    sheet.search.setText("ctrl+k")  # by keys, too
    assert sheet.visible_actions() == ["Find voice"]
    sheet.search.setText("")
    assert len(sheet.visible_actions()) == len(sheet.rows)
    sheet.close()


def test_shortcut_rows_skip_actions_without_keys() -> None:
    plain, keyed = QAction("Nothing"), QAction("Something")
    keyed.setShortcut("Ctrl+J")
    assert shortcut_rows([plain, keyed]) == [("Other", "Something", "Ctrl+J")]


def test_the_markup_reference_explains_every_tag_with_valid_examples() -> None:
    reference = markup_reference_html()
    assert set(TAGS) == ALL_TAGS
    for tag in ALL_TAGS:
        assert f"<b>{tag}</b>" in reference, tag
        check(TAGS[tag][1], sonic3())  # every example passes the validator
    assert "&lt;&lt;k|ɑ|ɹ|ˈ|t|i|ʒ|ə&gt;&gt;" in reference
    for _group, symbols in ipa.PALETTE:
        for symbol in symbols:
            if symbol in ipa.EXAMPLES:
                assert f"<b>{symbol}</b>" in reference, symbol


def test_find_finds_wraps_and_escape_gives_the_editor_back(
        window: MainWindow, loop: Any) -> None:
    window.activateWindow()
    window.editor.setPlainText("one two One three one")
    window.editor.setFocus()
    run(loop, until(window.editor.hasFocus))
    QTest.keyClick(window.editor, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    bar = window.find_bar
    assert bar.isVisible() and bar.field.hasFocus()
    QTest.keyClicks(bar.field, "one")
    cursor = window.editor.textCursor
    assert (cursor().selectionStart(), cursor().selectedText()) == (0, "one")
    assert bar.status.text() == "1 of 3"
    QTest.keyClick(bar.field, Qt.Key.Key_Return)
    assert cursor().selectionStart() == 8 and bar.status.text() == "2 of 3"  # any case
    QTest.keyClick(bar.field, Qt.Key.Key_Return)
    assert cursor().selectionStart() == 18
    QTest.keyClick(bar.field, Qt.Key.Key_Return)  # past the end: round to the first
    assert cursor().selectionStart() == 0 and bar.status.text() == "1 of 3 · wrapped"
    QTest.keyClick(bar.field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert cursor().selectionStart() == 18  # backwards, round the start
    bar.field.setText("four")
    assert not bar.find_next() and bar.status.text() == "not found"
    QTest.keyClick(bar.field, Qt.Key.Key_Escape)
    assert not bar.isVisible() and window.editor.hasFocus()
    assert window.editor.toPlainText() == "one two One three one"  # found, not changed


def test_ctrl_k_finds_a_voice(window: MainWindow, loop: Any) -> None:
    window.activateWindow()
    window.editor.setFocus()
    run(loop, until(window.editor.hasFocus))
    QTest.keyClick(window.editor, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert window.picker.search.hasFocus()
    assert not window.find_bar.isVisible()


def test_undo_and_redo_act_on_the_editor(window: MainWindow, loop: Any) -> None:
    window.activateWindow()
    window.editor.setPlainText("")
    window.editor.setFocus()
    run(loop, until(window.editor.hasFocus))
    QTest.keyClicks(window.editor, "Hello")
    window.shortcuts["undo"].trigger()  # Edit ▸ Undo
    assert window.editor.toPlainText() == ""
    window.shortcuts["redo"].trigger()
    assert window.editor.toPlainText() == "Hello"
    # The keys reach the editor itself (the menu's shortcut is not ambiguous with them).
    QTest.keyClick(window.editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.editor.toPlainText() == ""
    # With the focus elsewhere (the voice list), Undo still means the line.
    QTest.keyClicks(window.editor, "Again")
    window.picker.table.setFocus()
    run(loop, until(window.picker.table.hasFocus))
    window.shortcuts["undo"].trigger()
    assert window.editor.toPlainText() == ""


def test_cut_copy_paste_and_select_all_act_on_the_focused_field(
        window: MainWindow, loop: Any) -> None:
    window.activateWindow()
    note = window.picker.search
    note.setText("keep this")
    note.setFocus()
    run(loop, until(note.hasFocus))
    window.shortcuts["select_all"].trigger()
    assert note.selectedText() == "keep this"
    window.shortcuts["cut"].trigger()
    assert note.text() == ""
    window.shortcuts["paste"].trigger()
    window.shortcuts["paste"].trigger()
    assert note.text() == "keep thiskeep this"
    QApplication.clipboard().clear()


def test_about_shows_the_version_and_the_licences(window: MainWindow) -> None:
    about = window.open_about()
    assert about.version.text() == "Version 0.1.0"
    assert "GPL-3.0-or-later" in about.licences.toPlainText()
    assert "PySide6" in about.licences.toPlainText()
    about.close()
    reference = window.open_markup_reference()
    assert "spell" in reference.browser.toPlainText()
    reference.close()


def test_ctrl_z_in_the_takes_list_is_still_the_historys(
        window: MainWindow, loop: Any, qtbot: Any) -> None:
    # Edit ▸ Undo shows Ctrl+Z but does not take the key from the takes list, whose
    # Ctrl+Z brings a deleted take back (an ambiguous shortcut would do neither).
    window.activateWindow()
    panel = window.history_panel
    panel.undo_bar.show()  # as after a delete
    panel.list.setFocus()
    run(loop, until(panel.list.hasFocus))
    with qtbot.waitSignal(panel.undoRequested, timeout=1000):
        QTest.keyClick(panel.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
