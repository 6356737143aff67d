"""Errors of the studio (the workflow above the API).

::

    VoiceboothError
    └── StudioError
        ├── InvalidInput    a request that cannot be right, found before sending it
        ├── NeedsCartesia   a Cartesia voice with no way to reach Cartesia
        ├── Stopped         a recording stopped before it finished
        ├── ABRefused       two takes that do not say the same thing cannot be A/B'd
        ├── VoiceLookupFailed  a pasted voice id that is malformed, unknown or unreachable
        └── PreviewUnplayable  a voice's preview clip that cannot be fetched or decoded

Kept apart from the modules that raise them, so the command line can map them to
exit codes without importing the engine or the network clients.
"""

from __future__ import annotations

from app.cartesia.voices_types import Voice
from app.errors import VoiceboothError


class StudioError(VoiceboothError):
    """Base class of the studio's errors."""


class InvalidInput(StudioError):
    """A request that cannot be right, found before sending it."""


class NeedsCartesia(StudioError):
    """A Cartesia voice was asked for with no way to reach Cartesia (no key, or offline)."""

    def __init__(self, voice: Voice, offline_mode: bool) -> None:
        self.voice = voice
        self.offline_mode = offline_mode
        how = ("the offline mode is on (--offline or Settings)" if offline_mode else
               "no API key is set: store one in Settings, set CARTESIA_API_KEY or pass "
               "--api-key")
        super().__init__(f"{voice.name!r} is not an offline voice and {how}; choose an "
                         "offline voice ('voicebooth voices --offline' lists them)")


class Stopped(StudioError):
    """The recording was stopped (by Stop, or by a newer one) before it finished."""


class ABRefused(StudioError):
    """A/B of two takes whose spoken texts differ: the comparison would be of lines,
    not of voices, and switching "at the same word" would land on another word."""

    def __init__(self, first: str, second: str) -> None:
        self.first, self.second = first, second
        super().__init__(f"A/B compares one line read twice, but these takes say different "
                         f"things ({_quote(first)} and {_quote(second)}); choose two takes "
                         "of the same text")


def _quote(text: str, limit: int = 40) -> str:
    return f"“{text if len(text) <= limit else text[:limit - 1] + '…'}”"


class VoiceLookupFailed(StudioError):
    """A voice id (pasted, or typed) is malformed, unknown to the server, or the server
    could not be asked."""


class PreviewUnplayable(StudioError):
    """A voice's preview clip could not be downloaded or decoded."""
