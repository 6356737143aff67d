"""A transcript as segments an engine can speak: text, spelling, pronunciations, pauses.

Lenient by design: it never raises. What an engine cannot honour is dropped
the way Cartesia documents (unknown tags are ignored, never read aloud).
Speed, volume and emotion set by a tag hold from that point on.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.markup.tokens import Span, tokenize
from app.markup.validate import parse_duration, parse_ratio


@dataclass(frozen=True)
class Text:
    text: str
    span: Span
    speed: float = 1.0
    volume: float = 1.0
    emotion: str | None = None


@dataclass(frozen=True)
class Spell:
    text: str
    span: Span
    speed: float = 1.0
    volume: float = 1.0
    emotion: str | None = None


@dataclass(frozen=True)
class Pronounce:
    phonemes: tuple[str, ...]
    span: Span
    speed: float = 1.0
    volume: float = 1.0
    emotion: str | None = None


@dataclass(frozen=True)
class Pause:
    seconds: float
    span: Span


Segment = Text | Spell | Pronounce | Pause


def to_segments(source: str, *, speed: float = 1.0, volume: float = 1.0,
                emotion: str | None = None) -> list[Segment]:
    """Segments in order; adjacent text with the same settings is merged."""
    out: list[Segment] = []
    spelling: list[tuple[str, Span]] | None = None

    def add_text(text: str, span: Span) -> None:
        if spelling is not None:
            spelling.append((text, span))
            return
        last = out[-1] if out else None
        # Text around a dropped tag joins up, as if the tag had not been there.
        if isinstance(last, Text) and (last.speed, last.volume, last.emotion) == (
                speed, volume, emotion):
            out[-1] = Text(last.text + text, Span(last.span.start, span.end), speed, volume,
                           emotion)
        else:
            out.append(Text(text, span, speed, volume, emotion))

    for token in tokenize(source):
        if token.kind == "text":
            add_text(token.text, token.span)
        elif token.kind == "phonemes":
            phonemes = tuple(p for p in token.phonemes if p)
            if phonemes and not any(c.isspace() for c in token.text):
                out.append(Pronounce(phonemes, token.span, speed, volume, emotion))
        elif token.kind == "tag":
            value = token.attributes[0].value if token.attributes else ""
            if token.name == "break" and (seconds := parse_duration(value)) is not None:
                out.append(Pause(seconds, token.span))
            elif token.name == "speed" and (ratio := parse_ratio(value)) is not None:
                speed = ratio
            elif token.name == "volume" and (ratio := parse_ratio(value)) is not None:
                volume = ratio
            elif token.name == "emotion" and value:
                emotion = value
            elif token.name == "spell" and token.form == "open" and spelling is None:
                spelling = []
            elif token.name == "spell" and token.form == "close" and spelling is not None:
                if spelling:
                    text = "".join(t for t, _ in spelling)
                    out.append(Spell(text, Span(spelling[0][1].start, spelling[-1][1].end),
                                     speed, volume, emotion))
                spelling = None
        # malformed tokens are dropped: never spoken
    if spelling:  # an unclosed <spell> spells to the end, as far as we can tell
        text = "".join(t for t, _ in spelling)
        out.append(Spell(text, Span(spelling[0][1].start, spelling[-1][1].end), speed, volume,
                         emotion))
    return out


def plain_text(source: str) -> str:
    """The words a listener hears, tags removed (pronunciations stay as a placeholder
    word so word counts line up with timestamps)."""
    parts: list[str] = []
    for segment in to_segments(source):
        if isinstance(segment, Text | Spell):
            parts.append(segment.text)
        elif isinstance(segment, Pronounce):
            parts.append("".join(segment.phonemes))
        else:
            parts.append(" ")
    return "".join(parts)
