"""A user's pronunciation list, applied like Cartesia's pronunciation dictionaries.

Each entry replaces a word (or phrase) with an IPA pronunciation
(``<<ˈ|b|ɑ|ˈ|j|u>>``) or a sounds-like spelling (``chop-uh-TOO-liss``): whole
words only, case-sensitive, except that a lowercase entry also matches its
capitalised form (a sentence start); the longest entry wins where two could
match, and the leftmost where two overlap. Text inside tags and existing
``<< >>`` groups is never touched. The items have the API's shape
``[{"text", "pronunciation"}]`` so a list can be uploaded as a dictionary.

:meth:`Lexicon.rewrite` also says where each replacement came from, so the
words that come back for the rewritten text can be shown as the user wrote
them (:mod:`app.markup.written`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.markup import ipa
from app.markup.dialect import Dialect
from app.markup.errors import MarkupError
from app.markup.tokens import Span, tokenize
from app.markup.validate import validate


@dataclass(frozen=True)
class Entry:
    text: str
    pronunciation: str
    #: A BCP 47 tag ("en", "en-US"); None: every language.
    language: str | None = None
    #: Where the entry comes from (a file's name, "user"): shown to the user, never sent.
    source: str = ""

    @property
    def is_ipa(self) -> bool:
        """Whether the pronunciation is IPA groups only (else a sounds-like spelling)."""
        return all(w.startswith("<<") and w.endswith(">>") for w in self.pronunciation.split())

    def speaks(self, language: str | None) -> bool:
        if self.language is None or not language:
            return True
        return _primary(self.language) == _primary(language)

    def to_json(self) -> dict[str, str]:
        return {"text": self.text, "pronunciation": self.pronunciation}


def _primary(language: str) -> str:
    return language.replace("_", "-").split("-")[0].lower()


@dataclass(frozen=True)
class Replacement:
    """One match: ``written`` at ``source`` in the text became ``target`` in the rewrite."""

    source: Span
    target: Span
    written: str
    entry: Entry


@dataclass(frozen=True)
class Rewrite:
    source: str
    text: str
    replacements: tuple[Replacement, ...] = ()

    @property
    def entries(self) -> tuple[Entry, ...]:
        """The entries used, each once, in the order first used."""
        seen: dict[Entry, None] = {}
        for r in self.replacements:
            seen.setdefault(r.entry, None)
        return tuple(seen)


class Lexicon:
    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self.entries = [e for e in entries if e.text.strip()]
        # Longer entries first, so "New York" wins over "York"; among equals the
        # earlier entry (the earlier lexicon of a project) wins.
        ordered = sorted(self.entries, key=lambda e: len(e.text), reverse=True)
        self._lookup: dict[str, Entry] = {}
        alternatives = []
        for entry in ordered:
            forms = [entry.text]
            if entry.text[:1].islower():
                forms.append(entry.text[:1].upper() + entry.text[1:])
            for form in forms:
                if form not in self._lookup:
                    self._lookup[form] = entry
                    alternatives.append(re.escape(form))
        self._pattern = (re.compile(r"(?<!\w)(" + "|".join(alternatives) + r")(?!\w)")
                         if alternatives else None)

    def __len__(self) -> int:
        return len(self.entries)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def for_language(self, language: str | None) -> Lexicon:
        """The entries that apply to a transcript in ``language``."""
        if all(e.language is None for e in self.entries):
            return self
        return Lexicon(e for e in self.entries if e.speaks(language))

    def lookup(self, word: str) -> Entry | None:
        return self._lookup.get(word)

    def matches(self, source: str) -> list[tuple[Span, Entry]]:
        """Where the lexicon would replace something in ``source`` (the editor marks them)."""
        if self._pattern is None:
            return []
        found = []
        for token in tokenize(source):
            if token.kind != "text":
                continue
            for m in self._pattern.finditer(token.text):
                at = token.span.start + m.start(1)
                found.append((Span(at, at + len(m.group(1))), self._lookup[m.group(1)]))
        return found

    def rewrite(self, source: str) -> Rewrite:
        """The text to send, and where every replacement came from."""
        out: list[str] = []
        replacements: list[Replacement] = []
        length, cursor = 0, 0
        for span, entry in self.matches(source):
            before = source[cursor:span.start]
            out.append(before)
            length += len(before)
            out.append(entry.pronunciation)
            replacements.append(Replacement(span, Span(length, length + len(entry.pronunciation)),
                                            source[span.start:span.end], entry))
            length += len(entry.pronunciation)
            cursor = span.end
        out.append(source[cursor:])
        return Rewrite(source, "".join(out), tuple(replacements))

    def apply(self, source: str) -> str:
        return self.rewrite(source).text

    def to_json(self) -> list[dict[str, str]]:
        return [e.to_json() for e in self.entries]

    @classmethod
    def from_json(cls, items: Any, source: str = "") -> Lexicon:
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
            language = item.get("language")
            entries.append(Entry(item["text"], said,
                                 language if isinstance(language, str) and language else None,
                                 source))
        return cls(entries)


# --- checking an entry ----------------------------------------------------------------------

def entry_problems(entry: Entry, dialect: Dialect) -> list[tuple[int, str]]:
    """Errors of one entry, each with its offset in the pronunciation (0 for the text).

    The pronunciation is checked as a transcript would be: IPA groups with the
    model's rules (:mod:`app.markup.validate`), no tags (a dictionary's
    replacement is plain text or phonemes).
    """
    problems: list[tuple[int, str]] = []
    if not entry.text.strip():
        problems.append((0, "the word is empty"))
    elif entry.text != entry.text.strip():
        problems.append((0, "the word starts or ends with a space"))
    elif "<" in entry.text or ">" in entry.text:
        problems.append((0, "a word cannot hold markup (< or >)"))
    said = entry.pronunciation
    if not said.strip():
        problems.append((0, "no pronunciation"))
        return problems
    for token in tokenize(said):
        if token.kind == "tag":
            problems.append((token.span.start, f"a pronunciation cannot hold the tag "
                                               f"{token.text!r}"))
    problems.extend((d.span.start, d.message) for d in validate(said, dialect)
                    if d.severity == "error")
    return sorted(problems)


# --- IPA strings (PLS) and Cartesia's phoneme groups -----------------------------------------

#: Phonemes written with two letters that are one sound (the docs' table).
_DIGRAPHS = ("tʃ", "dʒ", "eɪ", "aɪ", "aʊ", "ɔɪ", "oʊ")
_ATTACHED = set(ipa.LENGTH) | {"ʰ", "ʷ", "ʲ", "ˠ", "ˤ", "ⁿ", "ˡ", "˞"}


def ipa_group(word: str) -> str:
    """``kɑɹˈtiʒə`` → ``<<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>>``: an IPA word split into phonemes.

    Two-letter sounds of the docs' table stay together; diacritics and length
    marks stay with the symbol they follow; stress marks stand alone.
    """
    parts: list[str] = []
    i = 0
    while i < len(word):
        ch = word[i]
        if parts and (ch in _ATTACHED or unicodedata.category(ch) == "Mn") \
                and parts[-1] not in ipa.STRESS:
            parts[-1] += ch
            i += 1
            continue
        pair = word[i:i + 2]
        if pair in _DIGRAPHS:
            parts.append(pair)
            i += 2
            continue
        parts.append(ch)
        i += 1
    return "<<" + "|".join(parts) + ">>"


def ipa_string(pronunciation: str) -> str | None:
    """``<<k|ɑ|ɹ>> <<t|i>>`` → ``kɑɹ ti``; None when it is not IPA groups only."""
    words = pronunciation.split()
    if not words or not all(w.startswith("<<") and w.endswith(">>") and len(w) > 4
                            for w in words):
        return None
    return " ".join(w[2:-2].replace("|", "") for w in words)


def from_ipa_string(phonemes: str) -> str:
    """An IPA string (words separated by spaces) as Cartesia's phoneme groups."""
    return " ".join(ipa_group(w) for w in phonemes.split())
