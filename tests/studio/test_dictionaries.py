"""Pronunciation dictionaries in the studio: push a lexicon (create, then update by name),
pull it back, on the configured server or the built-in engine; a take made with one
sends its id and records it."""

from __future__ import annotations

import pytest

from app.cartesia.errors import NotFound
from app.cartesia.voices_types import Voice
from app.engine.local import LocalEngine
from app.engine.server import ThreadedServer
from app.engine.synth.tones import VOICE_ID, ToneSynthesizer
from app.markup.lexicon import Entry, Lexicon
from app.settings import Settings
from app.studio.dictionaries import PronunciationDicts
from app.studio.draft import Draft
from app.studio.endpoints import Endpoints
from app.studio.errors import InvalidInput
from app.studio.options import RunOptions
from app.studio.recorder import Recorder
from app.takes.take import TakeStatus
from tests.studio.conftest import listening, online, run

WORDS = Lexicon([Entry("Cartesia", "<<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>>"), Entry("bayou", "BY-you"),
                 Entry("New York", "<<n|u|ˈ|j|ɔ|ɹ|k>>")])


def entries(lexicon: Lexicon) -> list[Entry]:
    return list(lexicon.entries)


def test_push_then_pull_gives_the_lexicon_back(server: ThreadedServer) -> None:
    async def scenario() -> None:
        endpoints = online(server)
        dicts = PronunciationDicts(endpoints)
        try:
            assert (await dicts.server()).base_url == server.url
            dict_id = await dicts.push(WORDS, "Brand names")
            assert entries(await dicts.pull(dict_id)) == entries(WORDS)
            assert [(d.id, d.name) for d in await dicts.list()] == [(dict_id, "Brand names")]
        finally:
            await endpoints.close()
    run(scenario())


def test_pushing_the_same_name_again_updates_that_dictionary(server: ThreadedServer) -> None:
    async def scenario() -> None:
        endpoints = online(server)
        dicts = PronunciationDicts(endpoints)
        try:
            other = await dicts.push(Lexicon([Entry("bayou", "BY-oo")]), "Places")
            first = await dicts.push(WORDS, "Brand names")
            fewer = Lexicon([Entry("Cartesia", "kar-TAY-zee-uh")])
            assert await dicts.push(fewer, " Brand names ") == first  # same one, refilled
            assert entries(await dicts.pull(first)) == entries(fewer)
            assert entries(await dicts.pull(other)) == [Entry("bayou", "BY-oo")]
            assert len(await dicts.list()) == 2
        finally:
            await endpoints.close()
    run(scenario())


def test_delete_and_unknown_ids(server: ThreadedServer) -> None:
    async def scenario() -> None:
        endpoints = online(server)
        dicts = PronunciationDicts(endpoints)
        try:
            dict_id = await dicts.push(WORDS, "Brand names")
            await dicts.delete(dict_id)
            with pytest.raises(NotFound, match=dict_id):
                await dicts.pull(dict_id)
            with pytest.raises(InvalidInput, match="needs a name"):
                await dicts.push(WORDS, "  ")
            with pytest.raises(InvalidInput, match="id"):
                await dicts.pull(" ")
        finally:
            await endpoints.close()
    run(scenario())


def test_with_no_key_they_go_to_the_built_in_engine() -> None:
    async def scenario() -> None:
        engine = LocalEngine(synthesizers=[ToneSynthesizer()])
        endpoints = Endpoints(Settings(None), RunOptions(offline=True), engine=engine,
                              environ={})
        dicts = PronunciationDicts(endpoints)
        try:
            dict_id = await dicts.push(WORDS, "Brand names")
            assert (await dicts.server()).base_url == engine.url
            assert entries(await dicts.pull(dict_id)) == entries(WORDS)
        finally:
            await endpoints.close()
    run(scenario())


def test_a_take_sends_the_dictionary_id_and_records_it(server: ThreadedServer) -> None:
    async def scenario() -> None:
        endpoints = online(server)
        try:
            sounds_like = Lexicon([Entry("Cartesia", "kar-TAY-zee-uh")])
            dict_id = await PronunciationDicts(endpoints).push(sounds_like, "Brand names")
            voice = Voice(id=VOICE_ID, name="Test Tones")
            draft = Draft(text="Hello Cartesia.", sample_rate=16000,
                          pronunciation_dict_id=dict_id)
            take = await Recorder(endpoints).record(draft.take_settings(voice), voice)
        finally:
            await endpoints.close()
        assert take.status is TakeStatus.DONE
        assert take.settings.pronunciation_dict_id == dict_id
        assert Draft.from_take(take.settings).pronunciation_dict_id == dict_id
        sent = [f for f in listening(server).frames if "transcript" in f]
        assert [f.get("pronunciation_dict_id") for f in sent] == [dict_id]
        # The tone voice says each word it is given: it was given the entry.
        assert [w.text for w in take.words] == ["Hello", "kar-TAY-zee-uh."]
    run(scenario())
