"""The offline engine applies a pronunciation dictionary passed by id, as Cartesia does:
a search-and-replace before synthesis, so Piper and espeak say the entry's phonemes and
report them in the phoneme timestamps; an unknown id gets Cartesia's 404."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import aiohttp
import pytest

from app.cartesia import messages as m
from app.cartesia.client import TTSClient
from app.cartesia.config import ClientConfig, Timeouts
from app.cartesia.dictionaries import DictionariesClient
from app.cartesia.dictionaries_types import DictItem
from app.cartesia.errors import NotFound
from app.engine.server import ServerConfig, ThreadedServer
from app.engine.synth.base import Synthesizer
from app.engine.synth.espeak import EspeakSynthesizer
from app.engine.synth.piper_voice import VOICE_ID as PIPER_VOICE_ID
from app.engine.synth.piper_voice import PiperSynthesizer
from tests.cartesia.collect import Received, collect

KEY = "sk_dict_engine_0123456789"
ESPEAK_US = "e5beac00-0000-4000-8000-00000000e001"
#: "kar-TAY-zee-uh": not how either engine reads the word by itself ("kar-TEE-zhuh").
ENTRY = DictItem("Cartesia", "<<k|ɑ|ɹ|ˈ|t|eɪ|z|i|ə>>")
SAID = ("k", "ɑ", "ɹ", "t", "eɪ", "z", "i", "ə")
LINE = "Hello Cartesia today."


@pytest.fixture(scope="module")
def synths() -> list[Synthesizer]:
    piper = PiperSynthesizer(deterministic=True)
    piper.load()
    espeak = EspeakSynthesizer()
    espeak.load()
    return [piper, espeak]


@pytest.fixture
def engine(synths: list[Synthesizer]) -> Iterator[ThreadedServer]:
    srv = ThreadedServer(synths, ServerConfig(api_key=KEY))
    srv.start()
    yield srv
    srv.stop()


def config_of(server: ThreadedServer) -> ClientConfig:
    return ClientConfig(server.url, api_key=KEY,
                        timeouts=Timeouts(connect=5, first_chunk=30, inactivity=30, rest=5))


def request(voice_id: str, dict_id: str | None) -> m.GenerationRequest:
    return m.GenerationRequest(model_id="sonic-3", transcript=LINE, voice_id=voice_id,
                               context_id="", add_phoneme_timestamps=True,
                               pronunciation_dict_id=dict_id)


async def speak(server: ThreadedServer, voice_id: str, with_dict: bool) -> Received:
    config = config_of(server)
    async with DictionariesClient(config) as dicts:
        dict_id = (await dicts.create("Brands", [ENTRY])).id if with_dict else None
    client = TTSClient(config)
    try:
        return await collect(await client.generate(request(voice_id, dict_id)))
    finally:
        await client.close()


def sounds_of_word(got: Received, index: int) -> tuple[str, ...]:
    """The phonemes that start inside the ``index``-th word's time span, without stress
    or length marks (espeak reports "ˈeɪ" and "iː" where Piper says "eɪ" and "i")."""
    _, start, end = got.words[index]
    inside = (p for p, s, _ in got.phonemes if start - 1e-6 <= s < end)
    return tuple(p.replace("ˈ", "").replace("ˌ", "").replace("ː", "") for p in inside)


@pytest.mark.parametrize("voice_id", [PIPER_VOICE_ID, ESPEAK_US], ids=["piper", "espeak"])
def test_an_entry_is_spoken_and_its_phonemes_come_back(engine: ThreadedServer,
                                                       voice_id: str) -> None:
    async def scenario() -> tuple[Received, Received]:
        return await speak(engine, voice_id, False), await speak(engine, voice_id, True)
    plain, tuned = asyncio.run(asyncio.wait_for(scenario(), 90))
    assert plain.done and tuned.done
    assert [w for w, _, _ in plain.words] == ["Hello", "Cartesia", "today."]
    # The model got the entry's phonemes in place of the word (as Cartesia's does).
    assert [w for w, _, _ in tuned.words] == ["Hello", "kɑɹˈteɪziə", "today."]
    assert "z" not in sounds_of_word(plain, 1)
    said = sounds_of_word(tuned, 1)
    if voice_id == PIPER_VOICE_ID:
        assert said == SAID  # Piper takes IPA as it is
    else:  # espeak speaks through its own phoneme set: "ɹ" comes back as "r"
        assert said == tuple("r" if p == "ɹ" else p for p in SAID)


def test_an_unknown_id_gets_cartesias_404_on_the_websocket(engine: ThreadedServer) -> None:
    async def scenario() -> None:
        client = TTSClient(config_of(engine))
        try:
            generation = await client.generate(request(PIPER_VOICE_ID, "pdict_unknown"))
            with pytest.raises(NotFound) as caught:
                await collect(generation)
        finally:
            await client.close()
        assert caught.value.status == 404
        assert caught.value.code == "pronunciation_dict_not_found"
        assert "pdict_unknown" in str(caught.value)
    asyncio.run(asyncio.wait_for(scenario(), 30))


@pytest.mark.parametrize("path", ["/tts/bytes", "/tts/sse"])
def test_an_unknown_id_gets_404_on_rest(engine: ThreadedServer, path: str) -> None:
    async def scenario() -> None:
        body = request(PIPER_VOICE_ID, "pdict_unknown").to_json()
        headers = {"Authorization": f"Bearer {KEY}", "Cartesia-Version": "2026-03-01"}
        async with aiohttp.ClientSession(headers=headers) as session, \
                session.post(engine.url + path, json=body) as answer:
            assert answer.status == 404
            error = await answer.json()
        assert error["error_code"] == "pronunciation_dict_not_found"
    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_tts_bytes_applies_the_dictionary(engine: ThreadedServer) -> None:
    """/tts/bytes returns audio only: the entry shows as a different rendering of the
    same line (the replaced word takes another length)."""
    async def scenario() -> tuple[int, int]:
        config = config_of(engine)
        async with DictionariesClient(config) as dicts:
            made = await dicts.create("Brands", [DictItem("Cartesia", "Cartesia Cartesia")])
        headers = {"Authorization": f"Bearer {KEY}"}
        sizes = []
        async with aiohttp.ClientSession(headers=headers) as session:
            for dict_id in (None, made.id):
                body = request(PIPER_VOICE_ID, dict_id).to_json()
                async with session.post(engine.url + "/tts/bytes", json=body) as answer:
                    assert answer.status == 200
                    sizes.append(len(await answer.read()))
        return sizes[0], sizes[1]
    plain, tuned = asyncio.run(asyncio.wait_for(scenario(), 60))
    assert tuned > plain * 1.2  # "Cartesia" said twice
