"""Cartesia pronunciation dictionaries for the window and the command line: list, push
a lexicon (create, or update the dictionary of that name), pull one back, delete.

Dictionaries live on a server, per account: they go where online generations go
(Cartesia, or the base URL given, with the run's key); with no way online, or when
asked (``offline=True``), to the built-in engine, which keeps its own. A dictionary
is used by sending its id with a generation, so it must be on the server that
voice's generations go to (:meth:`app.studio.endpoints.Endpoints.route`).

Errors are the API's own (:class:`app.cartesia.errors.NotFound` for an unknown id,
and so on); a name that cannot be right is :class:`InvalidInput` before anything is
sent.
"""

from __future__ import annotations

from app.cartesia.config import ClientConfig
from app.cartesia.dictionaries import DictionariesClient
from app.cartesia.dictionaries_types import DictItem, PronunciationDict
from app.markup.lexicon import Entry, Lexicon
from app.studio.endpoints import Endpoints
from app.studio.errors import InvalidInput


class PronunciationDicts:
    def __init__(self, endpoints: Endpoints, *, offline: bool = False) -> None:
        self.endpoints = endpoints
        self.offline = offline

    async def server(self) -> ClientConfig:
        """Where the dictionaries are: online when the run can go online, else the
        built-in engine."""
        if not self.offline:
            online = await self.endpoints.online()
            if online is not None:
                return online
        return await self.endpoints.offline()

    async def list(self) -> list[PronunciationDict]:
        async with DictionariesClient(await self.server()) as client:
            return await client.list()

    async def get(self, dict_id: str) -> PronunciationDict:
        async with DictionariesClient(await self.server()) as client:
            return await client.get(_checked_id(dict_id))

    async def push(self, lexicon: Lexicon, name: str) -> str:
        """The id of the dictionary named ``name``, now holding the lexicon's entries:
        the one of that name if there is one (the first listed), else a new one."""
        name = name.strip()
        if not name:
            raise InvalidInput("a pronunciation dictionary needs a name")
        items = [DictItem(e.text, e.pronunciation) for e in lexicon.entries]
        async with DictionariesClient(await self.server()) as client:
            existing = next((d for d in await client.list() if d.name == name), None)
            if existing is None:
                return (await client.create(name, items)).id
            return (await client.update(existing.id, items=items)).id

    async def pull(self, dict_id: str) -> Lexicon:
        """The dictionary's items as a lexicon, in the dictionary's order."""
        found = await self.get(dict_id)
        return Lexicon(Entry(item.text, item.pronunciation) for item in found.items)

    async def delete(self, dict_id: str) -> None:
        async with DictionariesClient(await self.server()) as client:
            await client.delete(_checked_id(dict_id))


def _checked_id(dict_id: str) -> str:
    dict_id = dict_id.strip()
    if not dict_id:
        raise InvalidInput("give the pronunciation dictionary's id ('voicebooth lexicon "
                           "list' shows them)")
    return dict_id
