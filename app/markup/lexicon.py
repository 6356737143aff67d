"""A user's pronunciation list, applied like Cartesia's pronunciation dictionaries.

Each entry replaces a word (or phrase) with an IPA pronunciation
(``<<ˈ|b|ɑ|ˈ|j|u>>``) or a sounds-like spelling (``chop-uh-TOO-liss``): whole
words only, case-sensitive, except that a lowercase entry also matches its
capitalised form (a sentence start). Text inside tags and existing ``<< >>``
groups is never touched. The items have the API's shape
``[{"text", "pronunciation"}]`` so a list can be uploaded as a dictionary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.markup.errors import MarkupError
from app.markup.tokens import tokenize


@dataclass(frozen=True)
class Entry:
    text: str
    pronunciation: str


class Lexicon:
    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self.entries = [e for e in entries if e.text.strip()]
        # Longer entries first, so "New York" wins over "York".
        ordered = sorted(self.entries, key=lambda e: len(e.text), reverse=True)
        self._lookup: dict[str, str] = {}
        alternatives = []
        for entry in ordered:
            forms = [entry.text]
            if entry.text[:1].islower():
                forms.append(entry.text[:1].upper() + entry.text[1:])
            for form in forms:
                if form not in self._lookup:
                    self._lookup[form] = entry.pronunciation
                    alternatives.append(re.escape(form))
        self._pattern = (re.compile(r"(?<!\w)(" + "|".join(alternatives) + r")(?!\w)")
                         if alternatives else None)

    def apply(self, source: str) -> str:
        if self._pattern is None:
            return source
        out = []
        for token in tokenize(source):
            if token.kind == "text":
                out.append(self._pattern.sub(lambda m: self._lookup[m.group(1)], token.text))
            else:
                out.append(token.text)
        return "".join(out)

    def to_json(self) -> list[dict[str, str]]:
        return [{"text": e.text, "pronunciation": e.pronunciation} for e in self.entries]

    @classmethod
    def from_json(cls, items: Any) -> Lexicon:
        if not isinstance(items, list):
            raise MarkupError("a pronunciation list must be a JSON array of "
                              "{\"text\", \"pronunciation\"} objects")
        entries = []
        for index, item in enumerate(items):
            # "alias" is the API's deprecated name for the same field.
            said = item.get("pronunciation", item.get("alias")) if isinstance(item, dict) \
                else None
            if not isinstance(item, dict) or not isinstance(item.get("text"), str) or \
                    not isinstance(said, str):
                raise MarkupError(f"item {index + 1} of the pronunciation list needs "
                                  "\"text\" and \"pronunciation\" strings")
            entries.append(Entry(item["text"], said))
        return cls(entries)
