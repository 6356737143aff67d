"""Splitting a long transcript into pieces, one generation each, without breaking markup.

A server bounds what one context may take (our engine: 100,000 characters), and
a long text is better heard piece by piece anyway: the first audio comes after
the first piece, not after the whole book. Pieces end at a paragraph break if
one is near enough, else after a sentence, else at a space, and never inside a
tag, a ``<spell>`` or a custom pronunciation. Joined, the pieces are the text.

``<speed>``, ``<volume>`` and ``<emotion>`` apply "from here on": a piece starts
with the last of each that the pieces before it set, so a split never changes
how the rest is spoken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.markup.tokens import Token, tokenize

#: Carried over from piece to piece: these tags change everything after them.
CARRIED = ("speed", "volume", "emotion")

_SENTENCE_END = re.compile(r"[.!?…。！？][\"')\]»”’]*\s+")
_PARAGRAPH = re.compile(r"\n\s*\n")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Piece:
    """A part of the text, and the markup that must come first to speak it as in place."""

    text: str
    prefix: str = ""

    @property
    def transcript(self) -> str:
        return self.prefix + self.text


def split(text: str, limit: int) -> list[Piece]:
    """Pieces of at most about ``limit`` characters each (a single word or tag longer
    than that stays whole)."""
    if len(text) <= limit:
        return [Piece(text)]
    tokens = tokenize(text)
    closed = _outside_markup(text, tokens)
    pieces: list[Piece] = []
    start = 0
    while len(text) - start > limit:
        end = _cut(text, start, start + limit, closed)
        pieces.append(Piece(text[start:end], _carried(tokens, start)))
        start = end
    pieces.append(Piece(text[start:], _carried(tokens, start)))
    return pieces


def _outside_markup(text: str, tokens: list[Token]) -> list[bool]:
    """For each offset, whether a piece may end there (not in a tag or a spelled span)."""
    ok = [True] * (len(text) + 1)
    spelling_from: int | None = None
    for token in tokens:
        if token.kind != "text":
            for offset in range(token.span.start + 1, token.span.end):
                ok[offset] = False
        if token.kind == "tag" and token.name == "spell":
            if token.form == "open":
                spelling_from = token.span.end
            elif token.form == "close" and spelling_from is not None:
                for offset in range(spelling_from, token.span.start + 1):
                    ok[offset] = False
                spelling_from = None
    return ok


def _cut(text: str, start: int, stop: int, ok: list[bool]) -> int:
    """The best place to end a piece that begins at ``start``, at most at ``stop``."""
    window = text[start:stop]
    # A paragraph break counts when it leaves at least half a piece behind it.
    for pattern, least in ((_PARAGRAPH, len(window) // 2), (_SENTENCE_END, 1), (_SPACE, 1)):
        ends = [start + m.end() for m in pattern.finditer(window)
                if m.end() >= least and ok[start + m.end()]]
        if ends:
            return ends[-1]
    # One word longer than a piece: end after it (never inside markup).
    for match in _SPACE.finditer(text, stop):
        if ok[match.end()]:
            return match.end()
    return len(text)


def _carried(tokens: list[Token], start: int) -> str:
    """The last ``<speed>``, ``<volume>`` and ``<emotion>`` tags before ``start``."""
    last: dict[str, str] = {}
    for token in tokens:
        if token.span.start >= start:
            break
        if token.kind == "tag" and token.name in CARRIED and token.form == "empty":
            last[token.name] = token.text
    return "".join(last[name] for name in CARRIED if name in last)
