"""The official ``cartesia`` SDK (4.2.x), unchanged, managing pronunciation dictionaries
on our loopback server; every dictionary it gets is validated against its own model."""

from __future__ import annotations

from typing import Any

import pytest
from cartesia import BadRequestError, NotFoundError
from cartesia.types.pronunciation_dict import PronunciationDict as SdkDict

from app.engine.server import ThreadedServer
from tests.engine.conftest import run
from tests.engine.test_sdk_compat import sdk


def strictly(found: Any) -> SdkDict:
    return SdkDict.model_validate(found.to_dict())


def test_the_sdk_creates_lists_updates_and_deletes(server: ThreadedServer) -> None:
    async def scenario() -> None:
        async with sdk(server) as client:
            # The SDK names the pronunciation "alias" (the API's older name).
            made = strictly(await client.pronunciation_dicts.create(
                name="Brands", items=[{"text": "bayou", "alias": "<<ˈ|b|ɑ|ˈ|j|u>>"}]))
            assert made.name == "Brands"
            assert [(i.text, i.alias) for i in made.items] == [("bayou", "<<ˈ|b|ɑ|ˈ|j|u>>")]
            for n in range(4):
                await client.pronunciation_dicts.create(name=f"more {n}")
            listed = [strictly(d) async for d in client.pronunciation_dicts.list(limit=2)]
            assert [d.name for d in listed] == ["Brands"] + [f"more {n}" for n in range(4)]
            assert strictly(await client.pronunciation_dicts.retrieve(made.id)) == made
            renamed = strictly(await client.pronunciation_dicts.update(
                made.id, name="Places", items=[{"text": "bayou", "alias": "BY-you"}]))
            assert (renamed.name, [i.alias for i in renamed.items]) == ("Places", ["BY-you"])
            await client.pronunciation_dicts.delete(made.id)
            with pytest.raises(NotFoundError):
                await client.pronunciation_dicts.retrieve(made.id)
            with pytest.raises(BadRequestError, match=r"items\[0\]\.text"):
                await client.pronunciation_dicts.create(
                    name="bad", items=[{"text": "", "alias": "x"}])
    run(scenario())
