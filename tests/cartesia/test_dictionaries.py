"""Pronunciation dictionaries over REST: our client against our server, with Cartesia's
shapes, cursor pages, 404s and 400s that name the field, kept in the data folder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from app.cartesia import messages as m
from app.cartesia.client import TTSClient
from app.cartesia.config import ClientConfig, Timeouts
from app.cartesia.dictionaries import DictionariesClient
from app.cartesia.dictionaries_types import DictItem
from app.cartesia.errors import NotFound, ServerError
from app.engine.server import ServerConfig, ThreadedServer
from app.engine.synth.tones import VOICE_ID as TONE_VOICE_ID
from app.engine.synth.tones import ToneSynthesizer
from tests.cartesia.collect import collect
from tests.cartesia.conftest import KEY, run

BAYOU = DictItem("bayou", "<<ˈ|b|ɑ|ˈ|j|u>>")
CHIPOTLE = DictItem("chipotle", "chi-POHT-lay")


def start(folder: Path | None) -> ThreadedServer:
    srv = ThreadedServer([ToneSynthesizer()], ServerConfig(api_key=KEY, data_dir=folder))
    srv.start()
    return srv


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ThreadedServer]:
    srv = start(tmp_path)
    yield srv
    srv.stop()


def config_of(server: ThreadedServer) -> ClientConfig:
    return ClientConfig(server.url, api_key=KEY,
                        timeouts=Timeouts(connect=5, first_chunk=5, inactivity=5, rest=5))


def test_create_get_update_delete(store: ThreadedServer) -> None:
    async def scenario() -> None:
        async with DictionariesClient(config_of(store)) as client:
            made = await client.create("Brands", [BAYOU])
            assert made.id and made.name == "Brands" and made.items == (BAYOU,)
            assert made.created_at.endswith("Z") and made.owner_id
            assert await client.get(made.id) == made
            renamed = await client.update(made.id, name="Places")
            assert renamed.name == "Places" and renamed.items == (BAYOU,)  # items kept
            refilled = await client.update(made.id, items=[CHIPOTLE, BAYOU])
            assert refilled.name == "Places" and refilled.items == (CHIPOTLE, BAYOU)
            assert [d.id for d in await client.list()] == [made.id]
            await client.delete(made.id)
            assert await client.list() == []
            with pytest.raises(NotFound):
                await client.get(made.id)
    run(scenario())


def test_every_page_is_followed(store: ThreadedServer) -> None:
    async def scenario() -> None:
        async with DictionariesClient(config_of(store)) as client:
            made = [(await client.create(f"dict {n}", [BAYOU])).id for n in range(23)]
            before = client.requests
            listed = await client.list(page_size=5)
            assert [d.id for d in listed] == made  # creation order, none twice, none lost
            assert client.requests - before == 5  # 5+5+5+5+3: no extra request at the end
    run(scenario())


def test_unknown_ids_get_404_with_cartesias_error_shape(store: ThreadedServer) -> None:
    async def scenario() -> None:
        async with DictionariesClient(config_of(store)) as client:
            for call in (client.get("pdict_nope"), client.update("pdict_nope", name="x"),
                         client.delete("pdict_nope")):
                with pytest.raises(NotFound) as caught:
                    await call
                assert caught.value.status == 404
                assert caught.value.code == "pronunciation_dict_not_found"
                assert "pdict_nope" in str(caught.value)
    run(scenario())


@pytest.mark.parametrize(("body", "named"), [
    ({"name": "x", "items": [{"text": "bayou"}]}, "items[0].pronunciation must be a string"),
    ({"name": "x", "items": [BAYOU.to_json(), {"text": "", "pronunciation": "a"}]},
     "items[1].text must not be empty"),
    ({"name": "x", "items": [BAYOU.to_json(), "bayou"]}, "items[1] must be an object"),
    ({"name": "x", "items": {"bayou": "b"}}, "items must be a list"),
    ({"items": []}, "name is missing"),
    ({"name": "  ", "items": []}, "name must be a non-empty string"),
])
def test_bad_items_get_400_naming_the_field_and_change_nothing(
        store: ThreadedServer, body: dict[str, object], named: str) -> None:
    async def scenario() -> None:
        headers = {"Authorization": f"Bearer {KEY}", "Cartesia-Version": "2026-03-01"}
        async with aiohttp.ClientSession(headers=headers) as session:
            async with session.post(f"{store.url}/pronunciation-dicts/", json=body) as r:
                assert r.status == 400
                answer = await r.json()
            assert answer["error_code"] == "invalid_request"
            assert named in answer["message"]
        async with DictionariesClient(config_of(store)) as client:
            assert await client.list() == []
    run(scenario())


def test_a_bad_update_changes_nothing(store: ThreadedServer) -> None:
    async def scenario() -> None:
        async with DictionariesClient(config_of(store)) as client:
            made = await client.create("Brands", [BAYOU])
            with pytest.raises(ServerError) as caught:
                await client.update(made.id, items=[DictItem("chipotle", "")])
            assert caught.value.status == 400
            assert "items[0].pronunciation must not be empty" in str(caught.value)
            assert await client.get(made.id) == made
    run(scenario())


def test_alias_the_deprecated_field_is_read_as_the_pronunciation(
        store: ThreadedServer) -> None:
    async def scenario() -> None:
        headers = {"Authorization": f"Bearer {KEY}"}
        body = {"name": "old", "items": [{"text": "bayou", "alias": "BY-you"}]}
        async with aiohttp.ClientSession(headers=headers) as session, \
                session.post(f"{store.url}/pronunciation-dicts/", json=body) as r:
            assert r.status == 200
            made = await r.json()
        # Answered under both names, as the API's reference shows.
        assert made["items"] == [{"text": "bayou", "pronunciation": "BY-you",
                                  "alias": "BY-you"}]
    run(scenario())


def test_dictionaries_survive_a_restart_in_the_data_folder(tmp_path: Path) -> None:
    async def create(srv: ThreadedServer) -> str:
        async with DictionariesClient(config_of(srv)) as client:
            return (await client.create("Brands", [BAYOU, CHIPOTLE])).id

    async def read(srv: ThreadedServer) -> list[tuple[str, tuple[DictItem, ...]]]:
        async with DictionariesClient(config_of(srv)) as client:
            return [(d.id, d.items) for d in await client.list()]

    first = start(tmp_path)
    try:
        made = run(create(first))
    finally:
        first.stop()
    stored = json.loads((tmp_path / "pronunciation-dicts.json").read_text("utf-8"))
    assert [d["id"] for d in stored["dictionaries"]] == [made]
    second = start(tmp_path)
    try:
        assert run(read(second)) == [(made, (BAYOU, CHIPOTLE))]
    finally:
        second.stop()


def test_an_unreadable_file_is_set_aside_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "pronunciation-dicts.json").write_text("{not json", "utf-8")
    srv = start(tmp_path)
    try:
        async def scenario() -> None:
            async with DictionariesClient(config_of(srv)) as client:
                assert await client.list() == []
        run(scenario())
    finally:
        srv.stop()
    assert (tmp_path / "pronunciation-dicts.json.unreadable").read_text() == "{not json"


def test_without_a_data_folder_they_live_in_memory() -> None:
    srv = start(None)
    try:
        async def scenario() -> None:
            async with DictionariesClient(config_of(srv)) as client:
                made = await client.create("Brands", [BAYOU])
                assert await client.get(made.id) == made
        run(scenario())
    finally:
        srv.stop()


def test_a_change_that_cannot_be_saved_fails_and_changes_nothing(read_only: Path) -> None:
    srv = start(read_only)
    try:
        async def scenario() -> None:
            async with DictionariesClient(config_of(srv)) as client:
                with pytest.raises(ServerError) as caught:
                    await client.create("Brands", [BAYOU])
                assert caught.value.status == 500
                assert "could not be saved" in str(caught.value)
                assert "read-only" in str(caught.value)
                assert await client.list() == []
        run(scenario())
    finally:
        srv.stop()


def test_a_generation_uses_the_dictionary_as_it_is_now(store: ThreadedServer) -> None:
    """Updated, the new items apply to the next generation; deleted, its id is refused."""
    async def words(client: TTSClient, dict_id: str) -> list[str]:
        got = await collect(await client.generate(m.GenerationRequest(
            model_id="sonic-3", transcript="Hello Cartesia.", voice_id=TONE_VOICE_ID,
            context_id="", pronunciation_dict_id=dict_id)))
        return [w for w, _, _ in got.words]

    async def scenario() -> None:
        config = config_of(store)
        client = TTSClient(config)
        try:
            async with DictionariesClient(config) as dicts:
                made = await dicts.create("Brands", [DictItem("Cartesia", "kar-TEE-zha")])
                assert await words(client, made.id) == ["Hello", "kar-TEE-zha."]
                await dicts.update(made.id, items=[DictItem("Cartesia", "kar-TAY-zee-uh")])
                assert await words(client, made.id) == ["Hello", "kar-TAY-zee-uh."]
                await dicts.delete(made.id)
                with pytest.raises(NotFound):
                    await words(client, made.id)
        finally:
            await client.close()
    run(scenario())
