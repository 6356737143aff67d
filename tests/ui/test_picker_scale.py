"""The picker with a library of Cartesia's size (issue 14): what a search shows is what a
plain filter over the voices finds, keystroke by keystroke, backspaces included; the
sort, the groups, the counter and the chosen voice are kept; pages merge into the sorted
list; a long list arrives in batches and the last session's voice is still chosen."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.cartesia.models import catalog
from app.cartesia.voices_types import Locale, Voice
from app.engine.catalog import with_extra_voices
from app.engine.synth.tones import ToneSynthesizer
from app.settings import VOICE_ID, Settings
from app.studio.endpoints import Endpoints
from app.studio.library import VoiceLibrary, _write_cache, cache_name
from app.studio.options import RunOptions
from app.ui.voice_picker import (
    BATCH,
    GENDER,
    GROUPS,
    LANGUAGE,
    NAME,
    VoicePicker,
    gender_label,
    language_label,
)
from tests.ui.conftest import run

#: What the tests type: words, backspaces ("\b"), a broad letter, a second word, an
#: id's start, a language name, a gender word that must not find its opposite.
TYPED = ("brit", "\b\b", "itish fem", "\b" * 4, "\b\b\b\b\b", "a", "\b", "calm narr",
         "\b" * 12, "english aud", "\b" * 11, "male", "\b" * 4, "de", "\bfr", "\b" * 3,
         "1", "\b")


def many_voices(count: int = 600) -> list[Voice]:
    """The engine's extra voices (varied names, languages, genders, accents) and a few
    of our own with locales and odd punctuation."""
    extra = [replace(v, offline=False)
             for v in with_extra_voices([ToneSynthesizer()], count)[0].voices()]
    return [*extra,
            Voice("aa-1", "Zoë O'Brien", "A calm, British narrator_voice", "en", "feminine",
                  accent="British", locales=(Locale("en-GB", True),)),
            Voice("bb-2", "ada", "same name, lower case", "de", "masculine"),
            Voice("cc-3", "Ada", "same name", "fr", "gender_neutral", offline=True)]


def words_of(voice: Voice) -> list[str]:
    """A voice's searchable words, spelled out without the picker's code."""
    def split(text: str) -> list[str]:
        return [w for w in re.split(r"[\W_]+", text.lower()) if w]

    gender = {"masculine": "masculine male man", "feminine": "feminine female woman",
              "gender_neutral": "neutral gender neutral"}.get(voice.gender or "",
                                                              voice.gender or "")
    languages = " ".join(f"{catalog().language_name(c)} {c}" for c in voice.languages)
    return split(" ".join((voice.name, voice.description, voice.tagline, voice.accent or "",
                           voice.country or "", *(loc.locale for loc in voice.locales),
                           voice.id, gender, languages,
                           "offline" if voice.offline else "cartesia")))


def plain_filter(voices: list[Voice], text: str) -> list[str]:
    """The ids a search should show, sorted by name (ties in the order given)."""
    typed = [w for w in re.split(r"[\W_]+", text.lower()) if w]
    found = [v for v in voices
             if all(any(w.startswith(t) for w in words_of(v)) for t in typed)]
    return [v.id for v in sorted(found, key=lambda v: v.name.casefold())]


def shown_ids(picker: VoicePicker) -> list[str]:
    """The ids of the rows shown, headings as ``[Heading]``."""
    out = []
    for row in range(picker.proxy.rowCount()):
        voice = picker.proxy.voice_at(row)
        out.append(voice.id if voice else f"[{picker.proxy.index(row, 0).data()}]")
    return out


def keystrokes(text: str) -> list[str]:
    return list(text)


def press(picker: VoicePicker, qtbot: Any, key: str) -> None:
    if key == "\b":
        qtbot.keyClick(picker.search, Qt.Key.Key_Backspace)
    else:
        qtbot.keyClicks(picker.search, key)


def test_every_keystroke_shows_what_a_plain_filter_finds(qtbot: Any) -> None:
    voices = many_voices()
    picker = VoicePicker()
    qtbot.addWidget(picker)
    picker.set_voices(voices)
    qtbot.waitUntil(lambda: not picker.showing())
    resets: list[None] = []
    picker.proxy.modelReset.connect(lambda: resets.append(None))
    picker.search.setFocus()
    checked = 0
    for chunk in TYPED:
        for key in keystrokes(chunk):
            before, text = len(resets), picker.search.text()
            press(picker, qtbot, key)
            if picker.search.text() == text:
                continue  # a backspace in an empty box
            expected = plain_filter(voices, picker.search.text())
            assert shown_ids(picker) == expected, picker.search.text()
            # One new set of rows per keystroke, and the count of what it shows.
            assert len(resets) == before + 1
            assert picker.status.text() == f"{len(expected):,} of {len(voices):,} voices"
            checked += 1
    assert checked > 60
    assert picker.search.text() == ""
    assert len(shown_ids(picker)) == len(voices)


def test_the_sort_and_the_groups_are_kept_while_typing(qtbot: Any) -> None:
    voices = many_voices(300)
    by_id = {v.id: v for v in voices}
    picker = VoicePicker()
    qtbot.addWidget(picker)
    picker.set_voices(voices)
    qtbot.waitUntil(lambda: not picker.showing())
    picker.table.sortByColumn(LANGUAGE, Qt.SortOrder.DescendingOrder)
    favourite = plain_filter(voices, "brit")[:2]
    picker.model.set_favourites(favourite)

    def expected(text: str) -> list[str]:
        found = [by_id[i] for i in plain_filter(voices, text)]
        # Python's sort is stable with reverse=True as well: the model's order breaks ties.
        order = {v.id: n for n, v in enumerate(voices)}
        found.sort(key=lambda v: order[v.id])
        found.sort(key=lambda v: (language_label(v.language).casefold(), v.name.casefold()),
                   reverse=True)
        ids = [v.id for v in found]
        groups = [[i for i in ids if i in favourite], [i for i in ids if i not in favourite]]
        if all(groups):
            return ["[Favourites]", *groups[0], "[All voices]", *groups[1]]
        return ids

    picker.search.setFocus()
    for key in keystrokes("brit\b\b\b\bfem\b\b\ba"):
        press(picker, qtbot, key)
        assert shown_ids(picker) == expected(picker.search.text()), picker.search.text()
    assert GROUPS[1] == "Favourites"


def test_the_chosen_voice_is_kept_across_searches(qtbot: Any) -> None:
    voices = many_voices(300)
    picker = VoicePicker()
    qtbot.addWidget(picker)
    picker.set_voices(voices)
    qtbot.waitUntil(lambda: not picker.showing())
    chosen: list[Voice] = []
    picker.voiceSelected.connect(chosen.append)
    target = voices[-3]  # Zoë O'Brien
    assert picker.select(target.id)
    assert chosen == [target]
    picker.search.setFocus()
    for key in keystrokes("zzz"):  # hides it
        press(picker, qtbot, key)
    assert picker.selected_voice() is None and "Hidden by the filter" in picker.details.text()
    for key in keystrokes("\b\b\bzo"):  # shows it again
        press(picker, qtbot, key)
    selected = picker.selected_voice()
    assert selected is not None and selected.id == target.id
    assert chosen == [target]  # filtering chose nothing for the user
    # The keyboard still moves from voice to voice in the filtered list.
    picker.table.setFocus()
    rows = shown_ids(picker)
    if len(rows) > 1:
        qtbot.keyClick(picker.table, Qt.Key.Key_Down if rows[0] == target.id
                       else Qt.Key.Key_Up)
        assert chosen[-1].id != target.id


def test_pages_merge_into_the_sorted_list(qtbot: Any) -> None:
    voices = many_voices(700)
    whole = VoicePicker()
    qtbot.addWidget(whole)
    paged = VoicePicker()
    qtbot.addWidget(paged)
    for picker in (whole, paged):
        picker.table.sortByColumn(NAME, Qt.SortOrder.DescendingOrder)
    whole.set_voices(voices)
    qtbot.waitUntil(lambda: not whole.showing())
    for start in range(0, len(voices), 100):
        paged.add_voices(voices[start:start + 100])
    assert shown_ids(paged) == shown_ids(whole)
    assert shown_ids(paged) == [v.id for v in sorted(voices, key=lambda v: v.name.casefold(),
                                                     reverse=True)]
    # The list a load ends with is the voices its pages brought: nothing moves.
    paged.set_voices(list(voices))
    assert shown_ids(paged) == shown_ids(whole)
    assert paged.status.text() == f"{len(voices):,} of {len(voices):,} voices"
    languages = paged.language.count()
    assert languages == 4 and not paged.source.isHidden()  # offline and Cartesia voices
    # A list in another order, a voice fewer: made again from what the picker knows.
    again = list(reversed(voices))[:-1]
    paged.set_voices(again)
    assert shown_ids(paged) == [v.id for v in sorted(again, key=lambda v: v.name.casefold(),
                                                     reverse=True)]
    assert paged.language.count() == languages and not paged.source.isHidden()
    paged.set_voices([v for v in again if not v.offline])
    qtbot.waitUntil(lambda: not paged.showing())
    assert paged.source.isHidden()  # one source left


def test_a_long_list_comes_in_batches_and_the_last_voice_is_chosen(
        loop: Any, qtbot: Any, tmp_path: Path) -> None:
    """The cached library at start: shown a batch at a time, the last session's voice
    chosen when its batch arrives (not the first voice of the first batch)."""
    voices = many_voices(3 * BATCH)
    last = voices[2 * BATCH + 10]
    settings = Settings(tmp_path / "settings.json")
    settings.set(VOICE_ID, last.id)
    endpoints = Endpoints(settings, RunOptions(offline=True), environ={})
    _write_cache(tmp_path / cache_name(None), voices)
    library = VoiceLibrary(endpoints, settings, tmp_path)
    picker = VoicePicker()
    qtbot.addWidget(picker)
    picker.bind(library)
    chosen: list[Voice] = []
    picker.voiceSelected.connect(chosen.append)
    sizes: list[int] = []
    picker.model.changed.connect(lambda: sizes.append(len(picker.model.voices)))
    try:
        run(loop, library.load_cached())
        qtbot.waitUntil(lambda: not picker.showing())
        assert sizes == [BATCH, 2 * BATCH, 3 * BATCH, len(voices)]
        assert [v.id for v in picker.model.voices] == [v.id for v in voices]
        assert chosen == [last]
        assert picker.status.text() == f"{len(voices):,} of {len(voices):,} voices"
    finally:
        run(loop, library.close())
        run(loop, endpoints.close())


def expected_rows(voices: list[Voice], text: str, column: int, order: Qt.SortOrder,
                  favourites: list[str], gender: str = "") -> list[str]:
    """The rows a search shows, spelled out: a plain filter, sorted by the column (ties in
    the order given, Python's sort being stable with ``reverse`` too), grouped."""
    voices = [v for v in voices if not gender or v.gender == gender]
    by_id = {v.id: v for v in voices}
    position = {v.id: n for n, v in enumerate(voices)}
    keys = {NAME: lambda v: v.name.casefold(),
            LANGUAGE: lambda v: (language_label(v.language).casefold(), v.name.casefold()),
            GENDER: lambda v: (gender_label(v.gender), v.name.casefold())}
    found = sorted((by_id[i] for i in plain_filter(voices, text)), key=lambda v: position[v.id])
    found.sort(key=keys[column], reverse=order == Qt.SortOrder.DescendingOrder)
    ids = [v.id for v in found]
    groups = [[i for i in ids if i in favourites], [i for i in ids if i not in favourites]]
    if all(groups):
        return ["[Favourites]", *groups[0], "[All voices]", *groups[1]]
    return ids


@pytest.mark.parametrize(("column", "order", "with_favourites", "text", "gender"), [
    (NAME, Qt.SortOrder.AscendingOrder, False, "fem", ""),
    (LANGUAGE, Qt.SortOrder.DescendingOrder, True, "fem", ""),
    (GENDER, Qt.SortOrder.DescendingOrder, True, "a", "masculine"),
])
def test_pages_are_inserted_where_a_plain_sort_puts_them(
        qtbot: Any, column: int, order: Qt.SortOrder, with_favourites: bool, text: str,
        gender: str) -> None:
    """A load page by page, with a search typed and a column sorted: once rows are shown,
    each page's voices are inserted rows (no reset: the table keeps the chosen row, the
    scroll and the headings itself), and what is shown is always what a plain filter
    and sort over the voices so far shows, the count included."""
    voices = many_voices(700)
    picker = VoicePicker()
    qtbot.addWidget(picker)
    picker.resize(480, 600)
    picker.show()
    picker.table.sortByColumn(column, order)
    favourites = ([i for i in expected_rows(voices[:100], text, column, order, [], gender)][:2]
                  if with_favourites else [])
    picker.model.set_favourites(favourites)
    picker.search.setText(text)
    picker.filter(gender=gender)
    chosen: list[Voice] = []
    picker.voiceSelected.connect(chosen.append)
    resets: list[None] = []
    inserted: list[int] = []
    picker.proxy.modelReset.connect(lambda: resets.append(None))
    picker.proxy.rowsInserted.connect(lambda _p, first, last: inserted.append(last - first + 1))
    picker.add_voices(voices[:100])
    assert shown_ids(picker) == expected_rows(voices[:100], text, column, order, favourites,
                                              gender)
    assert ("[Favourites]" in shown_ids(picker)) == with_favourites
    target = next(v for v in voices[:100] if v.id in shown_ids(picker) and v.id not in favourites)
    assert picker.select(target.id)
    assert chosen == [target]
    resets.clear()
    inserted.clear()
    for start in range(100, len(voices), 100):
        picker.add_voices(voices[start:start + 100])
        so_far = voices[:start + 100]
        expected = expected_rows(so_far, text, column, order, favourites, gender)
        assert shown_ids(picker) == expected
        found = len(expected) - 2 * with_favourites  # the headings
        assert picker.status.text() == f"{found:,} of {len(so_far):,} voices"
        selected = picker.selected_voice()
        assert selected is not None and selected.id == target.id  # the chosen row moved along
        for row, item in enumerate(expected):  # the headings still span the row
            assert (picker.table.columnSpan(row, 0) > 1) == item.startswith("[")
    assert resets == []
    assert 0 < sum(inserted) == (
        len(expected_rows(voices, text, column, order, [], gender))
        - len(expected_rows(voices[:100], text, column, order, [], gender)))
    assert len(expected_rows(voices, text, column, order, [], gender)) < len(voices) / 2
    assert chosen == [target]  # the pages chose nothing for the user
    # And typing after the load still searches the voices the pages brought.
    picker.search.setText(f"{text} brit")
    assert shown_ids(picker) == expected_rows(voices, f"{text} brit", column, order, favourites,
                                              gender)


def test_a_long_list_is_shown_by_inserting_batches(qtbot: Any) -> None:
    """The cached library at start, shown in batches into a sorted, searched list: one
    reset for the first batch's rows at most, then inserted rows."""
    voices = many_voices(3 * BATCH)
    picker = VoicePicker()
    qtbot.addWidget(picker)
    picker.table.sortByColumn(LANGUAGE, Qt.SortOrder.AscendingOrder)
    picker.search.setText("a")
    resets: list[int] = []
    picker.proxy.modelReset.connect(lambda: resets.append(len(picker.model.voices)))
    picker.set_voices(voices)
    qtbot.waitUntil(lambda: not picker.showing())
    assert [n for n in resets if n > BATCH] == []
    assert shown_ids(picker) == expected_rows(voices, "a", LANGUAGE,
                                              Qt.SortOrder.AscendingOrder, [])
    found = len(plain_filter(voices, "a"))
    assert picker.status.text() == f"{found:,} of {len(voices):,} voices"
