"""What one model accepts in a transcript: its tags, ranges, emotions and phoneset.

The caller builds it with :meth:`app.cartesia.models.Model.dialect` (markup
sits below the API layer and does not import it); :func:`sonic3` is a default
that checks tags and ranges but accepts any emotion name.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_TAGS = frozenset({"break", "speed", "volume", "emotion", "spell"})


@dataclass(frozen=True)
class Dialect:
    model_id: str = "sonic-3"
    tags: frozenset[str] = ALL_TAGS
    phoneset: str = "charsiu"  # or "mfa"
    language: str = "en"
    speed_range: tuple[float, float] = (0.6, 1.5)
    volume_range: tuple[float, float] = (0.5, 2.0)
    #: Emotion names the model knows; empty means any name is accepted.
    emotions: tuple[str, ...] = ()
    max_break_seconds: float = 10.0


def sonic3(language: str = "en") -> Dialect:
    return Dialect(language=language)
