"""The offline engine's pronunciation dictionaries: what ``/pronunciation-dicts/`` keeps.

In memory, and in ``pronunciation-dicts.json`` of the engine's data folder when it
has one (written atomically, so a crash leaves the old file or the new one). A
change is written before it is made visible: when the write fails the request fails
and the dictionaries stay as they were. A file that cannot be read is set aside
(``.unreadable``), never overwritten, and the engine starts with none.

The store is plain data; :class:`app.engine.server.EngineServer` runs its blocking
parts (:meth:`DictionaryStore.load`, :meth:`DictionaryStore.write`) in an executor.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from app.atomic import write_bytes
from app.cartesia.dictionaries_types import DictItem, PronunciationDict
from app.cartesia.errors import ProtocolError
from app.cartesia.messages import InvalidRequest
from app.markup.lexicon import Entry, Lexicon

log = logging.getLogger(__name__)

FILE_NAME: Final = "pronunciation-dicts.json"
#: Whose dictionaries these are, as the API's ``owner_id`` says.
OWNER: Final = "voicebooth-offline"


class DictionaryStore:
    def __init__(self, folder: Path | None = None) -> None:
        self.path = folder / FILE_NAME if folder is not None else None
        self._dicts: dict[str, PronunciationDict] = {}
        #: Lexicons made so far, with the dictionary each was made from: one is made
        #: again only when its dictionary changed, not at every change of another.
        self._lexicons: dict[str, tuple[PronunciationDict, Lexicon]] = {}

    # --- the file (blocking: call off the loop) ------------------------------------

    def load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_bytes())
            dicts = [PronunciationDict.from_json(obj) for obj in data["dictionaries"]]
        except (OSError, ValueError, KeyError, TypeError, ProtocolError) as exc:
            aside = self.path.with_name(self.path.name + ".unreadable")
            log.error("pronunciation dictionaries in %s cannot be read (%s); the file is "
                      "kept as %s and the engine starts with none", self.path, exc, aside)
            self.path.replace(aside)
            return
        self._dicts = {d.id: d for d in dicts}

    def write(self, dicts: dict[str, PronunciationDict]) -> None:
        """Write ``dicts`` (a state from :meth:`created` and the others, not yet current)."""
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_bytes(self.path, self.encode(dicts), private=True)

    # --- reading ----------------------------------------------------------------------

    def get(self, dict_id: str) -> PronunciationDict | None:
        return self._dicts.get(dict_id)

    def lexicon(self, dict_id: str) -> Lexicon | None:
        """The dictionary as a lexicon to apply to a transcript (``None``: unknown id)."""
        found = self._dicts.get(dict_id)
        if found is None:
            return None
        made = self._lexicons.get(dict_id)
        if made is None or made[0] is not found:
            made = self._lexicons[dict_id] = (
                found, Lexicon(Entry(i.text, i.pronunciation) for i in found.items))
        return made[1]

    def page(self, limit: int, starting_after: str | None = None,
             ending_before: str | None = None) -> tuple[list[PronunciationDict], bool]:
        """One page in creation order, and whether more follow in that direction."""
        ids = list(self._dicts)
        if starting_after is not None:
            if starting_after not in self._dicts:
                raise InvalidRequest(f"starting_after {starting_after!r} is not a "
                                     "pronunciation dictionary id", title="Invalid cursor")
            start = ids.index(starting_after) + 1
            chosen = ids[start:start + limit]
            more = start + limit < len(ids)
        elif ending_before is not None:
            if ending_before not in self._dicts:
                raise InvalidRequest(f"ending_before {ending_before!r} is not a "
                                     "pronunciation dictionary id", title="Invalid cursor")
            stop = ids.index(ending_before)
            chosen = ids[max(0, stop - limit):stop]
            more = stop - limit > 0
        else:
            chosen = ids[:limit]
            more = limit < len(ids)
        return [self._dicts[i] for i in chosen], more

    # --- changes: the new state, made current by commit() once it is written ----------

    def created(self, name: str, items: tuple[DictItem, ...]
                ) -> tuple[PronunciationDict, dict[str, PronunciationDict]]:
        made = PronunciationDict(
            id=f"pdict_{uuid.uuid4().hex}", name=name, items=items, owner_id=OWNER,
            created_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"))
        return made, {**self._dicts, made.id: made}

    def updated(self, dict_id: str, name: str | None, items: tuple[DictItem, ...] | None
                ) -> tuple[PronunciationDict, dict[str, PronunciationDict]] | None:
        old = self._dicts.get(dict_id)
        if old is None:
            return None
        new = replace(old, name=old.name if name is None else name,
                      items=old.items if items is None else items)
        return new, {**self._dicts, dict_id: new}

    def deleted(self, dict_id: str) -> dict[str, PronunciationDict] | None:
        if dict_id not in self._dicts:
            return None
        return {k: v for k, v in self._dicts.items() if k != dict_id}

    @staticmethod
    def encode(dicts: dict[str, PronunciationDict]) -> bytes:
        return json.dumps({"version": 1, "dictionaries": [d.to_json() for d in dicts.values()]},
                          ensure_ascii=False, indent=1).encode("utf-8")

    def commit(self, dicts: dict[str, PronunciationDict]) -> None:
        self._dicts = dicts
        for gone in self._lexicons.keys() - dicts.keys():
            del self._lexicons[gone]
