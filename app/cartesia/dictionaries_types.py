"""Cartesia's pronunciation dictionary as data, shared by our client and our server.

Shapes are the API's (``docs/cartesia-api.md``): a dictionary is ``{id, name,
owner_id, pinned, items: [{text, pronunciation}], created_at}``; requests carry
``name`` and ``items``. ``alias`` is the API's deprecated name for
``pronunciation`` and is read as one. :func:`parse_items` checks a request's
items the way our server answers them: a 400 naming the field at fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.cartesia.errors import ProtocolError
from app.cartesia.messages import InvalidRequest

JSONDict = dict[str, Any]


@dataclass(frozen=True)
class DictItem:
    """One replacement: ``text`` as written, said as ``pronunciation`` (``<<IPA>>``
    phonemes or a sounds-like spelling)."""

    text: str
    pronunciation: str

    def to_json(self) -> JSONDict:
        return {"text": self.text, "pronunciation": self.pronunciation}


@dataclass(frozen=True)
class PronunciationDict:
    id: str
    name: str
    items: tuple[DictItem, ...] = ()
    owner_id: str = ""
    pinned: bool = False
    created_at: str = ""

    def to_json(self) -> JSONDict:
        """As the API answers: each item also under ``alias``, its deprecated name, which
        the 2026-03-01 reference still lists and the official SDK (4.2) requires."""
        return {"id": self.id, "name": self.name, "owner_id": self.owner_id,
                "pinned": self.pinned,
                "items": [dict(i.to_json(), alias=i.pronunciation) for i in self.items],
                "created_at": self.created_at}

    @classmethod
    def from_json(cls, obj: object) -> PronunciationDict:
        """A dictionary from an answer; :class:`ProtocolError` if it is not one."""
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            raise ProtocolError("a pronunciation dictionary in the answer lacks an 'id'")
        try:
            items = parse_items(obj.get("items") or [])
        except InvalidRequest as exc:
            raise ProtocolError(f"pronunciation dictionary {obj['id']}: {exc.message}"
                                ) from None
        name = obj.get("name")
        owner = obj.get("owner_id")
        created = obj.get("created_at")
        return cls(id=obj["id"], name=name if isinstance(name, str) else "", items=items,
                   owner_id=owner if isinstance(owner, str) else "",
                   pinned=obj.get("pinned") is True,
                   created_at=created if isinstance(created, str) else "")


def parse_items(value: object, field: str = "items") -> tuple[DictItem, ...]:
    """``[{"text", "pronunciation"}]`` as items, or :class:`InvalidRequest` naming the
    field at fault (``items[2].pronunciation must be a string``)."""
    if not isinstance(value, list):
        raise InvalidRequest(f"{field} must be a list of {{\"text\", \"pronunciation\"}} "
                             "objects")
    out: list[DictItem] = []
    for n, item in enumerate(value):
        where = f"{field}[{n}]"
        if not isinstance(item, dict):
            raise InvalidRequest(f"{where} must be an object with \"text\" and "
                                 "\"pronunciation\"")
        text = item.get("text")
        said = item.get("pronunciation")
        if said is None:
            said = item.get("alias")
        if not isinstance(text, str):
            raise InvalidRequest(f"{where}.text must be a string")
        if not text.strip():
            raise InvalidRequest(f"{where}.text must not be empty")
        if not isinstance(said, str):
            raise InvalidRequest(f"{where}.pronunciation must be a string")
        if not said.strip():
            raise InvalidRequest(f"{where}.pronunciation must not be empty "
                                 f"(for {text!r})")
        out.append(DictItem(text, said))
    return tuple(out)


def parse_name(value: object, *, required: bool) -> str | None:
    """A request's ``name``: a non-empty string (``None`` when absent and optional)."""
    if value is None:
        if required:
            raise InvalidRequest("name is missing: it is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest("name must be a non-empty string")
    return value
