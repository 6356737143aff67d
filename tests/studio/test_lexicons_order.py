"""The order of a project's lexicon files (the earlier wins) and bringing many entries
into the user lexicon at once (an import, a pulled dictionary): all or nothing; and the
user's choice of a Cartesia dictionary reaching the take, where the model can use one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.cartesia.voices_types import Voice
from app.markup.lexicon import Entry
from app.settings import LEXICON_VIA, PRONUNCIATION_DICT_ID, Settings
from app.studio.draft import Draft
from app.studio.errors import InvalidInput
from app.studio.lexicons import FILES_FILE, USER_FILE, Lexicons, LexiconsChanged
from tests.studio.conftest import run

DATA = Path(__file__).parent.parent / "markup" / "data"


def two_files(tmp_path: Path) -> tuple[Path, Path]:
    first = tmp_path / "first.csv"
    first.write_text("text,pronunciation\nCartesia,kar-TEE-zha\n", "utf-8")
    second = tmp_path / "second.json"
    shutil.copy(DATA / "dict.json", second)
    return first, second


def test_moving_a_file_changes_which_lexicon_wins_and_is_kept(tmp_path: Path) -> None:
    async def scenario() -> None:
        first, second = two_files(tmp_path)
        lexicons = Lexicons(tmp_path / "data")
        seen: list[LexiconsChanged] = []
        lexicons.events.connect(seen.append)
        await lexicons.add_file(first)
        await lexicons.add_file(second)
        entry = lexicons.entry_for("Cartesia")
        assert entry is not None and entry.pronunciation == "kar-TEE-zha"
        seen.clear()
        await lexicons.move(lexicons.files[1], -1)
        assert [f.name for f in lexicons.files] == ["second.json", "first.csv"]
        assert seen == [LexiconsChanged()]
        entry = lexicons.entry_for("Cartesia")
        assert entry is not None and entry.pronunciation == "<<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>>"
        listed = json.loads((tmp_path / "data" / FILES_FILE).read_text("utf-8"))
        assert [Path(n).name for n in listed] == ["second.json", "first.csv"]
        # Past either end nothing moves and nothing is announced.
        seen.clear()
        await lexicons.move(lexicons.files[0], -1)
        await lexicons.move(lexicons.files[1], 5)
        assert [f.name for f in lexicons.files] == ["second.json", "first.csv"] and not seen
        # The order is the project's: read again, it is the same.
        again = Lexicons(tmp_path / "data")
        await again.load()
        assert [f.name for f in again.files] == ["second.json", "first.csv"]
    run(scenario())


def test_merging_replaces_the_same_word_and_keeps_the_others(tmp_path: Path) -> None:
    async def scenario() -> None:
        lexicons = Lexicons(tmp_path / "data")
        await lexicons.add(Entry("Cartesia", "kar-TEE-zha"))
        await lexicons.add(Entry("Voicebooth", "voice-booth"))
        count = await lexicons.merge_user([Entry("Cartesia", "<<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>>"),
                                           Entry("bayou", "<<ˈ|b|ɑ|j|u>>")])
        assert count == 2
        assert [(e.text, e.pronunciation) for e in lexicons.user.entries] == [
            ("Cartesia", "<<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>>"), ("Voicebooth", "voice-booth"),
            ("bayou", "<<ˈ|b|ɑ|j|u>>")]
        saved = json.loads((tmp_path / "data" / USER_FILE).read_text("utf-8"))
        assert [item["text"] for item in saved] == ["Cartesia", "Voicebooth", "bayou"]
    run(scenario())


def test_a_bad_entry_brings_in_nothing(tmp_path: Path) -> None:
    async def scenario() -> None:
        lexicons = Lexicons(tmp_path / "data")
        await lexicons.add(Entry("Cartesia", "kar-TEE-zha"))
        before = (tmp_path / "data" / USER_FILE).read_bytes()
        with pytest.raises(InvalidInput, match=r"nothing was imported.*'cat'.*'Q'.*character 5"):
            await lexicons.merge_user([Entry("bayou", "<<ˈ|b|ɑ|j|u>>"),
                                       Entry("cat", "<<k|Q|t>>")])
        assert [e.text for e in lexicons.user.entries] == ["Cartesia"]
        assert (tmp_path / "data" / USER_FILE).read_bytes() == before
    run(scenario())


def test_the_choice_of_dictionary_reaches_the_take_where_the_model_can_use_one() -> None:
    voice = Voice(id="v", name="V")
    settings = Settings(None)
    settings.set(LEXICON_VIA, "dictionary")
    # Chosen, but no dictionary yet: said, and the lexicon goes as markup.
    draft = Draft(text="Hello Cartesia.").with_lexicon_choice(settings)
    assert "no Cartesia pronunciation dictionary is chosen" in draft.dictionary_problem()
    taken = draft.take_settings(voice)
    assert (taken.lexicon_via, taken.pronunciation_dict_id) == ("markup", None)
    settings.set(PRONUNCIATION_DICT_ID, "pdict_1")
    for model in ("sonic-3", "sonic-3.5"):
        draft = Draft(text="Hello Cartesia.", model_id=model).with_lexicon_choice(settings)
        assert draft.dictionary_problem() == ""
        taken = draft.take_settings(voice)
        assert (taken.lexicon_via, taken.pronunciation_dict_id) == ("dictionary", "pdict_1")
        assert Draft.from_take(taken).lexicon_via == "dictionary"
    settings.set(LEXICON_VIA, "markup")
    taken = Draft(text="Hello Cartesia.").with_lexicon_choice(settings).take_settings(voice)
    assert (taken.lexicon_via, taken.pronunciation_dict_id) == ("markup", None)
