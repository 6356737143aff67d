"""The Pronunciations dialog in the real window, offline (the built-in engine on a
thread keeps the dictionaries): entries of the user lexicon added, edited and removed
and seen in its file; files imported (a bad one shows its line and column and brings
in nothing) and exported in every format; lexicon files reordered; the user lexicon
pushed as a Cartesia dictionary, listed, pulled back and used; and a play in
"dictionary" mode sends the id and leaves the text, where "markup" sends the rewrite."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import qasync

from app.engine.synth.tones import VOICE_ID
from app.markup.lexicon import Entry
from app.markup.lexicon_formats import read_lexicon
from app.settings import LEXICON_VIA, PRONUNCIATION_DICT_ID
from app.studio.lexicons import FILES_FILE, USER_FILE
from app.takes.take import TakeStatus
from app.ui.lexicon_dialog import LexiconDialog
from app.ui.window import MainWindow
from tests.ui.conftest import run, until

DATA = Path(__file__).parent.parent / "markup" / "data"
IPA = "<<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>>"


def saved(window: MainWindow) -> list[dict[str, str]]:
    """The user lexicon's file as written."""
    folder = window.studio.lexicons.folder
    assert folder is not None
    data: list[dict[str, str]] = json.loads((folder / USER_FILE).read_text("utf-8"))
    return data


def shown(dialog: LexiconDialog) -> list[tuple[str, str, str, str]]:
    table = dialog.table
    rows = []
    for row in range(table.rowCount()):
        cells = [table.item(row, c) for c in range(4)]
        rows.append(tuple(c.text() if c is not None else "" for c in cells))
    return rows  # type: ignore[return-value]


def select_entry(dialog: LexiconDialog, word: str) -> None:
    for row in range(dialog.table.rowCount()):
        item = dialog.table.item(row, 0)
        if item is not None and item.text() == word:
            dialog.table.selectionModel().select(
                dialog.table.model().index(row, 0),
                dialog.table.selectionModel().SelectionFlag.ClearAndSelect
                | dialog.table.selectionModel().SelectionFlag.Rows)
            return
    raise AssertionError(f"{word} is not shown")


def type_entry(dialog: LexiconDialog, word: str, pronunciation: str) -> None:
    dialog.word.setText(word)
    dialog.pronunciation.setText(pronunciation)


def test_entries_are_added_edited_and_removed_in_the_user_lexicon(
        window: MainWindow, loop: qasync.QEventLoop) -> None:
    async def scenario() -> None:
        window.shortcuts["pronunciations"].trigger()  # Voices ▸ Pronunciations…
        dialog = window.lexicon_dialog
        assert dialog is not None and dialog.isVisible()
        assert window.open_pronunciations() is dialog  # raised again, not a second one
        assert dialog.entries_empty.isVisible() and not dialog.table.isVisible()
        type_entry(dialog, "Cartesia", IPA)
        dialog.save_button.click()
        await dialog.wait_idle()
        assert saved(window) == [{"text": "Cartesia", "pronunciation": IPA}]
        assert shown(dialog) == [("Cartesia", IPA, "any", "my lexicon")]
        # Edited: the same word saved again replaces it.
        select_entry(dialog, "Cartesia")
        assert dialog.pronunciation.text() == IPA  # the selected entry fills the fields
        dialog.pronunciation.setText("kar-TEE-zha")
        dialog.save_button.click()
        await dialog.wait_idle()
        assert saved(window) == [{"text": "Cartesia", "pronunciation": "kar-TEE-zha"}]
        # A symbol outside IPA is refused with its place; nothing changes.
        type_entry(dialog, "cat", "<<k|Q|t>>")
        dialog.save_button.click()
        await dialog.wait_idle()
        assert "'Q'" in dialog.entry_message.text()
        assert "character 5" in dialog.entry_message.text()
        assert [e["text"] for e in saved(window)] == ["Cartesia"]
        # The filter narrows the table; no match says so.
        dialog.filter.setText("zzz")
        assert not dialog.table.isVisible() and "No entry matches" in \
            dialog.entries_empty.text()
        dialog.filter.setText("tee")
        assert [r[0] for r in shown(dialog)] == ["Cartesia"]
        dialog.filter.clear()
        select_entry(dialog, "Cartesia")
        dialog.remove_button.click()
        await dialog.wait_idle()
        assert saved(window) == []
        assert shown(dialog) == []
        dialog.close()

    run(loop, scenario())


def test_import_all_or_nothing_and_export_round_trips(
        window: MainWindow, loop: qasync.QEventLoop, tmp_path: Path) -> None:
    async def scenario() -> None:
        dialog = window.open_pronunciations()
        dialog.import_file(DATA / "brands.pls")
        await dialog.wait_idle()
        words = [e.text for e in window.studio.lexicons.user.entries]
        assert words == ["Cartesia", "bayou", "Bayou", "W3C", "New York", "tomato", "AT&T"]
        assert "7 entries imported from brands.pls" in dialog.entry_message.text()
        assert [r[0] for r in shown(dialog)] == words
        before = saved(window)
        bad = tmp_path / "bad.pls"
        bad.write_text((DATA / "brands.pls").read_text("utf-8").replace(
            "<phoneme>ˈbɑju</phoneme>", "<phoneme>ˈbɑju</phonem>"), "utf-8")
        dialog.import_file(bad)
        await dialog.wait_idle()
        message = dialog.entry_message.text()
        assert message.startswith("bad.pls:17:"), message
        assert saved(window) == before
        for name in ("out.pls", "out.csv", "out.json"):
            dialog.export_file(tmp_path / name)
            await dialog.wait_idle()
            assert name in dialog.entry_message.text()
            back = [(e.text, e.pronunciation, e.language)
                    for e in read_lexicon(tmp_path / name).entries]
            # PLS and CSV keep the language; Cartesia's JSON has none unless written.
            assert back == [(e.text, e.pronunciation, e.language)
                            for e in window.studio.lexicons.user.entries], name
        dialog.close()

    run(loop, scenario())


def test_files_are_added_and_reordered(
        window: MainWindow, loop: qasync.QEventLoop, tmp_path: Path) -> None:
    async def scenario() -> None:
        first = tmp_path / "first.csv"
        first.write_text("text,pronunciation\nCartesia,kar-TEE-zha\n", "utf-8")
        second = tmp_path / "second.json"
        shutil.copy(DATA / "dict.json", second)
        dialog = window.open_pronunciations()
        assert not dialog.files_empty.isHidden()  # (its tab is not the one shown)
        dialog.add_file(first)
        await dialog.wait_idle()
        dialog.add_file(second)
        await dialog.wait_idle()
        assert [dialog.files.item(i).text().split()[0] for i in range(2)] == [
            "first.csv", "second.json"]
        assert shown(dialog)[0][1:] == ("kar-TEE-zha", "any", "first.csv")
        dialog.files.setCurrentRow(1)
        assert dialog.up_button.isEnabled() and not dialog.down_button.isEnabled()
        dialog.up_button.click()
        await dialog.wait_idle()
        assert [dialog.files.item(i).text().split()[0] for i in range(2)] == [
            "second.json", "first.csv"]
        assert dialog.files.currentRow() == 0  # the moved file stays selected
        folder = window.studio.lexicons.folder
        assert folder is not None
        listed = json.loads((folder / FILES_FILE).read_text("utf-8"))
        assert [Path(n).name for n in listed] == ["second.json", "first.csv"]
        entry = window.studio.lexicons.entry_for("Cartesia")
        assert entry is not None and entry.pronunciation == IPA
        dialog.remove_file_button.click()
        await dialog.wait_idle()
        assert [f.name for f in window.studio.lexicons.files] == ["first.csv"]
        dialog.close()

    run(loop, scenario())


def test_push_list_pull_and_use_a_dictionary(
        window: MainWindow, loop: qasync.QEventLoop) -> None:
    async def scenario() -> None:
        lexicons = window.studio.lexicons
        dialog = window.open_pronunciations()
        await dialog.push("Brand names")  # an empty lexicon is not pushed
        assert "empty" in dialog.dict_message.text()
        await lexicons.add(Entry("Cartesia", IPA))
        await dialog.list_dicts()
        assert dialog.dict_table.isHidden() and not dialog.dicts_empty.isHidden()
        await dialog.push("Brand names")
        assert [(d.name, len(d.items)) for d in dialog.dicts] == [("Brand names", 1)]
        dict_id = dialog.dicts[0].id
        assert dialog.dict_table.item(0, 2).text() == dict_id  # type: ignore[union-attr]
        assert dialog.selected_dict() == dict_id
        # Pushed again under the same name: updated, not a second dictionary.
        await lexicons.add(Entry("bayou", "<<ˈ|b|ɑ|j|u>>"))
        await dialog.push("Brand names")
        assert [(d.name, len(d.items)) for d in dialog.dicts] == [("Brand names", 2)]
        # Pulled back into an emptied lexicon.
        await lexicons.replace_user([])
        dialog.pull_button.click()
        await dialog.wait_idle()
        assert [(e.text, e.pronunciation) for e in lexicons.user.entries] == [
            ("Cartesia", IPA), ("bayou", "<<ˈ|b|ɑ|j|u>>")]
        assert "2 entries pulled" in dialog.dict_message.text()
        await dialog.pull("no-such-dict")
        assert "Not pulled" in dialog.dict_message.text()
        dialog.use_button.click()
        assert window.settings.get(LEXICON_VIA) == "dictionary"
        assert window.settings.get(PRONUNCIATION_DICT_ID) == dict_id
        assert dialog.via_dictionary.isChecked() and dict_id in dialog.mode_note.text()
        draft = window.draft()
        assert (draft.lexicon_via, draft.pronunciation_dict_id) == ("dictionary", dict_id)
        dialog.via_markup.setChecked(True)
        assert window.settings.get(LEXICON_VIA) == "markup"
        assert window.draft().pronunciation_dict_id is None
        dialog.close()

    run(loop, scenario())


def test_dictionary_mode_sends_the_id_and_the_text_as_written(
        window: MainWindow, loop: qasync.QEventLoop) -> None:
    async def scenario() -> None:
        lexicons = window.studio.lexicons
        window.use_voice(next(v for v in window.studio.library.voices if v.id == VOICE_ID))
        dialog = window.open_pronunciations()
        # The dictionary says it one way, the user lexicon (now) another: the words the
        # tone voice says tell which reached it.
        await lexicons.add(Entry("Cartesia", "kar-TAY-zee-uh"))
        await dialog.push("Brand names")
        dict_id = dialog.dicts[0].id
        await lexicons.add(Entry("Cartesia", "kar-TEE-zha"))
        window.editor.setPlainText("Hello Cartesia.")

        async def play() -> tuple[str, list[str]]:
            before = window.studio.recorder.current
            window.play()
            recording = window.studio.recorder.current
            assert recording is not None and recording is not before
            take = recording.take
            await until(lambda: take.status is TakeStatus.DONE)
            await until(lambda: not window.studio.transport.playing)
            return recording.rewrite.text, [w.text for w in take.words]  # type: ignore

        dialog.use_dictionary(dict_id)
        sent, words = await play()
        take = window.studio.transport.take
        assert take is not None
        assert (take.settings.lexicon_via, take.settings.pronunciation_dict_id) == (
            "dictionary", dict_id)
        assert sent == "Hello Cartesia."  # the text as written
        assert words == ["Hello", "kar-TAY-zee-uh."]  # the server applied the dictionary
        dialog.via_markup.setChecked(True)
        sent, words = await play()
        take = window.studio.transport.take
        assert take is not None
        assert (take.settings.lexicon_via, take.settings.pronunciation_dict_id) == (
            "markup", None)
        assert sent == "Hello kar-TEE-zha."
        assert words == ["Hello", "Cartesia."]  # the written word, mapped back
        # A model without dictionaries: said so, and the lexicon goes as markup.
        dialog.use_dictionary(dict_id)
        window.controls.model_box.setCurrentIndex(window.controls.model_box.findData("sonic-2"))
        sent, _ = await play()
        assert "sonic-2 does not use pronunciation dictionaries" in \
            window.statusBar().currentMessage()
        assert sent == "Hello kar-TEE-zha."
        dialog.close()

    run(loop, scenario())
