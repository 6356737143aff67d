"""Validation of a transcript for one model, with positions a user can act on.

Every problem is a :class:`Diagnostic` with the span it concerns and a message
that says what to do; :func:`check` raises :class:`MarkupInvalid` when any is
an error, so nothing invalid is ever sent.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

from app.markup import ipa
from app.markup.dialect import ALL_TAGS, Dialect
from app.markup.errors import MarkupInvalid
from app.markup.tokens import Position, Span, Token, position, tokenize

Severity = Literal["error", "warning"]

#: tag -> (form it must have, its attribute, what the attribute holds)
_TAGS: dict[str, tuple[str, str | None]] = {
    "break": ("empty", "time"),
    "speed": ("empty", "ratio"),
    "volume": ("empty", "ratio"),
    "emotion": ("empty", "value"),
    "spell": ("paired", None),
}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s)\s*$")


@dataclass(frozen=True)
class Diagnostic:
    span: Span
    start: Position
    end: Position
    message: str
    severity: Severity = "error"

    def describe(self) -> str:
        return f"{self.start}: {self.message}"


def parse_duration(value: str) -> float | None:
    """Seconds for ``"1s"``, ``"500ms"``, ``"1.5s"``; ``None`` if not a duration."""
    match = _DURATION.match(value)
    if match is None:
        return None
    number = float(match.group(1))
    return number / 1000 if match.group(2) == "ms" else number


def parse_ratio(value: str) -> float | None:
    try:
        ratio = float(value)
    except ValueError:
        return None
    return ratio if ratio == ratio and ratio not in (float("inf"), float("-inf")) else None


class _Checker:
    def __init__(self, source: str, dialect: Dialect) -> None:
        self.source = source
        self.dialect = dialect
        self.found: list[Diagnostic] = []

    def report(self, span: Span, message: str, severity: Severity = "error") -> None:
        end = position(self.source, max(span.start, span.end - 1))
        self.found.append(Diagnostic(span, position(self.source, span.start), end, message,
                                     severity))

    def run(self) -> list[Diagnostic]:
        open_spell: Token | None = None
        for token in tokenize(self.source):
            if token.kind == "malformed":
                self.report(token.span, token.problem)
            elif token.kind == "phonemes":
                self.phonemes(token)
            elif token.kind == "tag":
                open_spell = self.tag(token, open_spell)
        if open_spell is not None:
            self.report(open_spell.span, "<spell> is never closed; add </spell> after the "
                                         "text to spell")
        return sorted(self.found, key=lambda d: (d.span.start, d.span.end))

    def tag(self, token: Token, open_spell: Token | None) -> Token | None:
        name = token.name
        if name not in _TAGS:
            close = difflib.get_close_matches(name, sorted(ALL_TAGS), n=1)
            hint = f"; did you mean <{close[0]}>?" if close else \
                "; Cartesia knows <break>, <speed>, <volume>, <emotion> and <spell>"
            self.report(token.span, f"unknown tag <{name}>{hint}")
            return open_spell
        if name not in self.dialect.tags:
            self.report(token.span, f"<{name}> is not supported on {self.dialect.model_id}")
            return open_spell
        form, attribute = _TAGS[name]
        if form == "paired":
            if token.form == "empty":
                self.report(token.span, f"<{name}/> is empty; wrap the text: <spell>ABC</spell>")
            elif token.form == "open":
                if open_spell is not None:
                    self.report(token.span, "<spell> inside <spell>; close the first one first")
                    return open_spell
                return token
            else:
                if open_spell is None:
                    self.report(token.span, "</spell> without an opening <spell>")
                return None
            return open_spell
        if token.form != "empty":
            shown = f"</{name}>" if token.form == "close" else f"<{name} …>"
            self.report(token.span, f"{shown} must be self-closing, like "
                                    f"<{name} {attribute}=\"…\"/>")
            return open_spell
        if open_spell is not None and name != "break":
            self.report(token.span, f"<{name}/> inside <spell> is read as part of the spelling",
                        "warning")
        values = {a.name: a for a in token.attributes}
        for extra in values.keys() - {attribute}:
            self.report(values[extra].name_span,
                        f"<{name}> has no attribute {extra!r}; it takes {attribute!r}")
        if attribute not in values:
            self.report(token.span, f"<{name}> needs {attribute}=\"…\"")
            return open_spell
        attr = values[attribute]
        value = attr.value
        if name == "break":
            seconds = parse_duration(value)
            if seconds is None:
                self.report(attr.value_span, f"break time {value!r} is not a duration; write "
                                             "it like \"500ms\" or \"1.5s\"")
            elif seconds > self.dialect.max_break_seconds:
                self.report(attr.value_span, f"a break of {seconds:g} s is longer than "
                            f"{self.dialect.max_break_seconds:g} s", "warning")
        elif name in ("speed", "volume"):
            low, high = (self.dialect.speed_range if name == "speed"
                         else self.dialect.volume_range)
            ratio = parse_ratio(value)
            if ratio is None:
                self.report(attr.value_span, f"{name} ratio {value!r} is not a number")
            elif not low <= ratio <= high:
                self.report(attr.value_span, f"{name} ratio {ratio:g} is outside "
                            f"{low:g}–{high:g} on {self.dialect.model_id}")
        elif name == "emotion" and self.dialect.emotions and value not in self.dialect.emotions:
            close = difflib.get_close_matches(value, self.dialect.emotions, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.report(attr.value_span, f"unknown emotion {value!r}{hint}")
        return open_spell

    def phonemes(self, token: Token) -> None:
        body = token.text[2:-2]
        if not body.strip("|"):
            self.report(token.span, "empty pronunciation: put phonemes between << and >>, "
                                    "separated by |")
            return
        if any(c.isspace() for c in body):
            self.report(token.span, "no spaces inside << >>: one word per pronunciation, "
                                    "phonemes separated by |")
            return
        offset = token.span.start + 2
        for part in token.phonemes:
            span = Span(offset, offset + len(part))
            offset += len(part) + 1
            if not part:
                continue  # a trailing or doubled bar, as in the docs' own examples
            if (at := ipa.first_non_ipa(part)) is not None:
                bad, span = part[at], Span(span.start + at, span.start + at + 1)
                self.report(span, f"{part!r} is not an IPA phoneme ({bad!r} is not an IPA "
                                  "symbol)")
            elif self.dialect.language == "en" and not ipa.known_in_english(part):
                self.report(span, f"{part!r} is not in the American English phoneme table",
                            "warning")


def validate(source: str, dialect: Dialect) -> list[Diagnostic]:
    return _Checker(source, dialect).run()


def check(source: str, dialect: Dialect) -> None:
    """Raise :class:`MarkupInvalid` if ``source`` has any error (warnings pass)."""
    found = validate(source, dialect)
    if any(d.severity == "error" for d in found):
        raise MarkupInvalid(found)
