"""Lexicons when recording, against real loopback servers: the text sent is rewritten, the
take, its history row and its exports keep the written word."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from app.cartesia.voices_types import Voice
from app.engine.local import LocalEngine
from app.engine.server import ServerConfig, ThreadedServer
from app.engine.synth.espeak import EspeakSynthesizer
from app.engine.synth.tones import VOICE_ID, ToneSynthesizer
from app.markup.lexicon import Entry
from app.settings import OUTPUT_DEVICE, Settings
from app.studio.draft import Draft
from app.studio.errors import InvalidInput
from app.studio.lexicons import USER, Lexicons, LexiconsChanged
from app.studio.options import RunOptions
from app.studio.recorder import Recorder
from app.studio.studio import Studio
from app.takes.export import ExportSpec, export_take
from app.takes.history import History
from app.takes.take import TakeSettings
from app.takes.timings import srt_text
from tests.cartesia.expected import expected_words
from tests.studio.conftest import KEY, listening, online, run, until

VOICE = Voice(id=VOICE_ID, name="Test Tones")
ESPEAK_EN = "e5beac00-0000-4000-8000-00000000e001"
SOUNDS_LIKE = Entry("Cartesia", "kar tee zha", source="brands.pls")
IPA = Entry("Cartesia", "<<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>>")


def settings(text: str, *entries: Entry, **kw: object) -> TakeSettings:
    return TakeSettings(text=text, voice_id=VOICE_ID, sample_rate=16000,  # type: ignore[arg-type]
                        lexicon=entries, **kw)


def sent(server: ThreadedServer) -> list[str]:
    return [f["transcript"] for f in listening(server).frames if "transcript" in f]


def test_the_text_sent_is_rewritten_and_the_take_keeps_the_written_words(
        server: ThreadedServer, tmp_path: Path) -> None:
    text = "Say Cartesia, then Cartesia again."
    async def scenario() -> None:
        endpoints = online(server)
        try:
            take = await Recorder(endpoints).record(
                settings(text, SOUNDS_LIKE, Entry("unused", "x")), VOICE)
        finally:
            await endpoints.close()
        rewritten = "Say kar tee zha, then kar tee zha again."
        assert sent(server) == [rewritten]
        timed = expected_words(rewritten, 16000)  # what the server timed
        assert [(w.text, w.start, w.end) for w in take.words] == [
            timed[0], ("Cartesia,", timed[1][1], timed[3][2]), timed[4],
            ("Cartesia", timed[5][1], timed[7][2]), timed[8]]
        # The take keeps the text as written, and records the one entry it used.
        assert take.settings.text == text and take.name.endswith(text)
        assert take.settings.lexicon == (SOUNDS_LIKE,)
        # Exports say the written word.
        export_take(take, tmp_path / "take.wav", ExportSpec(timings=frozenset({"json", "srt"})))
        words = json.loads((tmp_path / "take.json").read_text("utf-8"))["words"]
        assert [w["text"] for w in words] == ["Say", "Cartesia,", "then", "Cartesia", "again."]
        assert "Say Cartesia, then Cartesia again." in (tmp_path / "take.srt").read_text("utf-8")
        assert "zha" not in srt_text(take.words)
        # The history keeps the entries used; a row from before lexicons still loads.
        history = History(tmp_path / "history")
        history.save(take)
        assert history.load(take.id).settings.lexicon == (SOUNDS_LIKE,)
        assert history.load(take.id).words == take.words
        history.close()
        db = sqlite3.connect(tmp_path / "history" / "history.sqlite3")
        row = json.loads(db.execute("SELECT settings FROM takes").fetchone()[0])
        del row["lexicon"], row["lexicon_via"]
        db.execute("UPDATE takes SET settings = ?", (json.dumps(row),))
        db.commit()
        db.close()
        old = History(tmp_path / "history")
        assert old.load(take.id).settings.lexicon == ()
        old.close()

    run(scenario())


def test_an_ipa_entry_the_test_voice_skips_still_shows_in_its_gap(
        server: ThreadedServer) -> None:
    async def scenario() -> None:
        endpoints = online(server)
        try:
            take = await Recorder(endpoints).record(settings("Say Cartesia now.", IPA), VOICE)
        finally:
            await endpoints.close()
        assert sent(server) == [f"Say {IPA.pronunciation} now."]
        say, now = expected_words("Say now.", 16000)  # the test voice drops << >> groups
        assert [(w.text, w.start, w.end) for w in take.words] == [
            say, ("Cartesia", say[2], now[1]), now]

    run(scenario())


def test_no_lexicon_or_a_dictionary_leaves_the_text_as_written(server: ThreadedServer) -> None:
    async def scenario() -> None:
        endpoints = online(server)
        recorder = Recorder(endpoints)
        try:
            plain = await recorder.record(settings("Say Cartesia."), VOICE)
            via = await recorder.record(settings("Say Cartesia.", IPA,
                                                 lexicon_via="dictionary"), VOICE)
        finally:
            await endpoints.close()
        assert sent(server) == ["Say Cartesia.", "Say Cartesia."]
        assert [w.text for w in plain.words] == [w.text for w in via.words] == [
            "Say", "Cartesia."]
        assert via.settings.lexicon == ()

    run(scenario())


def test_a_bad_entry_is_refused_before_anything_is_sent(server: ThreadedServer) -> None:
    async def scenario() -> None:
        endpoints = online(server)
        try:
            with pytest.raises(InvalidInput, match=r"the lexicon entry for 'Cartesia' \(from "
                               r"words.csv\): 'Q' is not an IPA phoneme"):
                await Recorder(endpoints).record(settings(
                    "Say Cartesia.", Entry("Cartesia", "<<k|Q>>", source="words.csv")), VOICE)
            # An entry the text does not use is not checked: it costs nothing.
            await Recorder(endpoints).record(settings(
                "Say hello.", Entry("Cartesia", "<<k|Q>>")), VOICE)
        finally:
            await endpoints.close()
        assert sent(server) == ["Say hello."]

    run(scenario())


@pytest.fixture
def espeak_server() -> Iterator[ThreadedServer]:
    srv = ThreadedServer([EspeakSynthesizer()], ServerConfig(api_key=KEY))
    srv.start()
    yield srv
    srv.stop()


def test_the_offline_engine_speaks_an_ipa_entry_under_the_written_word(
        espeak_server: ThreadedServer) -> None:
    async def scenario() -> None:
        endpoints = online(espeak_server)
        voice = Voice(id=ESPEAK_EN, name="espeak")
        try:
            take = await Recorder(endpoints).record(TakeSettings(
                text="We love Cartesia today.", voice_id=ESPEAK_EN, sample_rate=16000,
                lexicon=(IPA,)), voice)
        finally:
            await endpoints.close()
        assert [w.text for w in take.words] == ["We", "love", "Cartesia", "today."]
        cartesia = take.words[2]
        spoken = [p.text for p in take.phonemes
                  if cartesia.start <= p.start and p.end <= cartesia.end + 1e-6]
        # The engine said the entry's phonemes (as espeak renders them: it lengthens the
        # stressed vowels), timed under the written word.
        assert spoken[:1] == ["k"] and "t" in spoken and "ʒ" in spoken

    run(scenario(), timeout=60)


# --- the project's lexicons ---------------------------------------------------------------

def test_lexicons_keep_the_user_lexicon_and_files_in_order(tmp_path: Path) -> None:
    words = tmp_path / "words.csv"
    words.write_text("text,pronunciation\nCartesia,kar-TEE-zha\nbayou,BY-oo\n", "utf-8")

    async def scenario() -> None:
        lexicons = Lexicons(tmp_path / "data")
        changes: list[LexiconsChanged] = []
        lexicons.events.connect(changes.append)
        await lexicons.load()
        assert lexicons.entries() == []
        added = await lexicons.add(Entry("Cartesia", "<<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>>"))
        assert added.source == USER
        source = await lexicons.add_file(words)
        assert source.name == "words.csv" and len(source.entries) == 2
        # The user's entry wins over the file's for the same word.
        assert lexicons.lexicon().apply("Cartesia and bayou") == (
            "<<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>> and BY-oo")
        assert lexicons.entry_for("Bayou") == Entry("bayou", "BY-oo", None, "words.csv")
        # Same word again: replaced, not doubled.
        await lexicons.add(Entry("Cartesia", "kar-TAY-zha"))
        assert [e.pronunciation for e in lexicons.user.entries] == ["kar-TAY-zha"]
        with pytest.raises(InvalidInput, match="already one of"):
            await lexicons.add_file(words)
        with pytest.raises(InvalidInput, match=r"the entry for 'GIF' is not kept: 'Q' is not "
                           r"an IPA phoneme .* \(at character 5 of the pronunciation\)"):
            await lexicons.add(Entry("GIF", "<<ɡ|Q|f>>"))
        assert len(changes) == 4

        # Everything comes back from the data folder.
        again = Lexicons(tmp_path / "data")
        await again.load()
        assert [(s.name, [e.text for e in s.entries]) for s in again.sources] == [
            (USER, ["Cartesia"]), ("words.csv", ["Cartesia", "bayou"])]
        assert json.loads((tmp_path / "data" / "lexicon.json").read_text("utf-8")) == [
            {"text": "Cartesia", "pronunciation": "kar-TAY-zha"}]

        assert await again.remove("Cartesia") is True
        assert await again.remove("Cartesia") is False
        await again.remove_file(again.files[0])
        third = Lexicons(tmp_path / "data")
        await third.load()
        assert third.entries() == []

    run(scenario())


def test_a_lexicon_file_that_went_bad_stays_listed_with_its_problem(tmp_path: Path) -> None:
    words = tmp_path / "words.csv"
    words.write_text("Cartesia,kar\n", "utf-8")

    async def scenario() -> None:
        lexicons = Lexicons(tmp_path / "data")
        await lexicons.add_file(words)
        words.write_text("Cartesia\n", "utf-8")
        again = Lexicons(tmp_path / "data")
        await again.load()
        assert again.files[0].entries == []
        assert again.files[0].problem == ("words.csv:1:9: 'Cartesia' has no pronunciation; "
                                          "write text,pronunciation[,language]")

    run(scenario())


def test_the_studio_plays_every_line_through_the_projects_lexicons(tmp_path: Path) -> None:
    settings = Settings(None)
    settings.set(OUTPUT_DEVICE, "no-such-device-anywhere")  # the takes matter here

    async def scenario() -> None:
        lexicons = Lexicons(tmp_path / "data")
        studio = Studio(settings, RunOptions(offline=True), History(tmp_path / "history"),
                        engine=LocalEngine(ServerConfig(), [ToneSynthesizer()]),
                        lexicons=lexicons)
        voice = replace(VOICE, offline=True)
        try:
            # Kept "everywhere" in the lab: the next line says it, the script does not change.
            await lexicons.add(SOUNDS_LIKE)
            recording = studio.play(Draft(text="Then Cartesia spoke."), voice)
            take = await recording.wait()
            assert recording.rewrite.text == "Then kar tee zha spoke."
            assert [w.text for w in take.words] == ["Then", "Cartesia", "spoke."]
            assert take.settings.text == "Then Cartesia spoke."
            await until(lambda: len(studio.history.records) == 1)
            stored = await studio.history.load(take.id)
            assert stored.settings.lexicon == (replace(SOUNDS_LIKE, source=USER),)
            assert [w.text for w in stored.words] == ["Then", "Cartesia", "spoke."]
        finally:
            await studio.shutdown()

    run(scenario())


def test_a_user_lexicon_that_cannot_be_read_is_never_written_over(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    broken = '[{"text": "Cartesia", "pronunciation": "kar"},\n {"text": 1}]'
    (folder / "lexicon.json").write_text(broken, "utf-8")

    async def scenario() -> None:
        lexicons = Lexicons(folder)
        with pytest.raises(InvalidInput, match=r"lexicon.json:2:2: each item needs"):
            await lexicons.load()
        with pytest.raises(InvalidInput, match="fix or move the file first"):
            await lexicons.add(Entry("bayou", "BY-oo"))
        assert (folder / "lexicon.json").read_text("utf-8") == broken

    run(scenario())
