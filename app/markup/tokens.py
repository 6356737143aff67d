"""Tokenizing Cartesia's transcript markup, with source positions.

Every character of the source belongs to exactly one token, in order, so a
highlighter can colour the text token by token and a validator can point at
the exact span of a problem. Tokens:

- ``text``: plain text;
- ``tag``: ``<name attr="value" …/>`` (empty), ``<name …>`` (open) or ``</name>`` (close);
- ``phonemes``: ``<<p|h|o|n|e|s>>``, a custom pronunciation;
- ``malformed``: something that starts like a tag or a phoneme group but is not one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Span:
    """Offsets ``[start, end)`` into the source string."""

    start: int
    end: int

    def __len__(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Position:
    """1-based line and column (in characters)."""

    line: int
    column: int

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}"


def position(source: str, offset: int) -> Position:
    line = source.count("\n", 0, offset) + 1
    start_of_line = source.rfind("\n", 0, offset) + 1
    return Position(line, offset - start_of_line + 1)


@dataclass(frozen=True)
class Attribute:
    name: str
    value: str
    name_span: Span
    value_span: Span  # the value without its quotes


TokenKind = Literal["text", "tag", "phonemes", "malformed"]
TagForm = Literal["empty", "open", "close"]


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    span: Span
    text: str
    name: str = ""                    # tag name, lower-cased
    form: TagForm | None = None       # for tags
    attributes: tuple[Attribute, ...] = field(default=())
    phonemes: tuple[str, ...] = ()    # for phoneme groups: the parts between bars
    problem: str = ""                 # for malformed tokens: what is wrong


_TAG = re.compile(
    r"<(?P<close>/)?\s*(?P<name>[A-Za-z][\w-]*)"
    r"(?P<attrs>(?:\s+[\w-]+\s*=\s*(?:\"[^\"<>]*\"|'[^'<>]*'|[^\s\"'<>/=]+))*)"
    r"\s*(?P<empty>/)?>")
_ATTR = re.compile(r"([\w-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'<>/=]+))")


def _tag_token(match: re.Match[str], offset: int) -> Token:
    text = match.group(0)
    attrs = []
    attrs_start = match.start("attrs")
    for a in _ATTR.finditer(match.group("attrs")):
        group = next(i for i in (2, 3, 4) if a.group(i) is not None)
        base = offset + attrs_start - match.start()
        attrs.append(Attribute(
            a.group(1).lower(), a.group(group),
            Span(base + a.start(1), base + a.end(1)),
            Span(base + a.start(group), base + a.end(group))))
    form: TagForm = "close" if match.group("close") else (
        "empty" if match.group("empty") else "open")
    return Token("tag", Span(offset, offset + len(text)), text,
                 name=match.group("name").lower(), form=form, attributes=tuple(attrs))


def _malformed_end(source: str, start: int) -> int:
    """Where a malformed tag ends: its ``>`` if on the same line, else the line's end."""
    line_end = source.find("\n", start)
    line_end = len(source) if line_end < 0 else line_end
    close = source.find(">", start + 1, line_end)
    nxt = source.find("<", start + 1, line_end)
    if close >= 0 and (nxt < 0 or close < nxt):
        return close + 1
    return nxt if nxt >= 0 else line_end


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    i, text_start, n = 0, 0, len(source)

    def flush_text(upto: int) -> None:
        if upto > text_start:
            tokens.append(Token("text", Span(text_start, upto), source[text_start:upto]))

    while i < n:
        if source[i] != "<":
            i += 1
            continue
        flush_text(i)
        if source.startswith("<<", i):
            close = source.find(">>", i + 2)
            line_end = source.find("\n", i)
            if close < 0 or (0 <= line_end < close):
                end = line_end if line_end >= 0 else n
                tokens.append(Token("malformed", Span(i, end), source[i:end],
                                    problem="a pronunciation '<<' is never closed with '>>'"))
                i = text_start = end
                continue
            body = source[i + 2:close]
            tokens.append(Token("phonemes", Span(i, close + 2), source[i:close + 2],
                                phonemes=tuple(body.split("|"))))
            i = text_start = close + 2
            continue
        match = _TAG.match(source, i)
        if match is not None:
            tokens.append(_tag_token(match, i))
            i = text_start = match.end()
            continue
        end = _malformed_end(source, i)
        snippet = source[i:end]
        if snippet.count('"') % 2 or snippet.count("'") % 2:
            problem = f"tag {snippet.strip()!r} has an unclosed quote"
        elif ">" not in snippet:
            problem = f"tag {snippet.strip()!r} is not closed with '>'"
        else:
            problem = f"{snippet!r} is not a valid tag; write it like <break time=\"1s\"/>"
        tokens.append(Token("malformed", Span(i, end), snippet, problem=problem))
        i = text_start = end
    flush_text(n)
    return tokens
