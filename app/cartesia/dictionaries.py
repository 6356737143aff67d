"""Cartesia's pronunciation dictionaries over REST: list (cursor pages), get, create,
update, delete.

``/pronunciation-dicts/`` with the same headers, timeouts and error mapping as
:mod:`app.cartesia.voices`. Reads, updates and deletes are retried on 429, 5xx and
a failed connection (with backoff that honours ``Retry-After``); a create only on
429, since a create that timed out may have happened and a retry would make a
second dictionary.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import quote

from app.cartesia.dictionaries_types import DictItem, PronunciationDict
from app.cartesia.errors import ProtocolError
from app.cartesia.rest import RestClient

log = logging.getLogger(__name__)

PATH = "/pronunciation-dicts/"


class DictionariesClient(RestClient):
    """``async with DictionariesClient(config) as dicts: await dicts.create(...)``."""

    async def pages(self, *, page_size: int = 100) -> AsyncIterator[list[PronunciationDict]]:
        """Every page in order, following ``next_page`` while ``has_more`` is true."""
        cursor: str | None = None
        while True:
            params = [("limit", str(page_size))]
            if cursor:
                params.append(("starting_after", cursor))
            body = await self._call("GET", PATH, params=params)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise ProtocolError(f"{PATH} answered without a 'data' list")
            page = [PronunciationDict.from_json(item) for item in body["data"]]
            yield page
            if not body.get("has_more") or not page:
                return
            next_page = body.get("next_page")
            cursor = next_page if isinstance(next_page, str) and next_page else page[-1].id

    async def list(self, *, page_size: int = 100) -> list[PronunciationDict]:
        out: list[PronunciationDict] = []
        async for page in self.pages(page_size=page_size):
            out.extend(page)
        return out

    async def get(self, dict_id: str) -> PronunciationDict:
        return _dictionary(await self._call("GET", _one(dict_id)))

    async def create(self, name: str, items: Sequence[DictItem] = ()) -> PronunciationDict:
        body = {"name": name, "items": [item.to_json() for item in items]}
        return _dictionary(await self._call("POST", PATH, body=body))

    async def update(self, dict_id: str, *, name: str | None = None,
                     items: Sequence[DictItem] | None = None) -> PronunciationDict:
        """Change the name, replace the items, or both (``None`` leaves one as it is)."""
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if items is not None:
            body["items"] = [item.to_json() for item in items]
        return _dictionary(await self._call("PATCH", _one(dict_id), body=body))

    async def delete(self, dict_id: str) -> None:
        await self._call("DELETE", _one(dict_id))


def _one(dict_id: str) -> str:
    # Quoted: an id with a slash or a "?" must not become another path or a query.
    return f"/pronunciation-dicts/{quote(dict_id, safe='')}"


def _dictionary(body: object) -> PronunciationDict:
    return PronunciationDict.from_json(body)


__all__ = ["DictItem", "DictionariesClient", "PronunciationDict"]
