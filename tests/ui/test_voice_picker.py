"""The voice picker at Cartesia's scale, offscreen: what a search finds (description,
gender, accent, language, id), language names, the Source column only when sources
differ, the groups first, a voice played staying in its place until the rows are made
again, whole names at the window's width, and pasted ids."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import Qt

from app.cartesia.voices_types import Locale, Voice
from app.engine.catalog import with_extra_voices
from app.engine.server import ServerConfig, ThreadedServer
from app.engine.synth.tones import ToneSynthesizer
from app.settings import OUTPUT_DEVICE, Settings
from app.studio.endpoints import Endpoints
from app.studio.library import VoiceLibrary
from app.studio.options import RunOptions
from app.ui.voice_picker import GENDER, GROUPS, LANGUAGE, NAME, NAME_ROOM, SOURCE, VoicePicker
from app.ui.window import MainWindow
from tests.ui.conftest import close_window, make_window, run, until

KEY = "sk_picker_test_0123456789"


def library_voices() -> list[Voice]:
    return [
        Voice("a1", "Ada", "calm narrator for audiobooks", "en", "feminine", accent="British",
              locales=(Locale("en-GB", True),)),
        Voice("b2", "Bruno", "energetic trailer voice", "de", "masculine", accent="Austrian"),
        Voice("c3", "Clara", "soft support agent", "fr", "feminine", accent="Canadian"),
        Voice("d4", "Ravi", "warm news anchor", "hi", "gender_neutral", accent="Indian"),
        Voice("e5", "Test Tones", "beeps", "en", "gender_neutral", offline=True),
    ]


def shown(picker: VoicePicker) -> list[str]:
    """Names in the rows shown, headings as ``[Heading]``."""
    out = []
    for row in range(picker.proxy.rowCount()):
        voice = picker.proxy.voice_at(row)
        out.append(voice.name if voice else f"[{picker.proxy.index(row, 0).data()}]")
    return out


def search(picker: VoicePicker, qtbot: Any, text: str) -> list[str]:
    picker.search.clear()
    qtbot.keyClicks(picker.search, text)
    return shown(picker)


def test_search_finds_description_gender_accent_language_and_id(qtbot: Any) -> None:
    picker = VoicePicker()
    qtbot.addWidget(picker)
    picker.set_voices(library_voices())
    assert search(picker, qtbot, "trailer") == ["Bruno"]  # description
    assert search(picker, qtbot, "female") == ["Ada", "Clara"]  # gender, by its words
    assert search(picker, qtbot, "male") == ["Bruno"]  # "male" is not in "female"
    assert search(picker, qtbot, "canad") == ["Clara"]  # accent, by the start of a word
    assert search(picker, qtbot, "hindi") == ["Ravi"]  # language name
    assert search(picker, qtbot, "de") == ["Bruno"]  # language code
    assert search(picker, qtbot, "gb") == ["Ada"]  # locale
    assert search(picker, qtbot, "british fem audio") == ["Ada"]  # words in any order
    assert search(picker, qtbot, "D4") == ["Ravi"]  # id
    assert search(picker, qtbot, "fem narr") == ["Ada"]
    for _ in range(5):  # backspaces widen the search again: "fem"
        qtbot.keyClick(picker.search, Qt.Key.Key_Backspace)
    assert picker.search.text() == "fem" and shown(picker) == ["Ada", "Clara"]
    assert picker.status.text() == "2 of 5 voices"


def test_language_by_name_and_source_only_when_sources_differ(qtbot: Any) -> None:
    picker = VoicePicker()
    qtbot.addWidget(picker)
    online_only = [v for v in library_voices() if not v.offline]
    picker.set_voices(online_only)
    assert picker.proxy.index(0, LANGUAGE).data() == "English (en)"
    languages = [picker.language.itemText(i) for i in range(picker.language.count())]
    assert languages == ["Any language", "English (en)", "French (fr)", "German (de)",
                         "Hindi (hi)"]
    assert picker.table.isColumnHidden(SOURCE) and picker.source.isHidden()
    picker.add_voices([library_voices()[-1]])  # an offline voice: two sources now
    assert not picker.table.isColumnHidden(SOURCE) and not picker.source.isHidden()
    row = shown(picker).index("Test Tones")
    assert picker.proxy.index(row, SOURCE).data() == "Offline"
    picker.language.setCurrentIndex(picker.language.findData("fr"))
    assert shown(picker) == ["Clara"]


def test_pasted_favourites_and_recent_voices_come_first(qtbot: Any) -> None:
    picker = VoicePicker()
    qtbot.addWidget(picker)
    picker.set_voices(library_voices())
    assert "[" not in "".join(shown(picker))  # one group: no headings
    picker.model.set_favourites({"c3"})
    picker.model.set_groups(recent=["d4", "c3"], pasted=["e5"])
    assert shown(picker) == ["[Pasted]", "Test Tones", "[Favourites]", "Clara", "[Recent]",
                             "Ravi", "[All voices]", "Ada", "Bruno"]
    assert [g for g in GROUPS] == ["Pasted", "Favourites", "Recent", "All voices"]
    # Headings cannot be chosen; the keyboard goes from voice to voice.
    assert not picker.proxy.flags(picker.proxy.index(0, NAME))
    picker.select("e5")
    picker.table.setFocus()
    qtbot.keyClick(picker.table, Qt.Key.Key_Down)
    selected = picker.selected_voice()
    assert selected is not None and selected.name == "Clara"
    assert search(picker, qtbot, "fem") == ["[Favourites]", "Clara", "[All voices]", "Ada"]
    assert search(picker, qtbot, "soft") == ["Clara"]  # one group shown: no heading


def test_a_voice_played_stays_in_its_place_until_the_rows_are_made_again(
        window: MainWindow, loop: qasync.QEventLoop, qtbot: Any) -> None:
    """Going down the list, voice after voice, Play must not move the list under the
    designer: the voice joins Recent the next time the rows are made (here, a search)."""
    window.settings.set(OUTPUT_DEVICE, "no-such-device-anywhere")  # the take matters here
    picker = window.picker
    before = shown(picker)
    assert "[" not in "".join(before)  # no groups yet
    played = picker.proxy.voice_at(len(before) - 1)  # the last row
    assert played is not None and picker.select(played.id)
    resets: list[bool] = []
    picker.proxy.modelAboutToBeReset.connect(lambda: resets.append(True))
    window.editor.setPlainText("Try this one.")
    window.editor.revalidate()
    window.play()
    run(loop, until(lambda: len(window.history_panel.ids()) == 1))
    assert window.studio.library.recent == (played.id,)  # noted as used, and kept
    assert shown(picker) == before and not resets  # the list did not move
    assert picker.selected_voice() == played
    assert picker.table.currentIndex().row() == len(before) - 1
    # The next search makes the rows again: Recent comes first.
    qtbot.keyClicks(picker.search, "e")
    qtbot.keyClick(picker.search, Qt.Key.Key_Backspace)
    assert shown(picker) == ["[Recent]", played.name, "[All voices]",
                             *(name for name in before if name != played.name)]
    assert picker.selected_voice() == played and picker.table.currentIndex().row() == 1


def test_names_are_whole_at_the_windows_width(loop: qasync.QEventLoop, tmp_path: Path,
                                              qtbot: Any) -> None:
    win = make_window(tmp_path, RunOptions(offline=True))
    try:
        win.resize(1280, 800)
        win.show()
        catalog = [v for s in with_extra_voices([ToneSynthesizer()], 300) for v in s.voices()]
        mixed = [replace(v, offline=n % 2 == 0) for n, v in enumerate(catalog)]  # Source shown
        picker = win.picker
        picker.set_voices(mixed)
        qtbot.waitExposed(win)
        metrics = picker.table.fontMetrics()
        room = picker.table.columnWidth(NAME) - 12  # the cell's margins
        names = {v.name for v in mixed}
        long = {n for n in names if len(n) > 40}
        assert long and len(names - long) > 50
        assert max(metrics.horizontalAdvance(n) for n in names - long) <= room
        row = next(r for r in range(picker.proxy.rowCount())
                   if (v := picker.proxy.voice_at(r)) is not None and v.name in long)
        voice = picker.proxy.voice_at(row)
        assert voice is not None  # a long name is elided, and whole in its tooltip
        assert picker.proxy.index(row, NAME).data(3).startswith(voice.name + "\n")
        assert win.shortcuts["use_id"].text() == "Use voice id…"  # in the Voices menu
        win.grab().save(str(tmp_path / "window.png"))
    finally:
        close_window(loop, win)


def test_a_narrow_list_gives_up_gender_then_language_before_names(
        loop: qasync.QEventLoop, tmp_path: Path, qtbot: Any) -> None:
    """At 1024 px a name cut to two letters tells nothing: columns that are also filters
    (and in the details) make room, and come back when the list is wide again."""
    win = make_window(tmp_path, RunOptions(offline=True))
    try:
        picker = win.picker
        picker.set_voices([v for s in with_extra_voices([ToneSynthesizer()], 40)
                           for v in s.voices()])
        win.resize(1024, 640)
        win.show()
        qtbot.waitExposed(win)
        win.main_split.setSizes([250, 500, 274])  # the picker at its narrowest
        table = picker.table
        run(loop, until(lambda: table.isColumnHidden(GENDER)
                        and table.columnWidth(NAME) >= NAME_ROOM))
        widths = [table.columnWidth(c) for c in range(4) if not table.isColumnHidden(c)]
        assert sum(widths) <= table.viewport().width() + 1  # nothing scrolls sideways
        win.resize(1600, 900)
        win.main_split.setSizes([600, 700, 300])
        run(loop, until(lambda: not table.isColumnHidden(GENDER)
                        and not table.isColumnHidden(LANGUAGE)
                        and table.columnWidth(NAME) >= NAME_ROOM))
    finally:
        close_window(loop, win)


@pytest.fixture
def big_server() -> Iterator[ThreadedServer]:
    srv = ThreadedServer([ToneSynthesizer()], ServerConfig(api_key=KEY, extra_voices=50))
    srv.start()
    yield srv
    srv.stop()


def test_a_pasted_id_is_looked_up_and_chosen(loop: qasync.QEventLoop, qtbot: Any,
                                             big_server: ThreadedServer) -> None:
    wanted = with_extra_voices([ToneSynthesizer()], 50)[0].voices()[-1]
    settings = Settings(None)
    endpoints = Endpoints(settings, RunOptions(api_key=KEY, base_url=big_server.url),
                          environ={})
    library = VoiceLibrary(endpoints, settings, None)
    picker = VoicePicker()
    qtbot.addWidget(picker)
    picker.bind(library)
    picker.set_voices(library_voices())  # the listed pages do not have it
    chosen: list[Voice] = []
    picker.voiceSelected.connect(chosen.append)
    try:
        picker.use_voice_id(f" {wanted.id} ")  # Voices > Use voice id…, or a paste
        assert picker.lookup_message.text().startswith("Looking up voice")
        run(loop, until(lambda: bool(chosen)))
        assert chosen[-1].id == wanted.id and chosen[-1].name == wanted.name
        assert picker.lookup_message.isHidden()
        picker.search.clear()
        assert shown(picker)[:2] == ["[Pasted]", wanted.name]
        picker.search.setText("0badc0de-0000-4000-8000-000000000000")
        run(loop, until(lambda: "No voice with id" in picker.lookup_message.text()))
        assert picker.lookup_message.isVisibleTo(picker)
        assert picker.lookup_message.text() == (
            "No voice with id 0badc0de-0000-4000-8000-000000000000 on "
            f"{big_server.url} (it may be private to another account, or deleted)")
        assert chosen[-1].id == wanted.id  # a failed lookup changes nothing
        picker.search.setText("d4")  # typing on hides the message
        assert picker.lookup_message.isHidden()
    finally:
        run(loop, library.close())
        run(loop, endpoints.close())
